"""The promotion page's simulation: this promotion (as saved, whatever its status) replayed over recent earns."""

import zoneinfo
from typing import Any

from django import forms
from django.contrib.admin import ModelAdmin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from rewards.models import Promotion
from rewards.promotion_trial import Simulation, promotion_simulate

DEFAULT_DAYS = 30
MAX_DAYS = 366


class SimulationForm(forms.Form):
    days = forms.IntegerField(
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text="Replay the earns of purchases made in this many last days.",
    )


def simulation_page(model_admin: ModelAdmin, request: HttpRequest, promotion: Promotion) -> HttpResponse:
    """GET without `days` shows the form; with it, runs the replay (a read: safe to bookmark and repeat)."""
    simulation: Simulation | None = None
    if "days" in request.GET:
        form = SimulationForm(request.GET)
        if form.is_valid():
            simulation = promotion_simulate(promotion=promotion, days=form.cleaned_data["days"])
    else:
        form = SimulationForm(initial={"days": DEFAULT_DAYS})
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": promotion,
        "title": f"Simulate {promotion.code}",
        "subtitle": None,
        "form": form,
        "simulation": simulation,
        "timezone_name": promotion.program.timezone,
    }
    with timezone.override(zoneinfo.ZoneInfo(promotion.program.timezone)):
        return TemplateResponse(request, "admin/rewards/promotion/simulate.html", context).render()

"""The promotion page's simulation: this promotion (as saved, whatever its status) replayed over recent earns."""

import datetime
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
    ignore_dates = forms.BooleanField(
        label="Ignore its dates",
        required=False,
        help_text="Replay it as if it ran over the whole period (e.g. a promotion planned for later).",
    )


def dates_miss_the_window(promotion: Promotion, days: int) -> bool:
    """Whether the promotion's dates leave out the whole window of the last `days` days."""
    now = timezone.now()
    since = now - datetime.timedelta(days=days)
    return (promotion.starts_at is not None and promotion.starts_at >= now) or (
        promotion.ends_at is not None and promotion.ends_at <= since
    )


def simulation_page(model_admin: ModelAdmin, request: HttpRequest, promotion: Promotion) -> HttpResponse:
    """GET without `days` shows the form; with it, runs the replay (a read: safe to bookmark and repeat)."""
    simulation: Simulation | None = None
    if "days" in request.GET:
        form = SimulationForm(request.GET)
        if form.is_valid():
            data = form.cleaned_data
            simulation = promotion_simulate(promotion=promotion, days=data["days"], ignore_dates=data["ignore_dates"])
    else:
        # A promotion planned for later would give nothing over past purchases: offer to ignore its dates.
        ignore = dates_miss_the_window(promotion, DEFAULT_DAYS)
        form = SimulationForm(initial={"days": DEFAULT_DAYS, "ignore_dates": ignore})
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

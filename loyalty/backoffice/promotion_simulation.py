"""The promotion page's simulation: this promotion replayed over recent earns.

Two ways in: the "Simulate on past earns" link replays the promotion as saved (whatever its status); the
"Simulate these edits" button of the change form posts the form here, which validates it like a save and
replays the edited definition without saving anything. The edits ride along, hidden, when the number of days
changes.
"""

import datetime
import zoneinfo
from typing import Any

from django import forms
from django.contrib.admin import ModelAdmin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loyalty.backoffice.promotion_preview import theme_inputs, trial_context
from loyalty.backoffice.promotion_trial import Simulation, edited_rule, promotion_simulate
from rewards.engine import Rule
from rewards.models import Promotion

DEFAULT_DAYS = 30
MAX_DAYS = 366
OWN_KEYS = ("csrfmiddlewaretoken", "days", "ignore_dates")


class SimulationForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=_("Replay the earns of purchases made in this many last days."),
    )
    ignore_dates = forms.BooleanField(
        label=_("Ignore its dates"),
        required=False,
        help_text=_("Replay it as if it ran over the whole period (e.g. a promotion planned for later)."),
    )


def dates_miss_the_window(starts_at, ends_at, days: int) -> bool:
    """Whether dates leave out the whole window of the last `days` days."""
    now = timezone.now()
    since = now - datetime.timedelta(days=days)
    return (starts_at is not None and starts_at >= now) or (ends_at is not None and ends_at <= since)


def edits_from(model_admin: ModelAdmin, request: HttpRequest, promotion: Promotion) -> tuple[Rule | None, Any]:
    """The change form posted here, validated like a save: (the edited rule, None) or (None, the errors)."""
    form_class = model_admin.get_form(request, promotion, change=True)
    form = form_class(request.POST, request.FILES, instance=promotion)
    if not form.is_valid():
        return None, form.errors
    segments = [segment.code for segment in form.cleaned_data.get("segments") or ()]
    return edited_rule(promotion, form.cleaned_data, segments), None


def simulation_page(model_admin: ModelAdmin, request: HttpRequest, promotion: Promotion) -> HttpResponse:
    """GET: the saved promotion (with `days`, the replay runs; a read, safe to bookmark). POST: the edits."""
    with timezone.override(zoneinfo.ZoneInfo(promotion.program.timezone)):
        edited, edit_errors, edits = None, None, []
        data = request.GET
        if request.method == "POST":
            data = request.POST
            edited, edit_errors = edits_from(model_admin, request, promotion)
            edits = [(key, value) for key in request.POST if key not in OWN_KEYS for value in request.POST.getlist(key)]
        starts_at, ends_at = (edited.starts_at, edited.ends_at) if edited else (promotion.starts_at, promotion.ends_at)
        simulation: Simulation | None = None
        ignore = dates_miss_the_window(starts_at, ends_at, DEFAULT_DAYS)
        if "days" in data:
            form = SimulationForm(data)
        elif request.method == "POST":  # straight from the change form: run with what the first form offers
            form = SimulationForm({"days": DEFAULT_DAYS, "ignore_dates": ignore})
        else:
            form = SimulationForm(initial={"days": DEFAULT_DAYS, "ignore_dates": ignore})
        if form.is_bound and form.is_valid() and edit_errors is None:
            simulation = promotion_simulate(
                promotion=promotion,
                rule=edited,
                days=form.cleaned_data["days"],
                ignore_dates=form.cleaned_data["ignore_dates"],
            )
        theme_inputs(form)
        context: dict[str, Any] = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "original": promotion,
            **trial_context(promotion),
            "title": gettext("Simulate %(code)s") % {"code": promotion.code},
            "subtitle": None,
            "form": form,
            "simulation": simulation,
            "edited": request.method == "POST",
            "edit_errors": edit_errors,
            "edits": edits,
            "timezone_name": promotion.program.timezone,
        }
        # Rendered now, inside the program's time zone.
        return TemplateResponse(request, "admin/rewards/promotion/simulate.html", context).render()

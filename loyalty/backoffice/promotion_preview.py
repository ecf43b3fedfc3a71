"""The promotion page's preview: a sample basket evaluated with the live promotions plus this one (as saved).

Times on the page are in the program's timezone.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.admin import ModelAdmin
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import CHECKBOX_CLASSES, INPUT_CLASSES

from loyalty.backoffice import labels
from loyalty.backoffice.promotion_trial import basket_preview
from members.models import Member
from members.selectors import member_get
from rewards.engine import Evaluation, Line
from rewards.models import Promotion
from rewards.services.earning import Basket

LINE_ROWS = 5


def theme_inputs(form: forms.BaseForm) -> None:
    """Gives a plain form's inputs the admin theme's look (the model forms get it from unfold's widgets)."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs["class"] = " ".join(CHECKBOX_CLASSES)
        else:
            field.widget.attrs["class"] = " ".join(INPUT_CLASSES)


REASONS = {
    "status": _("not live"),
    "dates": _("the basket's moment is outside its dates"),
    "channel": _("the basket's channel is not among its channels"),
    "segment": _("the member is in none of its segments (a guest gets no segmented promotion)"),
    "no_eligible_lines": _("no line is among its products or categories, or they gave 0 points"),
    "min_amount": _("the eligible amount is below its minimum amount (or the basket threshold)"),
}


def trial_context(promotion: Promotion) -> dict[str, Any]:
    """The promotion's kind and status as staff read them (the heading of the preview and simulation pages)."""
    return {
        "kind_label": labels.label(labels.PROMOTION_KIND, promotion.kind),
        "status_label": labels.label(labels.PROMOTION_STATUS, promotion.status),
    }


class BasketLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    product_category = forms.CharField(label=_("Category"), max_length=64, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=12, decimal_places=2, required=False, help_text=_("the line total")
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean returns, without the None of its signature
        filled = any(cleaned.get(name) not in (None, "") for name in self.fields)
        if filled:
            if not cleaned.get("sku"):
                self.add_error("sku", gettext("Required on a line."))
            if cleaned.get("amount") is None and "amount" not in self.errors:
                self.add_error("amount", gettext("Required on a line."))
        cleaned["filled"] = filled
        return cleaned


BasketLineFormSet = forms.formset_factory(BasketLineForm, extra=LINE_ROWS, max_num=100)


class PreviewForm(forms.Form):
    member_id = forms.CharField(
        label=_("Member id"), max_length=64, required=False, help_text=_("Empty: a guest (no segmented promotion).")
    )
    channel = forms.CharField(
        label=_("Channel"), max_length=32, required=False, help_text=_("e.g. store, web; empty: none.")
    )
    occurred_at = forms.DateTimeField(label=_("Occurred at"), help_text=_("In the program's timezone."))

    def __init__(self, *args: Any, promotion: Promotion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.promotion = promotion
        self.member: Member | None = None

    def clean_member_id(self) -> str:
        member_id = (self.cleaned_data.get("member_id") or "").strip()
        if member_id:
            self.member = member_get(program=self.promotion.program, member_id=member_id)
            if self.member is None:
                raise forms.ValidationError(
                    gettext("No member %(member)s in %(program)s.")
                    % {"member": member_id, "program": self.promotion.program.code}
                )
        return member_id


def _lines(formset: BaseFormSet[BasketLineForm]) -> list[Line]:
    lines: list[Line] = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data.get("filled"):
            continue
        lines.append(
            Line(
                line_id=str(len(lines) + 1),
                sku=data["sku"],
                product_category=data.get("product_category") or None,
                quantity=data.get("quantity") or 1,
                amount=data["amount"] or Decimal(0),
            )
        )
    return lines


def preview_page(model_admin: ModelAdmin, request: HttpRequest, promotion: Promotion) -> HttpResponse:
    evaluation: Evaluation | None = None
    lines: list[Line] = []
    with timezone.override(zoneinfo.ZoneInfo(promotion.program.timezone)):
        if request.method == "POST":
            form = PreviewForm(request.POST, promotion=promotion)
            formset = BasketLineFormSet(request.POST, prefix="lines")
            if form.is_valid() and formset.is_valid():
                lines = _lines(formset)
                if not lines:
                    form.add_error(None, gettext("Enter at least one basket line."))
                else:
                    basket = Basket(
                        lines=tuple(lines),
                        occurred_at=form.cleaned_data["occurred_at"],
                        channel=form.cleaned_data["channel"] or None,
                    )
                    evaluation = basket_preview(promotion=promotion, basket=basket, member=form.member)
        else:
            form = PreviewForm(
                promotion=promotion, initial={"occurred_at": timezone.localtime().replace(microsecond=0)}
            )
            formset = BasketLineFormSet(prefix="lines")
        theme_inputs(form)
        for line_form in formset.forms:
            theme_inputs(line_form)
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "original": promotion,
            **trial_context(promotion),
            "title": gettext("Preview %(code)s") % {"code": promotion.code},
            "subtitle": None,
            "form": form,
            "formset": formset,
            "evaluation": evaluation,
            "result": result_rows(promotion, evaluation, lines) if evaluation is not None else None,
            "member": form.member,
            "timezone_name": promotion.program.timezone,
        }
        # Rendered now, inside the program's timezone.
        return TemplateResponse(request, "admin/rewards/promotion/preview.html", context).render()


def result_rows(promotion: Promotion, evaluation: Evaluation, lines: list[Line]) -> dict[str, Any]:
    program = promotion.program
    applied = [
        {"code": p.code, "name": program.text(p.name), "points": p.points, "this": p.code == promotion.code}
        for p in evaluation.promotions
    ]
    by_line = {result.line_id: result for result in evaluation.lines}
    line_rows = [
        {
            "line": line,
            "points": by_line[line.line_id].points,
            "promotions": ", ".join(by_line[line.line_id].promotions) or "—",
        }
        for line in lines
    ]
    not_applied = [
        {"code": code, "reason": reason, "why": str(REASONS.get(reason, reason)), "this": code == promotion.code}
        for code, reason in evaluation.not_applied
    ]
    this_points = next((p["points"] for p in applied if p["this"]), 0)
    return {
        "points": evaluation.points,
        "applied": applied,
        "lines": line_rows,
        "not_applied": not_applied,
        "this_points": this_points,
    }

"""Admin of redemptions: read-only pages; the status moves only through actions (or the buttons of the
change page) that call `redemption_transition`, so cancel and return refund the points, give the
stock back and void the voucher. A CSV export for the fulfilment partner.
"""

import csv

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin

from loyalty.backoffice import labels
from loyalty.backoffice.fulfilment import DELIVERY_KEYS, fulfilment_rows
from loyalty.backoffice.labels import choices_filter
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.scope import ProgramScopedAdmin, staff_program_ids
from loyalty.core.errors import DomainError
from rewards.models import Redemption, RedemptionStatus, RedemptionStatusChange, Voucher
from rewards.services.redemption import allowed_transitions, redemption_transition

S = RedemptionStatus
MOVES = (S.IN_PREPARATION, S.IN_DELIVERY, S.DELIVERED, S.CANCELLED, S.RETURNED)
MAX_MESSAGES = 50
# Final moves that refund the points, give the stock back and void the voucher: asked again before they happen.
CONFIRMED_MOVES = (S.CANCELLED, S.RETURNED)


class StatusChangeInline(unfold_admin.TabularInline):
    """The redemption's history: who moved it from which status to which, and when."""

    model = RedemptionStatusChange
    fields = ("created_at", "from_label", "to_label", "actor")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("status history")

    @admin.display(description=_("from"))
    def from_label(self, obj: RedemptionStatusChange) -> str:
        return labels.redemption_status(obj.from_status) if obj.from_status else "—"

    @admin.display(description=_("to"))
    def to_label(self, obj: RedemptionStatusChange) -> str:
        return labels.redemption_status(obj.to_status)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # Part of the redemption's page: whoever may see the redemption sees its history.
        return True


def move_action(status: str):
    def action(model_admin: "RedemptionAdmin", request: HttpRequest, queryset) -> HttpResponse | None:
        if status in CONFIRMED_MOVES and request.POST.get("confirm") != "yes":
            hidden = [("action", action.__name__), *((helpers.ACTION_CHECKBOX_NAME, str(r.pk)) for r in queryset)]
            return model_admin.confirm_move(request, queryset, status, request.get_full_path(), hidden)
        model_admin.move(request, queryset, status)
        return None

    action.__name__ = f"move_to_{status}"
    description = _("Move to: %(status)s") % {"status": labels.REDEMPTION_STATUS[status]}
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(Redemption)
class RedemptionAdmin(MissingObjectIs404, ProgramScopedAdmin):
    list_display = ("id", "reference", "member", "gift", "quantity", "points", "status_label", "created_at")
    list_display_links = ("id", "reference")
    list_filter = (
        choices_filter("status", labels.REDEMPTION_STATUS, _("status")),
        ("gift", admin.RelatedOnlyFieldListFilter),
        ("program", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "created_at"
    search_fields = ("reference", "=member__member_id")
    search_help_text = "A redemption reference (or its start), or a member id."
    list_select_related = ("member", "gift", "program")
    inlines = (StatusChangeInline,)
    actions = (*(move_action(status) for status in MOVES), "fulfilment_csv")
    fieldsets = (
        (None, {"fields": ("id", "reference", "program", "member", "gift", "quantity", "points")}),
        (_("Status"), {"fields": ("status_label", "next_statuses", "created_at", "updated_at")}),
        (_("Delivery"), {"fields": ("delivery_details",)}),
        (_("Voucher"), {"fields": ("voucher_details",)}),
    )
    readonly_fields = (
        "id",
        "reference",
        "program",
        "member",
        "gift",
        "quantity",
        "points",
        "status_label",
        "next_statuses",
        "created_at",
        "updated_at",
        "delivery_details",
        "voucher_details",
    )
    change_form_template = "admin/rewards/redemption/change_form.html"

    # ---- read-only: nothing is added, edited or deleted here --------------------------------------------------

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The change permission allows the actions; the page of one redemption is always read-only.
        return obj is None and super().has_change_permission(request)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        ids = staff_program_ids(request)
        if ids is not None and len(ids) <= 1:
            return tuple(f for f in filters if not (isinstance(f, tuple) and f[0] == "program"))
        return filters

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "gift", "program")

    # ---- the change page --------------------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: Redemption) -> str:
        return labels.redemption_status(obj.status)

    @admin.display(description=_("can move to"))
    def next_statuses(self, obj: Redemption) -> str:
        moves = [labels.redemption_status(s) for s in MOVES if s in allowed_transitions(obj)]
        return ", ".join(moves) or gettext("— (final)")

    @admin.display(description="delivery")
    def delivery_details(self, obj: Redemption) -> str:
        delivery = obj.delivery if isinstance(obj.delivery, dict) else None
        if not delivery:
            return "— (no delivery address)"
        rows = [(key.replace("_", " "), delivery.get(key) or "") for key in DELIVERY_KEYS]
        return format_html(
            '<table class="delivery">{}</table>', format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description="voucher")
    def voucher_details(self, obj: Redemption) -> str:
        voucher = Voucher.objects.filter(redemption=obj).first()
        if voucher is None:
            return "— (none)"
        # The code is the member's secret: the admin shows its last group only.
        masked = "•••• " * 4 + voucher.code[-4:]
        rows = [
            ("code", masked),
            (gettext("status"), labels.label(labels.VOUCHER_STATUS, voucher.current_status())),
            ("value", f"{voucher.value} {voucher.currency}"),
            ("issued", f"{voucher.issued_at:%Y-%m-%d %H:%M}"),
            ("expires", f"{voucher.expires_at:%Y-%m-%d %H:%M}" if voucher.expires_at else "never"),
            ("used", f"{voucher.used_at:%Y-%m-%d %H:%M} ({voucher.order_reference})" if voucher.used_at else "no"),
        ]
        return format_html(
            '<table class="voucher">{}</table>', format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            # In the order of the journey (preparation, delivery...), with the words staff read.
            "transitions": [(s, labels.redemption_status(s)) for s in MOVES if s in allowed_transitions(obj)]
            if obj is not None and super().has_change_permission(request)
            else [],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.transition_view)
        return [path("<path:object_id>/transition/", view, name="rewards_redemption_transition"), *super().get_urls()]

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST status=...: one redemption's move, from the buttons of its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not super().has_change_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        obj = self.get_object(request, object_id)
        status = request.POST.get("status", "")
        if status not in MOVES:
            self.message_user(request, f"Unknown status {status!r}.", messages.ERROR)
        elif status in CONFIRMED_MOVES and request.POST.get("confirm") != "yes":
            queryset = self.get_queryset(request).filter(pk=obj.pk)
            return self.confirm_move(request, queryset, status, request.path, [("status", status)])
        else:
            self.move(request, self.get_queryset(request).filter(pk=obj.pk), status)
        return HttpResponseRedirect(reverse("admin:rewards_redemption_change", args=[obj.pk]))

    # ---- actions ----------------------------------------------------------------------------------------------

    def confirm_move(
        self, request: HttpRequest, queryset, status: str, post_to: str, hidden: list[tuple[str, str]]
    ) -> TemplateResponse:
        """The page that asks before a cancel or a return; its button posts the same move again, confirmed."""
        label = labels.redemption_status(status)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Move to: %(status)s") % {"status": label},
            "status": status,
            "status_label": label,
            "redemptions": list(queryset.select_related("member", "gift").order_by("pk")),
            "post_to": post_to,
            "hidden": hidden,
        }
        return TemplateResponse(request, "admin/rewards/redemption/confirm_move.html", context)

    def move(self, request: HttpRequest, queryset, status: str) -> None:
        """Each redemption in its own transaction: a refusal leaves the others moved."""
        actor = request.user.get_username()
        reported = moved = refused = 0
        for redemption in queryset.select_related("gift", "member").order_by("pk"):
            before = redemption.status
            try:
                redemption_transition(redemption=redemption, status=status, actor=actor)
            except DomainError as exc:
                refused += 1
                text, level = f"{redemption.reference}: refused. {exc.message}", messages.ERROR
            else:
                moved += 1
                was, now = labels.redemption_status(before), labels.redemption_status(status)
                text, level = f"{redemption.reference}: {was} → {now}.", messages.SUCCESS
                self.log_change(request, redemption, f"Status {before} → {status}")
            if reported < MAX_MESSAGES:
                self.message_user(request, text, level)
                reported += 1
        if moved + refused > reported:
            self.message_user(request, f"In all: {moved} moved to {status}, {refused} refused.", messages.INFO)

    @admin.action(description="Export for the fulfilment partner (CSV)", permissions=["view"])
    def fulfilment_csv(self, request: HttpRequest, queryset) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="redemptions-{timezone.now():%Y%m%d-%H%M}.csv"'
        redemptions = queryset.select_related("member", "gift", "program").order_by("created_at", "pk")
        csv.writer(response).writerows(fulfilment_rows(redemptions.iterator(chunk_size=1000)))
        return response

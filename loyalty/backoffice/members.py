"""Admin of members and segments, scoped to the user's programs; every write goes through the services.

Members are enrolled and updated through `members.services`, blocked and unblocked with `member_set_status`,
and their points adjusted with `rewards.services.points.points_adjust` (the API's service): a ledger
`adjustment` entry, never a raw save. The member page shows the balance as the member has it now
(`balance_view`), their tier (name, since, until, qualifying points, and the last tier changes), their segments and
their last ledger entries, linked to the whole ledger. The tier is set by hand with
`rewards.services.tiers.tier_override` ("Set tier by hand": a tier, a reason and an end date). Segments get their
members from an uploaded CSV file through `segment_members_add`. Each action is logged in the object's history.

Data rights and duplicates, on the member page (helpers in `member_rights`):

- "Download export" (whoever may change members: customer service and program managers) serves the API's export
  document (`loyalty.api.member_export`, one format built once) as a JSON file and logs "exported".
- "Merge into…" (whoever may adjust points and change members, as for "Set tier by hand": customer service and
  program managers — duplicates are reported to customer service, and a merge only moves the member's own
  points, less than an adjustment can do) asks for the target's member id in the same program, shows a preview
  (points, lots with their dates, qualifying points and tiers of both, segments united, open locks that block it)
  and on confirmation calls `rewards.services.merge.member_merge` with an `ADMIN-MERGE-<hex>` reference, logged
  on both members. A merged member's page links to the target and offers no merge, adjustment or tier action.
- "Erase" (program managers only: `members.add_member`, which only they hold among the staff groups; erasure
  cannot be undone) explains what goes, requires the member id typed exactly, and calls
  `rewards.services.erasure.member_erase` with actor `staff:<username>`; the log names only the pseudonym.
"""

import datetime
import uuid
import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin

from loyalty.backoffice import labels
from loyalty.backoffice.form_style import unfold_style
from loyalty.backoffice.labels import choices_filter
from loyalty.backoffice.member_forms import (
    AdjustPointsForm,
    EraseConfirmForm,
    MemberForm,
    MergeTargetForm,
    SegmentForm,
    TierOverrideForm,
)
from loyalty.backoffice.member_rights import export_response, merge_preview
from loyalty.backoffice.member_service import CustomerServiceViews
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.scope import ProgramScopedAdmin, ScopedRelatedDropdownFilter, staff_program_ids
from loyalty.backoffice.segment_members import SegmentMemberViews
from loyalty.backoffice.tables import BUTTON, data_table
from loyalty.backoffice.translations import TranslatedFieldsAdmin
from loyalty.core.errors import DomainError
from members import services
from members.models import Member, Segment
from programs.models import Tier
from rewards.models import LedgerEntry, PointsBalance, Redemption, TierChange
from rewards.selectors import balance_view, points_expiring
from rewards.services.enrolment import member_enrol
from rewards.services.erasure import member_erase
from rewards.services.merge import member_merge
from rewards.services.points import points_adjust
from rewards.services.promotions import segment_delete
from rewards.services.tiers import tier_override

RECENT_ENTRIES = 50
RECENT_REDEMPTIONS = 10
EXPIRING_SHOWN = 5
UNKNOWN_SHOWN = 100
ADJUST_PERMISSION = "rewards.add_ledgerentry"  # the ledger is append-only: adding an entry is an adjustment
RECENT_TIER_CHANGES = 5
# Erasure cannot be undone: program managers only. Among the staff groups only they enrol members.
ERASE_PERMISSION = "members.add_member"


class ObjectViewsMixin(unfold_admin.ModelAdmin):
    """Custom pages of one object: found through the scoped queryset (404 otherwise), with a permission check."""

    def object_for(self, request: HttpRequest, object_id: str, allowed) -> Any:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such object.")
        if not allowed(request, obj):
            raise PermissionDenied
        return obj

    def page(self, request: HttpRequest, template: str, obj: Any, title: str, **context: Any) -> HttpResponse:
        if isinstance(context.get("form"), forms.BaseForm):
            unfold_style(context["form"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": title,
            "subtitle": None,
            **context,
        }
        return TemplateResponse(request, template, context)


@admin.register(Member)
class MemberAdmin(MissingObjectIs404, CustomerServiceViews, ObjectViewsMixin, ProgramScopedAdmin):
    form = MemberForm
    change_form_template = "admin/members/member/change_form.html"
    # Narrow enough for 1366 px with the sidebar: the balance and tier stay on screen. The program column is added
    # only for users who see more than one program (get_list_display).
    list_display = ("member_id", "full_name", "email", "status_label", "tier_name", "available", "pending")
    # unfold's dropdowns (a program may have many segments), applied with the filter form's button.
    list_filter = (
        "program",
        choices_filter("status", labels.MEMBER_STATUS, _("status"), dropdown=True),
        ("memberships__segment", ScopedRelatedDropdownFilter),
        ("balance__tier", ScopedRelatedDropdownFilter),
        "language",
    )
    list_filter_submit = True
    search_fields = ("member_id", "email", "first_name", "last_name")
    search_help_text = _("Member id, e-mail, first or last name.")
    list_select_related = ("program", "balance", "balance__tier")
    date_hierarchy = "enrolled_at"
    actions = ("block", "unblock")
    # The balance moves only with ledger entries: the admin shows it, never edits it.
    balance_fields = ("balance_available", "balance_pending", "balance_locked", "balance_total")
    page_fields = (
        *balance_fields,
        "expiring_points",
        "postal_address",
        "tier_state",
        "segment_codes",
        "recent_redemptions",
        "recent_ledger",
        "enrolled_at",
        "status_label",
    )

    def get_list_display(self, request: HttpRequest):
        shown = list(super().get_list_display(request))
        ids = staff_program_ids(request)
        if ids is None or len(ids) > 1:
            shown.insert(1, "program")
        return shown

    def get_fieldsets(self, request: HttpRequest, obj: Member | None = None):
        profile = ("email", "first_name", "last_name", "language", "birth_date", "email_opt_out")
        if obj is None:
            return [(None, {"fields": ("program", "member_id", *profile)})]
        return [
            (_("Points"), {"fields": (self.balance_fields, "expiring_points")}),
            (None, {"fields": ("program", "member_id", "status", *profile)}),
            (_("Address"), {"fields": ("postal_address",)}),
            (_("Tier"), {"fields": ("tier_state",)}),
            (_("Segments"), {"fields": ("segment_codes",)}),
            (_("Redemptions"), {"fields": ("recent_redemptions",)}),
            (_("Ledger"), {"fields": ("recent_ledger",)}),
            (_("Enrolment"), {"fields": ("enrolled_at",)}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None):
        if obj is None:
            return ()
        return ("program", "member_id", *self.page_fields)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        adjust = self.admin_site.admin_view(self.adjust_view)
        tier = self.admin_site.admin_view(self.tier_view)
        return [
            path("<path:object_id>/adjust-points/", adjust, name=f"{prefix}_adjust"),
            path("<path:object_id>/status/", self.admin_site.admin_view(self.status_view), name=f"{prefix}_status"),
            path(
                "<path:object_id>/login-link/",
                self.admin_site.admin_view(self.login_link_view),
                name=f"{prefix}_login_link",
            ),
            path("<path:object_id>/set-tier/", tier, name=f"{prefix}_tier"),
            path("<path:object_id>/export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            path("<path:object_id>/merge/", self.admin_site.admin_view(self.merge_view), name=f"{prefix}_merge"),
            path("<path:object_id>/erase/", self.admin_site.admin_view(self.erase_view), name=f"{prefix}_erase"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_adjust": request.user.has_perm(ADJUST_PERMISSION),
            "can_set_tier": request.user.has_perm(ADJUST_PERMISSION) and self.has_change_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk and self.can_set_tier(request, obj):
            # Read by the tier box (a read-only field, which has no request), in the instance's __dict__.
            vars(obj)["_tier_action_url"] = reverse("admin:members_member_tier", args=[obj.pk])
        if obj is not None and obj.pk:
            # The member's own actions: a merged member offers none that moves points.
            context.update(
                can_adjust=self.can_adjust(request, obj),
                can_set_tier=self.can_set_tier(request, obj),
                can_merge=self.can_merge(request, obj),
                can_export=self.can_export(request, obj),
                can_erase=self.can_erase(request, obj) and obj.erased_at is None,
                can_set_status=self.can_set_status(request, obj),
                can_send_login_link=self.can_send_login_link(request, obj),
                merged_into=obj.merged_into if obj.merged_into_id else None,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ---- list columns (the stored balance row) and page fields (the balance as the member has it now) ----------

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: Member) -> str:
        return " ".join(part for part in (obj.first_name, obj.last_name) if part) or "—"

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: Member) -> str:
        return labels.label(labels.MEMBER_STATUS, obj.status)

    @admin.display(description=_("tier"), ordering="balance__tier__threshold")
    def tier_name(self, obj: Member) -> str:
        balance = getattr(obj, "balance", None)
        tier = balance.tier if balance is not None else None
        return (obj.program.text(tier.name) or tier.code) if tier is not None else "—"

    @admin.display(description=_("available"), ordering="balance__available")
    def available(self, obj: Member) -> str:
        return f"{obj.balance.available:,}" if hasattr(obj, "balance") else "0"

    @admin.display(description=_("pending"), ordering="balance__pending")
    def pending(self, obj: Member) -> str:
        return f"{obj.balance.pending:,}" if hasattr(obj, "balance") else "0"

    def _balance(self, obj: Member) -> dict[str, int]:
        # Four page fields read it: computed once, kept on the instance (in its __dict__: Member declares no such
        # attribute).
        cache = vars(obj)
        if "_balance_now" not in cache:
            cache["_balance_now"] = balance_view(getattr(obj, "balance", None), obj.program)
        balance: dict[str, int] = cache["_balance_now"]
        return balance

    @admin.display(description=_("available"))
    def balance_available(self, obj: Member) -> int:
        return self._balance(obj)["available"]

    @admin.display(description=_("pending"))
    def balance_pending(self, obj: Member) -> int:
        return self._balance(obj)["pending"]

    @admin.display(description=_("locked"))
    def balance_locked(self, obj: Member) -> int:
        return self._balance(obj)["locked"]

    @admin.display(description=_("total"))
    def balance_total(self, obj: Member) -> int:
        return self._balance(obj)["total"]

    @admin.display(description="tier")
    def tier_state(self, obj: Member) -> str:
        """The tier kept on the balance row; with none reached, the program's threshold-0 tier if it has one."""
        balance = getattr(obj, "balance", None)
        program = obj.program
        tier = balance.tier if balance is not None else None
        zone = zoneinfo.ZoneInfo(program.timezone)

        def when(value: datetime.datetime | None) -> str:
            return f"{value.astimezone(zone):%Y-%m-%d %H:%M}" if value else "—"

        if tier is None:
            tier = Tier.objects.filter(program=program, threshold=0).first()
        rows = [
            ("name", f"{program.text(tier.name) or tier.code} ({tier.code})" if tier else "No tier"),
            ("since", when(balance.tier_since if balance is not None and balance.tier_id else None)),
            ("until", when(balance.tier_until if balance is not None and balance.tier_id else None)),
            ("qualifying points", str(balance.qualifying_points if balance is not None else 0)),
        ]
        if balance is not None and balance.qualifying_until and balance.qualifying_until <= timezone.now():
            # Points have left the window since: the figure is recounted by the next write or the daily job.
            rows[-1] = (rows[-1][0], f"{rows[-1][1]} (as of {when(balance.qualifying_until)}, recount due)")
        if balance is not None and balance.tier_override_until:
            rows.append(
                ("set by hand", f"{balance.tier_override_reason or '—'}, until {when(balance.tier_override_until)}")
            )
        action = vars(obj).get("_tier_action_url")
        return format_html(
            '<table id="member-tier"><tbody>{}</tbody></table>{}{}',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
            format_html(
                '<p class="mt-2"><a class="{}" id="set-tier" href="{}">{}</a></p>',
                BUTTON,
                action,
                _("Set tier by hand"),
            )
            if action
            else "",
            self._tier_changes(obj, zone),
        )

    def _tier_changes(self, obj: Member, zone: zoneinfo.ZoneInfo) -> str:
        changes = list(
            TierChange.objects.filter(member=obj)
            .select_related("from_tier", "to_tier")
            .order_by("-changed_at", "-id")[:RECENT_TIER_CHANGES]
        )
        if not changes:
            return format_html("<p>{}</p>", gettext("No tier change yet."))

        def name(tier: Tier | None) -> str:
            return (obj.program.text(tier.name) or tier.code) if tier is not None else gettext("no tier")

        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{change.changed_at.astimezone(zone):%Y-%m-%d %H:%M}",
                    name(change.from_tier),
                    name(change.to_tier),
                    labels.label(labels.TIER_CHANGE_REASON, change.reason),
                    change.note or "—",
                )
                for change in changes
            ),
        )
        return format_html(
            '<table id="member-tier-changes"><caption>{}</caption><thead><tr><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("Last %(count)s tier changes") % {"count": RECENT_TIER_CHANGES},
            gettext("date"),
            gettext("from → to"),
            gettext("reason"),
            gettext("note"),
            rows,
        )

    @admin.display(description="postal address")
    def postal_address(self, obj: Member) -> str:
        """Where physical gifts go (set through the API or the webshop)."""
        a = obj.address
        if not a:
            return "—"
        lines = [a["name"], a["street"], f"{a['postal_code']} {a['city']}", a["country"], a.get("phone") or ""]
        return ", ".join(line for line in lines if line)

    @admin.display(description="segments")
    def segment_codes(self, obj: Member) -> str:
        return ", ".join(sorted(s.code for s in obj.segments.all())) or "—"

    @admin.display(description=_("expiring points"))
    def expiring_points(self, obj: Member) -> str:
        """The next moments points expire (the member's lots by expiry date), soonest first."""
        zone = zoneinfo.ZoneInfo(obj.program.timezone)
        rows = list(points_expiring(member=obj).order_by("expires_at")[:EXPIRING_SHOWN])
        if not rows:
            return format_html('<p id="member-expiring">{}</p>', _("No points due to expire."))
        return data_table(
            "member-expiring",
            [_("expires on"), _("points")],
            ((f"{row['expires_at'].astimezone(zone):%Y-%m-%d}", f"{row['points']:,}") for row in rows),
            _("expiring points"),
        )

    @admin.display(description=_("last redemptions"))
    def recent_redemptions(self, obj: Member) -> str:
        redemptions = list(
            Redemption.objects.filter(member=obj)
            .select_related("gift")
            .order_by("-created_at", "-id")[:RECENT_REDEMPTIONS]
        )
        url = reverse("admin:rewards_redemption_changelist") + f"?q={obj.member_id}"
        link = format_html(
            '<p class="mt-2"><a class="text-primary-600 underline" href="{}">{}</a></p>',
            url,
            _("All redemptions of this member"),
        )
        if not redemptions:
            return format_html('<p id="member-redemptions">{}</p>', _("No redemption yet."))
        zone = zoneinfo.ZoneInfo(obj.program.timezone)
        rows = (
            (
                format_html(
                    '<a class="text-primary-600 underline" href="{}">{}</a>',
                    reverse("admin:rewards_redemption_change", args=[r.pk]),
                    r.reference,
                ),
                f"{r.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
                obj.program.text(r.gift.name) or r.gift.sku,
                f"{r.points:,}",
                labels.redemption_status(r.status),
            )
            for r in redemptions
        )
        headers = [_("reference"), _("date"), _("gift"), _("points"), _("status")]
        table = data_table("member-redemptions", headers, rows, _("last redemptions"))
        return format_html("{}{}", table, link)

    @admin.display(description=_("last entries"))
    def recent_ledger(self, obj: Member) -> str:
        entries = list(
            LedgerEntry.objects.filter(member=obj)
            .order_by("-id")[:RECENT_ENTRIES]
            .values_list("created_at", "kind", "points", "balance_after", "reference", "description")
        )
        url = reverse("admin:rewards_ledgerentry_changelist") + f"?member__id__exact={obj.pk}"
        link = format_html(
            '<p class="mt-2"><a class="text-primary-600 underline" href="{}">{}</a></p>',
            url,
            _("The whole ledger of %(member)s") % {"member": obj.member_id},
        )
        if not entries:
            return format_html("<p>{}</p>{}", _("No entries yet."), link)
        zone = zoneinfo.ZoneInfo(obj.program.timezone)
        rows = (
            (
                f"{at.astimezone(zone):%Y-%m-%d %H:%M}",
                format_html('<span data-kind="{}">{}</span>', kind, labels.label(labels.ENTRY_KIND, kind)),
                f"{points:+,d}",
                f"{after:,}",
                reference,
                text,
            )
            for at, kind, points, after, reference, text in entries
        )
        table = data_table(
            "member-ledger",
            [_("date"), _("kind"), _("points"), _("balance after"), _("reference"), _("description")],
            rows,
            _("last entries"),
        )
        return format_html("{}{}", table, link)

    # ---- saving through the services -------------------------------------------------------------------------

    def save_form(self, request, form, change):
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        return member_enrol(
            program=data["program"],
            member_id=data["member_id"],
            email=data.get("email") or "",
            first_name=data.get("first_name") or "",
            last_name=data.get("last_name") or "",
            language=data.get("language") or "",
            birth_date=data.get("birth_date"),
            email_opt_out=bool(data.get("email_opt_out")),
        )

    def save_model(self, request, obj, form, change):
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.PROFILE_FIELDS}
            services.member_update(member=obj, changes=changes)
        # On add, save_form already enrolled the member (with its balance row).

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    # ---- actions ----------------------------------------------------------------------------------------------

    def _set_status(self, request: HttpRequest, queryset, status: str) -> None:
        moved = []
        for member in queryset.exclude(status=status).select_related("program"):
            services.member_set_status(member=member, status=status)
            self.log_change(request, member, f"Status → {status}.")
            moved.append(member.member_id)
        shown = ", ".join(moved[:UNKNOWN_SHOWN]) + (" …" if len(moved) > UNKNOWN_SHOWN else "")
        self.message_user(request, f"{len(moved)} member(s) {status}{': ' + shown if moved else ''}.", messages.SUCCESS)

    @admin.action(description="Block the selected members", permissions=["change"])
    def block(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, Member.BLOCKED)

    @admin.action(description="Unblock the selected members", permissions=["change"])
    def unblock(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, Member.ACTIVE)

    # ---- adjust points ----------------------------------------------------------------------------------------

    def can_adjust(self, request: HttpRequest, member: Member) -> bool:
        """Who may adjust points; never on a merged member (its points went to the target)."""
        return (
            self.has_view_permission(request, member)
            and request.user.has_perm(ADJUST_PERMISSION)
            and member.status != Member.MERGED
        )

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self.object_for(request, object_id, self.can_adjust)
        form = AdjustPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            points, reason = form.cleaned_data["points"], form.cleaned_data["reason"]
            reference = f"ADMIN-{uuid.uuid4().hex}"
            try:
                balance = points_adjust(
                    program=member.program, member=member, points=points, reference=reference, reason=reason
                )
            except DomainError as exc:
                form.add_error("points", exc.message)
            else:
                now = balance_view(balance, member.program)
                self.log_change(request, member, f"Points adjusted {points:+d} ({reference}): {reason}")
                self.message_user(
                    request,
                    f"{points:+d} points for {member.member_id} ({reference}). New balance: {now['available']} "
                    f"available, {now['total']} in total.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:members_member_change", args=[member.pk]))
        return self.page(
            request,
            "admin/members/member/adjust_points.html",
            member,
            f"Adjust the points of {member.member_id}",
            form=form,
            balance=balance_view(getattr(member, "balance", None), member.program),
        )

    # ---- set the tier by hand ---------------------------------------------------------------------------------

    def can_set_tier(self, request: HttpRequest, member: Member) -> bool:
        """Who may adjust the member's points and change members (the member is in the user's programs: the
        scoped queryset found it)."""
        return self.can_adjust(request, member) and self.has_change_permission(request, member)

    def tier_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self.object_for(request, object_id, self.can_set_tier)
        program = member.program
        balance = PointsBalance.objects.filter(member=member).select_related("tier").first()
        current = {"tier": balance.tier_id} if balance is not None else {}  # offered first: no change by mistake
        form = TierOverrideForm(request.POST or None, program=program, initial=current)
        if request.method == "POST" and form.is_valid():
            tier, reason, day = form.cleaned_data["tier"], form.cleaned_data["reason"], form.cleaned_data["until"]
            before = balance.tier if balance is not None else None
            try:
                if balance is None:
                    raise ValueError("The member has no balance row yet.")
                tier_override(balance=balance, tier=tier, reason=reason, until=form.end_of(day))
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                was, new = (t.code if t is not None else "no tier" for t in (before, tier))
                kept = f" until {day:%Y-%m-%d}" if tier is not None else ""
                self.log_change(request, member, f"Tier set by hand {was} → {new}{kept}: {reason}")
                self.message_user(request, f"{member.member_id}: tier {was} → {new}{kept}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:members_member_change", args=[member.pk]))
        return self.page(
            request,
            "admin/members/member/set_tier.html",
            member,
            f"Set the tier of {member.member_id} by hand",
            form=form,
            balance=balance,
            current=(program.text(balance.tier.name) or balance.tier.code)
            if balance is not None and balance.tier
            else "No tier",
        )

    # ---- data rights: export, erasure -------------------------------------------------------------------------

    def can_export(self, request: HttpRequest, member: Member) -> bool:
        return self.has_change_permission(request, member)

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self.object_for(request, object_id, self.can_export)
        response = export_response(member)
        self.log_change(request, member, "Data exported (JSON download).")
        return response

    def can_erase(self, request: HttpRequest, member: Member) -> bool:
        return self.has_change_permission(request, member) and request.user.has_perm(ERASE_PERMISSION)

    def erase_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        member = self.object_for(request, object_id, self.can_erase)
        form = EraseConfirmForm(request.POST or None, member=member)
        if request.method == "POST" and form.is_valid():
            try:
                erasure = member_erase(member=member, actor=f"staff:{request.user.get_username()}")
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                # After the erasure: the entry names the member by its pseudonym, and holds nothing personal.
                self.log_change(request, member, f"Personal data erased; pseudonym {erasure.pseudonym}.")
                self.message_user(
                    request,
                    gettext("The member's personal data was erased; the member is now %(pseudonym)s.")
                    % {"pseudonym": erasure.pseudonym},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:members_member_changelist"))
        return self.page(
            request,
            "admin/members/member/erase.html",
            member,
            gettext("Erase the personal data of %(member)s") % {"member": member.member_id},
            form=form,
        )

    # ---- merge ------------------------------------------------------------------------------------------------

    def can_merge(self, request: HttpRequest, member: Member) -> bool:
        """As "Set tier by hand" (adjust points and change members), and never from a merged member."""
        return self.can_set_tier(request, member)

    def merge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        source = self.object_for(request, object_id, self.can_merge)
        form = MergeTargetForm(request.POST or None, source=source)
        preview, error = None, None
        if request.method == "POST" and form.is_valid():
            target = form.cleaned_data["target"]
            if "confirm" in request.POST:
                reference = f"ADMIN-MERGE-{uuid.uuid4().hex}"
                try:
                    outcome = member_merge(program=source.program, target=target, source=source, reference=reference)
                except DomainError as exc:
                    error = exc.message
                else:
                    moved = f"{outcome.available} available and {outcome.pending} pending points moved"
                    self.log_change(request, source, f"Merged into {target.member_id} ({reference}): {moved}.")
                    self.log_change(request, target, f"Merged from {source.member_id} ({reference}): {moved}.")
                    done = gettext(
                        "%(source)s merged into %(target)s (%(reference)s): %(available)s available and "
                        "%(pending)s pending points moved."
                    ) % {
                        "source": source.member_id,
                        "target": target.member_id,
                        "reference": reference,
                        "available": outcome.available,
                        "pending": outcome.pending,
                    }
                    self.message_user(request, done, messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:members_member_change", args=[target.pk]))
            preview = merge_preview(source=source, target=target)
        return self.page(
            request,
            "admin/members/member/merge.html",
            source,
            gettext("Merge %(member)s into another member") % {"member": source.member_id},
            form=form,
            preview=preview,
            error=error,
        )


@admin.register(Segment)
class SegmentAdmin(MissingObjectIs404, SegmentMemberViews, ObjectViewsMixin, TranslatedFieldsAdmin, ProgramScopedAdmin):
    form = SegmentForm
    change_form_template = "admin/members/segment/change_form.html"
    list_display = ("code", "display_name", "program", "member_count", "created_at")
    list_filter = ("program",)
    search_fields = ("code", "name")
    list_select_related = ("program",)
    ordering = ("program__code", "code")
    fieldsets = ((None, {"fields": ("program", "code", "name", "member_count", "created_at")}),)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(member_count=Count("memberships", distinct=True))

    def get_readonly_fields(self, request: HttpRequest, obj: Segment | None = None):
        # Promotions and partners refer to the code: it does not change once created.
        return ("program", "code", "member_count", "created_at") if obj is not None else ("member_count", "created_at")

    def get_fieldsets(self, request: HttpRequest, obj: Segment | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # no count before it exists
            return [
                (
                    title,
                    {**options, "fields": [f for f in options["fields"] if f not in ("member_count", "created_at")]},
                )
                for title, options in fieldsets
            ]
        return fieldsets

    def get_urls(self):
        return [*self.segment_member_urls(), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        segment = self.get_object(request, unquote(object_id))
        if segment is not None:
            extra_context = {**(extra_context or {}), **self.member_page(request, segment)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_list_display(self, request: HttpRequest):
        ids = staff_program_ids(request)
        shown = super().get_list_display(request)
        return shown if ids is None or len(ids) > 1 else [f for f in shown if f != "program"]

    @admin.display(description=_("name"))
    def display_name(self, obj: Segment) -> str:
        return obj.program.text(obj.name)

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj: Segment) -> int:
        return getattr(obj, "member_count", 0)

    def delete_model(self, request, obj):
        segment_delete(segment=obj)

    def delete_queryset(self, request, queryset):
        for segment in queryset.select_related("program"):
            self.delete_model(request, segment)

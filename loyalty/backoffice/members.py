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

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold import admin as unfold_admin

from loyalty.backoffice.member_forms import (
    AdjustPointsForm,
    EraseConfirmForm,
    MemberForm,
    MergeTargetForm,
    SegmentForm,
    SegmentUploadForm,
    TierOverrideForm,
)
from loyalty.backoffice.member_rights import export_response, merge_preview
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.scope import ProgramScopedAdmin
from loyalty.backoffice.translations import TranslatedFieldsAdmin
from loyalty.core.errors import DomainError
from members import services
from members.models import Member, Segment
from programs.models import Tier
from rewards.models import LedgerEntry, PointsBalance, TierChange
from rewards.selectors import balance_view
from rewards.services.enrolment import member_enrol
from rewards.services.erasure import member_erase
from rewards.services.merge import member_merge
from rewards.services.points import points_adjust
from rewards.services.promotions import segment_delete
from rewards.services.tiers import tier_override

RECENT_ENTRIES = 50
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
class MemberAdmin(MissingObjectIs404, ObjectViewsMixin, ProgramScopedAdmin):
    form = MemberForm
    list_display = (
        "member_id",
        "program",
        "email",
        "first_name",
        "last_name",
        "language",
        "status",
        "available",
        "pending",
        "locked",
        "enrolled_at",
    )
    list_filter = ("program", "status", "language")
    search_fields = ("member_id", "email", "first_name", "last_name")
    search_help_text = "Member id, e-mail, first or last name."
    list_select_related = ("program", "balance")
    date_hierarchy = "enrolled_at"
    actions = ("block", "unblock")
    # The balance moves only with ledger entries: the admin shows it, never edits it.
    balance_fields = ("balance_available", "balance_pending", "balance_locked", "balance_total")
    page_fields = (*balance_fields, "postal_address", "tier_state", "segment_codes", "recent_ledger", "enrolled_at")

    def get_fieldsets(self, request: HttpRequest, obj: Member | None = None):
        profile = ("email", "first_name", "last_name", "language", "birth_date", "email_opt_out")
        if obj is None:
            return [(None, {"fields": ("program", "member_id", *profile)})]
        return [
            (None, {"fields": ("program", "member_id", *profile, "status")}),
            ("Address", {"fields": ("postal_address",)}),
            ("Points", {"fields": self.balance_fields}),
            ("Tier", {"fields": ("tier_state",)}),
            ("Segments", {"fields": ("segment_codes",)}),
            ("Ledger", {"fields": ("recent_ledger",)}),
            ("Enrolment", {"fields": ("enrolled_at",)}),
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
                merged_into=obj.merged_into if obj.merged_into_id else None,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ---- list columns (the stored balance row) and page fields (the balance as the member has it now) ----------

    @admin.display(description="available", ordering="balance__available")
    def available(self, obj: Member) -> int:
        return obj.balance.available if hasattr(obj, "balance") else 0

    @admin.display(description="pending", ordering="balance__pending")
    def pending(self, obj: Member) -> int:
        return obj.balance.pending if hasattr(obj, "balance") else 0

    @admin.display(description="locked", ordering="balance__locked")
    def locked(self, obj: Member) -> int:
        return obj.balance.locked if hasattr(obj, "balance") else 0

    def _balance(self, obj: Member) -> dict[str, int]:
        # Four page fields read it: computed once, kept on the instance (in its __dict__: Member declares no such
        # attribute).
        cache = vars(obj)
        if "_balance_now" not in cache:
            cache["_balance_now"] = balance_view(getattr(obj, "balance", None), obj.program)
        balance: dict[str, int] = cache["_balance_now"]
        return balance

    @admin.display(description="available")
    def balance_available(self, obj: Member) -> int:
        return self._balance(obj)["available"]

    @admin.display(description="pending")
    def balance_pending(self, obj: Member) -> int:
        return self._balance(obj)["pending"]

    @admin.display(description="locked")
    def balance_locked(self, obj: Member) -> int:
        return self._balance(obj)["locked"]

    @admin.display(description="total")
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
            format_html('<p><a class="button" id="set-tier" href="{}">Set tier by hand</a></p>', action)
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
            return format_html("<p>{}</p>", "No tier change yet.")

        def name(tier: Tier | None) -> str:
            return (obj.program.text(tier.name) or tier.code) if tier is not None else "no tier"

        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{change.changed_at.astimezone(zone):%Y-%m-%d %H:%M}",
                    name(change.from_tier),
                    name(change.to_tier),
                    change.get_reason_display(),
                    change.note or "—",
                )
                for change in changes
            ),
        )
        return format_html(
            '<table id="member-tier-changes"><caption>Last {} tier changes</caption><thead><tr><th>date</th>'
            "<th>from → to</th><th>reason</th><th>note</th></tr></thead><tbody>{}</tbody></table>",
            RECENT_TIER_CHANGES,
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

    @admin.display(description=f"last {RECENT_ENTRIES} entries")
    def recent_ledger(self, obj: Member) -> str:
        entries = list(
            LedgerEntry.objects.filter(member=obj)
            .order_by("-id")[:RECENT_ENTRIES]
            .values_list("created_at", "kind", "points", "balance_after", "reference", "description")
        )
        url = reverse("admin:rewards_ledgerentry_changelist") + f"?member__id__exact={obj.pk}"
        link = format_html('<p><a href="{}">The whole ledger of {}</a></p>', url, obj.member_id)
        if not entries:
            return format_html("<p>No entries yet.</p>{}", link)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (f"{at:%Y-%m-%d %H:%M}", kind, f"{points:+d}", after, reference, text)
                for at, kind, points, after, reference, text in entries
            ),
        )
        return format_html(
            '<table id="member-ledger"><thead><tr><th>created</th><th>kind</th><th>points</th><th>balance after</th>'
            "<th>reference</th><th>description</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            link,
        )

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
                    f"The member's personal data was erased; the member is now {erasure.pseudonym}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:members_member_changelist"))
        return self.page(
            request,
            "admin/members/member/erase.html",
            member,
            f"Erase the personal data of {member.member_id}",
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
                    self.message_user(
                        request,
                        f"{source.member_id} merged into {target.member_id} ({reference}): {moved}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:members_member_change", args=[target.pk]))
            preview = merge_preview(source=source, target=target)
        return self.page(
            request,
            "admin/members/member/merge.html",
            source,
            f"Merge {source.member_id} into another member",
            form=form,
            preview=preview,
            error=error,
        )


@admin.register(Segment)
class SegmentAdmin(MissingObjectIs404, ObjectViewsMixin, TranslatedFieldsAdmin, ProgramScopedAdmin):
    form = SegmentForm
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
        name = f"{self.opts.app_label}_{self.opts.model_name}_upload"
        view = self.admin_site.admin_view(self.upload_view)
        return [path("<path:object_id>/upload-members/", view, name=name), *super().get_urls()]

    @admin.display(description="name")
    def display_name(self, obj: Segment) -> str:
        return obj.program.text(obj.name)

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: Segment) -> int:
        return getattr(obj, "member_count", 0)

    def delete_model(self, request, obj):
        segment_delete(segment=obj)

    def delete_queryset(self, request, queryset):
        for segment in queryset.select_related("program"):
            self.delete_model(request, segment)

    # ---- upload members ---------------------------------------------------------------------------------------

    def upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        segment = self.object_for(request, object_id, self.has_change_permission)
        form = SegmentUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            ids = form.cleaned_data["file"]
            result = services.segment_members_add(segment=segment, member_ids=ids)
            upload = request.FILES["file"]  # a list only for a key without files, not after is_valid
            name = upload.name if isinstance(upload, UploadedFile) else ""
            self.log_change(
                request,
                segment,
                f"Uploaded {name}: {len(ids)} ids, {result.added} members added, "
                f"{len(result.unknown_members)} unknown.",
            )
            level = messages.WARNING if result.unknown_members else messages.SUCCESS
            self.message_user(
                request,
                f"{result.added} member(s) added to {segment.code}; {len(ids) - result.added - len(result.unknown_members)} "
                f"already in it; {len(result.unknown_members)} unknown id(s).",
                level,
            )
        return self.page(
            request,
            "admin/members/segment/upload_members.html",
            segment,
            f"Add members to {segment.code} from a CSV file",
            form=form,
            result=result,
            unknown_shown=result.unknown_members[:UNKNOWN_SHOWN] if result else [],
            member_count=segment.memberships.count(),
        )

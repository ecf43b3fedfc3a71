"""Admin of members and segments. Members are enrolled and updated through `members.services`."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count, F

from members import services
from members.api.serializers import MEMBER_ID_RE
from members.models import Member, Segment
from rewards.models import Promotion
from rewards.rules import promotions_changed


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ("program", "member_id", "email", "first_name", "last_name", "language", "birth_date", "status")

    def clean_member_id(self):
        member_id = self.cleaned_data.get("member_id")
        if member_id and not MEMBER_ID_RE.match(member_id):
            raise forms.ValidationError("1-64 characters without spaces, '/', '?', '#', '%' or '\\'.")
        return member_id

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("program") or (self.instance.program if self.instance.program_id else None)
        language = cleaned.get("language")
        if program is not None and language and language not in program.languages:
            self.add_error("language", f"Must be one of the program's languages: {', '.join(program.languages)}.")
        return cleaned


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
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
    list_select_related = ("program", "balance")
    date_hierarchy = "enrolled_at"
    # The balance moves only with ledger entries: the admin shows it, never edits it.
    balance_fields = ("available", "pending", "locked", "total")

    def get_fields(self, request, obj=None):
        profile = ("email", "first_name", "last_name", "language", "birth_date")
        if obj is None:
            return ("program", "member_id", *profile)
        return ("program", "member_id", *profile, "status", *self.balance_fields, "segment_codes", "enrolled_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("program", "member_id", *self.balance_fields, "segment_codes", "enrolled_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program", "balance")

    @staticmethod
    def _balance(obj: Member):
        return getattr(obj, "balance", None)

    @admin.display(description="available", ordering="balance__available")
    def available(self, obj: Member) -> int:
        balance = self._balance(obj)
        return balance.available if balance else 0

    @admin.display(description="pending", ordering="balance__pending")
    def pending(self, obj: Member) -> int:
        balance = self._balance(obj)
        return balance.pending if balance else 0

    @admin.display(description="locked", ordering="balance__locked")
    def locked(self, obj: Member) -> int:
        balance = self._balance(obj)
        return balance.locked if balance else 0

    @admin.display(description="total")
    def total(self, obj: Member) -> int:
        balance = self._balance(obj)
        return balance.total if balance else 0

    @admin.display(description="segments")
    def segment_codes(self, obj: Member) -> str:
        return ", ".join(sorted(s.code for s in obj.segments.all())) or "—"

    def save_form(self, request, form, change):
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        return services.member_enrol(
            program=data["program"],
            member_id=data["member_id"],
            email=data.get("email") or "",
            first_name=data.get("first_name") or "",
            last_name=data.get("last_name") or "",
            language=data.get("language") or "",
            birth_date=data.get("birth_date"),
        )

    def save_model(self, request, obj, form, change):
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.PROFILE_FIELDS}
            services.member_update(member=obj, changes=changes)
        # On add, save_form already enrolled the member (with its balance row).

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("code", "display_name", "program", "member_count", "created_at")
    list_filter = ("program",)
    search_fields = ("code", "name")
    list_select_related = ("program",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships", distinct=True))

    def get_readonly_fields(self, request, obj=None):
        # Promotions and partners refer to the code: it does not change once created.
        return ("program", "code", "created_at") if obj is not None else ("created_at",)

    @admin.display(description="name")
    def display_name(self, obj: Segment) -> str:
        return obj.program.text(obj.name)

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: Segment) -> int:
        return obj.member_count

    @transaction.atomic
    def delete_model(self, request, obj):
        # Promotions restricted to this segment change: their version and the program's rules move on.
        promotion_ids = list(obj.promotions.values_list("pk", flat=True))
        super().delete_model(request, obj)
        if promotion_ids:
            Promotion.objects.filter(pk__in=promotion_ids).update(version=F("version") + 1)
            promotions_changed(program=obj.program)

    def delete_queryset(self, request, queryset):
        for segment in queryset.select_related("program"):
            self.delete_model(request, segment)

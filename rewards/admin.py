"""Admin of promotions and (read-only) balances."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import F

from rewards.models import PointsBalance, Promotion
from rewards.rules import promotions_changed


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = (
            "program",
            "code",
            "name",
            "kind",
            "status",
            "rate",
            "points",
            "threshold",
            "factor",
            "min_amount",
            "max_points",
            "products",
            "product_categories",
            "channels",
            "segments",
            "starts_at",
            "ends_at",
        )

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("program") or (self.instance.program if self.instance.program_id else None)
        segments = cleaned.get("segments")
        if program is not None and segments is not None:
            foreign = [s.code for s in segments if s.program_id != program.pk]
            if foreign:
                self.add_error("segments", f"Not segments of {program.code}: {', '.join(foreign)}.")
        kind = cleaned.get("kind")
        if kind in Promotion.KIND_KEYS:
            # A promotion carries the keys of its kind only (as in program files).
            own = Promotion.KIND_KEYS[kind]
            for key in sorted({k for keys in Promotion.KIND_KEYS.values() for k in keys}):
                if key in own and cleaned.get(key) is None and key not in self.errors:
                    self.add_error(key, f"Required for a {kind} promotion.")
                elif key not in own and cleaned.get(key) is not None:
                    self.add_error(key, f"Not used by {kind} promotions; leave it empty.")
        return cleaned


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    """Every saved change bumps the promotion's version and the program's rules (earns snapshot both)."""

    form = PromotionForm
    list_display = ("code", "display_name", "program", "kind", "status", "starts_at", "ends_at", "version")
    list_filter = ("program", "kind", "status")
    search_fields = ("code", "name")
    list_select_related = ("program",)
    filter_horizontal = ("segments",)
    readonly_fields = ("version", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("program", "code", "name", "kind", "status")}),
        ("Points", {"fields": ("rate", "points", "threshold", "factor", "min_amount", "max_points")}),
        ("Applies to", {"fields": ("products", "product_categories", "channels", "segments")}),
        ("Dates", {"fields": ("starts_at", "ends_at")}),
        ("History", {"fields": ("version", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Earn snapshots and partners refer to the code; segments belong to the program.
        return ("program", "code", *self.readonly_fields)

    @admin.display(description="name")
    def display_name(self, obj: Promotion) -> str:
        return obj.program.text(obj.name)

    @transaction.atomic
    def save_related(self, request, form, formsets, change):
        # After the segments are saved: the new version covers the whole change.
        super().save_related(request, form, formsets, change)
        promotion = form.instance
        if change and form.has_changed():
            Promotion.objects.filter(pk=promotion.pk).update(version=F("version") + 1)
        promotions_changed(program=promotion.program)

    @transaction.atomic
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        promotions_changed(program=obj.program)

    def delete_queryset(self, request, queryset):
        for promotion in queryset.select_related("program"):
            self.delete_model(request, promotion)


@admin.register(PointsBalance)
class PointsBalanceAdmin(admin.ModelAdmin):
    """Read-only: a balance moves only with the ledger entries that explain it."""

    list_display = ("member", "program", "available", "pending", "locked", "total", "updated_at")
    list_filter = ("program",)
    search_fields = ("member__member_id", "member__email")
    list_select_related = ("member", "program")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


from rewards import admin_redemptions  # noqa: E402,F401

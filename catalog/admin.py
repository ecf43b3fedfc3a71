"""Admin of the gift catalog. Translated names stay JSON dicts ({"en": "Mug", "fr": "Tasse"}) for now."""

from django import forms
from django.contrib import admin

from catalog.models import Gift, GiftCategory


class SameProgramForm(forms.ModelForm):
    """The category (or parent) must belong to the object's program."""

    related_field = ""

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("program") or (self.instance.program if self.instance.program_id else None)
        related = cleaned.get(self.related_field)
        if program is not None and related is not None and related.program_id != program.pk:
            self.add_error(self.related_field, "Must belong to the same program.")
        return cleaned


class GiftCategoryForm(SameProgramForm):
    related_field = "parent"

    class Meta:
        model = GiftCategory
        fields = ("program", "code", "name", "parent", "active", "position")


class GiftForm(SameProgramForm):
    related_field = "category"

    class Meta:
        model = Gift
        fields = (
            "program",
            "sku",
            "category",
            "type",
            "points",
            "value",
            "voucher_valid_days",
            "validated",
            "valid_from",
            "valid_until",
            "stock",
            "name",
            "description",
            "images",
        )


@admin.register(GiftCategory)
class GiftCategoryAdmin(admin.ModelAdmin):
    form = GiftCategoryForm
    list_display = ("code", "display_name", "program", "parent", "active", "position")
    list_filter = ("program", "active")
    search_fields = ("code", "name")
    list_select_related = ("program", "parent")
    raw_id_fields = ("parent",)

    @admin.display(description="name")
    def display_name(self, obj: GiftCategory) -> str:
        return obj.program.text(obj.name)


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    form = GiftForm
    list_display = (
        "sku",
        "display_name",
        "program",
        "category",
        "type",
        "points",
        "value",
        "stock",
        "validated",
        "valid_from",
        "valid_until",
    )
    list_filter = ("program", "type", "validated")
    search_fields = ("sku", "name")
    list_select_related = ("program", "category")
    raw_id_fields = ("category",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("program", "sku", "category", "type", "points", "value", "voucher_valid_days")}),
        ("Offer", {"fields": ("validated", "valid_from", "valid_until", "stock")}),
        ("Texts and images", {"fields": ("name", "description", "images")}),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="name")
    def display_name(self, obj: Gift) -> str:
        return obj.program.text(obj.name)

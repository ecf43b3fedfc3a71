"""Admin of the gift catalog, scoped to the user's programs.

Categories are listed as their tree; gifts are edited with one name and description per program
language, uploaded pictures, and a stock set through `catalog.services.gift_stock_set` (logged).
CSV export and import with a preview live in `loyalty.backoffice.catalog_csv`.
"""

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.views.main import ChangeList
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin

from catalog.models import Gift, GiftCategory, GiftImage, GiftStockChange
from catalog.selectors import category_outline
from catalog.services import StockChanged, gift_stock_set, gifts_set_validated
from loyalty.backoffice import catalog_csv as admin_csv
from loyalty.backoffice import labels
from loyalty.backoffice.catalog_forms import GiftCategoryForm, GiftForm, GiftImageForm, TranslatedForm, with_languages
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.scope import ProgramScopedAdmin, staff_programs
from programs.models import Program

ONLY_PRESENT = admin.RelatedOnlyFieldListFilter


class CatalogAdmin(MissingObjectIs404, ProgramScopedAdmin):
    """Shared by the catalog's admins: the program is chosen once, and languages follow it."""

    form: type[TranslatedForm]  # each admin sets one: with_languages adds its language fields

    def get_list_filter(self, request):
        # Choices limited to what the user's rows hold: another program's names never show in a filter.
        filters = super().get_list_filter(request)
        if len(self.programs(request)) <= 1:
            return tuple(f for f in filters if not (isinstance(f, tuple) and f[0] == "program"))
        return filters

    readonly_fields: ClassVar[tuple[str, ...]] = ("texts",)

    def get_readonly_fields(self, request, obj=None):
        # A category or gift does not move between programs (redemptions and children point at it).
        return ("program", *self.readonly_fields) if obj is not None else self.readonly_fields

    def editable(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj) if obj is not None else self.has_add_permission(request)

    @admin.display(description="texts")
    def texts(self, obj) -> str:
        """The translated texts, one row per language (for a read-only page)."""
        languages = list(obj.program.languages) if obj and obj.pk else []
        fields = [name for name in ("name", "description") if hasattr(obj, name)]
        rows = [
            (language, *((getattr(obj, name) or {}).get(language, "") for name in fields)) for language in languages
        ]
        cells = "".join("<td>{}</td>" for _ in fields)
        if not rows:
            return "—"
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th>" + cells + "</tr>", rows))

    def programs(self, request: HttpRequest) -> list[Program]:
        # Kept on the request (in its __dict__: HttpRequest declares no such attribute).
        cache = vars(request)
        if "_catalog_programs" not in cache:
            cache["_catalog_programs"] = list(staff_programs(request.user))
        programs: list[Program] = cache["_catalog_programs"]
        return programs

    def form_program(self, request: HttpRequest, obj=None) -> Program | None:
        """The program whose languages the form shows: the object's, the one posted or asked for in the
        URL (?program=id), or the user's only program."""
        if obj is not None:
            return obj.program
        programs = {str(p.pk): p for p in self.programs(request)}
        # From the URL only (kept by the form's POST): a posted program must not change the fields that
        # were shown, or a text typed in a language of another program would be dropped unseen.
        chosen = request.GET.get("program")
        if chosen in programs:
            return programs[chosen]
        return next(iter(programs.values())) if len(programs) == 1 else None

    def form_languages(self, request: HttpRequest, obj=None) -> list[str]:
        program = self.form_program(request, obj)
        if program is not None:
            return list(program.languages)
        languages: list[str] = []  # several programs and none chosen yet: every language they use
        for p in self.programs(request):
            languages += [language for language in p.languages if language not in languages]
        return languages

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)  # the URL's strings, and a pk
        program = self.form_program(request)
        if program is not None:
            initial.setdefault("program", program.pk)
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = with_languages(self.form, self.form_languages(request, obj))
        return super().get_form(request, obj, change, **kwargs)


# ---- categories -----------------------------------------------------------------------------------------------


class CategoryTreeChangeList(ChangeList):
    """Lists categories in tree order (depth first), whatever filter or search applies."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        rows = list(
            self.model_admin.get_queryset(request).values_list("id", "parent_id", "program__code", "position", "code")
        )
        outline = category_outline(rows)
        if not outline:
            return queryset
        rank = Case(*(When(pk=pk, then=Value(line.rank)) for pk, line in outline.items()), output_field=IntegerField())
        depth = Case(
            *(When(pk=pk, then=Value(line.depth)) for pk, line in outline.items()), output_field=IntegerField()
        )
        return queryset.annotate(tree_rank=rank, tree_depth=depth).order_by("tree_rank", "pk")


@admin.register(GiftCategory)
class GiftCategoryAdmin(CatalogAdmin):
    form = GiftCategoryForm
    list_display = ("tree_name", "code", "program", "active", "position")
    list_display_links = ("tree_name",)
    list_filter = (("program", ONLY_PRESENT), "active")
    search_fields = ("code", "name")
    list_select_related = ("program",)
    sortable_by = ()  # the tree order is the order
    list_per_page = 200

    def get_changelist(self, request, **kwargs):
        return CategoryTreeChangeList

    def get_fieldsets(self, request, obj=None):
        names = (
            tuple(f"name_{language}" for language in self.form_languages(request, obj))
            if self.editable(request, obj)
            else ("texts",)
        )
        return (
            (None, {"fields": ("program", "code", "parent", "active", "position")}),
            ("Names", {"fields": names}),
        )

    @admin.display(description="category")
    def tree_name(self, obj: GiftCategory) -> str:
        depth = getattr(obj, "tree_depth", 0) or 0
        return format_html(
            '<span class="tree-depth-{}">{}{}</span>',
            min(depth, 8),
            "└ " if depth else "",
            obj.program.text(obj.name) or obj.code,
        )


# ---- gifts ----------------------------------------------------------------------------------------------------


class GiftImageInline(unfold_admin.TabularInline):
    model = GiftImage
    form = GiftImageForm
    extra = 1
    verbose_name = _("picture")
    verbose_name_plural = _("pictures")
    fields = ("preview", "file", "position")
    readonly_fields = ("preview",)

    # Pictures are part of the gift: the gift's permissions govern them (no separate group setting).
    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("catalog.view_gift") or request.user.has_perm("catalog.change_gift")

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("catalog.change_gift") or (
            obj is None and request.user.has_perm("catalog.add_gift")
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("catalog.change_gift")

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("catalog.change_gift")

    @admin.display(description=_("picture"))
    def preview(self, obj: GiftImage) -> str:
        if not obj.pk or not obj.file:
            return "—"
        return format_html('<img src="{}" alt="" class="gift-picture-preview">', obj.file.url)


class GiftStockChangeInline(unfold_admin.TabularInline):
    """The log of stock changes made in the admin and by imports (read-only)."""

    model = GiftStockChange
    fields = ("created_at", "before", "after", "actor", "reason")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("stock change")
    verbose_name_plural = _("stock changes")

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at", "-id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return True  # part of the gift's page: whoever sees the gift sees its stock history


@admin.register(Gift)
class GiftAdmin(CatalogAdmin):
    form = GiftForm
    inlines = (GiftImageInline, GiftStockChangeInline)
    list_display = (
        "thumbnail",
        "sku",
        "display_name",
        "category",
        "type_label",
        "points",
        "value",
        "stock",
        "validated",
        "validity",
    )
    list_display_links = ("sku",)
    list_filter = (
        ("program", ONLY_PRESENT),
        ("category", ONLY_PRESENT),
        labels.choices_filter("type", labels.GIFT_TYPE, _("type")),
        "validated",
    )
    search_fields = ("sku", "name")
    list_select_related = ("program", "category")
    readonly_fields = ("created_at", "updated_at", "texts")
    actions = ("validate", "unvalidate")
    change_list_template = "admin/catalog/gift/change_list.html"

    @admin.display(description=_("type"), ordering="type")
    def type_label(self, obj: Gift) -> str:
        return labels.label(labels.GIFT_TYPE, obj.type)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("uploaded_images")

    def get_fieldsets(self, request, obj=None):
        # One field a line: two in a row (unfold's grid) push the dates and the texts past the page's right edge.
        offer: tuple[str, ...]
        translations: tuple[str, ...]
        if self.editable(request, obj):
            offer = ("validated", "valid_from", "valid_until", "stock", "stock_seen")
            translations = tuple(
                name
                for language in self.form_languages(request, obj)
                for name in (f"name_{language}", f"description_{language}")
            )
            images = ("image_urls",)
        else:  # a read-only page shows the stored texts, not empty form fields
            offer, translations, images = ("validated", "valid_from", "valid_until", "stock"), ("texts",), ("images",)
        return (
            (None, {"fields": ("program", "sku", "category", "type", "points", "value", "voucher_valid_days")}),
            (_("Offer"), {"fields": offer}),
            (_("Translations"), {"fields": translations}),
            (_("External images"), {"fields": images}),
            (_("History"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
        )

    def get_urls(self):
        urls = super().get_urls()
        view = self.admin_site.admin_view
        return [
            path("csv/", view(admin_csv.GiftCsvView.as_view(model_admin=self)), name="catalog_gift_csv"),
            path(
                "csv/export/", view(admin_csv.GiftCsvExportView.as_view(model_admin=self)), name="catalog_gift_export"
            ),
            *urls,
        ]

    def save_model(self, request, obj, form, change):
        stock = form.cleaned_data.get("stock")
        if not change:
            obj.stock = stock  # a new gift's first stock is not a change
            obj.save()
            return
        # Every field but the stock, which moves under its own lock (redemptions take it meanwhile).
        fields = [f.name for f in obj._meta.concrete_fields if f.name not in ("id", "stock", "created_at")]
        obj.save(update_fields=fields)
        if form.stock_changed:
            try:
                gift_stock_set(
                    gift=obj,
                    stock=stock,
                    actor=request.user.get_username(),
                    reason="admin",
                    expected=form.stock_seen_value(),
                )
            except StockChanged as exc:
                self.message_user(
                    request, f"The stock was not changed: {exc} Check it and save again.", messages.WARNING
                )

    @admin.display(description="")
    def thumbnail(self, obj: Gift) -> str:
        uploaded = list(obj.uploaded_images.all())  # prefetched: no query per row
        url = uploaded[0].file.url if uploaded else next((u for u in obj.images or [] if isinstance(u, str)), "")
        if not url:
            return ""
        return format_html('<img src="{}" alt="" class="gift-thumbnail">', url)

    @admin.display(description="name")
    def display_name(self, obj: Gift) -> str:
        return obj.program.text(obj.name)

    @admin.display(description="validity")
    def validity(self, obj: Gift) -> str:
        if obj.valid_from is None and obj.valid_until is None:
            return "always"
        start = f"{obj.valid_from:%Y-%m-%d}" if obj.valid_from else "…"
        end = f"{obj.valid_until:%Y-%m-%d}" if obj.valid_until else "…"
        return f"{start} → {end}"

    def set_validated(self, request, queryset, validated: bool) -> None:
        gifts = list(queryset.exclude(validated=validated))
        changed = gifts_set_validated(gifts=queryset.filter(pk__in=[g.pk for g in gifts]), validated=validated)
        if gifts:
            message = "Validated (put on offer)." if validated else "Unvalidated (taken off offer)."
            LogEntry.objects.log_actions(request.user.pk, gifts, CHANGE, message)
        self.message_user(
            request, f"{changed} gift(s) {'validated' if validated else 'unvalidated'}.", messages.SUCCESS
        )

    @admin.action(description="Validate (put on offer)", permissions=["change"])
    def validate(self, request, queryset):
        self.set_validated(request, queryset, True)

    @admin.action(description="Unvalidate (take off offer)", permissions=["change"])
    def unvalidate(self, request, queryset):
        self.set_validated(request, queryset, False)

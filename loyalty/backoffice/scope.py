"""Per-program staff in the admin: a user attached to programs sees and edits only their rows.

Every ModelAdmin of program data inherits `ProgramScopedAdmin` and names the lookup from its
model to the program (`program_path`). The queryset is filtered, so lists, autocompletes, and
change pages reached by typing another program's URL all behave as if the row did not exist;
foreign-key choices are limited the same way. Superusers see every program.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest
from unfold import admin as unfold_admin
from unfold.contrib.filters.admin import RelatedDropdownFilter

from programs.models import Program

_M = TypeVar("_M", bound=Model)


def staff_programs(user: User | AnonymousUser) -> QuerySet[Program]:
    if user.is_superuser:
        return Program.objects.all()
    if not user.is_authenticated:
        return Program.objects.none()  # admin pages let only staff in: no program for anyone else
    return Program.objects.filter(staff=user)


def staff_program_list(request: HttpRequest) -> list[Program]:
    """The programs the user manages (every program for a superuser), read once per request."""
    # Kept on the request: every list filter, choice field, the header, the sidebar and the dashboard of a page ask.
    # (HttpRequest declares no such attribute, hence its __dict__.)
    cache = vars(request)
    if "_staff_programs" not in cache:
        cache["_staff_programs"] = list(staff_programs(request.user))
    programs: list[Program] = cache["_staff_programs"]
    return programs


def staff_program_names(request: HttpRequest) -> dict[int, str]:
    """The programs the user manages, id → name."""
    return {program.pk: program.name for program in staff_program_list(request)}


def staff_program_ids(request: HttpRequest) -> set[int] | None:
    """The ids of the programs the user manages; None for a superuser (no restriction)."""
    if request.user.is_superuser:
        return None
    return set(staff_program_names(request))


def scope_queryset(request: HttpRequest, queryset: QuerySet[_M], program_path: str) -> QuerySet[_M]:
    ids = staff_program_ids(request)
    if ids is None:
        return queryset
    lookup = "id__in" if program_path == "" else f"{program_path}__in"
    return queryset.filter(**{lookup: ids})


class ProgramScopedAdmin(unfold_admin.ModelAdmin):
    """Restricts a ModelAdmin to the user's programs (see module docstring)."""

    program_path = "program"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_queryset(request, super().get_queryset(request), self.program_path)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and field.queryset is not None:
            field.queryset = _scoped_choices(request, field.queryset)
        return field

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and field.queryset is not None:
            field.queryset = _scoped_choices(request, field.queryset)
        return field

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # A user with one program (most program managers) should not pick it on every add page.
        if self.program_path == "program" and "program" not in initial:
            ids = staff_program_ids(request)
            only = list(ids) if ids is not None else list(Program.objects.values_list("id", flat=True)[:2])
            if len(only) == 1:
                initial["program"] = only[0]
        return initial

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        ids = staff_program_ids(request)
        if ids is None:
            return filters
        if len(ids) <= 1:
            # A one-program user needs no program filter.
            filters = tuple(f for f in filters if f != self.program_path)
        # A filter on a related model lists that model's rows: only those of the user's programs.
        return tuple(self._scoped_filter(f) for f in filters)

    def _scoped_filter(self, spec):
        if not isinstance(spec, str):
            return spec
        try:
            field = get_fields_from_path(self.model, spec)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return spec
        return (spec, ScopedRelatedFieldListFilter) if field.is_relation else spec


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A filter by related object (program, segment...) that offers only the user's programs' objects."""

    def has_output(self) -> bool:
        # Django hides a related filter with a single choice; a program with one segment or tier still filters by it.
        return len(self.lookup_choices) > 0

    def field_choices(self, field, request, model_admin):
        queryset = _scoped_choices(request, field.related_model._default_manager.all())
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


def _scoped_choices(request: HttpRequest, queryset: QuerySet[_M]) -> QuerySet[_M]:
    """Choices of a related model, limited to the user's programs when the model has a program."""
    model = queryset.model
    if model is Program:
        return scope_queryset(request, queryset, "")
    field_names = {f.name for f in model._meta.get_fields()}
    if "program" in field_names:
        return scope_queryset(request, queryset, "program")
    return queryset


class ScopedRelatedDropdownFilter(RelatedDropdownFilter):
    """unfold's dropdown filter by related object (segment, tier…), offering only the user's programs' objects; for
    relations with many choices. The ModelAdmin needs `list_filter_submit = True` (the dropdown is a form)."""

    def has_output(self) -> bool:
        return len(self.lookup_choices) > 0

    def field_choices(self, field, request, model_admin):
        return ScopedRelatedFieldListFilter.field_choices(self, field, request, model_admin)

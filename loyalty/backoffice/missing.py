"""Admin pages of an object the user may not see answer 404, like an object that does not exist.

Django's admin redirects to its index with a message when `get_object` finds nothing; with per-program
scoping that redirect would still tell "not yours" from "no such id" apart by nothing, but a plain 404
is what the rest of the site (and the API) answers.
"""

from typing import Any

from django.http import Http404, HttpRequest
from unfold import admin as unfold_admin


class MissingObjectIs404(unfold_admin.ModelAdmin):
    """Mix in before the ModelAdmin base: change, delete and history pages raise Http404 for an object
    outside the admin's (scoped) queryset."""

    # Any: the model of the admin this is mixed into (ModelAdmin is not subscriptable at run time).
    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

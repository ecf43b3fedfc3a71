"""Admin pages of an object the user may not see answer 404, like an object that does not exist.

Django's admin redirects to its index with a message when `get_object` finds nothing; with per-program
scoping that redirect would still tell "not yours" from "no such id" apart by nothing, but a plain 404
is what the rest of the site (and the API) answers.
"""

from django.http import Http404


class MissingObjectIs404:
    """Mix in before the ModelAdmin base: change, delete and history pages raise Http404 for an object
    outside the admin's (scoped) queryset."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

from rest_framework import exceptions, permissions

from loyalty.api.authentication import ApiCaller


class HasProgramScope(permissions.BasePermission):
    """The view's `required_scope` must be in the token's scopes. No token: 401."""

    def has_permission(self, request, view) -> bool:
        caller = request.user
        if not isinstance(caller, ApiCaller):
            raise exceptions.NotAuthenticated("Send 'Authorization: Bearer <token>' from /oauth/token/.")
        scope = getattr(view, "required_scope", None)
        per_method = getattr(view, "required_scopes", None)
        if per_method:
            # HEAD answers like GET (200 or 404), so it needs GET's scope.
            method = "GET" if request.method == "HEAD" else request.method
            scope = per_method.get(method, scope)
        if scope is None:
            return True
        if scope not in caller.scopes:
            raise exceptions.PermissionDenied(f"This endpoint needs the '{scope}' scope.")
        return True

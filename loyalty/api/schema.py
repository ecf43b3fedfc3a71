"""OpenAPI: the bearer token is an OAuth 2.0 client-credentials token, and each operation names
the scope it needs. Loaded by LoyaltyApiConfig-free import from loyalty/api/__init__."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ProgramTokenScheme(OpenApiAuthenticationExtension):
    target_class = "loyalty.api.authentication.ProgramTokenAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        from django.conf import settings

        return {
            "type": "oauth2",
            "description": "Client credentials bound to one program; the token's program scopes every call.",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth/token/", "scopes": dict(settings.API_SCOPES)}},
        }

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        method = auto_schema.method.upper()
        scope = (getattr(view, "required_scopes", None) or {}).get(method) or getattr(view, "required_scope", None)
        return {self.name: [scope] if scope else []}

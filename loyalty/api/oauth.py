"""OAuth for API clients: scopes per client, client authentication, the client-credentials grant only.

A token request without `scope` receives all of the client's scopes; asking for a scope outside
them is refused with `invalid_scope` (django-oauth-toolkit alone would allow every known scope).
Client secrets are checked with `programs.client_secrets` (a keyed HMAC; older PBKDF2 hashes are
verified once more and re-hashed).
"""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from programs.client_secrets import check_client_secret
from programs.services import api_client_secret_rehash


def _client_scopes(application) -> list[str]:
    client = getattr(application, "api_client", None) if application is not None else None
    if client is None or not client.active:
        return []
    return [s for s in client.scopes.split() if s in settings.API_SCOPES]


class ClientScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return dict(settings.API_SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return _client_scopes(application)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return _client_scopes(application)


class ProgramOAuth2Validator(OAuth2Validator):
    """Refuses token requests from revoked API clients and from applications bound to no program, and any
    grant but client credentials (whatever an application row says)."""

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = getattr(request.client, "api_client", None)
        return client is not None and client.active

    def _load_application(self, client_id, request):
        # No client_id holds NUL, and PostgreSQL refuses it in a query (psycopg 3 raises where django-oauth-toolkit
        # expects psycopg 2's ValueError): an unknown client, answered `invalid_client` like any other.
        if "\x00" in (client_id or ""):
            return None
        return super()._load_application(client_id, request)

    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        # django-oauth-toolkit's hook for both HTTP Basic and form credentials.
        matches, rehash = check_client_secret(provided_secret, stored_secret)
        if matches and rehash:
            api_client_secret_rehash(stored=stored_secret, secret=provided_secret)
        return matches

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        if grant_type != "client_credentials":
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        # RFC 6749 §3.1: `scope=` sent empty counts as omitted (all the client's scopes), and extra
        # spaces name no scope (oauthlib would read both as a scope called "").
        requested = list(dict.fromkeys(s for s in scopes if s))
        if not requested:
            requested = self.get_default_scopes(client_id, request)
        request.scopes = requested
        return super().validate_scopes(client_id, requested, client, request, *args, **kwargs)

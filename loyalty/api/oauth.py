"""OAuth scopes per API client: a client gets only the scopes it was granted.

A token request without `scope` receives all of the client's scopes; asking for a scope outside
them is refused with `invalid_scope` (django-oauth-toolkit alone would allow every known scope).
"""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes


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
    """Refuses token requests from revoked API clients and from applications bound to no program."""

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = getattr(request.client, "api_client", None)
        return client is not None and client.active

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        # RFC 6749 §3.1: `scope=` sent empty counts as omitted (all the client's scopes), and extra
        # spaces name no scope (oauthlib would read both as a scope called "").
        requested = list(dict.fromkeys(s for s in scopes if s))
        if not requested:
            requested = self.get_default_scopes(client_id, request)
        request.scopes = requested
        return super().validate_scopes(client_id, requested, client, request, *args, **kwargs)

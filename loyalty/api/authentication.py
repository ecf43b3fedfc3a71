"""Bearer-token authentication bound to a program.

Client-credentials tokens carry no user: the caller is the token's API client, and the program
comes from that client only, in a single query.
"""

import hashlib
from dataclasses import dataclass, field

from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework import authentication, exceptions

from loyalty.core.logging import bind_log_context
from programs.models import ApiClient, Program


@dataclass(frozen=True)
class ApiCaller:
    """What a view knows about its caller: the client, its program and the token's scopes."""

    client: ApiClient
    program: Program
    scopes: frozenset[str] = field(default_factory=frozenset)
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    pk = None

    def __str__(self) -> str:
        return f"api-client:{self.client.pk}"


class ProgramTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header; send 'Bearer <token>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
        token = (
            AccessToken.objects.select_related("application__api_client__program")
            .filter(token_checksum=checksum)
            .first()
        )
        if token is None or token.application_id is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if token.expires <= timezone.now():
            raise exceptions.AuthenticationFailed("Token expired; request a new one at /oauth/token/.")
        client = getattr(token.application, "api_client", None)
        if client is None or not client.active:
            raise exceptions.AuthenticationFailed("This API client is revoked.")
        # The client's allowed scopes may have been narrowed since the token was issued.
        scopes = frozenset(token.scope.split()) & client.scope_set
        bind_log_context(program=client.program.code, client_id=token.application.client_id)
        return ApiCaller(client=client, program=client.program, scopes=scopes), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

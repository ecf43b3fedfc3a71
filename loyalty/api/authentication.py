"""Bearer-token authentication bound to a program.

Client-credentials tokens carry no user: the caller is the token's API client, and the program comes from that
client only. The token's grant is read through the cache (programs.tokens): a warm request costs no statement,
and the program row is read only by the views that need it (once per request).
"""

from django.utils import timezone
from rest_framework import authentication, exceptions

from loyalty.core.logging import bind_log_context
from programs.models import Program
from programs.tokens import TokenGrant, checksum_of, token_grant


class ClientRef:
    """The calling API client, as the grant names it (no row is read for it)."""

    def __init__(self, grant: TokenGrant):
        self.pk = grant.client_pk
        self.name = grant.client_name
        self.client_id = grant.client_id


class ApiCaller:
    """What a view knows about its caller: the client, its program and the token's scopes."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, grant: TokenGrant, program: Program | None = None):
        self.client = ClientRef(grant)
        self.program_id = grant.program_id
        self.program_code = grant.program_code
        self.scopes = grant.scopes
        self._program = program

    @property
    def program(self) -> Program:
        """The program's row, read on first use (a view that joins it in its own query can set it)."""
        if self._program is None:
            self._program = Program.objects.get(pk=self.program_id)
        return self._program

    @program.setter
    def program(self, program: Program) -> None:
        assert program.pk == self.program_id
        self._program = program

    @property
    def program_if_read(self) -> Program | None:
        """The program's row if something already read it, else None (reading nothing)."""
        return self._program

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
        grant = token_grant(checksum_of(raw))
        if grant is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if grant.expires <= timezone.now():
            raise exceptions.AuthenticationFailed("Token expired; request a new one at /oauth/token/.")
        bind_log_context(program=grant.program_code, client_id=grant.client_id)
        return ApiCaller(grant), grant

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

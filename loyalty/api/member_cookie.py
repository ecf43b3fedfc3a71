"""The member cookie as a DRF credential, for `/api/v1/me` only (the rest of /api/v1 takes bearer tokens)."""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from members.identification import COOKIE_NAME, session_from_cookie
from members.models import Member, MemberSession
from programs.models import Program


@dataclass(frozen=True)
class MemberPrincipal:
    """A member logged in by the identification cookie: never an API client."""

    session: MemberSession
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    pk = None

    @property
    def member(self) -> Member:
        return self.session.member

    @property
    def program(self) -> Program:
        return self.session.member.program

    def __str__(self) -> str:
        return f"member-session:{self.session.pk}"


class MemberCookieAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        if "Authorization" in request.headers:
            # A partner token never stands for a member, even alongside a valid cookie.
            raise exceptions.AuthenticationFailed(
                "This endpoint takes the member cookie from the identification, not an Authorization header."
            )
        value = request.COOKIES.get(COOKIE_NAME)
        if not value:
            return None
        session = session_from_cookie(value)
        if session is None:
            raise exceptions.AuthenticationFailed("The member session has expired or is invalid; identify again.")
        return MemberPrincipal(session=session), None

    def authenticate_header(self, request) -> str:
        return f'Cookie realm="member", cookie="{COOKIE_NAME}"'


class IsMember(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, MemberPrincipal):
            raise exceptions.NotAuthenticated(
                f"Send the `{COOKIE_NAME}` cookie from POST /api/v1/members/{{member_id}}/identification."
            )
        return True


class MemberCookieScheme(OpenApiAuthenticationExtension):
    target_class = MemberCookieAuthentication
    name = "memberCookie"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": COOKIE_NAME,
            "description": "The member credential returned by the Identification user API.",
        }

"""Identification user API and `/api/v1/me`: the member's webshop credential and what it opens."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.base import ERROR_SCHEMA, ProgramAPIView, error_responses
from loyalty.api.member_cookie import IsMember, MemberCookieAuthentication
from loyalty.api.member_serializers import MemberOutput, member_data
from loyalty.api.members import get_member_or_404
from members import selectors
from members.identification import COOKIE_NAME, login_link_seconds, member_identify, session_seconds

IDENTIFICATION = inline_serializer(
    name="Identification",
    fields={
        "cookie": inline_serializer(
            name="MemberCookie",
            fields={
                "name": serializers.CharField(help_text=f"The cookie's name, `{COOKIE_NAME}`."),
                "value": serializers.CharField(
                    help_text="An opaque signed token (no member data inside, even encoded)."
                ),
                "expires_at": serializers.DateTimeField(help_text="When the session ends (ISO 8601 with offset)."),
                "max_age": serializers.IntegerField(min_value=1, help_text="The session's length in seconds."),
            },
            help_text="The member's webshop session, to set as a cookie on this host.",
        ),
        "login_url": serializers.URLField(
            help_text="An absolute one-time link that sets the cookie and lands on `/shop/`."
        ),
    },
)


class IdentificationView(ProgramAPIView):
    takes_body = False
    required_scope = "members:write"

    @extend_schema(
        operation_id="members_identify",
        summary="Identification user",
        description=(
            "A credential that logs the member into the webshop at `/shop/`, as a cookie and as a link.\n\n"
            f"`cookie`: set it as `{COOKIE_NAME}` on this host with `Path=/`, `HttpOnly`, `SameSite=Lax` and "
            "`Secure` (the webshop sets it so itself). Its value is an opaque signed token holding a random key: "
            "no member id, e-mail or name, even encoded. It lasts `max_age` seconds "
            f"({session_seconds()} by default, setting `MEMBER_SESSION_SECONDS`), until `expires_at`. "
            "`GET /api/v1/me` with this cookie (and no bearer token) returns the member.\n\n"
            f"`login_url`: an absolute link on the host that served this request, valid once and for "
            f"{login_link_seconds() // 60} minutes. Opening it starts a fresh session of the same length, sets the "
            "cookie and lands on `/shop/`; a second opening shows the expired-session page.\n\n"
            "A blocked member is refused with `409 member_blocked`. No body is needed (an empty JSON object is fine)."
        ),
        request=None,
        responses={201: IDENTIFICATION, **error_responses(400, 404, 409)},
    )
    def post(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id)
        identification = member_identify(member=member)
        session = identification.session
        body = {
            "cookie": {
                "name": COOKIE_NAME,
                "value": identification.cookie_value,
                "expires_at": session.expires_at.isoformat(),
                "max_age": session_seconds(),
            },
            "login_url": request.build_absolute_uri(reverse("shop:login", args=[identification.login_token])),
        }
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class MeView(APIView):
    authentication_classes = [MemberCookieAuthentication]
    permission_classes = [IsMember]
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        operation_id="me_retrieve",
        summary="The identified member",
        description=f"The member logged in by the `{COOKIE_NAME}` cookie, as `GET /members/{{member_id}}` shows it. "
        "A partner bearer token is refused here (401): this endpoint answers the member's browser only.",
        responses={
            200: MemberOutput,
            401: OpenApiResponse(ERROR_SCHEMA, description="unauthenticated: no, expired or invalid member cookie"),
            429: OpenApiResponse(ERROR_SCHEMA, description="rate_limited: see Retry-After"),
        },
    )
    def get(self, request):
        member = request.user.member
        member = selectors.member_get(program=member.program, member_id=member.member_id)
        response = Response(member_data(member, request.user.member.language))
        response["Cache-Control"] = "no-store"
        return response

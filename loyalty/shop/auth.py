"""The webshop's login: the member cookie, the language and time zone of each page."""

import functools
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache

from loyalty.core.logging import bind_log_context
from members.identification import COOKIE_NAME, session_from_cookie, session_seconds
from members.models import Member, MemberSession
from programs.models import Program


@dataclass(frozen=True)
class Shop:
    """What a webshop view knows about its visitor."""

    session: MemberSession
    member: Member
    program: Program
    language: str


class ShopRequest(HttpRequest):
    """The request of a view behind `member_required`: it carries the visitor's `shop`."""

    shop: Shop


def shop_language(session: MemberSession) -> str:
    """The language chosen in the webshop, else the member's, else the program default."""
    program = session.member.program
    for code in (session.language, session.member.language):
        if code and code in program.languages:
            return code
    return program.default_language


def set_member_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=session_seconds(),
        path="/",
        secure=not settings.DEBUG,
        httponly=True,
        samesite="Lax",
    )


def delete_member_cookie(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", samesite="Lax")


def _program_zone(program: Program) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(program.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def signed_out_page(request: HttpRequest, *, expired: bool, status: int | None = None) -> HttpResponse:
    """No valid session: say so and how to come back, in the browser's language (`status`: another than the
    page's own, 403 expired or 200 welcome)."""
    template = "shop/expired.html" if expired else "shop/welcome.html"
    response = render(request, template, status=status or (403 if expired else 200))
    if COOKIE_NAME in request.COOKIES:
        delete_member_cookie(response)
    return response


def member_required(view: Callable | None = None, *, api: bool = False) -> Callable:
    """Runs the view with `request.shop` set, in the member's language and the program's time zone.

    Without a valid cookie, pages show the welcome or expired page; `api` views answer 401 in JSON.
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        @never_cache
        def wrapper(request: ShopRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            value = request.COOKIES.get(COOKIE_NAME)
            session = session_from_cookie(value)
            if session is None:
                if api:
                    response = JsonResponse({"error": "session_expired"}, status=401)
                    return response
                return signed_out_page(request, expired=bool(value))
            language = shop_language(session)
            request.LANGUAGE_CODE = language
            member = session.member
            bind_log_context(program=member.program.code, member_id=member.member_id)
            request.shop = Shop(session=session, member=member, program=member.program, language=language)
            # Overrides, not activation: the thread goes back to its language and zone once the page is built.
            with translation.override(language), timezone.override(_program_zone(member.program)):
                response = func(request, *args, **kwargs)
            response.headers["Content-Language"] = language
            return response

        return wrapper

    return decorate(view) if view is not None else decorate

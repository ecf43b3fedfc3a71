"""Identification user: webshop sessions for members and one-time login links.

The cookie value is `<random key>:<timestamp>:<signature>` (Django's TimestampSigner): the key is
random, so the cookie says nothing about the member, and only its sha256 is stored. The signature's
salt names the session's program and member, so a key signed for anyone else never verifies.
Login links are random tokens, also stored hashed, spent once by a conditional UPDATE.
"""

import datetime
import hashlib
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from members.errors import MemberBlocked
from members.models import Member, MemberLoginLink, MemberSession

COOKIE_NAME = "loyalty_member"
# token_urlsafe(32): 43 characters of [A-Za-z0-9_-], 256 random bits.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_COOKIE_LENGTH = 200


def session_seconds() -> int:
    return settings.MEMBER_SESSION_SECONDS


def login_link_seconds() -> int:
    return getattr(settings, "MEMBER_LOGIN_LINK_SECONDS", 600)


@dataclass(frozen=True)
class Identification:
    session: MemberSession
    cookie_value: str
    login_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _signer(program_id: int, member_pk: int) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"members.session:{program_id}:{member_pk}")


def _purge_expired(member: Member, now: datetime.datetime) -> None:
    # Each identification clears the member's dead rows, so the tables stay small without a periodic job.
    MemberSession.objects.filter(member=member, expires_at__lte=now).delete()
    MemberLoginLink.objects.filter(member=member, expires_at__lte=now).delete()


def session_open(
    *, member: Member, language: str = "", now: datetime.datetime | None = None
) -> tuple[MemberSession, str]:
    """A new session for the member; returns it with the cookie value (shown once, never stored)."""
    now = now or timezone.now()
    key = secrets.token_urlsafe(32)
    session = MemberSession.objects.create(
        program_id=member.program_id,
        member=member,
        token_hash=_hash(key),
        language=language,
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=session_seconds()),
    )
    return session, _signer(member.program_id, member.pk).sign(key)


def login_link_create(*, member: Member, now: datetime.datetime | None = None) -> str:
    """A one-time login token for the member (the caller builds the URL)."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    MemberLoginLink.objects.create(
        program_id=member.program_id,
        member=member,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=login_link_seconds()),
    )
    return token


def login_link_issue(*, member: Member) -> str:
    """A one-time login token for a member whom staff (customer service) lets into the webshop; the caller builds
    the URL and shows or sends it. A blocked or merged member is refused (MemberBlocked), as by the API."""
    if member.is_blocked:
        raise MemberBlocked(f"Member {member.member_id} is blocked and cannot be identified.")
    return login_link_create(member=member)


@transaction.atomic
def member_identify(*, member: Member) -> Identification:
    """A session cookie and a login link for the member. A blocked member is refused (MemberBlocked)."""
    if member.is_blocked:
        raise MemberBlocked(f"Member {member.member_id} is blocked and cannot be identified.")
    now = timezone.now()
    _purge_expired(member, now)
    session, value = session_open(member=member, now=now)
    return Identification(session=session, cookie_value=value, login_token=login_link_create(member=member, now=now))


@transaction.atomic
def login_link_use(*, token: str) -> tuple[MemberSession, str] | None:
    """Spends the link and opens a session; None when the link is unknown, used, expired or its member blocked."""
    if not TOKEN_RE.fullmatch(token):
        return None
    now = timezone.now()
    token_hash = _hash(token)
    # The conditional UPDATE decides between two racing clicks: exactly one of them marks the link used.
    spent = MemberLoginLink.objects.filter(token_hash=token_hash, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if spent != 1:
        return None
    link = MemberLoginLink.objects.select_related("member").get(token_hash=token_hash)
    member = link.member
    if member.is_blocked or member.program_id != link.program_id:
        return None
    return session_open(member=member, now=now)


def session_from_cookie(value: str | None, now: datetime.datetime | None = None) -> MemberSession | None:
    """The live session a cookie value stands for (member and program loaded), or None."""
    if not value or len(value) > MAX_COOKIE_LENGTH:
        return None
    key = value.split(":", 1)[0]
    if not TOKEN_RE.fullmatch(key):
        return None
    session = (
        MemberSession.objects.select_related("member__program", "member__balance").filter(token_hash=_hash(key)).first()
    )
    if session is None:
        return None
    try:
        unsigned = _signer(session.program_id, session.member_id).unsign(value, max_age=session_seconds())
    except signing.BadSignature:  # tampered, signed for another member or program, or too old
        return None
    if not constant_time_compare(unsigned, key):
        return None
    member = session.member
    if session.revoked_at is not None or session.expires_at <= (now or timezone.now()):
        return None
    if member.program_id != session.program_id or member.is_blocked:
        return None
    return session


def session_set_language(*, session: MemberSession, language: str) -> MemberSession:
    """The webshop language for the rest of this session (the partner's profile field is left alone)."""
    if language not in session.member.program.languages:
        raise ValueError(f"{language} is not a language of the program.")
    session.language = language
    session.save(update_fields=["language"])
    return session


def session_revoke(*, session: MemberSession) -> None:
    MemberSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())

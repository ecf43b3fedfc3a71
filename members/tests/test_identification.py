"""members.identification: opaque session cookies, one-time login links, refusals."""

import base64
import binascii
import contextlib
import datetime
import hashlib

import pytest
import time_machine
from django.conf import settings

from members.errors import MemberBlocked
from members.identification import (
    TOKEN_RE,
    login_link_create,
    login_link_use,
    member_identify,
    session_from_cookie,
    session_open,
    session_revoke,
    session_set_language,
)
from members.models import MemberLoginLink, MemberSession
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def decodings(part: str) -> list[str]:
    """The part as text and as any base64 it may be, to look for member data hidden inside."""
    found = [part]
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        with contextlib.suppress(binascii.Error, ValueError):
            found.append(decode(part + "=" * (-len(part) % 4)).decode("latin-1"))
    return found


def blocked(member):
    member.status = member.BLOCKED
    member.save()
    return member


def test_identify_gives_a_cookie_for_a_live_session(program, member):
    ident = member_identify(member=member)
    session = session_from_cookie(ident.cookie_value)
    assert session is not None and session.pk == ident.session.pk
    assert session.member.pk == member.pk and session.member.program.pk == program.pk


def test_cookie_value_holds_no_member_data(program):
    member = MemberFactory(
        program=program,
        member_id="CUST-424242",
        email="zoe.vermeulen@example.com",
        first_name="Zoé",
        last_name="Vermeulen",
    )
    value = member_identify(member=member).cookie_value
    key = value.split(":")[0]
    assert TOKEN_RE.match(key)
    texts = [text.lower() for part in value.split(":") for text in decodings(part)]
    for secret in ("CUST-424242", "424242", "zoe.vermeulen", "Vermeulen", "Zoé"):
        assert not any(secret.lower() in text for text in texts), secret


def test_only_the_hash_of_the_cookie_key_is_stored(program, member):
    ident = member_identify(member=member)
    key = ident.cookie_value.split(":")[0]
    stored = MemberSession.objects.get(pk=ident.session.pk).token_hash
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    assert key not in stored


def test_two_identifications_give_unrelated_cookies(program, member):
    first, second = member_identify(member=member), member_identify(member=member)
    assert first.cookie_value.split(":")[0] != second.cookie_value.split(":")[0]
    assert first.login_token != second.login_token


def test_tampered_cookie_is_refused(program, member):
    value = member_identify(member=member).cookie_value
    key, stamp, signature = value.split(":")
    other = "A" if signature[0] != "A" else "B"
    assert session_from_cookie(f"{key}:{stamp}:{other}{signature[1:]}") is None
    assert session_from_cookie(key) is None
    assert session_from_cookie("") is None and session_from_cookie(None) is None
    assert session_from_cookie(value + "x" * 200) is None


def test_cookie_signed_for_another_member_is_refused(program, member):
    other = MemberFactory(program=program, member_id="M-2")
    session, value = session_open(member=member)
    # The same key stored for another member: the signature's salt names the member, so it fails.
    MemberSession.objects.filter(pk=session.pk).update(member=other)
    assert session_from_cookie(value) is None


def test_expired_or_revoked_session_is_refused(program, member):
    with time_machine.travel(T0, tick=False):
        ident = member_identify(member=member)
    with time_machine.travel(T0 + datetime.timedelta(seconds=settings.MEMBER_SESSION_SECONDS + 1), tick=False):
        assert session_from_cookie(ident.cookie_value) is None
    live = member_identify(member=member)
    session_revoke(session=live.session)
    assert session_from_cookie(live.cookie_value) is None


def test_blocked_member_is_not_identified(program, member):
    with pytest.raises(MemberBlocked):
        member_identify(member=blocked(member))
    assert not MemberSession.objects.exists()
    assert not MemberLoginLink.objects.exists()


def test_blocked_member_loses_session_and_links(program, member):
    ident = member_identify(member=member)
    blocked(member)
    assert session_from_cookie(ident.cookie_value) is None
    assert login_link_use(token=ident.login_token) is None


def test_login_link_opens_a_session_once(program, member):
    token = member_identify(member=member).login_token
    opened = login_link_use(token=token)
    assert opened is not None
    session, cookie = opened
    assert session.member_id == member.pk
    assert session_from_cookie(cookie).pk == session.pk
    assert login_link_use(token=token) is None
    assert MemberLoginLink.objects.get(member=member).used_at is not None


def test_login_link_expires(program, member):
    with time_machine.travel(T0, tick=False):
        token = login_link_create(member=member)
    with time_machine.travel(T0 + datetime.timedelta(seconds=600), tick=False):
        assert login_link_use(token=token) is None
    assert MemberLoginLink.objects.get(member=member).used_at is None


def test_login_link_just_before_expiry_works(program, member):
    with time_machine.travel(T0, tick=False):
        token = login_link_create(member=member)
    with time_machine.travel(T0 + datetime.timedelta(seconds=599), tick=False):
        assert login_link_use(token=token) is not None


def test_unknown_or_malformed_login_token_is_refused(program, member):
    member_identify(member=member)
    assert login_link_use(token="x" * 43) is None
    assert login_link_use(token="not a token") is None


def test_identify_purges_the_members_dead_rows(program, member):
    other = MemberFactory(program=program, member_id="M-2")
    with time_machine.travel(T0, tick=False):
        member_identify(member=member)
        member_identify(member=other)
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        member_identify(member=member)
    assert MemberSession.objects.filter(member=member).count() == 1
    assert MemberLoginLink.objects.filter(member=member).count() == 1
    assert MemberSession.objects.filter(member=other).count() == 1  # only the identified member's rows


def test_session_language_must_be_a_program_language(program, member):
    session = member_identify(member=member).session
    session_set_language(session=session, language="nl")
    assert MemberSession.objects.get(pk=session.pk).language == "nl"
    with pytest.raises(ValueError):
        session_set_language(session=session, language="de")
    assert MemberSession.objects.get(pk=session.pk).language == "nl"


@pytest.mark.django_db
def test_staff_issue_a_login_link_only_for_a_member_who_may_log_in(program):
    from members.identification import login_link_issue, login_link_use
    from members.models import Member

    member = MemberFactory(program=program, member_id="CS-1")
    token = login_link_issue(member=member)
    assert MemberLoginLink.objects.filter(member=member).count() == 1
    assert login_link_use(token=token) is not None  # it opens a session once
    member.status = Member.BLOCKED
    member.save()
    with pytest.raises(MemberBlocked):
        login_link_issue(member=member)
    assert MemberLoginLink.objects.filter(member=member).count() == 1

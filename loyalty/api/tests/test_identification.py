"""Identification user API and /api/v1/me: the member credential, its secrecy, its limits."""

import base64
import binascii
import datetime
import hashlib
import json

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from members.identification import COOKIE_NAME
from members.models import Member, MemberLoginLink, MemberSession
from tests.factories import MemberFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db


def identify(api, member_id: str = "M-1", **extra):
    return api.post(f"/api/v1/members/{member_id}/identification", **extra)


def cookie_value(api, member_id: str = "M-1") -> str:
    response = identify(api, member_id)
    assert response.status_code == 201, response.content
    return response.json()["cookie"]["value"]


def me(value: str | None, **headers):
    client = Client()
    if value is not None:
        client.cookies[COOKIE_NAME] = value
    return client.get("/api/v1/me", **headers)


def decodings(value: str) -> list[str]:
    """The value and every piece of it read as base64 (any alphabet, padded or not), as text."""
    found = [value]
    for part in [value, *value.split(":"), *value.split(".")]:
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(part + "=" * (-len(part) % 4))
            except (binascii.Error, ValueError):
                continue
            found.append(raw.decode("latin-1"))
    return found


def test_identification_answers_201_with_the_cookie_and_a_login_link(api, member):
    before = timezone.now()

    response = identify(api)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"cookie", "login_url"}
    cookie = body["cookie"]
    assert set(cookie) == {"name", "value", "expires_at", "max_age"}
    assert cookie["name"] == COOKIE_NAME
    assert cookie["max_age"] == 1800
    expires_at = datetime.datetime.fromisoformat(cookie["expires_at"])
    assert expires_at.tzinfo is not None
    assert before + datetime.timedelta(seconds=1790) < expires_at <= timezone.now() + datetime.timedelta(seconds=1800)
    assert body["login_url"].startswith("http://testserver/shop/login/")
    assert response["Cache-Control"] == "no-store"


def test_the_session_length_follows_the_setting(api, member, settings):
    settings.MEMBER_SESSION_SECONDS = 600

    cookie = identify(api).json()["cookie"]

    assert cookie["max_age"] == 600
    assert datetime.datetime.fromisoformat(cookie["expires_at"]) <= timezone.now() + datetime.timedelta(seconds=600)


def test_the_login_url_is_absolute_on_the_host_that_served_the_request(api, member):
    response = identify(api, HTTP_HOST="localhost:8123")

    assert response.json()["login_url"].startswith("http://localhost:8123/shop/login/")


def test_the_cookie_value_holds_no_member_data_even_decoded(api, program):
    MemberFactory(
        program=program,
        member_id="CARD-778899",
        email="alice.wonderland@example.com",
        first_name="Alice",
        last_name="Wonderland",
    )

    value = cookie_value(api, "CARD-778899")

    texts = [t.lower() for t in decodings(value)]
    for secret in ("CARD-778899", "778899", "alice.wonderland@example.com", "alice", "wonderland"):
        assert not any(secret.lower() in text for text in texts), secret
    with pytest.raises(signing.BadSignature):
        signing.loads(value)  # not a signed JSON payload either


def test_only_hashes_of_the_secrets_are_stored(api, member):
    body = identify(api).json()
    key = body["cookie"]["value"].split(":")[0]
    token = body["login_url"].rsplit("/", 1)[1]

    session = MemberSession.objects.get(member=member)
    link = MemberLoginLink.objects.get(member=member)
    assert session.token_hash == hashlib.sha256(key.encode()).hexdigest()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.used_at is None
    assert link.expires_at - link.created_at == datetime.timedelta(minutes=10)


def test_an_unknown_member_or_another_programs_member_is_404(api, other_program):
    MemberFactory(program=other_program, member_id="THEIRS")

    for member_id in ("NOBODY", "THEIRS"):
        response = identify(api, member_id)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert not MemberSession.objects.exists()


def test_a_blocked_member_is_refused_with_409(api, member):
    member.status = Member.BLOCKED
    member.save()

    response = identify(api)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "member_blocked"
    assert not MemberSession.objects.exists() and not MemberLoginLink.objects.exists()


def test_identification_needs_the_members_write_scope(api_for, program, member):
    reader = api_for(program, "members:read")

    response = identify(reader)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_identification_takes_no_body(api, member):
    assert identify(api, body={}).status_code == 201
    response = identify(api, body={"member_id": "M-2"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_identification_clears_the_members_dead_sessions(api, member):
    cookie_value(api)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=45)):
        cookie_value(api)

    assert MemberSession.objects.filter(member=member).count() == 1
    assert MemberLoginLink.objects.filter(member=member).count() == 1


def test_me_with_the_cookie_returns_the_member_as_the_partner_api_shows_it(api, member):
    fund(member, 1234)
    value = cookie_value(api)

    response = me(value)

    assert response.status_code == 200, response.content
    assert response.json() == api.get("/api/v1/members/M-1").json()
    assert response.json()["balance"]["available"] == 1234
    assert response["Cache-Control"] == "no-store"


def test_me_never_accepts_a_partner_bearer_token(api, member):
    response = api.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_me_refuses_a_bearer_token_even_beside_a_valid_cookie(api, member):
    value = cookie_value(api)

    response = me(value, HTTP_AUTHORIZATION=f"Bearer {api.token}")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_me_without_a_cookie_is_401(db):
    response = me(None)

    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "fields", "request_id"}


def test_me_with_an_expired_cookie_is_401(api, member):
    value = cookie_value(api)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=29)):
        assert me(value).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        response = me(value)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"),  # signature
        lambda v: ("A" if v[0] != "A" else "B") + v[1:],  # key
        lambda v: v.rsplit(":", 1)[0],  # no signature
        lambda v: "garbage",
        lambda v: v + ":" + v,
        lambda v: "x" * 5000,
    ],
)
def test_me_with_a_tampered_cookie_is_401(api, member, tamper):
    response = me(tamper(cookie_value(api)))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_cookie_signed_for_another_programs_member_is_refused(api, member, other_program):
    other = MemberFactory(program=other_program, member_id="THEIRS")
    key = cookie_value(api).split(":")[0]
    forged = signing.TimestampSigner(salt=f"members.session:{other.program_id}:{other.pk}").sign(key)
    same_program_other_member = MemberFactory(program=member.program, member_id="M-2")
    forged_member = signing.TimestampSigner(
        salt=f"members.session:{member.program_id}:{same_program_other_member.pk}"
    ).sign(key)

    assert me(forged).status_code == 401
    assert me(forged_member).status_code == 401


def test_a_session_moved_to_another_program_is_refused(api, member, other_program):
    value = cookie_value(api)
    MemberSession.objects.filter(member=member).update(program=other_program)

    assert me(value).status_code == 401


def test_a_member_blocked_after_identification_loses_the_session(api, member):
    value = cookie_value(api)
    member.status = Member.BLOCKED
    member.save()

    assert me(value).status_code == 401


def test_each_cookie_stands_for_its_own_member(api, member, api_for, other_program):
    other = MemberFactory(program=other_program, member_id="M-1", first_name="Zoe")
    theirs = cookie_value(api_for(other_program))

    response = me(theirs)

    assert response.status_code == 200
    assert response.json()["first_name"] == "Zoe"
    assert response.json()["member_id"] == other.member_id


def test_the_schema_documents_identification_and_me(db):
    response = Client().get("/api/schema?format=json")

    schema = json.loads(response.content)
    identification = schema["paths"]["/api/v1/members/{member_id}/identification"]["post"]
    assert "member_blocked" in identification["description"]
    assert "201" in identification["responses"]
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"memberCookie": []}]
    assert schema["components"]["securitySchemes"]["memberCookie"]["in"] == "cookie"

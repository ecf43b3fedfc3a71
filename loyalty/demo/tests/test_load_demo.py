"""The demo loader: a realistic program, 300 members, a till client and an admin, idempotent."""

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Min
from django.test import Client
from django.utils import timezone

from catalog.models import Gift, GiftCategory
from loyalty.demo.loader import demo_members
from members.models import Member, Segment, SegmentMembership
from programs.models import ApiClient, EventType, Program
from rewards.models import LedgerEntry, PointsBalance, Promotion, Redemption, TierChange

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Program, Segment, GiftCategory, Gift, EventType, Promotion, Member, PointsBalance, SegmentMembership)
    return {
        **{model.__name__: model.objects.count() for model in models},
        "ApiClient": ApiClient.objects.count(),
        "User": get_user_model().objects.count(),
    }


def printed(output: str, label: str) -> str:
    return re.search(rf"{label}:\s+(\S+)", output).group(1)


def test_load_demo_twice_gives_the_same_counts(first_run):
    first = first_run
    after_first = counts()
    versions = dict(Promotion.objects.values_list("code", "version"))

    second = load_demo()

    assert counts() == after_first
    assert after_first["Member"] == after_first["PointsBalance"] == 300
    assert after_first["ApiClient"] == 1 and after_first["User"] == 2  # admin, and the marketing staff user
    assert dict(Promotion.objects.values_list("code", "version")) == versions
    assert "(300 enrolled now)" in first and "(0 enrolled now)" in second
    assert printed(first, "client_id") == printed(second, "client_id")
    assert "reused, secret unchanged" in second and "(unchanged:" in second  # not rotated, not shown again


def test_the_printed_credentials_get_a_token(first_run):
    output = first_run

    assert "http://127.0.0.1:8000/admin/" in output and "admin / admin" in output
    assert "curl -s -X POST http://127.0.0.1:8000/oauth/token/" in output
    response = Client().post(
        "/oauth/token/",
        data={
            "grant_type": "client_credentials",
            "client_id": printed(output, "client_id"),
            "client_secret": printed(output, "client_secret"),
        },
    )
    assert response.status_code == 200, response.content
    assert set(response.json()["scope"].split()) == {
        "program:read",
        "members:read",
        "members:write",
        "points:read",
        "points:write",
        "redeem",
        "segments:write",
        "catalog:read",
        "webhooks:write",
    }


def test_the_admin_user_logs_in_and_an_existing_one_is_left_alone(first_run):
    assert Client().login(username="admin", password="admin")

    user = get_user_model().objects.get(username="admin")
    user.set_password("changed-by-someone")
    user.save()
    output = load_demo()

    assert "password was left unchanged" in output
    assert Client().login(username="admin", password="changed-by-someone")


def test_the_demo_program_is_complete(first_run):
    program = Program.objects.get(code="DEMO")

    assert (program.name, program.currency, program.default_language, program.timezone) == (
        "Demo Rewards",
        "EUR",
        "en",
        "Europe/Brussels",
    )
    assert program.languages == ["en", "fr", "nl", "it"]
    assert (program.expiry_months, program.pending_days, program.allow_negative_balance) == (24, 0, True)
    assert 4 <= Segment.objects.filter(program=program).count() <= 6

    categories = list(GiftCategory.objects.filter(program=program).select_related("parent__parent"))
    assert 5 <= len(categories) <= 8
    assert any(c.parent and c.parent.parent for c in categories)  # two levels of nesting
    gifts = list(Gift.objects.filter(program=program))
    assert 30 <= len(gifts) <= 40
    assert {g.type for g in gifts} == {"physical", "voucher", "digital"}
    for item in [*categories, *gifts]:
        assert set(item.name) == {"en", "fr", "nl", "it"}, item
    assert all(set(g.description) == {"en", "fr", "nl", "it"} for g in gifts)
    assert any(g.stock is not None for g in gifts) and any(g.stock is None for g in gifts)
    assert sum(not g.validated for g in gifts) == 1
    now = timezone.now()
    assert any(g.valid_until and g.valid_until < now for g in gifts)
    assert all(g.voucher_valid_days for g in gifts if g.type == "voucher")

    event_types = list(EventType.objects.filter(program=program))
    assert 3 <= len(event_types) <= 4 and all(e.per_day_limit or e.lifetime_limit for e in event_types)

    promotions = list(Promotion.objects.filter(program=program).prefetch_related("segments"))
    assert {p.kind for p in promotions} == {"spend", "quantity", "basket", "multiplier"}
    assert any(p.kind == "spend" and not p.products and not p.product_categories for p in promotions)
    assert any(p.kind == "spend" and p.product_categories for p in promotions)
    assert any(p.kind == "spend" and p.products for p in promotions)
    assert any([s.code for s in p.segments.all()] == ["VIP"] for p in promotions)
    assert any(p.status == "draft" for p in promotions)
    assert any(p.channels for p in promotions) and any(p.max_points for p in promotions)


def test_members_are_deterministic_with_segments_and_balances(first_run):
    assert demo_members() == demo_members()

    program = Program.objects.get(code="DEMO")
    members = Member.objects.filter(program=program)
    assert members.count() == 300
    assert not members.filter(balance__isnull=True).exists()
    assert set(members.values_list("language", flat=True)) <= set(program.languages)
    first = members.get(member_id="DEMO-0001")
    expected = demo_members()[0]
    assert (first.first_name, first.last_name, first.email) == (expected.first_name, expected.last_name, expected.email)
    by_segment = {s.code: s.memberships.count() for s in Segment.objects.filter(program=program)}
    assert by_segment["NEWCOMERS"] == 40 and 0 < by_segment["VIP"] < 60


def test_every_demo_member_enrolled_before_their_first_purchase(first_run):
    """Demo members enrolled at realistic dates: in member-number order, over about three years, the newcomers
    recently, and each one before anything they did (purchases, events, gifts, tier changes)."""
    now = timezone.now()
    members = list(Member.objects.filter(program__code="DEMO").select_related("balance").order_by("member_id"))
    first_entry = dict(
        LedgerEntry.objects.values("member_id").annotate(first=Min("occurred_at")).values_list("member_id", "first")
    )
    first_tier_change = dict(
        TierChange.objects.values("member_id").annotate(first=Min("changed_at")).values_list("member_id", "first")
    )

    assert len(members) == 300 and len(first_entry) >= 290
    for member in members:
        if member.pk in first_entry:
            assert member.enrolled_at < first_entry[member.pk], member.member_id
        if member.pk in first_tier_change:
            assert member.enrolled_at <= first_tier_change[member.pk], member.member_id
        if member.balance.tier_since is not None:
            assert member.enrolled_at <= member.balance.tier_since, member.member_id
    dates = [m.enrolled_at for m in members]
    assert dates == sorted(dates)  # member numbers follow the order of enrolment
    assert now - dates[0] > datetime.timedelta(days=3 * 365 - 10)  # the oldest, three years ago
    assert all(now - d > datetime.timedelta(days=150) for d in dates[:260])  # before their history's window
    newcomers = Segment.objects.get(program__code="DEMO", code="NEWCOMERS").members.all()
    assert newcomers.count() == 40
    assert all(now - m.enrolled_at < datetime.timedelta(days=62) for m in newcomers)
    # The webshop member's oldest basket is about two years old: enrolled before it as well.
    shop_member = members[0] if not members[0].is_blocked else members[1]
    oldest = first_entry[shop_member.pk]
    assert now - oldest > datetime.timedelta(days=700) and shop_member.enrolled_at < oldest


def test_demo_members_have_addresses_and_their_parcels_carry_them(first_run):
    """So the demo's fulfilment CSV has somewhere to send every parcel (issue: empty rows)."""
    members = Member.objects.filter(program__code="DEMO")
    with_address = members.exclude(address__isnull=True)
    assert 270 <= with_address.count() < 300  # one in twenty without: the shop asks for it at the confirm step
    for member in with_address[:50]:
        assert {"name", "street", "postal_code", "city", "country"} <= set(member.address)
        assert member.address["country"] in {"BE", "IE", "IT"}
    parcels = Redemption.objects.filter(program__code="DEMO", gift__type=Gift.PHYSICAL).select_related("member")
    assert parcels.exists()
    for parcel in parcels:
        assert parcel.delivery == parcel.member.address

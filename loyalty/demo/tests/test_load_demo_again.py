"""Running load_demo again changes nothing the user may have used or edited: the API client's secret, gift stock
(also after a redemption between the runs), prices, the ledger and every history; only a new login link is made."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.models import Gift
from members.models import Member, MemberLoginLink
from members.services import member_set_status
from rewards.models import (
    Earn,
    Event,
    LedgerEntry,
    LotMovement,
    PointsBalance,
    PointsLot,
    Promotion,
    Redemption,
    RedemptionStatusChange,
    TierChange,
)

pytestmark = pytest.mark.django_db


def load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def printed(output: str, label: str) -> str:
    return re.search(rf"{label}:\s+(\S+)", output).group(1)


def token_status(client_id: str, secret: str) -> int:
    response = Client().post(
        "/oauth/token/", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    return response.status_code


def access_token(client_id: str, secret: str) -> str:
    response = Client().post(
        "/oauth/token/", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def state() -> dict:
    """Everything a second run must leave alone, row by row where it matters."""
    return {
        "stock": dict(Gift.objects.values_list("sku", "stock")),
        "gift_points": dict(Gift.objects.values_list("sku", "points")),
        "promotions": dict(Promotion.objects.values_list("code", "version")),
        "balances": sorted(
            PointsBalance.objects.values_list("member__member_id", "available", "pending", "tier__code")
        ),
        "enrolled_at": dict(Member.objects.values_list("member_id", "enrolled_at")),
        "ledger": LedgerEntry.objects.count(),
        "ledger_ids": max(LedgerEntry.objects.values_list("pk", flat=True)),
        "lots": sorted(PointsLot.objects.values_list("pk", "remaining")),
        "lot_movements": LotMovement.objects.count(),
        "status_changes": RedemptionStatusChange.objects.count(),
        "earns": Earn.objects.count(),
        "events": Event.objects.count(),
        "redemptions": sorted(Redemption.objects.values_list("reference", "status")),
        "tier_changes": TierChange.objects.count(),
        "members": Member.objects.count(),
        "pictures": Gift.objects.filter(uploaded_images__isnull=False).count(),
    }


def assert_ledger_clean() -> None:
    out = io.StringIO()
    call_command("check_ledger", stdout=out)  # raises CommandError when a balance differs from its ledger
    assert "Ledger OK" in out.getvalue()


def test_a_second_run_keeps_the_secret_the_stock_and_every_history(first_run):
    first = first_run
    client_id, secret = printed(first, "client_id"), printed(first, "client_secret")
    token = access_token(client_id, secret)
    # Between the runs: a member redeems a mug through the API, and a manager changes a price in the admin.
    mugs = Gift.objects.get(sku="MUG-CLASSIC").stock
    response = Client().post(
        "/api/v1/redemptions",
        data=json.dumps(
            {
                "reference": "BETWEEN-RUNS-1",
                "member_id": "DEMO-0001",
                "gift": "MUG-CLASSIC",
                "quantity": 1,
                "delivery": {
                    "name": "E. Romano",
                    "street": "Rue Haute 1",
                    "postal_code": "1000",
                    "city": "Brussels",
                    "country": "BE",
                },
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    Gift.objects.filter(sku="APRON").update(points=950)
    before = state()
    links = MemberLoginLink.objects.count()
    assert before["stock"]["MUG-CLASSIC"] == mugs - 1

    second = load_demo()

    assert state() == before
    assert before["stock"]["MUG-CLASSIC"] == mugs - 1 and before["gift_points"]["APRON"] == 950
    assert printed(second, "client_id") == client_id
    assert secret not in second
    assert "reused, secret unchanged" in second and "--rotate-secret" in second
    assert token_status(client_id, secret) == 200  # the old secret still gets a token
    assert "already exists: left as it is" in second and "(0 enrolled now)" in second
    assert "import_program loyalty/demo/data/demo_program.json" in second  # how to apply the file again
    assert "History posted for 0 member(s) now." in second
    assert MemberLoginLink.objects.count() == links + 1  # the one new thing: a fresh one-time shop link
    assert_ledger_clean()


def test_load_demo_twice_in_a_row_on_a_fresh_database_is_clean(first_run):
    before = state()

    load_demo()

    assert state() == before
    assert_ledger_clean()


def test_rotate_secret_is_explicit_and_replaces_the_old_one(first_run):
    first = first_run
    client_id, old = printed(first, "client_id"), printed(first, "client_secret")

    rotated = load_demo("--rotate-secret")

    new = printed(rotated, "client_secret")
    assert "reused, new secret" in rotated and new != old
    assert printed(rotated, "client_id") == client_id
    assert token_status(client_id, old) == 401
    assert token_status(client_id, new) == 200


def test_a_shop_member_blocked_since_the_first_run_passes_its_history_to_nobody(first_run):
    shop_member = Member.objects.filter(earns__reference__startswith="DEMO-SHOP-").distinct().get()
    member_set_status(member=shop_member, status=Member.BLOCKED)
    before = state()

    second = load_demo()

    assert state() == before  # DEMO-0002 did not get the webshop member's purchases and gift
    assert "login link: none, the member is blocked" in second
    assert "member_login_link DEMO <member_id>" in second
    assert_ledger_clean()

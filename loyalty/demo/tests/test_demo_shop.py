"""load_demo prints a webshop login link for a demo member with points, a gift and points expiring soon."""

import io
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from rewards.models import Earn, LedgerEntry, PointsBalance, Redemption, TierChange

pytestmark = pytest.mark.django_db


def load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_load_demo_prints_a_login_link_that_opens_the_shop_once():
    output = load_demo("--base-url", "http://127.0.0.1:8123/")

    link = re.search(r"login link:\s+(\S+)", output).group(1)
    assert link.startswith("http://127.0.0.1:8123/shop/login/")
    client = Client()
    assert client.get(urlsplit(link).path)["Location"] == "/shop/"
    home = client.get("/shop/").content.decode()
    available = int(re.search(r"(\d+) points available", output).group(1))
    assert 2000 < available < 6000
    shown = re.search(r'data-testid="available">([^<]+)<', home).group(1)
    assert int(re.sub(r"\D", "", shown)) == available  # grouped the way the member's language writes it
    assert 'class="plain-list expiring"' in home  # the oldest purchase's points expire within weeks
    gift = Redemption.objects.get(reference__startswith="DEMO-SHOP-", reference__endswith="-GIFT")
    assert 'class="status status-exchanged"' in client.get(f"/shop/redemptions/{gift.pk}").content.decode()
    assert client.get("/shop/history").status_code == 200
    assert Client().get(urlsplit(link).path).status_code == 403  # once only
    # Three tiers, reached by the demo's own purchases of the last twelve months: members at every level.
    assert 'data-testid="tier-card"' in home
    levels = Counter(PointsBalance.objects.values_list("tier__code", flat=True))
    assert set(levels) == {None, "SILVER", "GOLD", "PLATINUM"} and min(levels.values()) >= 20, levels
    assert TierChange.objects.filter(reason="upgrade").count() >= sum(n for code, n in levels.items() if code)


def test_the_demo_member_history_is_made_once(first_run):
    def counts() -> tuple[int, int, int]:
        shop = {"reference__startswith": "DEMO-SHOP-"}
        return (
            Earn.objects.filter(**shop).count(),
            Redemption.objects.filter(**shop).count(),
            LedgerEntry.objects.count(),
        )

    first = counts()  # after the first run

    second = load_demo()

    assert counts() == first
    assert first[:2] == (5, 1)
    assert "http://127.0.0.1:8000/shop/login/" in second

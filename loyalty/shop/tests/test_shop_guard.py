"""The repeat guard: a second redemption of the same gift within two minutes asks first, whatever the page it
came from (a confirm page reached again with the Back button carries a new reference)."""

import datetime
import re

import pytest
import time_machine
from django.test import TestCase
from django.utils import timezone

from loyalty.shop.tests.shop_client import (
    csrf_token,
    give_address,
    logged_in,
    page,
    redeem,
    reference_in,
    switch_language,
)
from rewards.models import PointsBalance, Redemption
from tests.helpers import fund

pytestmark = pytest.mark.django_db

QUESTION = re.compile(r"You already redeemed this (\d+) seconds? ago — redeem again\?")


@pytest.fixture
def client(api, member, catalog):
    give_address(member)
    fund(member, 5000)
    return logged_in(api)


def test_a_second_redemption_of_the_same_gift_asks_first_and_redeems_nothing(client, member):
    first = redeem(client, "MUG")
    assert first.status_code == 302

    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=42), tick=False):
        second = redeem(client, "MUG")  # a new confirm page: a new reference

    assert second.status_code == 409
    html = second.content.decode()
    assert QUESTION.search(html).group(1) == "42"
    assert 'name="again" value="1"' in html
    assert f'href="{first["Location"]}"' in html  # "No, see my gift"
    assert Redemption.objects.count() == 1
    assert PointsBalance.objects.get(member=member).available == 4500


def test_the_explicit_yes_redeems_again(client, member):
    redeem(client, "MUG")
    html = redeem(client, "MUG").content.decode()
    data = {
        "quantity": 1,
        "reference": reference_in(html),
        "again": "1",
        "csrfmiddlewaretoken": csrf_token(html),
    }

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/shop/gifts/MUG/redeem", data)

    assert response.status_code == 302
    assert Redemption.objects.count() == 2
    assert PointsBalance.objects.get(member=member).available == 4000


def test_after_two_minutes_there_is_no_question(client):
    redeem(client, "MUG")

    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=121)):
        assert redeem(client, "MUG").status_code == 302

    assert Redemption.objects.count() == 2


def test_another_gift_is_not_held_back(client):
    redeem(client, "MUG")

    assert redeem(client, "V10").status_code == 302
    assert Redemption.objects.count() == 2


def test_the_same_form_sent_twice_lands_on_the_first_gift_without_a_question(client):
    html = page(client, "/shop/gifts/MUG/confirm")
    data = {"quantity": 1, "reference": reference_in(html), "csrfmiddlewaretoken": csrf_token(html)}

    first = client.post("/shop/gifts/MUG/redeem", data)
    second = client.post("/shop/gifts/MUG/redeem", data)

    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Redemption.objects.count() == 1


def test_the_guard_reads_the_database_not_the_browser(api, client, member):
    redeem(client, "MUG")
    other_browser = logged_in(api)  # another session of the same member: nothing shared but the database

    response = redeem(other_browser, "MUG")

    assert response.status_code == 409 and QUESTION.search(response.content.decode())
    assert Redemption.objects.count() == 1


def test_the_question_is_asked_in_the_members_language(client):
    redeem(client, "MUG")
    switch_language(client, "nl")

    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5), tick=False):
        html = redeem(client, "MUG").content.decode()

    assert "Je hebt dit cadeau 5 seconden geleden al ingewisseld — nog een keer inwisselen?" in html
    assert "Ja, nog een keer inwisselen" in html

"""The delivery address at the confirm step of a physical gift: shown, edited (saved to the member with the API's
rules), required before confirming, and copied into the redemption."""

import pytest

from loyalty.shop.tests.shop_client import (
    ADDRESS,
    csrf_token,
    give_address,
    logged_in,
    page,
    redeem,
    switch_language,
)
from members.models import Member
from rewards.models import PointsBalance, Redemption
from tests.helpers import fund

pytestmark = pytest.mark.django_db

NEW_ADDRESS = {
    "name": "Ann Peeters",
    "street": "Meir 12",
    "postal_code": "2000",
    "city": "Antwerpen",
    "country": "BE",
    "phone": "+32 3 123 45 67",
}


def post_address(client, sku: str, address: dict, quantity: int = 1):
    html = page(client, f"/shop/gifts/{sku}/confirm?quantity={quantity}")
    data = {f"address-{key}": value or "" for key, value in address.items()}
    return client.post(
        f"/shop/gifts/{sku}/address", {**data, "quantity": quantity, "csrfmiddlewaretoken": csrf_token(html)}
    )


def test_the_confirm_step_of_a_physical_gift_shows_the_members_address(api, member, catalog):
    give_address(member)
    fund(member, 5000)

    html = page(logged_in(api), "/shop/gifts/MUG/confirm")

    assert 'data-testid="address-card"' in html
    assert "Rue Neuve 1" in html and "1000 Brussels" in html and 'data-country-name="BE"' in html
    assert "Change the address" in html
    assert 'name="address-street" value="Rue Neuve 1"' in html  # the form starts from the address
    assert 'action="/shop/gifts/MUG/redeem"' in html


def test_a_voucher_has_no_address_step(api, member, catalog):
    fund(member, 5000)

    html = page(logged_in(api), "/shop/gifts/V10/confirm")

    assert 'data-testid="address-card"' not in html and "address-street" not in html
    assert 'action="/shop/gifts/V10/redeem"' in html
    assert redeem(logged_in(api), "V10").status_code == 302
    assert Redemption.objects.get().delivery is None


def test_without_an_address_the_form_is_open_and_there_is_nothing_to_confirm(api, member, catalog):
    fund(member, 5000)

    html = page(logged_in(api), "/shop/gifts/MUG/confirm")

    assert 'data-testid="address-missing"' in html
    assert '<details class="address-edit" open>' in html
    assert 'name="address-name" value="Ann Peeters"' in html  # the member's name, to start with
    assert 'action="/shop/gifts/MUG/redeem"' not in html
    assert "Save your address above to confirm this gift." in html


def test_confirming_without_an_address_is_refused_and_nothing_is_redeemed(api, member, catalog):
    fund(member, 5000)
    client = logged_in(api)
    html = page(client, "/shop/gifts/MUG/confirm")
    hand_made = {"quantity": 1, "reference": "SHOP-" + "ab" * 16, "csrfmiddlewaretoken": csrf_token(html)}

    response = client.post("/shop/gifts/MUG/redeem", hand_made)

    assert response.status_code == 409
    assert "Please give the address where we should send your gift, then confirm." in response.content.decode()
    assert not Redemption.objects.exists()
    assert PointsBalance.objects.get(member=member).available == 5000


def test_the_edited_address_is_saved_to_the_member_and_goes_with_the_gift(api, member, catalog):
    give_address(member)
    fund(member, 5000)
    client = logged_in(api)

    response = post_address(client, "MUG", NEW_ADDRESS, quantity=2)

    assert response.status_code == 302
    assert response["Location"] == "/shop/gifts/MUG/confirm?quantity=2&address=saved"
    assert Member.objects.get(pk=member.pk).address == NEW_ADDRESS
    html = page(client, response["Location"])
    assert "Your address is saved." in html and "Meir 12" in html and "Rue Neuve 1" not in html
    assert api.get("/api/v1/members/M-1").json()["address"] == NEW_ADDRESS  # what the partner sees too

    assert redeem(client, "MUG", quantity=2).status_code == 302
    redemption = Redemption.objects.get()
    assert redemption.delivery == NEW_ADDRESS
    assert api.get(f"/api/v1/redemptions/{redemption.pk}").json()["delivery"] == NEW_ADDRESS


def test_a_first_address_lets_the_member_confirm(api, member, catalog):
    fund(member, 5000)
    client = logged_in(api)

    assert post_address(client, "MUG", {**NEW_ADDRESS, "phone": ""}).status_code == 302

    assert Member.objects.get(pk=member.pk).address == {**NEW_ADDRESS, "phone": None}
    assert 'action="/shop/gifts/MUG/redeem"' in page(client, "/shop/gifts/MUG/confirm")
    assert redeem(client, "MUG").status_code == 302
    assert Redemption.objects.get().delivery == {**NEW_ADDRESS, "phone": None}


# Each refused by the webshop's form as by the API's PATCH: the same rules.
BAD_ADDRESSES = [
    pytest.param({"country": "XX"}, id="unassigned-country"),
    pytest.param({"country": "be"}, id="lower-case-country"),
    pytest.param({"phone": "+32 abc"}, id="phone-letters"),
    pytest.param({"phone": "1" * 33}, id="phone-too-long"),
    pytest.param({"name": "A" * 151}, id="name-too-long"),
    pytest.param({"street": "S" * 201}, id="street-too-long"),
    pytest.param({"postal_code": "1" * 17}, id="postal-code-too-long"),
    pytest.param({"city": "C" * 101}, id="city-too-long"),
    pytest.param({"city": ""}, id="city-missing"),
]


@pytest.mark.parametrize("change", BAD_ADDRESSES)
def test_a_bad_address_is_refused_with_the_apis_rules(api, member, catalog, change):
    give_address(member)
    fund(member, 5000)
    client = logged_in(api)
    bad = {**NEW_ADDRESS, **change}
    field = next(iter(change))

    response = post_address(client, "MUG", bad)

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_address-{field}-error"' in html and 'aria-invalid="true"' in html
    assert '<details class="address-edit" open>' in html
    assert Member.objects.get(pk=member.pk).address == ADDRESS
    api_answer = api.patch("/api/v1/members/M-1", {"address": bad})
    assert api_answer.status_code == 400, api_answer.content
    assert Member.objects.get(pk=member.pk).address == ADDRESS


def test_address_errors_are_in_the_members_language(api, member, catalog):
    give_address(member)
    fund(member, 5000)
    client = logged_in(api)
    switch_language(client, "fr")

    html = post_address(client, "MUG", {**NEW_ADDRESS, "phone": "abc"}).content.decode()

    assert "Seuls les chiffres, les espaces et + ( ) - . / sont acceptés." in html
    assert "Adresse de livraison" in html and "Code postal" in html


def test_the_address_form_needs_the_csrf_token_and_a_gift_on_offer(api, member, catalog):
    from django.test import Client

    from loyalty.shop.tests.shop_client import login_url

    client = Client(enforce_csrf_checks=True)
    client.get(login_url(api))
    data = {f"address-{key}": value for key, value in NEW_ADDRESS.items()}

    assert client.post("/shop/gifts/MUG/address", data).status_code == 403
    assert Member.objects.get(pk=member.pk).address is None
    token = csrf_token(page(client, "/shop/"))
    assert client.post("/shop/gifts/NOPE/address", {**data, "csrfmiddlewaretoken": token}).status_code == 404
    assert client.get("/shop/gifts/MUG/address").status_code == 405

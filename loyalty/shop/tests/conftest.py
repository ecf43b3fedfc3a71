"""What the webshop's tests share: a small catalog (its gifts in several languages); for the browser tests, a
phone-sized context per test in the root conftest.py's Chromium (one per test module) and a program with a partner
client."""

import re

import pytest

from catalog.models import Gift
from loyalty.shop.tests.browser import PHONE, TIMEOUT_MS
from programs.services import api_client_create
from tests.factories import CategoryFactory, GiftFactory, ProgramFactory


@pytest.fixture
def catalog(program):
    home = CategoryFactory(program=program, code="HOME", name={"en": "Home", "fr": "Maison", "nl": "Wonen"})
    mug = GiftFactory(
        program=program,
        category=home,
        sku="MUG",
        points=500,
        stock=10,
        name={"en": "Mug", "fr": "Tasse", "nl": "Mok", "it": "Tazza"},
        images=["/media/mug.png"],
    )
    voucher = GiftFactory(
        program=program,
        category=home,
        sku="V10",
        type=Gift.VOUCHER,
        points=1000,
        value="10.00",
        voucher_valid_days=90,
        name={"en": "10 EUR voucher", "fr": "Bon de 10 EUR", "nl": "Waardebon van 10 EUR", "it": "Buono da 10 EUR"},
    )
    lamp = GiftFactory(program=program, category=home, sku="LAMP", points=6000, name={"en": "Lamp", "fr": "Lampe"})
    return {"mug": mug, "voucher": voucher, "lamp": lamp}


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    # Nothing leaves the machine: gift images hosted elsewhere fail, and the page must cope.
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    yield context
    context.close()


@pytest.fixture
def shop_data(transactional_db):
    program = ProgramFactory(code="DEMO", name="Demo Rewards")
    home = CategoryFactory(program=program, code="HOME", name={"en": "Home", "fr": "Maison", "nl": "Wonen"})
    vouchers = CategoryFactory(program=program, code="VOUCHERS", name={"en": "Vouchers", "fr": "Bons d'achat"})
    GiftFactory(
        program=program,
        category=home,
        sku="MUG",
        points=500,
        stock=20,
        name={"en": "Classic mug", "fr": "Tasse classique"},
        description={"en": "A stoneware mug.", "fr": "Une tasse en grès."},
        images=["https://placehold.co/600x400/png?text=MUG"],
    )
    GiftFactory(program=program, category=home, sku="LAMP", points=6000, name={"en": "Desk lamp", "fr": "Lampe"})
    GiftFactory(
        program=program,
        category=vouchers,
        sku="V10",
        type=Gift.VOUCHER,
        points=1000,
        value="10.00",
        voucher_valid_days=90,
        name={"en": "10 EUR webshop voucher", "fr": "Bon d'achat de 10 EUR"},
        description={"en": "Spend it in the webshop.", "fr": "À dépenser dans la boutique en ligne."},
    )
    client, secret = api_client_create(program=program, name="Partner webshop", scopes="members:write members:read")
    return {"program": program, "client_id": client.application.client_id, "client_secret": secret}

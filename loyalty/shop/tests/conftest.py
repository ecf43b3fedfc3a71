"""What the webshop's tests share: a small catalog (its gifts in several languages)."""

import pytest

from catalog.models import Gift
from tests.factories import CategoryFactory, GiftFactory


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

"""Words and small page parts: redemption statuses in plain words in every language, the voucher's copy button and
the language menu as pages send them (their script is exercised in the browser tests)."""

import re

import pytest
from django.utils import translation

from loyalty.shop.labels import REDEMPTION_STATUS, label
from loyalty.shop.tests.shop_client import give_address, logged_in, page, redeem, switch_language
from rewards.models import Redemption, RedemptionStatus
from rewards.services.redemption import redemption_transition
from tests.helpers import fund

pytestmark = pytest.mark.django_db

STATUS_WORDS = {
    "en": ["Ordered", "Being prepared", "Shipped", "Delivered", "Cancelled", "Returned"],
    "fr": ["Commandé", "En préparation", "Expédié", "Livré", "Annulé", "Retourné"],
    "nl": ["Besteld", "Wordt klaargemaakt", "Verzonden", "Geleverd", "Geannuleerd", "Teruggestuurd"],
    "it": ["Ordinato", "In preparazione", "Spedito", "Consegnato", "Annullato", "Reso"],
}
STATUSES = ["exchanged", "in_preparation", "in_delivery", "delivered", "cancelled", "returned"]


@pytest.mark.parametrize("language", STATUS_WORDS)
def test_every_redemption_status_has_its_word_in_every_language(language):
    assert set(REDEMPTION_STATUS) == {s.value for s in RedemptionStatus}
    with translation.override(language):
        assert [label(REDEMPTION_STATUS, status) for status in STATUSES] == STATUS_WORDS[language]


@pytest.mark.parametrize("language", STATUS_WORDS)
def test_a_physical_gift_shows_each_step_in_words(api, member, catalog, language):
    give_address(member)
    fund(member, 5000)
    client = logged_in(api)
    location = redeem(client, "MUG")["Location"]
    switch_language(client, language)
    redemption = Redemption.objects.get()
    seen = [re.search(r"<span class=\"status status-exchanged\" data-status>([^<]+)<", page(client, location))[1]]
    for status in ("in_preparation", "in_delivery", "delivered", "returned"):
        redemption_transition(redemption=redemption, status=status, actor="test")
        html = page(client, location)
        seen.append(re.search(rf'<span class="status status-{status}" data-status>([^<]+)<', html)[1])

    words = STATUS_WORDS[language]
    assert seen == [words[0], words[1], words[2], words[3], words[5]]
    assert f'<span class="status status-returned">{words[5]}</span>' in page(client, "/shop/history")
    assert f'<span class="status status-returned">{words[5]}</span>' in page(client, "/shop/")


def test_the_voucher_code_comes_with_a_copy_button_the_script_shows(api, member, catalog):
    fund(member, 5000)
    client = logged_in(api)

    html = page(client, redeem(client, "V10")["Location"])

    code = Redemption.objects.get().voucher.code
    assert f'<p class="voucher-code" data-voucher-code id="voucher-code">{code}</p>' in html
    button = re.search(r"<button [^>]*data-copy=\"#voucher-code\"[^>]*>([^<]+)</button>", html)
    assert button and button[1] == "Copy the code"
    assert " hidden>" in button[0]  # without script (or without a clipboard) the code stays plain, selectable text
    assert 'data-copied="Copied"' in button[0]
    assert '<span class="copy-feedback" role="status" data-copy-feedback></span>' in html
    switch_language(client, "it")
    assert 'data-copied="Copiato"' in page(client, f"/shop/redemptions/{Redemption.objects.get().pk}")


def test_the_language_menu_keeps_its_button_for_pages_without_script(api, member):
    html = page(logged_in(api), "/shop/")

    form = re.search(r'<form class="language-form".*?</form>', html, flags=re.S)[0]
    assert "data-submit-on-change" in form
    assert re.search(r'<button type="submit"[^>]*data-without-script>Change</button>', form)


# The English of the issue-19 page parts; none of it may show on a page in another language.
ENGLISH = [
    "Delivery address",
    "We need your address",
    "Your address",
    "Street and number",
    "Postal code",
    "Phone (optional)",
    "Save the address",
    "Save your address above",
    "Change the address",
    "You already redeemed",
    "Yes, redeem again",
    "No, see my gift",
    "We send your gift to the address above.",
    "Copy the code",
    "Could not copy",
    "posted ",
    "Ordered",
]


@pytest.mark.parametrize("language", ["fr", "nl", "it"])
def test_the_new_page_parts_are_translated(api, member, catalog, program, language):
    import datetime

    from django.utils import timezone

    from rewards.models import LedgerEntry

    fund(member, 5000)
    client = logged_in(api)
    switch_language(client, language)
    without_address = page(client, "/shop/gifts/MUG/confirm")
    voucher = page(client, redeem(client, "V10")["Location"])
    repeat = redeem(client, "V10").content.decode()
    give_address(member)
    with_address = page(client, "/shop/gifts/MUG/confirm")
    LedgerEntry.objects.filter(member=member).update(occurred_at=timezone.now() - datetime.timedelta(days=3))
    history = page(client, "/shop/history")

    assert 'data-testid="posted"' in history and 'data-testid="repeat"' in repeat
    for html in (without_address, voucher, repeat, with_address, history):
        assert f'<html lang="{language}">' in html
        shown = [text for text in ENGLISH if text in html]
        assert shown == [], shown

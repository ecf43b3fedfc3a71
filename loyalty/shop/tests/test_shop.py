"""The member webshop at /shop/: login link, cookie, pages in every language, redemption, expiry."""

import datetime
import re

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from catalog.models import Gift
from loyalty.shop.tests.shop_client import (
    ADDRESS,
    csrf_token,
    give_address,
    logged_in,
    login_url,
    page,
    redeem,
    reference_in,
    switch_language,
)
from members.identification import COOKIE_NAME
from members.models import MemberSession
from rewards.models import LedgerEntry, PointsBalance, Redemption
from rewards.services.redemption import voucher_issue
from tests.factories import CategoryFactory, GiftFactory, MemberFactory, PromotionFactory
from tests.helpers import earn, fund, line

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "fr", "nl", "it"]
# One text per language that only the translated webshop shows (the menu entry of the home page).
MY_POINTS = {"en": "My points", "fr": "Mes points", "nl": "Mijn punten", "it": "I miei punti"}
EXPIRED = "Your session has expired"


# --- login link and cookie ---------------------------------------------------------------------------------


def test_the_login_link_sets_an_httponly_samesite_lax_cookie_and_lands_on_the_shop(api, member):
    client = Client()

    response = client.get(login_url(api))

    assert response.status_code == 302 and response["Location"] == "/shop/"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == 1800
    assert cookie["secure"] is True  # tests run with DEBUG off
    assert "no-store" in response["Cache-Control"]
    assert client.get("/shop/").status_code == 200


def test_the_cookie_is_not_secure_in_debug(api, member, settings):
    settings.DEBUG = True

    response = Client().get(login_url(api))

    assert response.cookies[COOKIE_NAME]["secure"] == ""


def test_the_login_link_works_once_then_shows_the_expired_page(api, member):
    path = login_url(api)
    assert Client().get(path).status_code == 302

    response = Client().get(path)

    assert response.status_code == 403
    html = response.content.decode()
    assert EXPIRED in html and "already been used" in html
    assert COOKIE_NAME not in response.cookies


def test_a_login_link_older_than_ten_minutes_shows_the_expired_page(api, member):
    path = login_url(api)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        response = Client().get(path)

    assert response.status_code == 403 and EXPIRED in response.content.decode()


@pytest.mark.parametrize("token", ["x", "a" * 43, "../../admin", "%00" * 20])
def test_unknown_login_links_show_the_expired_page(db, token):
    response = Client().get(f"/shop/login/{token}")

    assert response.status_code in (403, 404)
    if response.status_code == 403:
        assert EXPIRED in response.content.decode()


def test_the_login_link_opens_a_cookie_of_its_own_apart_from_the_api_cookie(api, member):
    client = logged_in(api)

    assert MemberSession.objects.filter(member=member).count() == 2
    api_cookie = api.post("/api/v1/members/M-1/identification").json()["cookie"]["value"]
    assert client.cookies[COOKIE_NAME].value != api_cookie


def test_the_api_cookie_also_opens_the_shop(api, member):
    client = Client()
    client.cookies[COOKIE_NAME] = api.post("/api/v1/members/M-1/identification").json()["cookie"]["value"]

    assert MY_POINTS["en"] in page(client, "/shop/")


def test_the_shop_without_a_cookie_tells_the_member_to_come_through_the_partner(db):
    response = Client().get("/shop/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "partner" in html and 'data-page="welcome"' in html
    assert "points available" not in html


def test_an_expired_cookie_shows_the_expired_page_and_drops_the_cookie(api, member):
    client = logged_in(api)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        response = client.get("/shop/")

    assert response.status_code == 403
    assert EXPIRED in response.content.decode()
    assert response.cookies[COOKIE_NAME].value == ""  # deleted


def test_a_tampered_cookie_shows_the_expired_page(api, member):
    client = logged_in(api)
    value = client.cookies[COOKIE_NAME].value
    client.cookies[COOKIE_NAME] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")

    response = client.get("/shop/catalog")

    assert response.status_code == 403 and EXPIRED in response.content.decode()


def test_a_cookie_signed_for_another_programs_member_is_refused(api, member, other_program):
    other = MemberFactory(program=other_program, member_id="THEIRS")
    client = logged_in(api)
    key = client.cookies[COOKIE_NAME].value.split(":")[0]
    client.cookies[COOKIE_NAME] = signing.TimestampSigner(salt=f"members.session:{other.program_id}:{other.pk}").sign(
        key
    )

    response = client.get("/shop/")

    assert response.status_code == 403 and EXPIRED in response.content.decode()


def test_logout_ends_the_session(api, member):
    client = logged_in(api)
    old_value = client.cookies[COOKIE_NAME].value
    html = page(client, "/shop/")

    response = client.post("/shop/logout", {"csrfmiddlewaretoken": csrf_token(html)})

    assert response.status_code == 200 and "logged out" in response.content.decode()
    assert response.cookies[COOKIE_NAME].value == ""
    again = Client()
    again.cookies[COOKIE_NAME] = old_value
    assert again.get("/shop/").status_code == 403
    assert MemberSession.objects.get(member=member, revoked_at__isnull=False)


def test_forms_need_the_csrf_token(api, member, catalog):
    give_address(member)
    fund(member, 5000)
    client = Client(enforce_csrf_checks=True)
    client.get(login_url(api))
    html = page(client, "/shop/gifts/MUG/confirm")

    response = client.post("/shop/gifts/MUG/redeem", {"quantity": 1, "reference": reference_in(html)})
    logout = client.post("/shop/logout")

    assert response.status_code == 403 and logout.status_code == 403
    assert not Redemption.objects.exists()
    assert PointsBalance.objects.get(member=member).available == 5000


# --- pages -------------------------------------------------------------------------------------------------


def test_home_shows_available_pending_locked_and_points_expiring_soon(api, member, program):
    program.pending_days = 14
    program.save()
    PromotionFactory(program=program, code="BASE")
    fund(member, 1234, expires_at=timezone.now() + datetime.timedelta(days=20))
    fund(member, 300)
    earn(api, lines=[line(unit_price="40.00")])  # pending for 14 days
    client = logged_in(api)

    html = page(client, "/shop/")

    assert re.search(r'data-testid="available">1,534<', html)
    assert 'data-testid="pending">40<' in html and 'data-testid="locked">0<' in html
    assert "1,234 points expire on" in html
    assert "Hello Ann" in html


def test_numbers_and_dates_follow_the_language(api, member):
    fund(member, 1534, expires_at=datetime.datetime(2027, 1, 15, 12, tzinfo=datetime.UTC))
    client = logged_in(api)

    switch_language(client, "fr")
    french = page(client, "/shop/")
    switch_language(client, "nl")
    dutch = page(client, "/shop/")

    assert 'data-testid="available">1\xa0534<' in french  # a no-break space
    assert "15 janvier 2027" in french
    assert 'data-testid="available">1.534<' in dutch
    assert "15 januari 2027" in dutch


def test_every_shop_page_answers_in_all_four_languages(api, member, catalog):
    fund(member, 5000)
    client = logged_in(api)
    redemption_path = redeem(client, "V10")["Location"]
    paths = [
        "/shop/",
        "/shop/history",
        "/shop/history?page=2",
        "/shop/catalog",
        "/shop/catalog?category=HOME",
        "/shop/gifts/MUG",
        "/shop/gifts/LAMP",
        "/shop/gifts/MUG/confirm?quantity=2",
        redemption_path,
    ]

    for language in LANGUAGES:
        assert switch_language(client, language).status_code == 302
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (language, path)
            html = response.content.decode()
            assert f'<html lang="{language}">' in html, (language, path)
            assert MY_POINTS[language] in html, (language, path)
            assert response["Content-Language"] == language


def test_the_catalog_shows_names_in_the_members_language_and_what_is_affordable(api, member, catalog):
    fund(member, 1200)
    client = logged_in(api)
    switch_language(client, "fr")

    html = page(client, "/shop/catalog")

    assert "Tasse" in html and "Bon de 10 EUR" in html and "Maison" in html
    assert re.search(r'data-sku="MUG" data-affordable="true"', html)
    assert re.search(r'data-sku="V10" data-affordable="true"', html)
    assert re.search(r'data-sku="LAMP" data-affordable="false"', html)
    assert 'src="/media/mug.png"' in html


def test_the_catalog_leaves_out_gifts_not_on_offer_and_keeps_out_of_stock_ones(api, member, catalog, program):
    GiftFactory(program=program, sku="HIDDEN", validated=False)
    GiftFactory(program=program, sku="GONE", valid_until=timezone.now() - datetime.timedelta(days=1))
    GiftFactory(program=program, sku="EMPTY", stock=0)
    client = logged_in(api)

    html = page(client, "/shop/catalog")

    assert 'data-sku="HIDDEN"' not in html and 'data-sku="GONE"' not in html
    assert 'data-sku="EMPTY"' in html and "Out of stock" in html
    assert page(client, "/shop/gifts/HIDDEN", status=404)
    assert page(client, "/shop/gifts/NOPE", status=404)


def test_a_member_short_of_points_sees_not_affordable_and_cannot_redeem_by_posting_the_form(api, member, catalog):
    fund(member, 100)
    client = logged_in(api)

    gift_html = page(client, "/shop/gifts/MUG")
    confirm_html = page(client, "/shop/gifts/MUG/confirm")
    assert "Not affordable: 400 more points needed" in gift_html
    assert 'action="/shop/gifts/MUG/confirm"' not in gift_html
    assert 'action="/shop/gifts/MUG/redeem"' not in confirm_html

    hand_made = {
        "quantity": 1,
        "reference": "SHOP-" + "ab" * 16,
        "csrfmiddlewaretoken": csrf_token(confirm_html),
    }
    response = client.post("/shop/gifts/MUG/redeem", hand_made)

    assert response.status_code == 409
    assert "You do not have enough points for this gift." in response.content.decode()
    assert 'name="next" value="/shop/gifts/MUG/confirm?quantity=1"' in response.content.decode()
    assert not Redemption.objects.exists()
    assert PointsBalance.objects.get(member=member).available == 100
    assert not LedgerEntry.objects.filter(kind="redemption").exists()
    assert Gift.objects.get(sku="MUG").stock == 10


def test_a_bad_redeem_form_is_refused_without_spending(api, member, catalog):
    fund(member, 5000)
    client = logged_in(api)
    token = csrf_token(page(client, "/shop/"))

    for data in ({"quantity": 1, "reference": "POS-1"}, {"quantity": 0, "reference": "SHOP-" + "0" * 32}, {}):
        response = client.post("/shop/gifts/MUG/redeem", {**data, "csrfmiddlewaretoken": token})
        assert response.status_code == 400
    assert client.post("/shop/gifts/NOPE/redeem", {"csrfmiddlewaretoken": token}).status_code == 404
    assert client.get("/shop/gifts/MUG/redeem").status_code == 405
    assert PointsBalance.objects.get(member=member).available == 5000


def test_redeeming_a_physical_gift_through_the_confirmation_step(api, member, catalog):
    give_address(member)
    fund(member, 5000)
    client = logged_in(api)

    gift_html = page(client, "/shop/gifts/MUG")
    assert 'action="/shop/gifts/MUG/confirm"' in gift_html
    confirm_html = page(client, "/shop/gifts/MUG/confirm?quantity=2")
    assert "2 × Mug" in confirm_html and "1,000" in confirm_html and "4,000" in confirm_html
    response = redeem(client, "MUG", quantity=2)

    redemption = Redemption.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/shop/redemptions/{redemption.pk}"
    assert redemption.reference.startswith("SHOP-") and redemption.quantity == 2 and redemption.points == 1000
    assert PointsBalance.objects.get(member=member).available == 4000
    assert redemption.delivery == ADDRESS
    html = page(client, response["Location"])
    assert "Ordered" in html and "2 × Mug" in html and "Rue Neuve 1" in html


def test_sending_the_confirmation_twice_redeems_once(api, member, catalog):
    give_address(member)
    fund(member, 5000)
    client = logged_in(api)
    html = page(client, "/shop/gifts/MUG/confirm")
    data = {"quantity": 1, "reference": reference_in(html), "csrfmiddlewaretoken": csrf_token(html)}

    first = client.post("/shop/gifts/MUG/redeem", data)
    second = client.post("/shop/gifts/MUG/redeem", data)

    assert first["Location"] == second["Location"]
    assert Redemption.objects.count() == 1
    assert PointsBalance.objects.get(member=member).available == 4500


def test_a_voucher_shows_its_code_and_the_history_says_delivered_in_words(api, member, catalog):
    fund(member, 5000)
    client = logged_in(api)

    location = redeem(client, "V10")["Location"]
    html = page(client, location)

    voucher = Redemption.objects.get().voucher
    assert voucher.code in html and "Delivered" in html and "10.00 EUR" in html
    history = page(client, "/shop/history")
    assert "Gift redeemed" in history and "10 EUR voucher" in history
    assert re.search(r'data-kind="redemption" data-status="delivered"', history)
    assert '<span class="status status-delivered">Delivered</span>' in history
    switch_language(client, "fr")
    assert '<span class="status status-delivered">Livré</span>' in page(client, "/shop/history")


def test_the_voucher_code_appears_through_the_status_endpoint(api, member, catalog, monkeypatch):
    held = []
    monkeypatch.setattr("loyalty.core.queue.enqueue", lambda task, *args: held.append(args) or True)
    fund(member, 5000)
    client = logged_in(api)
    location = redeem(client, "V10")["Location"]

    html = page(client, location)
    status_url = re.search(r'data-poll-url="([^"]+)"', html).group(1)
    waiting = client.get(status_url).json()
    voucher_issue(redemption_id=held[0][0])
    issued = client.get(status_url).json()

    assert "being issued" in html
    assert waiting == {
        "status": "exchanged",
        "status_label": "Ordered",
        "voucher": {"status": "pending", "status_label": "Being issued", "code": "", "value": "", "expires_at": ""},
        "final": False,
    }
    assert issued["final"] is True and issued["status_label"] == "Delivered"
    assert issued["voucher"]["code"] == Redemption.objects.get().voucher.code
    assert issued["voucher"]["value"] == "10.00 EUR"
    assert "data-poll-url" not in page(client, location)


def test_the_status_endpoint_needs_the_session_and_the_members_own_redemption(api, member, catalog, program):
    other = MemberFactory(program=program, member_id="M-2")
    give_address(other)
    fund(other, 5000)
    theirs = redeem(logged_in(api, "M-2"), "MUG")["Location"]
    client = logged_in(api)

    assert client.get(theirs).status_code == 404
    assert client.get(theirs + "/status").status_code == 404
    assert Client().get(theirs + "/status").status_code == 401


def test_history_is_paginated_with_statuses_in_words(api, member):
    for n in range(25):
        fund(member, 10 + n)
    client = logged_in(api)

    first = page(client, "/shop/history")
    second = page(client, "/shop/history?page=2")

    assert first.count('data-kind="adjustment"') == 20 and second.count('data-kind="adjustment"') == 5
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "+34" in first and "+10" in second
    assert "Credited" in first
    assert page(client, "/shop/history?page=99").count("data-kind=") == 5  # the last page


def test_the_language_switch_keeps_to_the_programs_languages_and_to_the_shop(api, member, program):
    program.languages = ["en", "fr"]
    program.save()
    client = logged_in(api)

    assert switch_language(client, "it")["Location"] == "/shop/"
    assert MY_POINTS["en"] in page(client, "/shop/")
    assert switch_language(client, "fr", "https://evil.example/")["Location"] == "/shop/"
    assert switch_language(client, "fr", "/shop/catalog")["Location"] == "/shop/catalog"
    assert MY_POINTS["fr"] in page(client, "/shop/")
    assert MemberSession.objects.filter(member=member, language="fr").count() == 1
    assert member.__class__.objects.get(pk=member.pk).language == "en"  # the partner's profile is left alone


def test_the_shop_starts_in_the_members_language(api, program):
    MemberFactory(program=program, member_id="NL-1", language="nl")

    assert MY_POINTS["nl"] in page(logged_in(api, "NL-1"), "/shop/")


def test_static_assets_are_served_by_the_app(db):
    from django.contrib.staticfiles import finders

    for name in ("shop/shop.css", "shop/shop.js", "shop/favicon.svg"):
        assert finders.find(name), name
    html = Client().get("/shop/").content.decode()
    urls = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert urls and all(url.startswith(("/", "#")) and not url.startswith("//") for url in urls)


def test_uploaded_gift_images_show_in_the_catalog(api, member, catalog, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import GiftImage

    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    GiftImage.objects.create(gift=catalog["lamp"], file=SimpleUploadedFile("lamp.png", png, content_type="image/png"))
    client = logged_in(api)

    html = page(client, "/shop/catalog")

    assert f'src="/media/gifts/{catalog["lamp"].pk}/lamp.png"' in html
    assert f'src="/media/gifts/{catalog["lamp"].pk}/lamp.png"' in page(client, "/shop/gifts/LAMP")


def test_pages_load_their_data_in_a_few_queries_whatever_the_size(api, member, program, django_assert_max_num_queries):
    category = CategoryFactory(program=program, code="MANY")
    for n in range(20):
        GiftFactory(program=program, category=category, sku=f"G-{n:02d}", points=100 + n)
    give_address(member)
    fund(member, 5000)
    client = logged_in(api)
    for n in range(10):
        assert redeem(client, f"G-{n:02d}").status_code == 302

    for path in ("/shop/", "/shop/catalog", "/shop/catalog?category=MANY", "/shop/history"):
        with django_assert_max_num_queries(12):
            assert client.get(path).status_code == 200


# --- tiers ------------------------------------------------------------------------------------------------------


@pytest.fixture
def tiered(program):
    from programs.services import tier_save

    tier_save(program=program, code="SILVER", name={"en": "Silver", "fr": "Argent", "nl": "Zilver"}, threshold=100)
    tier_save(program=program, code="GOLD", name={"en": "Gold", "fr": "Or", "nl": "Goud"}, threshold=500)
    PromotionFactory(program=program, code="BASE", rate="1")


@pytest.mark.parametrize(
    ("language", "badge", "way"),
    [
        ("en", "Silver", "320 points to Gold"),
        ("fr", "Argent", "Encore 320 points pour Or"),
        ("nl", "Zilver", "Nog 320 punten tot Goud"),
        ("it", "Silver", "Ancora 320 punti per Gold"),  # no Italian names: the default language's
    ],
)
def test_the_home_page_shows_the_tier_badge_and_the_way_to_the_next(api, member, tiered, language, badge, way):
    earn(api, lines=[line(unit_price="180.00")])
    client = logged_in(api)
    switch_language(client, language)
    html = page(client, "/shop/")
    assert f'<span class="tier-badge" data-testid="tier">{badge}</span>' in html
    assert way in html
    assert '<progress class="tier-progress" max="500" value="180"' in html


def test_without_a_tier_the_page_shows_the_way_to_the_first(api, member, tiered):
    earn(api, lines=[line(unit_price="30.00")])
    html = page(logged_in(api), "/shop/")
    assert "No status yet" in html and "70 points to Silver" in html


def test_at_the_top_tier_there_is_no_bar(api, member, tiered):
    earn(api, lines=[line(unit_price="600.00")])
    html = page(logged_in(api), "/shop/")
    assert ">Gold</span>" in html and "You have the highest status." in html and "<progress" not in html


def test_a_program_without_tiers_shows_no_status_card(api, member):
    assert 'data-testid="tier-card"' not in page(logged_in(api), "/shop/")


def test_the_dutch_status_card_speaks_to_the_member_as_the_rest_of_the_shop_does(api, member, tiered):
    """The shop says "je" in Dutch; its status card alone said "u" ("Uw status", "U hebt de hoogste status")."""
    earn(api, lines=[line(unit_price="180.00")])
    client = logged_in(api)
    switch_language(client, "nl")

    card = re.search(r'<section class="card tier".*?</section>', page(client, "/shop/"), flags=re.S)[0]
    text = re.sub(r"<[^>]+>", " ", card)

    assert "Je status" in text and "die je de afgelopen 12 maanden verdiende" in text
    assert not re.search(r"\b[Uu]w?\b", text), text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "You have no points to spend at the moment."),
        ("fr", "Vous n'avez pas de points à dépenser pour le moment."),
        ("nl", "Je hebt momenteel geen punten om uit te geven."),
        ("it", "Al momento non hai punti da spendere."),
    ],
)
def test_a_balance_below_zero_has_nothing_to_spend(api, member, program, catalog, language, words):
    """A purchase returned after its points paid a gift leaves the balance below zero where the program allows it;
    the catalog said "You have -400 points to spend."."""
    program.allow_negative_balance = True
    program.save()
    PromotionFactory(program=program, code="BASE", rate="1")
    earn(api, reference="BUY", lines=[line(unit_price="600.00")])
    assert api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"}).status_code == 201
    assert api.post("/api/v1/transactions/BUY/reversal", {"reference": "RETURN"}).status_code == 201
    assert PointsBalance.objects.get(member=member).available == -500
    client = logged_in(api)
    switch_language(client, language)

    html = page(client, "/shop/catalog")

    assert f'<p class="lead">{words}</p>' in html
    assert "-500" not in html and "\u2212500" not in html


def test_a_mistyped_address_gets_the_shop_s_page_in_the_member_s_language(api, member):
    client = logged_in(api)
    switch_language(client, "fr")

    html = page(client, "/shop/histroy", status=404)

    assert 'data-page="not-found"' in html and "Cette page n'existe pas" in html.replace("&#x27;", "'")
    assert page(client, "/shop/gifts/MUG/nothing/here", status=404)
    # Without a session, the page that sends the member through the partner's site, as /shop/ itself (a 404).
    signed_out = Client().get("/shop/histroy")
    assert signed_out.status_code == 404 and 'data-page="not-found"' not in signed_out.content.decode()

"""The demo gifts' pictures: one PNG per gift shipped in the repository, uploaded by load_demo as the admin
would, listed by the catalog API as absolute URLs, served from /media/ and shown by the shop."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog.images import validate_gift_image
from catalog.models import Gift, GiftImage
from loyalty.demo.loader import DEMO_FILE, PICTURES_DIR
from members.identification import member_identify
from programs.models import Program
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

SKUS = sorted(g["sku"] for g in json.loads(DEMO_FILE.read_text(encoding="utf-8"))["gifts"])


def test_one_real_picture_per_demo_gift_is_shipped():
    shipped = sorted(path.stem for path in PICTURES_DIR.glob("*.png"))

    assert shipped == SKUS
    for sku in SKUS:
        content = (PICTURES_DIR / f"{sku}.png").read_bytes()
        validate_gift_image(SimpleUploadedFile(f"{sku}.png", content))  # what the admin's upload accepts
        assert 2_000 < len(content) < 100_000
        assert content[16:24] == (600).to_bytes(4, "big") + (400).to_bytes(4, "big")  # IHDR: 600 x 400, 3:2


def test_the_api_lists_the_pictures_as_absolute_urls_that_serve_the_png(media_root, first_run):
    output = first_run
    client_id = output.split("client_id:", 1)[1].split()[0]
    secret = output.split("client_secret:", 1)[1].split()[0]
    token = (
        Client()
        .post(
            "/oauth/token/", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        )
        .json()["access_token"]
    )

    assert GiftImage.objects.count() == len(SKUS) == Gift.objects.count()
    body = Client().get("/api/v1/gifts?limit=200", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    listed = {gift["sku"]: gift["images"] for gift in body["results"]}
    assert len(listed) >= 30  # the gifts on offer (not the unvalidated lamp, nor last summer's pass)
    for sku, images in listed.items():
        gift = Gift.objects.get(sku=sku)
        assert images == [f"http://testserver/media/gifts/{gift.pk}/{sku}.png"], sku
        response = Client().get(images[0].removeprefix("http://testserver"))
        assert response.status_code == 200 and response["Content-Type"] == "image/png", sku
        assert b"".join(response.streaming_content) == (PICTURES_DIR / f"{sku}.png").read_bytes()
        assert (media_root / "gifts" / str(gift.pk) / f"{sku}.png").is_file()  # under MEDIA_ROOT, like uploads


def test_the_shop_shows_the_pictures(first_run):
    program = Program.objects.get(code="DEMO")
    member = MemberFactory(program=program, member_id="PICTURES-1")

    browser = Client()
    browser.get(f"/shop/login/{member_identify(member=member).login_token}")
    page = browser.get("/shop/catalog").content.decode()

    mug = Gift.objects.get(program=program, sku="MUG-CLASSIC")
    assert f'<img src="/media/gifts/{mug.pk}/MUG-CLASSIC.png"' in page
    cards = page.count('<article class="gift-card')
    assert cards >= 20 and page.count('<img src="/media/gifts/') == cards  # every card on the page has its picture

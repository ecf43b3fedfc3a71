"""Uploaded files under MEDIA_ROOT, served at /media/ with DEBUG off (loyalty/media.py)."""

import os

import pytest
from django.test import Client, override_settings

from tests import django_process as dp

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    (root / "gifts" / "7").mkdir(parents=True)
    (root / "gifts" / "7" / "mug.png").write_bytes(PNG)
    (root / "gifts" / "7" / "page.html").write_text("<script>alert(1)</script>")
    (root / "gifts" / "7" / ".hidden.png").write_bytes(PNG)
    (tmp_path / "secret.txt").write_text("outside the media root")
    os.symlink(tmp_path / "secret.txt", root / "gifts" / "7" / "link.png")
    with override_settings(MEDIA_ROOT=root, DEBUG=False):
        yield root


def test_a_picture_is_served_inline_with_its_type(media_root):
    response = Client().get("/media/gifts/7/mug.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Length"] == str(len(PNG))
    assert "attachment" not in response.get("Content-Disposition", "")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Last-Modified"]


def test_head_and_conditional_get(media_root):
    first = Client().get("/media/gifts/7/mug.png")
    again = Client().get("/media/gifts/7/mug.png", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304
    assert Client().head("/media/gifts/7/mug.png").status_code == 200
    assert Client().post("/media/gifts/7/mug.png").status_code == 405


def test_anything_but_a_picture_is_a_download_never_rendered(media_root):
    response = Client().get("/media/gifts/7/page.html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/gifts/../../secret.txt",
        "/media/gifts/7/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/media/..%2fsecret.txt",
        "/media//etc/passwd",
        "/media/gifts/7/link.png",  # a link inside the root to a file outside it
        "/media/gifts/7/.hidden.png",
        "/media/gifts/7",  # a directory: no listing
        "/media/gifts/",
        "/media/gifts/7/missing.png",
        "/media/gifts/7/mug.png%00.txt",
    ],
)
def test_nothing_outside_the_files_under_the_root(media_root, path):
    assert Client().get(path).status_code == 404


def test_an_uploaded_gift_picture_is_shown_from_media(media_root, program):
    """Through the storage as the admin saves it, then over HTTP."""
    from django.core.files.base import ContentFile

    from catalog.models import GiftImage
    from tests.factories import GiftFactory

    gift = GiftFactory(program=program, sku="MUG")
    image = GiftImage.objects.create(gift=gift, file=ContentFile(PNG, name="mug.png"))
    assert image.file.url.startswith("/media/gifts/")
    response = Client().get(image.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_media_served_in_a_production_process(tmp_path):
    """DEBUG off as deployed (settings from the environment): served, and traversal refused."""
    root = tmp_path / "media"
    (root / "gifts" / "3").mkdir(parents=True)
    (root / "gifts" / "3" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    (tmp_path / "secret.txt").write_text("no")
    env = dp.production_environment(tmp_path)
    answers = dp.get(
        ["/media/gifts/3/photo.jpg", "/media/../secret.txt", "/media/gifts/3/../../../secret.txt"],
        env,
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert answers["/media/gifts/3/photo.jpg"]["status"] == 200
    assert answers["/media/gifts/3/photo.jpg"]["headers"]["Content-Type"] == "image/jpeg"
    assert answers["/media/gifts/3/photo.jpg"]["body"].encode("latin-1").startswith(b"\xff\xd8\xff")
    assert answers["/media/../secret.txt"]["status"] == 404
    assert answers["/media/gifts/3/../../../secret.txt"]["status"] == 404

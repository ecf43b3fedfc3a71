"""A member's browser in the webshop's tests: log in through the partner API, read pages, post the forms."""

import re
from urllib.parse import urlsplit

from django.test import Client, TestCase

ADDRESS = {
    "name": "Ann Peeters",
    "street": "Rue Neuve 1",
    "postal_code": "1000",
    "city": "Brussels",
    "country": "BE",
    "phone": None,
}


def give_address(member) -> None:
    """Physical gifts need a delivery address at the confirm step."""
    member.address = ADDRESS
    member.save(update_fields=["address"])


def login_url(api, member_id: str = "M-1") -> str:
    response = api.post(f"/api/v1/members/{member_id}/identification")
    assert response.status_code == 201, response.content
    return urlsplit(response.json()["login_url"]).path


def logged_in(api, member_id: str = "M-1") -> Client:
    client = Client()
    response = client.get(login_url(api, member_id))
    assert response.status_code == 302 and response["Location"] == "/shop/"
    return client


def page(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def reference_in(html: str) -> str:
    return re.search(r'name="reference" value="(SHOP-[0-9a-f]{32})"', html).group(1)


def switch_language(client: Client, language: str, next_path: str = "/shop/"):
    html = page(client, "/shop/")
    return client.post(
        "/shop/language", {"language": language, "next": next_path, "csrfmiddlewaretoken": csrf_token(html)}
    )


def redeem(client: Client, sku: str, quantity: int = 1):
    """Confirms and posts the redeem form; after-commit work (the voucher task) runs as after a real request."""
    html = page(client, f"/shop/gifts/{sku}/confirm?quantity={quantity}")
    data = {"quantity": quantity, "reference": reference_in(html), "csrfmiddlewaretoken": csrf_token(html)}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/shop/gifts/{sku}/redeem", data)

"""Control characters in a path parameter answer the envelope's 404 and never reach the database
(PostgreSQL refuses NUL in text: it used to be a 500 there)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/members/a%00b"),
        ("get", "/api/v1/members/a%00b/transactions"),
        ("get", "/api/v1/members/a%00/expiring"),
        ("get", "/api/v1/members/a%00/promotions"),
        ("get", "/api/v1/events/a%00b"),
        ("put", "/api/v1/segments/a%00b/members/M-1"),
        ("put", "/api/v1/segments/VIP/members/a%1fb"),
        ("put", "/api/v1/promotions/a%00/segments/b"),
        ("get", "/api/v1/vouchers/a%00"),
        ("post", "/api/v1/points/locks/a%00/release"),
        ("get", "/api/v1/gifts/a%00"),
        ("post", "/api/v1/transactions/a%00/reversal"),
    ],
)
def test_control_characters_in_a_path_are_not_found(api, member, method, path):
    response = getattr(api, method)(path)
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"

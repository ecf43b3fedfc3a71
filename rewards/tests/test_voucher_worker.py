"""A voucher gift redeemed through a real Redis broker and a real Celery worker process."""

import pytest

from catalog.models import Gift
from conftest import ApiClient, issue_token
from rewards.models import Redemption, Voucher
from tests.celery_worker import wait_for
from tests.factories import GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_voucher_is_issued_by_the_worker(celery_worker):
    program = ProgramFactory(code="WORK")
    member = MemberFactory(program=program, member_id="M-1")
    GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)
    fund(member, 100)
    api = ApiClient(issue_token(program))
    r = api.post("/api/v1/redemptions", {"reference": "R1", "member_id": "M-1", "gift": "V10"})
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    wait_for(lambda: Voucher.objects.filter(redemption_id=rid).exists(), timeout=30)
    detail = api.get(f"/api/v1/redemptions/{rid}").json()
    assert detail["status"] == "delivered"
    assert detail["voucher"]["status"] == "issued"
    assert Redemption.objects.get(pk=rid).status_changes.count() == 2


def test_the_request_id_travels_with_the_work_the_request_enqueued(celery_worker):
    program = ProgramFactory(code="TRACE")
    member = MemberFactory(program=program, member_id="M-1")
    GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)
    fund(member, 100)
    api = ApiClient(issue_token(program))
    r = api.post(
        "/api/v1/redemptions",
        {"reference": "R1", "member_id": "M-1", "gift": "V10"},
        HTTP_X_REQUEST_ID="till-12:sale-0042",
    )
    assert r.status_code == 201, r.content
    assert r["X-Request-Id"] == "till-12:sale-0042"
    rid = r.json()["id"]
    line = f"[till-12:sale-0042] Voucher ready for redemption {rid}."
    wait_for(lambda: line in celery_worker.log_path.read_text(), timeout=30)

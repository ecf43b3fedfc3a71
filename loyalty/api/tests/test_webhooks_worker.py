"""Webhook deliveries with a real Redis broker and worker processes: a broker outage during the change, and a
worker SIGKILLed in the middle of a delivery. At least once, in both."""

import json
import time

import pytest

from conftest import ApiClient, issue_token
from loyalty.api.tests.test_webhooks import Receiver
from programs.models import WebhookDelivery
from programs.tasks import sweep_webhooks
from tests.celery_worker import Worker, wait_for
from tests.factories import ProgramFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE_URLS": "true", "WEBHOOK_LEASE_SECONDS": "3"}


@pytest.fixture
def hooked(settings, transactional_db):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    receiver = Receiver()
    program = ProgramFactory(code="WH")
    api = ApiClient(issue_token(program))
    response = api.post("/api/v1/webhooks", {"url": receiver.url, "events": ["member.enrolled"]})
    assert response.status_code == 201, response.content
    yield api, receiver
    receiver.close()


def enrol(api, member_id: str) -> None:
    response = api.post("/api/v1/members", {"member_id": member_id})
    assert response.status_code == 201, response.content


def test_an_event_recorded_while_the_broker_is_down_is_delivered_once_it_is_back(hooked, celery_broker, tmp_path):
    from conftest import _reset_pool
    from loyalty.celery import app

    api, receiver = hooked
    app.conf.update(broker_url="redis://127.0.0.1:1/0")  # nothing listens there
    _reset_pool(app)
    started = time.monotonic()
    enrol(api, "DOWN-1")  # the partner gets its 201 at once; the delivery waits in the outbox
    assert time.monotonic() - started < 10
    assert WebhookDelivery.objects.get().status == "pending" and receiver.requests == []
    app.conf.update(broker_url=celery_broker)
    _reset_pool(app)
    worker = Worker(celery_broker, tmp_path / "worker.log", WORKER_ENV)
    worker.start()
    try:
        assert sweep_webhooks.apply(kwargs={"late_seconds": 0}).get() == 1
        wait_for(lambda: WebhookDelivery.objects.get().status == "delivered")
    finally:
        worker.stop()
    assert [json.loads(r["body"])["data"]["member_id"] for r in receiver.requests] == ["DOWN-1"]


def test_a_worker_killed_mid_delivery_leaves_it_to_be_delivered_again(hooked, celery_broker, tmp_path):
    api, receiver = hooked
    receiver.delay = 20.0  # the first attempt is still waiting for its answer when the worker dies
    worker = Worker(celery_broker, tmp_path / "worker1.log", WORKER_ENV)
    worker.start()
    try:
        enrol(api, "KILL-1")
        wait_for(lambda: len(receiver.requests) == 1)
        worker.kill()
    finally:
        worker.stop()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 0 and delivery.leased_until is not None
    receiver.delay = 0
    restarted = Worker(celery_broker, tmp_path / "worker2.log", WORKER_ENV)
    restarted.start()
    try:
        time.sleep(3.5)  # the dead worker's hold expires
        assert sweep_webhooks.apply(kwargs={"late_seconds": 0}).get() == 1
        wait_for(lambda: WebhookDelivery.objects.get().status == "delivered", timeout=30)
    finally:
        restarted.stop()
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    # At least once: the receiver saw the event twice, with one id to deduplicate by.
    assert len(bodies) == 2 and bodies[0]["id"] == bodies[1]["id"]
    assert WebhookDelivery.objects.get().attempts == 1

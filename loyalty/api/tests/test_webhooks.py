"""Webhooks over the API, delivered to a real HTTP receiver on 127.0.0.1 and verified with `standardwebhooks`."""

import datetime
import http.server
import json
import socket
import threading
import time

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from programs import webhook_services, webhooks
from programs.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from programs.tasks import sweep_webhooks
from rewards.models import PointsBalance
from tests.factories import EventTypeFactory, GiftFactory, PromotionFactory
from tests.helpers import earn, fund, line

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP endpoint that records what it receives and answers the statuses it is told to, in turn."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body.decode(), "path": self.path})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks" if status < 300 else b"not now")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?src=loyalty"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver is on 127.0.0.1, over plain HTTP
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what a request queues on commit (the delivery tasks run eagerly in the tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def subscribe(api, url, events, **extra):
    response = api.post("/api/v1/webhooks", {"url": url, "events": events, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def verified(receiver: Receiver, secret: str, index: int = -1) -> dict:
    request = receiver.requests[index]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    return Webhook(secret).verify(request["body"], headers)


# --- subscriptions ----------------------------------------------------------------------------------------------


def test_subscribe_list_and_delete(api, other_api, receiver):
    created = subscribe(api, receiver.url, ["points.earned", "member.enrolled"], description="CRM")
    assert created["secret"].startswith("whsec_") and created["status"] == "active"
    assert set(created) == {"id", "url", "events", "description", "status", "secret", "created_at"}
    listed = api.get("/api/v1/webhooks").json()
    assert listed["results"] == [{k: v for k, v in created.items() if k != "secret"}]
    assert other_api.get("/api/v1/webhooks").json()["results"] == []  # another program's client
    assert other_api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 404
    assert api.get(f"/api/v1/webhooks/{created['id']}/deliveries").json() == {"results": [], "next": None}
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert api.get("/api/v1/webhooks").json()["results"] == []
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 404


def test_another_client_of_the_same_program_does_not_see_the_subscription(api, api_for, program, receiver):
    subscribe(api, receiver.url, ["points.earned"])
    assert api_for(program).get("/api/v1/webhooks").json()["results"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://hooks.example.com/x", "events": ["points.earnd"]}, "events"),
        ({"url": "https://hooks.example.com/x", "events": []}, "events"),
        ({"url": "https://hooks.example.com/x"}, "events"),
        ({"url": "https://hooks.example.com/x", "events": ["points.earned"], "secret": "mine"}, "secret"),
        ({"url": "http://hooks.example.com/x", "events": ["points.earned"]}, "url"),
        ({"url": "https://127.0.0.1/x", "events": ["points.earned"]}, "url"),
        ({"url": "https://10.1.2.3/x", "events": ["points.earned"]}, "url"),
        ({"url": "https://192.168.0.10/x", "events": ["points.earned"]}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data", "events": ["points.earned"]}, "url"),
        ({"url": "https://[::1]/x", "events": ["points.earned"]}, "url"),
        ({"url": "https://[::ffff:10.0.0.1]/x", "events": ["points.earned"]}, "url"),
        ({"url": "https://localhost/x", "events": ["points.earned"]}, "url"),
        ({"url": "ftp://hooks.example.com/x", "events": ["points.earned"]}, "url"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_field_named(api, body, field):
    response = api.post("/api/v1/webhooks", body)
    assert response.status_code == 400, response.content
    assert field in {key.split(".")[0] for key in response.json()["error"]["fields"]}, response.json()
    assert not WebhookSubscription.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused(api, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("10.9.8.7", 443))])
    response = api.post("/api/v1/webhooks", {"url": "https://inside.example.com/x", "events": ["points.earned"]})
    assert response.status_code == 400 and "url" in response.json()["error"]["fields"]


def test_the_scope_is_needed(api_for, program):
    reader = api_for(program, "program:read")
    assert reader.get("/api/v1/webhooks").status_code == 403


# --- delivery ---------------------------------------------------------------------------------------------------


def test_a_cache_that_does_not_answer_costs_a_query_not_the_write(api, member, receiver, caplog):
    """Redis down: subscribing, earning and redeeming still answer (the multi-node run's Redis stop gave 500s when
    the subscriptions were read from the cache only); the event is recorded for the subscription."""
    from django.core.cache import cache
    from django.test import override_settings

    PromotionFactory(program=member.program, code="BASE", rate="1")
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=dead):
        created = subscribe(api, receiver.url, ["points.earned", "redemption.created"])
        answer = earn(api, lines=[line(unit_price="12.00")])
        GiftFactory(program=member.program, sku="MUG", points=5, stock=5)
        redeemed = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": member.member_id, "gift": "MUG"})
        assert redeemed.status_code == 201, redeemed.content
    events = WebhookEvent.objects.order_by("created_at")
    assert [e.type for e in events] == ["points.earned", "redemption.created"] and events[0].data == answer
    assert WebhookDelivery.objects.filter(subscription_id=created["id"]).count() == 2
    assert any("Webhook subscription cache unavailable" in r.getMessage() for r in caplog.records)
    cache.clear()


def test_an_earn_is_delivered_signed_with_the_earn_answer(api, member, receiver, committed):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    created = subscribe(api, receiver.url, ["points.earned"])
    with committed():
        answer = earn(api, lines=[line(unit_price="12.00")])
    assert len(receiver.requests) == 1
    body = verified(receiver, created["secret"])
    assert body["type"] == "points.earned" and body["program"] == "DEMO"
    assert body["data"] == answer
    assert body["id"].startswith("msg_") and receiver.requests[0]["headers"]["webhook-id"] == body["id"]
    assert receiver.requests[0]["path"] == "/hooks?src=loyalty"
    deliveries = api.get(f"/api/v1/webhooks/{created['id']}/deliveries").json()["results"]
    assert deliveries == [
        {
            "id": deliveries[0]["id"],
            "event_id": body["id"],
            "type": "points.earned",
            "status": "delivered",
            "attempts": 1,
            "last_status_code": 200,
            "next_attempt_at": None,
            "created_at": deliveries[0]["created_at"],
        }
    ]


@pytest.mark.postgres
def test_an_earn_reads_its_subscriptions_with_the_balance_row_not_from_the_cache(
    api, other_api, member, receiver, monkeypatch
):
    """On PostgreSQL the earn's lock statement reads the ids of the program's active subscriptions to
    points.earned: a deleted, a disabled, another type's and another program's subscription get nothing."""
    PromotionFactory(program=member.program, code="BASE", rate="1")
    wanted = subscribe(api, receiver.url, ["member.enrolled", "points.earned"])
    subscribe(api, receiver.url, ["points.reversed"])
    deleted = subscribe(api, receiver.url, ["points.earned"])
    assert api.delete(f"/api/v1/webhooks/{deleted['id']}").status_code == 204
    disabled = subscribe(api, receiver.url, ["points.earned"])
    WebhookSubscription.objects.filter(pk=disabled["id"]).update(status=WebhookSubscription.DISABLED)
    subscribe(other_api, receiver.url, ["points.earned"])

    def no_cache(program_id):
        raise AssertionError("the earn asked the cache")

    monkeypatch.setattr(webhooks, "_subscribed", no_cache)
    answer = earn(api, lines=[line(unit_price="12.00")])
    event = WebhookEvent.objects.get(type="points.earned")
    assert event.data == answer
    assert list(WebhookDelivery.objects.filter(event=event).values_list("subscription_id", flat=True)) == [wanted["id"]]


def test_a_forged_or_altered_delivery_does_not_verify(api, member, receiver, committed):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    created = subscribe(api, receiver.url, ["points.earned"])
    with committed():
        earn(api)
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    with pytest.raises(Exception, match="signature"):
        Webhook(created["secret"]).verify(request["body"].replace('"points"', '"pointz"'), headers)
    other = subscribe(api, receiver.url, ["points.earned"])["secret"]
    with pytest.raises(Exception, match="signature"):
        Webhook(other).verify(request["body"], headers)


def test_the_secret_is_not_in_the_database(api, receiver):
    created = subscribe(api, receiver.url, ["points.earned"])
    stored = WebhookSubscription.objects.values().get()
    assert not any(created["secret"] in str(value) for value in stored.values())
    assert not any(created["secret"][6:] in str(value) for value in stored.values())


def test_a_rolled_back_change_has_no_event(api, member, receiver, program):
    subscribe(api, receiver.url, ["points.expired", "member.enrolled"])
    from rewards.services.enrolment import member_enrol

    with pytest.raises(RuntimeError), transaction.atomic():
        member_enrol(program=program, member_id="GHOST")
        assert WebhookEvent.objects.count() == 1
        raise RuntimeError("rolled back")
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_program_without_subscriptions_records_nothing(api, member, committed):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    with committed():
        earn(api)
    assert not WebhookEvent.objects.exists()


def test_a_failing_receiver_is_retried_with_growing_delays_until_it_answers(api, member, receiver, committed):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    created = subscribe(api, receiver.url, ["points.earned"])
    receiver.statuses = [500, 503]
    with committed():
        earn(api)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert datetime.timedelta(seconds=20) <= first_wait <= datetime.timedelta(seconds=60)  # within a minute
    assert webhook_services.delivery_attempt(delivery_id=delivery.pk) is None  # not due yet
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        second = webhook_services.delivery_attempt(delivery_id=delivery.pk)
    assert (second.status, second.attempts, second.last_status_code) == ("pending", 2, 503)
    assert second.next_attempt_at - second.last_attempt_at > first_wait
    with time_machine.travel(second.next_attempt_at + datetime.timedelta(seconds=1)):
        third = webhook_services.delivery_attempt(delivery_id=delivery.pk)
    assert (third.status, third.attempts, third.last_status_code) == ("delivered", 3, 200)
    bodies = receiver.bodies()
    assert len(bodies) == 3 and len({b["id"] for b in bodies}) == 1  # the same event: receivers dedupe by id
    verified(receiver, created["secret"])
    assert WebhookSubscription.objects.get().failing_since is None


def test_a_receiver_that_times_out_is_a_failed_attempt(api, member, receiver, committed, monkeypatch):
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    PromotionFactory(program=member.program, code="BASE", rate="1")
    subscribe(api, receiver.url, ["points.earned"])
    receiver.delay = 1.0
    with committed():
        earn(api)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "Timeout" in delivery.last_error or "timed out" in delivery.last_error, delivery.last_error


def test_after_24_hours_of_failures_the_delivery_fails_and_after_3_days_the_subscription_is_disabled(
    api, api_for, member, receiver, committed
):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    subscribe(api, receiver.url, ["points.earned"])
    receiver.statuses = [500] * 100
    with committed():
        earn(api)
    delivery = WebhookDelivery.objects.get()
    while delivery.status == "pending":
        with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
            delivery = webhook_services.delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert (
        datetime.timedelta(hours=24) <= delivery.last_attempt_at - delivery.created_at <= datetime.timedelta(hours=32)
    )
    assert delivery.attempts >= 8
    # Three days of nothing but failures: the subscription stops.
    start = timezone.now() + datetime.timedelta(days=3, hours=1)
    with time_machine.travel(start), committed():
        earn(api_for(member.program))  # a token of that day
    subscription = WebhookSubscription.objects.get()
    assert subscription.status == "disabled" and "3 days" in subscription.disabled_reason
    assert api.get("/api/v1/webhooks").json()["results"][0]["status"] == "disabled"


def test_deleting_stops_pending_deliveries_at_once(api, member, receiver, committed):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    created = subscribe(api, receiver.url, ["points.earned"])
    receiver.statuses = [500]
    with committed():
        earn(api)
    api.delete(f"/api/v1/webhooks/{created['id']}")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        assert webhook_services.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1


def test_the_sweeper_queues_what_a_lost_message_or_a_dead_worker_left(api, member, receiver):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    subscribe(api, receiver.url, ["points.earned"])
    earn(api)  # the test's transaction never commits: the delivery task was never sent, as with a broker down
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=5),
        leased_until=timezone.now() - datetime.timedelta(seconds=1),  # a worker died holding it
    )
    assert sweep_webhooks() == 1  # eager in the tests: the delivery runs now
    assert WebhookDelivery.objects.get().status == "delivered" and len(receiver.requests) == 1
    assert sweep_webhooks() == 0


def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(api, member, committed, monkeypatch, settings):
    PromotionFactory(program=member.program, code="BASE", rate="1")
    public = [(socket.AF_INET, 1, 6, "", ("93.184.216.34", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: public)
    subscribe(api, "https://hooks.example.com/x", ["points.earned"])
    # The name now points inside (a DNS change after the subscription): the delivery is not made.
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("10.0.0.5", 443))])
    with committed():
        earn(api)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and "non-public" in delivery.last_error and delivery.last_status_code is None


# --- every type, with its data ----------------------------------------------------------------------------------


def test_each_event_type_carries_the_api_s_shape(api, program, member, receiver, committed):
    from programs.services import tier_save
    from rewards.services.clock import expire_points

    PromotionFactory(program=program, code="BASE", rate="1")
    tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=50)
    EventTypeFactory(program=program, code="SURVEY", points=5, per_day_limit=1, lifetime_limit=None)
    GiftFactory(program=program, sku="V10", type="voucher", points=10, value="10.00", voucher_valid_days=30)
    GiftFactory(program=program, sku="MUG", points=10, stock=5)
    created = subscribe(api, receiver.url, list(webhooks.EVENT_TYPES[:2]) + list(webhooks.EVENT_TYPES[4:]))

    def last(event_type):
        found = [b for b in receiver.bodies() if b["type"] == event_type]
        assert found, (event_type, [b["type"] for b in receiver.bodies()])
        return found[-1]["data"]

    with committed():
        enrolled = api.post("/api/v1/members", {"member_id": "W-1"}).json()
    assert last("member.enrolled") == enrolled
    with committed():
        earned = earn(api, member_id="W-1", lines=[line(unit_price="60.00")], reference="E-1")
    assert last("points.earned") == earned
    assert last("member.tier_changed") == api.get("/api/v1/members/W-1").json()
    assert last("member.tier_changed")["tier"]["code"] == "SILVER"
    with committed():
        reversed_ = api.post("/api/v1/transactions/E-1/reversal", {"reference": "R-1"}).json()
    assert last("points.reversed") == reversed_
    with committed():
        for reference in ("EV-1", "EV-2"):
            api.post("/api/v1/events", {"reference": reference, "member_id": "M-1", "event_type": "SURVEY"})
    assert last("event.rewarded") == api.get("/api/v1/events/EV-1").json()
    assert last("event.rejected") == api.get("/api/v1/events/EV-2").json()
    fund(member, 100)
    with committed():
        mug = api.post("/api/v1/redemptions", {"reference": "RD-1", "member_id": "M-1", "gift": "MUG"}).json()
    assert last("redemption.created") == mug
    with committed():
        moved = api.post(f"/api/v1/redemptions/{mug['id']}/status", {"status": "in_preparation"}).json()
    assert last("redemption.status_changed") == moved
    with committed():
        voucher = api.post("/api/v1/redemptions", {"reference": "RD-2", "member_id": "M-1", "gift": "V10"}).json()
    issued = api.get(f"/api/v1/redemptions/{voucher['id']}").json()
    assert last("voucher.issued") == issued and issued["voucher"]["code"]
    fund(member, 7, expires_at=timezone.now() + datetime.timedelta(minutes=1))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)), committed():
        expire_points()
    balance = PointsBalance.objects.get(member=member)
    assert last("points.expired") == {"member_id": "M-1", "points": 7, "balance": balance.as_dict()}
    for index in range(len(receiver.requests)):
        verified(receiver, created["secret"], index)
    assert WebhookDelivery.objects.exclude(status="delivered").count() == 0

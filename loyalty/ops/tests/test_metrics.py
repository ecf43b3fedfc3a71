"""/metrics: the token, the request figures by route, the business figures of the moment."""

import datetime

import pytest
import redis
from django.utils import timezone

from catalog.models import Gift
from conftest import ApiClient, issue_token
from loyalty.ops.business import KOMBU_PRIORITY_SEP, queue_names
from loyalty.ops.tests.helpers import sample, samples
from rewards.models import Event, Redemption
from rewards.rules import clear_cache
from rewards.services.events import event_reward
from tests.factories import EventTypeFactory, GiftFactory, MemberFactory, PromotionFactory
from tests.helpers import earn, fund, line

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_without_a_token_setting_there_is_no_metrics_route(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"]
)
def test_a_missing_or_wrong_token_is_401(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"loyalty_" not in response.content


def test_the_right_token_gets_the_prometheus_text(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE loyalty_http_requests_total counter" in response.content.decode()
    assert "no-cache" in response["Cache-Control"]


def test_requests_are_counted_by_route_name_method_and_status(client, token, api, member):
    before = scrape(client)
    for _ in range(3):
        assert api.get("/api/v1/program").status_code == 200
    assert api.get("/api/v1/members/M-1").status_code == 200
    assert api.get("/api/v1/members/NOBODY-42").status_code == 404
    assert api.get("/api/v1/no/such/route").status_code == 404
    assert client.get("/healthz").status_code == 200
    after = scrape(client)

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("loyalty_http_requests_total", route="program", method="GET", status="200") == 3
    assert delta("loyalty_http_requests_total", route="member", method="GET", status="200") == 1
    assert delta("loyalty_http_requests_total", route="member", method="GET", status="404") == 1
    assert delta("loyalty_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert delta("loyalty_http_requests_total", route="healthz", method="GET", status="200") == 1
    # The scrape before this one is counted too (after it answered).
    assert delta("loyalty_http_requests_total", route="metrics", method="GET", status="200") == 1
    # Route names, never raw paths: no member id, no unknown path in any label.
    assert "NOBODY-42" not in after and "no/such" not in after
    assert delta("loyalty_http_request_duration_seconds_count", route="program", method="GET") == 3
    assert delta("loyalty_http_request_duration_seconds_sum", route="program", method="GET") > 0
    # Database queries per request: counted and timed (the token look-up at least), none for a liveness probe.
    assert delta("loyalty_http_request_db_queries_count", route="program") == 3
    assert delta("loyalty_http_request_db_queries_sum", route="program") >= 3
    assert delta("loyalty_http_request_db_duration_seconds_sum", route="program") > 0
    assert delta("loyalty_http_request_db_queries_count", route="healthz") == 1
    assert delta("loyalty_http_request_db_queries_sum", route="healthz") == 0
    assert delta("loyalty_http_request_db_queries_bucket", route="healthz", le="0.0") == 1


def test_business_figures_are_what_the_database_holds(client, token, program, other_program, member):
    clear_cache()
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    PromotionFactory(program=other_program, code="BASE", kind="spend", rate="1")
    api = ApiClient(issue_token(program))
    other_api = ApiClient(issue_token(other_program))
    MemberFactory(program=other_program, member_id="M-1")
    earn(api, lines=[line(unit_price="10.00")])
    earn(api, lines=[line(unit_price="25.00")])
    earn(other_api, lines=[line(unit_price="7.00")])
    fund(member, 1000)
    GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)
    GiftFactory(program=program, sku="MUG", points=50, stock=5)
    # The test's transaction never commits: the voucher task (enqueued on commit) never runs, as with a broker down.
    voucher = api.post("/api/v1/redemptions", {"reference": "R-V", "member_id": "M-1", "gift": "V10"})
    assert voucher.status_code == 201, voucher.content
    mug = api.post("/api/v1/redemptions", {"reference": "R-M", "member_id": "M-1", "gift": "MUG"})
    assert api.post(f"/api/v1/redemptions/{mug.json()['id']}/cancel").status_code == 200
    EventTypeFactory(program=program, code="SURVEY", points=40)
    for reference in ("EV-1", "EV-2"):
        body = {"reference": reference, "member_id": "M-1", "event_type": "SURVEY"}
        assert api.post("/api/v1/events", body).status_code == 202
    event_reward(event_id=Event.objects.get(reference="EV-1").pk)
    now = timezone.now()
    Event.objects.filter(reference="EV-2").update(created_at=now - datetime.timedelta(seconds=120))
    Redemption.objects.filter(reference="R-V").update(created_at=now - datetime.timedelta(seconds=300))

    text = scrape(client)

    assert sample(text, "loyalty_business_metrics_up") == 1
    points = {(labels["program"], labels["kind"]): value for labels, value in samples(text, "loyalty_ledger_points")}
    assert points == {
        ("DEMO", "earn"): 35,
        ("DEMO", "adjustment"): 1000,
        ("DEMO", "redemption"): -150,
        ("DEMO", "refund"): 50,
        ("DEMO", "event"): 40,
        ("OTHER", "earn"): 7,
    }
    assert sample(text, "loyalty_ledger_entries", program="DEMO", kind="earn") == 2
    assert sample(text, "loyalty_ledger_entries", program="DEMO", kind="redemption") == 2
    assert sample(text, "loyalty_earns", program="DEMO") == 2
    assert sample(text, "loyalty_earns", program="OTHER") == 1
    redemptions = {labels["status"]: value for labels, value in samples(text, "loyalty_redemptions")}
    assert redemptions == {"exchanged": 1, "cancelled": 1}
    events = {labels["status"]: value for labels, value in samples(text, "loyalty_events")}
    assert events == {"accepted": 1, "rewarded": 1}
    assert 120 <= sample(text, "loyalty_oldest_accepted_event_age_seconds") < 180
    assert 300 <= sample(text, "loyalty_oldest_waiting_voucher_age_seconds") < 360
    # Without a broker there are no queues to measure.
    assert "loyalty_celery_queue_length" not in text


def test_nothing_waiting_is_an_age_of_zero(client, token):
    text = scrape(client)
    assert sample(text, "loyalty_oldest_accepted_event_age_seconds") == 0
    assert sample(text, "loyalty_oldest_waiting_voucher_age_seconds") == 0
    assert samples(text, "loyalty_earns") == []


def test_celery_queue_lengths_on_the_redis_broker(client, token, settings, redis_server):
    settings.CELERY_BROKER_URL = f"{redis_server.url}/11"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    names = queue_names()
    default = names[0] if "celery" not in names else "celery"
    broker.lpush(default, "m1", "m2", "m3")
    broker.lpush(f"{default}{KOMBU_PRIORITY_SEP}6", "urgent")
    text = scrape(client)
    assert sample(text, "loyalty_celery_broker_up") == 1
    lengths = {labels["queue"]: value for labels, value in samples(text, "loyalty_celery_queue_length")}
    assert set(lengths) == set(names)
    assert lengths[default] == 4
    assert sum(lengths.values()) == 4

    redis_server.kill()
    text = scrape(client)
    assert sample(text, "loyalty_celery_broker_up") == 0
    assert "loyalty_celery_queue_length" not in text
    # The rest of the scrape is unaffected.
    assert sample(text, "loyalty_business_metrics_up") == 1

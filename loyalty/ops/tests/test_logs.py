"""Log lines: JSON objects with the request id and what is known of the caller; one line per request; the
request id in the lines of the tasks a request enqueued (a real worker process); text for development."""

import datetime
import io
import json
import logging
import os
import subprocess
import sys

import httpx
import pytest

from catalog.models import Gift
from conftest import ApiClient, issue_token
from loyalty.ops.logs import JsonFormatter
from programs.models import ApiClient as ApiClientModel
from rewards.rules import clear_cache
from tests.celery_worker import ROOT, Worker, wait_for
from tests.factories import GiftFactory, MemberFactory, ProgramFactory, PromotionFactory
from tests.helpers import basket, fund
from tests.live_server import client_token, live_api_client


@pytest.fixture
def json_lines():
    """Every record logged during the test, as the JSON console handler writes it; call it to read them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def request_lines(lines, request_id):
    return [line for line in lines if line["logger"] == "loyalty.request" and line["request_id"] == request_id]


@pytest.mark.django_db
def test_a_request_logs_one_json_line_with_route_status_duration_and_caller(json_lines, program, member):
    clear_cache()
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    api = ApiClient(issue_token(program))
    client_id = ApiClientModel.objects.get(program=program).application.client_id
    response = api.post("/api/v1/transactions/earn", basket(reference="POS-LOG"), HTTP_X_REQUEST_ID="till-3:log-1")
    assert response.status_code == 201, response.content

    lines = json_lines()
    [line] = request_lines(lines, "till-3:log-1")
    assert list(line)[:5] == ["timestamp", "level", "logger", "message", "request_id"]
    assert datetime.datetime.fromisoformat(line["timestamp"]).utcoffset() == datetime.timedelta(0)
    assert line["level"] == "INFO"
    assert line["method"] == "POST"
    assert line["route"] == "earn"
    assert line["status"] == 201
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["db_queries"] > 0
    assert line["program"] == "DEMO"
    assert line["client_id"] == client_id
    assert line["member_id"] == "M-1"
    assert line["message"].startswith("POST earn 201 ")


@pytest.mark.django_db
def test_every_line_of_a_request_knows_its_caller_and_the_next_request_starts_afresh(json_lines, api, member):
    assert api.get("/api/v1/members/NOBODY", HTTP_X_REQUEST_ID="log-404").status_code == 404
    assert ApiClient(None).get("/api/v1/program", HTTP_X_REQUEST_ID="log-anon").status_code == 401
    lines = json_lines()
    # Django's own warning line, written after the middleware returned, carries the request's id and caller.
    [django_line] = [line for line in lines if line["logger"] == "django.request" and line["request_id"] == "log-404"]
    assert django_line["level"] == "WARNING"
    assert django_line["program"] == "DEMO" and "client_id" in django_line
    [line] = request_lines(lines, "log-404")
    assert (line["route"], line["status"], line["program"]) == ("member", 404, "DEMO")
    assert "member_id" not in line  # no such member: not known
    [anonymous] = request_lines(lines, "log-anon")
    assert anonymous["status"] == 401
    assert not {"program", "client_id", "member_id"} & set(anonymous)


@pytest.mark.django_db
def test_a_webshop_page_names_its_member(json_lines, api, member):
    from members.identification import COOKIE_NAME

    value = api.post("/api/v1/members/M-1/identification").json()["cookie"]["value"]
    client = ApiClient(None).http
    client.cookies[COOKIE_NAME] = value
    assert client.get("/shop/", HTTP_X_REQUEST_ID="shop-log-1").status_code == 200
    [line] = request_lines(json_lines(), "shop-log-1")
    assert (line["route"], line["program"], line["member_id"]) == ("shop:home", "DEMO", "M-1")


@pytest.mark.django_db
def test_successful_probes_are_debug_lines(client, caplog):
    with caplog.at_level(logging.DEBUG, logger="loyalty.request"):
        client.get("/healthz", HTTP_X_REQUEST_ID="probe-1")
        client.get("/metrics", HTTP_X_REQUEST_ID="probe-2")
    levels = {r.request_id: r.levelname for r in caplog.records if r.name == "loyalty.request"}
    # A refused or failed one is an ordinary line.
    assert levels == {"probe-1": "DEBUG", "probe-2": "INFO"}


def test_an_exception_is_one_json_line_with_its_traceback():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed\nbadly", None, None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "failed\nbadly"
    assert line["request_id"] is None
    assert "ValueError: boom" in line["exc_info"]


def settings_in_a_process(**env) -> subprocess.CompletedProcess:
    code = (
        "from django.conf import settings; "
        "print(settings.DJANGO_LOG_FORMAT, settings.LOGGING['handlers']['console']['formatter'])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_LOG_FORMAT", "DJANGO_DEBUG")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "loyalty.settings", "DJANGO_SECRET_KEY": "k" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DJANGO_DEBUG": "false"}, "json json"),
        ({"DJANGO_DEBUG": "true"}, "text plain"),
        ({}, "text plain"),
        ({"DJANGO_DEBUG": "false", "DJANGO_LOG_FORMAT": "text"}, "text plain"),
        ({"DJANGO_DEBUG": "true", "DJANGO_LOG_FORMAT": "JSON"}, "json json"),
    ],
)
def test_the_log_format_follows_debug_unless_chosen(env, expected):
    result = settings_in_a_process(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_an_unknown_log_format_is_refused():
    result = settings_in_a_process(DJANGO_LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT must be json or text" in result.stderr


@pytest.mark.postgres
def test_the_server_writes_one_json_object_per_line(live_server_gunicorn):
    program = ProgramFactory(code="LIVE")
    MemberFactory(program=program, member_id="M-7")
    client_id, secret = live_api_client(program)
    token = client_token(live_server_gunicorn.url, client_id, secret)
    response = httpx.get(
        f"{live_server_gunicorn.url}/api/v1/members/M-7",
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": "live-log-1"},
        timeout=10,
    )
    assert response.status_code == 200, response.text

    def the_line():
        text = live_server_gunicorn.log_path.read_text()
        return [line for line in text.splitlines() if '"live-log-1"' in line and '"loyalty.request"' in line]

    [raw] = wait_for(the_line, timeout=10)
    line = json.loads(raw)
    assert (line["method"], line["route"], line["status"]) == ("GET", "member", 200)
    assert line["duration_ms"] > 0
    assert (line["program"], line["client_id"], line["member_id"]) == ("LIVE", client_id, "M-7")
    # Every line of the server is a JSON object: gunicorn's own, Django's, the access log, warnings.
    for text in live_server_gunicorn.log_path.read_text().splitlines():
        assert isinstance(json.loads(text), dict), text
    assert live_server_gunicorn.logged_errors() == []


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_task_logs_the_request_id_of_the_request_that_enqueued_it_in_json(celery_broker, tmp_path):
    worker = Worker(celery_broker, tmp_path / "worker.log", extra_env={"DJANGO_LOG_FORMAT": "json"})
    worker.start()
    try:
        program = ProgramFactory(code="TRACE")
        member = MemberFactory(program=program, member_id="M-1")
        GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)
        fund(member, 100)
        api = ApiClient(issue_token(program))
        body = {"reference": "R1", "member_id": "M-1", "gift": "V10"}
        response = api.post("/api/v1/redemptions", body, HTTP_X_REQUEST_ID="till-12:sale-0042")
        assert response.status_code == 201, response.content
        message = f"Voucher ready for redemption {response.json()['id']}."

        def the_line():
            for text in worker.log_path.read_text().splitlines():
                if text.startswith("{") and json.loads(text)["message"] == message:
                    return json.loads(text)
            return None

        line = wait_for(the_line, timeout=30)
        assert line["request_id"] == "till-12:sale-0042"
        assert (line["level"], line["logger"]) == ("INFO", "rewards.tasks")
    finally:
        worker.stop()

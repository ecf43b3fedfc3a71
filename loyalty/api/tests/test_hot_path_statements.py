"""Statements per request on the hot paths, counted as the database sees them (BEGIN and COMMIT included).

Outside the test's transaction (`transaction=True`), so the counts are those of a real request: a savepoint
where a transaction would be, or a missing COMMIT, would show. Warm means the token and the rule set were
used once before.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rewards.models import Earn, IdempotencyRecord, Promotion
from rewards.rules import promotions_changed
from tests.factories import MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import basket, line

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

EARN_STATEMENTS = 8


def _lines(count: int) -> list[dict]:
    return [line(str(i), sku=f"SKU-{i}", category=f"c{i % 7}") for i in range(count)]


def _captured(api, path: str, body: dict, status: int) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.post(path, body)
    assert response.status_code == status, response.content
    return [query["sql"] for query in ctx.captured_queries]


@pytest.fixture
def shopper(program):
    member = MemberFactory(program=program, member_id="M-1")
    member.segments.add(SegmentFactory(program=program, code="VIP"))
    return member


def test_a_warm_earn_takes_at_most_eight_statements_whatever_the_lines_and_promotions(api, program, shopper):
    for i in range(10):
        PromotionFactory(program=program, code=f"P{i}", products=[f"SKU-{i}"])
    api.post("/api/v1/transactions/earn", basket(reference="WARM-1", lines=_lines(1)))  # token and rules warm

    small = _captured(api, "/api/v1/transactions/earn", basket(reference="E-10", lines=_lines(10)), 201)
    large = _captured(api, "/api/v1/transactions/earn", basket(reference="E-100", lines=_lines(100)), 201)
    Promotion.objects.bulk_create(
        PromotionFactory.build(program=program, code=f"P{i}", products=[f"SKU-{i}"]) for i in range(10, 1000)
    )
    promotions_changed(program=program)
    api.post("/api/v1/transactions/earn", basket(reference="WARM-2", lines=_lines(1)))
    many = _captured(api, "/api/v1/transactions/earn", basket(reference="E-1000", lines=_lines(100)), 201)

    assert len(small) == len(large) == len(many) <= EARN_STATEMENTS, small
    assert small[0] == "BEGIN" and small[-1] == "COMMIT"
    assert not any("SAVEPOINT" in sql for sql in small), small
    assert Earn.objects.get(reference="E-1000").points > 0


def test_an_earn_is_four_statements_its_idempotency_record_written_with_its_rows(api, program, shopper):
    """BEGIN, the balance row locked with the member, the program and the segments, one statement writing the
    earn, its entry, its lot, the balance and the partner's record of the answer, COMMIT."""
    PromotionFactory(program=program, code="BASE")
    api.post("/api/v1/transactions/earn", basket(reference="WARM", lines=_lines(1)))
    body = basket(reference="E-1", lines=_lines(3))
    statements = _captured(api, "/api/v1/transactions/earn", body, 201)
    assert len(statements) == 4, statements
    assert statements[1].startswith("SELECT") and "FOR UPDATE" in statements[1]
    assert 'INSERT INTO "rewards_earn"' in statements[2] and 'INSERT INTO "rewards_idempotencyrecord"' in statements[2]
    record = IdempotencyRecord.objects.get(program=program, operation="earn", reference="E-1")
    first = api.post("/api/v1/transactions/earn", body)
    # The record written with the earn is what a retry answers, byte for byte.
    assert first.status_code == 200 and first["Idempotent-Replayed"] == "true"
    assert record.response_status == 201 and json.loads(record.response_body) == first.json()
    changed = api.post("/api/v1/transactions/earn", {**body, "store": "elsewhere"})
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "idempotency_mismatch"


def test_a_replayed_earn_stays_within_the_budget_and_writes_nothing(api, program, shopper):
    PromotionFactory(program=program, code="BASE")
    body = basket(reference="E-1", lines=_lines(10))
    api.post("/api/v1/transactions/earn", body)
    replay = _captured(api, "/api/v1/transactions/earn", body, 200)
    # The reference is claimed at the end of the write (rewards.idempotency): a replay rolls its work back.
    assert len(replay) <= EARN_STATEMENTS, replay
    assert Earn.objects.filter(reference="E-1").count() == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/program", None),
        ("post", "/api/v1/baskets/evaluate", {"lines": _lines(100)}),
    ],
)
def test_warm_requests_read_only_the_program_row(api, program, method, path, body):
    PromotionFactory(program=program, code="BASE")
    send = (lambda: api.get(path)) if method == "get" else (lambda: api.post(path, body))
    assert send().status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = send()
    assert response.status_code == 200, response.content
    # Authentication reads nothing (token, client, grant); the program row (the answer itself, or the rules
    # version the warm rule set is checked against) is the one statement; no promotion is read.
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 1 and 'FROM "programs_program"' in statements[0], statements


def test_a_members_warm_evaluation_reads_the_program_row_with_the_member(api, program, shopper):
    PromotionFactory(program=program, code="BASE")
    PromotionFactory(program=program, code="VIPONLY", rate="2").segments.add(shopper.segments.get())
    promotions_changed(program=program)
    body = {"member_id": "M-1", "lines": _lines(100)}
    guest = api.post("/api/v1/baskets/evaluate", {"lines": _lines(100)}).json()
    statements = _captured(api, "/api/v1/baskets/evaluate", body, 200)
    assert len(statements) == 1, statements
    assert 'JOIN "programs_program"' in statements[0] and '"members_segmentmembership"' in statements[0]
    answer = api.post("/api/v1/baskets/evaluate", body).json()
    assert answer["points"] > guest["points"] and [p["code"] for p in answer["promotions"]] == ["BASE", "VIPONLY"]
    # A body naming the currency reads the program first (to validate it), then the member alone.
    statements = _captured(api, "/api/v1/baskets/evaluate", {**body, "currency": program.currency}, 200)
    assert len(statements) == 2 and 'JOIN "programs_program"' not in statements[1], statements
    # An unknown member: still one statement, and the 404 names the field.
    with CaptureQueriesContext(connection) as ctx:
        missing = api.post("/api/v1/baskets/evaluate", {**body, "member_id": "M-404"})
    assert missing.status_code == 404 and missing.json()["error"]["fields"] == {
        "member_id": ["Member M-404 not found."]
    }
    assert len(ctx.captured_queries) == 1


def test_a_warm_earn_reads_no_token_table(api, program, shopper):
    PromotionFactory(program=program, code="BASE")
    api.post("/api/v1/transactions/earn", basket(reference="WARM", lines=_lines(1)))
    statements = _captured(api, "/api/v1/transactions/earn", basket(reference="E-1", lines=_lines(3)), 201)
    assert not any("oauth2_provider" in sql or "apiclient" in sql.lower() for sql in statements), statements


def test_tiers_add_no_statement_to_an_earn_that_crosses_no_threshold(api, program, shopper):
    from programs.services import tier_save

    PromotionFactory(program=program, code="BASE")
    api.post("/api/v1/transactions/earn", basket(reference="WARM-0", lines=_lines(1)))
    without = _captured(api, "/api/v1/transactions/earn", basket(reference="E-0", lines=_lines(1)), 201)
    tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=1000)
    api.post("/api/v1/transactions/earn", basket(reference="WARM-1", lines=_lines(1)))  # the new rule set, warm
    plain = _captured(api, "/api/v1/transactions/earn", basket(reference="E-1", lines=_lines(1)), 201)
    assert len(plain) == len(without) <= EARN_STATEMENTS, plain
    # Crossing one costs the tier's two writes (the balance row's tier, the change record), still in budget.
    crossing = _captured(
        api, "/api/v1/transactions/earn", basket(reference="E-2", lines=[line("1", unit_price="2000.00")]), 201
    )
    assert len(crossing) == len(plain) + 2 <= EARN_STATEMENTS, crossing


def test_the_hot_paths_statements_are_planned_once_per_connection(api, program, shopper):
    """Prepared statements (DJANGO_DB_PREPARED, on by default): once a statement has run 5 times on a connection,
    PostgreSQL keeps its plan, so an earn and an evaluation stop paying the planner on every request."""
    PromotionFactory(program=program, code="BASE")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    for n in range(6):
        api.post("/api/v1/transactions/earn", basket(reference=f"E-{n}", lines=_lines(3)))
        assert api.post("/api/v1/baskets/evaluate", {"member_id": "M-1", "lines": _lines(3)}).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # The earn's combined write (its idempotency record included), and the evaluation's member read with its
    # segments.
    for part in ('INSERT INTO "rewards_earn"', '"members_segmentmembership"'):
        assert any(part in sql for sql in prepared), (part, [sql[:150] for sql in prepared])
    assert Earn.objects.filter(reference__startswith="E-").count() == 6

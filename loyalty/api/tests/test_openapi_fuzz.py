"""Schemathesis against our own OpenAPI schema: generated requests never get a 5xx.

Every operation of /api/v1 is called with inputs generated from its schema (valid and invalid),
with a token holding every scope, against a program with a member, a gift and a promotion.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from conftest import issue_token
from loyalty.wsgi import application
from tests.factories import GiftFactory, MemberFactory, ProgramFactory, PromotionFactory, SegmentFactory

# The schema view needs no database: it can be loaded when the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/schema", application)


@pytest.fixture
def token(db, monkeypatch):
    # Schemathesis calls the WSGI app directly: its request signals would close the test's
    # connection, found inside the test's transaction (Django's test client mutes them).
    from django.db import connection

    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)
    program = ProgramFactory(code="FUZZ")
    MemberFactory(program=program, member_id="M-1")
    SegmentFactory(program=program, code="VIP")
    GiftFactory(program=program, sku="MUG")
    PromotionFactory(program=program, code="BASE")
    return issue_token(program)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_a_server_error(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), body

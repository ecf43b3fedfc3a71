"""Bulk segment mapping: add 10,000 members to a segment over the API, then remove them.

Prints seconds and query counts per direction. Run with the database to measure, e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/segments.py
It creates (and drops) its own test database through Django's test runner utilities.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

N = 10_000


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from conftest import ApiClient, issue_token
        from members.models import Member, SegmentMembership
        from tests.factories import ProgramFactory, SegmentFactory

        program = ProgramFactory(code="BENCH")
        SegmentFactory(program=program, code="BIG")
        Member.objects.bulk_create(Member(program=program, member_id=f"B-{i}") for i in range(N))
        api = ApiClient(issue_token(program))
        ids = [f"B-{i}" for i in range(N)]
        api.post("/api/v1/segments/BIG/members", {"add": ids[:10]})  # warm-up
        api.post("/api/v1/segments/BIG/members", {"remove": ids[:10]})
        print(f"database: {connection.vendor}")
        for direction in ("add", "remove"):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = api.post("/api/v1/segments/BIG/members", {direction: ids})
                seconds = time.perf_counter() - start
            assert response.status_code == 200, response.content
            print(
                f"{direction:6} {N} ids: {seconds:.3f} s, {len(ctx.captured_queries)} queries, {response.json()['added' if direction == 'add' else 'removed']} memberships"
            )
        assert SegmentMembership.objects.count() == 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

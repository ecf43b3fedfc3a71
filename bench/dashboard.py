"""The program dashboard on a program with a million ledger entries: seconds and queries of the page, for the last
12 weeks and the last 12 months (every chart and table), and of one CSV export.

Needs PostgreSQL; by default it uses the local one and its own throwaway database:
    .venv/bin/python bench/dashboard.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/dashboard.py
Environment: ENTRIES (default 1000000), MEMBERS (default 100000), WEEKS over which the entries spread
(default 52; WEEKS=12 puts every entry inside the chart's window, the worst case).

It builds the data with set-based SQL (INSERT ... SELECT generate_series), lets PostgreSQL analyze and
vacuum it as autovacuum would, then opens /admin/dashboard/ (12 weeks, then 12 months) and a CSV export as a
logged-in superuser with Django's test client: one warm-up, then RUNS timed requests each. It prints the median
and best seconds, the query count, and the slowest queries of the last request.
LEDGER_INDEX=1 adds an index on the ledger's (program, occurred_at) first, to measure what it would bring (see the
README: nothing measurable here, so the project has none).
Earns name the promotions that gave them points (one, or two of them for a tenth of the earns), as the
earning service writes them.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loyalty_bench_dashboard")
os.environ.setdefault("DJANGO_DEBUG", "false")
# DEBUG off needs a key other than the development default.
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
ENTRIES = int(os.environ.get("ENTRIES", "1000000"))
MEMBERS = int(os.environ.get("MEMBERS", "100000"))
WEEKS = int(os.environ.get("WEEKS", "52"))
RUNS = int(os.environ.get("RUNS", "5"))
TEST_DATABASE = "test_loyalty_bench_dashboard"

# Kinds by i % 25: 56 % earns, 8 % events, then adjustments, redemptions and their refunds, reversals,
# expiries, and moves that are no flow (activation, transfers).
BUILD = """
INSERT INTO members_member (program_id, member_id, email, first_name, last_name, language, status, enrolled_at, updated_at)
  SELECT %(p)s, 'B-' || g, '', '', '', 'en', 'active', now(), now() FROM generate_series(1, %(members)s) g;
INSERT INTO rewards_pointsbalance (member_id, program_id, available, pending, locked, qualifying_points,
                                   tier_override_reason, updated_at)
  SELECT id, program_id, 0, 0, 0, 0, '', now() FROM members_member WHERE program_id = %(p)s;
WITH first_member AS (SELECT min(id) AS id FROM members_member WHERE program_id = %(p)s),
     raw AS (
       SELECT g,
              CASE
                WHEN g %% 25 < 14 THEN 'earn'
                WHEN g %% 25 < 16 THEN 'event'
                WHEN g %% 25 = 16 THEN 'adjustment'
                WHEN g %% 25 < 19 THEN 'redemption'
                WHEN g %% 25 = 19 THEN 'refund'
                WHEN g %% 25 = 20 THEN 'reversal'
                WHEN g %% 25 = 21 THEN 'expiry'
                WHEN g %% 25 = 22 THEN 'activation'
                WHEN g %% 25 = 23 THEN 'transfer_in'
                ELSE 'transfer_out'
              END AS kind,
              now() - (g %% (%(weeks)s * 7 * 1440)) * interval '1 minute' AS at
       FROM generate_series(1, %(entries)s) g
     ),
     entries AS (
       SELECT g, kind, at,
              CASE kind
                WHEN 'earn' THEN 1 + g %% 200
                WHEN 'event' THEN 40
                WHEN 'adjustment' THEN CASE WHEN g %% 2 = 0 THEN 100 ELSE -50 END
                WHEN 'redemption' THEN -500
                WHEN 'refund' THEN 500
                WHEN 'reversal' THEN -(1 + g %% 50)
                WHEN 'expiry' THEN -(1 + g %% 100)
                WHEN 'activation' THEN 0
                WHEN 'transfer_in' THEN 25
                ELSE -25
              END AS points
       FROM raw
     )
INSERT INTO rewards_ledgerentry (program_id, member_id, kind, reference, points, available_delta, pending_delta,
                                 locked_delta, balance_after, occurred_at, created_at, description)
  SELECT %(p)s, (SELECT id FROM first_member) + (g::bigint * 7919) %% %(members)s, kind, 'E-' || g, points, points, 0, 0, 0,
         at, at,
         CASE WHEN kind = 'earn' THEN
           CASE WHEN g %% 10 = 0 THEN 'P' || (g %% 7) || ', P' || (7 + g %% 5) ELSE 'P' || (g %% 12) END
         ELSE '' END
  FROM entries;
UPDATE rewards_pointsbalance b SET available = s.total
  FROM (SELECT member_id, sum(points) AS total FROM rewards_ledgerentry WHERE program_id = %(p)s GROUP BY member_id) s
  WHERE b.member_id = s.member_id;
WITH first_member AS (SELECT min(id) AS id FROM members_member WHERE program_id = %(p)s),
     gifts AS (SELECT array_agg(id ORDER BY id) AS ids FROM catalog_gift WHERE program_id = %(p)s)
INSERT INTO rewards_redemption (program_id, member_id, reference, gift_id, quantity, points, status, delivery,
                                created_at, updated_at)
  SELECT %(p)s, (SELECT id FROM first_member) + g %% %(members)s, 'R-' || g,
         (SELECT ids[1 + (g::bigint * g) %% array_length(ids, 1)] FROM gifts), 1, 500,
         (ARRAY['exchanged', 'in_preparation', 'in_delivery', 'delivered', 'delivered', 'delivered', 'cancelled',
                'returned'])[1 + g %% 8],
         NULL, now() - (g %% (%(weeks)s * 7 * 1440)) * interval '1 minute', now()
  FROM generate_series(1, %(redemptions)s) g;
"""


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = TEST_DATABASE
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.contrib.auth.models import User
        from django.test import Client

        from tests.factories import GiftFactory, ProgramFactory, PromotionFactory

        program = ProgramFactory(code="BENCH", timezone="Europe/Brussels")
        for i in range(12):
            PromotionFactory(program=program, code=f"P{i}", name={"en": f"Promotion {i}"})
        for i in range(50):
            GiftFactory(
                program=program, category=None, sku=f"G{i:02d}", points=100 * (1 + i % 10), value=f"{i % 10}.50"
            )
        started = time.perf_counter()
        params = {
            "p": program.pk,
            "members": MEMBERS,
            "entries": ENTRIES,
            "weeks": WEEKS,
            "redemptions": ENTRIES // 50,
        }
        with connection.cursor() as cursor:
            cursor.execute(BUILD, params)
        if os.environ.get("LEDGER_INDEX"):  # an experiment: the ledger by (program, occurred_at)
            with connection.cursor() as cursor:
                cursor.execute("CREATE INDEX bench_ledger_occurred ON rewards_ledgerentry (program_id, occurred_at)")
        with connection.cursor() as cursor:  # autocommit: what autovacuum would have done by now
            cursor.execute("VACUUM ANALYZE rewards_ledgerentry, rewards_pointsbalance, rewards_redemption")
            cursor.execute("SELECT count(*) FROM rewards_ledgerentry WHERE program_id = %s", [program.pk])
            (count,) = cursor.fetchone()
        built = time.perf_counter() - started
        print(
            f"database: PostgreSQL {connection.pg_version // 10000}; {count:,} ledger entries over {WEEKS} weeks, "
            f"{MEMBERS:,} members, {ENTRIES // 50:,} redemptions (built in {built:.1f} s)"
        )

        user = User.objects.create_superuser("bench", "bench@example.com", "bench")
        client = Client()
        client.force_login(user)
        pages = {
            "12 weeks": f"/admin/dashboard/?program={program.pk}&period=weeks",
            "12 months": f"/admin/dashboard/?program={program.pk}&period=months",
            "CSV (points, 12 months)": f"/admin/dashboard/export/points.csv?program={program.pk}&period=months",
        }
        for name, url in pages.items():
            assert client.get(url).status_code == 200  # warm-up: templates, caches
            seconds = []
            for _ in range(RUNS):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.get(url)
                    seconds.append(time.perf_counter() - started)
                assert response.status_code == 200
            print(
                f"dashboard {name}: median {statistics.median(seconds):.3f} s, best {min(seconds):.3f} s "
                f"over {RUNS} requests, {len(ctx.captured_queries)} queries"
            )
            if response.context is not None and "dashboard" in response.context:
                dashboard = response.context["dashboard"]
                print(
                    f"  figures: {dashboard.active_members:,} active members, {dashboard.outstanding:,} outstanding "
                    f"points, {dashboard.pending_redemptions:,} pending redemptions, {len(dashboard.flows)} periods, "
                    f"last issued {dashboard.flows[-1].issued:,}, top promotion "
                    f"{dashboard.top_promotions[0].code if dashboard.top_promotions else '-'}"
                )
            slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
            for query in slowest:
                print(f"  {float(query['time']):.3f} s  {query['sql'][:150]}")
            if os.environ.get("EXPLAIN"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[0]["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()))
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

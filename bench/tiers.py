"""The daily tier assessment on a large program: time and peak memory; and what tiers cost an earn.

Needs PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/tiers.py
For each size (default 100,000 then 1,000,000 members; MEMBERS=n,m for others) it builds, with set-based SQL in a
throwaway database, a program with three tiers where 10 % of the members hold a tier whose `until` passed
yesterday, each with earns spread over the last 400 days (some left the window: those members go down, others
keep their tier or move), runs `rewards.services.tiers.tiers_assess` in a fresh process and prints its seconds and
that process's peak resident memory (flat memory: the two sizes give about the same figure). Then it counts the
statements of one earn that crosses no threshold and of one that does (BEGIN and COMMIT included).
"""

import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
# As in production: with DEBUG on, Django would keep every query's SQL in memory.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
SIZES = [int(s) for s in os.environ.get("MEMBERS", "100000,1000000").split(",")]

# Every tenth member is due: a tier (GOLD) reached 13 months ago, kept until yesterday; their earns (3 each) lie
# 0 to 400 days back, for 0 to 999 points each.
BUILD = """
INSERT INTO members_member (program_id, member_id, email, first_name, last_name, language, status, enrolled_at, updated_at)
  SELECT %(p)s, 'M-' || g, '', '', '', 'en', 'active', now(), now() FROM generate_series(1, %(members)s) g;
INSERT INTO rewards_ledgerentry (program_id, member_id, kind, reference, points, available_delta, pending_delta,
                                 locked_delta, balance_after, occurred_at, created_at, description)
  SELECT %(p)s, m.id, 'earn', 'E-' || m.id || '-' || g, (m.id * 7 + g * 131) %% 1000, (m.id * 7 + g * 131) %% 1000,
         0, 0, 0, now() - ((m.id * 13 + g * 97) %% 400) * interval '1 day', now(), ''
  FROM members_member m CROSS JOIN generate_series(1, 3) g WHERE m.program_id = %(p)s AND m.id %% 10 = 0;
INSERT INTO rewards_pointsbalance (member_id, program_id, available, pending, locked, qualifying_points, updated_at,
                                   tier_id, tier_since, tier_until, tier_override_reason)
  SELECT m.id, m.program_id, coalesce(e.points, 0), 0, 0, 0, now(),
         CASE WHEN m.id %% 10 = 0 THEN %(gold)s END,
         CASE WHEN m.id %% 10 = 0 THEN now() - interval '13 months' END,
         CASE WHEN m.id %% 10 = 0 THEN now() - interval '1 day' END, ''
  FROM members_member m LEFT JOIN (
    SELECT member_id, sum(points) AS points FROM rewards_ledgerentry GROUP BY member_id
  ) e ON e.member_id = m.id
  WHERE m.program_id = %(p)s;
ANALYZE;
"""


def run_job(db_name: str, queue) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.close()
    connection.settings_dict["NAME"] = db_name
    from rewards.services.tiers import tiers_assess

    started = time.perf_counter()
    assessed = tiers_assess()
    seconds = time.perf_counter() - started
    again = tiers_assess()  # the same day: nothing left
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((assessed, again, seconds, peak / 1024))


def earn_statements(program) -> tuple[int, int]:
    """Statements of a warm earn crossing no threshold, then of one crossing one."""
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from members.models import Member
    from rewards.engine import Line
    from rewards.services.earning import Basket, earn_post
    from rewards.services.enrolment import member_enrol

    member_enrol(program=program, member_id="EARNER")
    assert Member.objects.filter(member_id="EARNER").exists()

    def earn(reference: str, amount: str) -> int:
        basket = Basket(lines=(Line("1", "X", None, 1, Decimal(amount)),), occurred_at=timezone.now())
        with CaptureQueriesContext(connection) as queries:
            earn_post(program_id=program.pk, member_id="EARNER", basket=basket, reference=reference)
        return len(queries.captured_queries)

    earn("WARM", "1.00")  # the rule set and tiers cached
    plain = earn("PLAIN", "10.00")  # 11 qualifying points: no tier
    crossing = earn("CROSS", "200.00")  # 211: Silver
    return plain, crossing


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("bench/tiers.py needs DATABASE_URL pointing at PostgreSQL")
    setup_test_environment()
    for members in SIZES:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            from programs.services import tier_save
            from rewards.models import PointsBalance, TierChange
            from tests.factories import ProgramFactory, PromotionFactory

            program = ProgramFactory(code="BENCH")
            tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=150)
            gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=900)
            tier_save(program=program, code="PLATINUM", name={"en": "Platinum"}, threshold=1800)
            PromotionFactory(program=program, code="BASE", rate="1")
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(BUILD, {"p": program.pk, "members": members, "gold": gold.pk})
            built = time.perf_counter() - started
            db_name = connection.settings_dict["NAME"]
            connection.close()
            queue = multiprocessing.get_context("spawn").Queue()
            process = multiprocessing.get_context("spawn").Process(target=run_job, args=(db_name, queue))
            process.start()
            assessed, again, seconds, peak_mb = queue.get()
            process.join()
            levels = dict(
                PointsBalance.objects.filter(member_id__in=TierChange.objects.values("member_id"))
                .values_list("tier__code")
                .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("pk"))
            )
            kept = assessed - TierChange.objects.filter(reason="assessment").count()
            print(
                f"{members:>9,} members, {assessed:,} due (built in {built:.1f} s): assessment {seconds:.1f} s "
                f"({assessed / seconds:,.0f} members/s), kept {kept:,}, changed {assessed - kept:,} "
                f"(now {levels}); a second run the same day: {again}; peak RSS of the job's process {peak_mb:.0f} MiB"
            )
            plain, crossing = earn_statements(program)
            print(f"earn statements with tiers: {plain} crossing no threshold, {crossing} crossing one")
        finally:
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

"""The expiry job on a large ledger: time and peak memory.

Needs PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/expiry.py
For each size (default 100,000 then 1,000,000 lots, 10 per member, half of them expired) it builds
the data with set-based SQL in a throwaway database, runs `rewards.services.clock.expire_points`
in a fresh process, and prints the job's seconds and that process's peak resident memory, so the two
sizes show whether memory stays flat as the number of lots grows. `check_ledger` runs after.
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
# DEBUG off needs a key other than the development default.
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
SIZES = [int(s) for s in os.environ.get("LOTS", "100000,1000000").split(",")]

BUILD = """
INSERT INTO members_member (program_id, member_id, email, first_name, last_name, language, status, enrolled_at, updated_at)
  SELECT %(p)s, 'M-' || g, '', '', '', 'en', 'active', now(), now() FROM generate_series(1, %(members)s) g;
INSERT INTO rewards_pointsbalance (member_id, program_id, available, pending, locked, updated_at)
  SELECT id, program_id, 100, 0, 0, now() FROM members_member WHERE program_id = %(p)s;
INSERT INTO rewards_ledgerentry (program_id, member_id, kind, reference, points, available_delta, pending_delta,
                                 locked_delta, balance_after, occurred_at, created_at, description)
  SELECT %(p)s, m.id, 'adjustment', 'B-' || m.id || '-' || g, 10, 10, 0, 0, 10 * g, now(), now(), ''
  FROM members_member m CROSS JOIN generate_series(1, 10) g WHERE m.program_id = %(p)s;
INSERT INTO rewards_pointslot (program_id, member_id, entry_id, points, remaining, pending, expires_at, created_at)
  SELECT program_id, member_id, id, 10, 10, false,
         CASE WHEN (balance_after / 10) %% 2 = 0 THEN now() - interval '1 day' ELSE now() + interval '1 year' END, now()
  FROM rewards_ledgerentry WHERE program_id = %(p)s;
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
    from rewards.services import clock

    started = time.perf_counter()
    points = clock.expire_points()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((points, seconds, peak / 1024))


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("bench/expiry.py needs DATABASE_URL pointing at PostgreSQL")
    setup_test_environment()
    for lots in SIZES:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            from rewards.ledger_check import ledger_differences
            from rewards.models import LedgerEntry, PointsLot
            from tests.factories import ProgramFactory

            program = ProgramFactory(code="BENCH", expiry_months=12)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(BUILD, {"p": program.pk, "members": lots // 10})
            built = time.perf_counter() - started
            db_name = connection.settings_dict["NAME"]
            connection.close()
            queue = multiprocessing.get_context("spawn").Queue()
            process = multiprocessing.get_context("spawn").Process(target=run_job, args=(db_name, queue))
            process.start()
            points, seconds, peak_mb = queue.get()
            process.join()
            expired_lots = PointsLot.objects.filter(remaining=0).count()
            entries = LedgerEntry.objects.filter(kind="expiry").count()
            problems = len(ledger_differences())
            print(
                f"{lots:>9,} lots ({lots // 10:,} members, built in {built:.1f} s): expiry job {seconds:.1f} s, "
                f"{points:,} points from {expired_lots:,} lots in {entries:,} entries, "
                f"peak RSS of the job's process {peak_mb:.0f} MiB, check_ledger differences: {problems}"
            )
        finally:
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

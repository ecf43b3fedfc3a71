"""The monthly digest of points expiring within 30 days over 100,000 members: time, peak memory, messages.

Needs PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/expiry_digest.py
It builds, with set-based SQL in a throwaway database (DJANGO_TEST_DATABASE, default test_loyalty_bench_digest),
MEMBERS members (default 100,000) in the four languages, each with three lots: 60 % of them have points expiring
within 30 days, 10 % of all members unsubscribed, 5 % have no e-mail address. Then it runs the digest
(`rewards.notifications.services.expiry_digest_run`, batches of 500) with Django's locmem e-mail backend, under
tracemalloc, and prints the seconds, the peak of Python memory, the messages sent, and checks that each member got
at most one message and every member who should have one got it. A second run in the same month must send nothing.

The backend is locmem's, except that it keeps each message's recipients instead of the whole message (it still
renders every message to its MIME bytes, as locmem does): 60,000 messages kept whole would be the backend's
memory, not the digest's.
"""

import collections
import datetime
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
# As in production: with DEBUG on, Django would keep every query's SQL in memory.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_TEST_DATABASE", "test_loyalty_bench_digest")
MEMBERS = int(os.environ.get("MEMBERS", "100000"))

BUILD = """
INSERT INTO members_member (program_id, member_id, email, first_name, last_name, language, status, enrolled_at,
                            updated_at, email_opt_out)
  SELECT %(p)s, 'M-' || g, CASE WHEN g %% 20 = 7 THEN '' ELSE 'member' || g || '@example.com' END,
         'Member ' || g, '', (ARRAY['en', 'fr', 'nl', 'it'])[1 + g %% 4], 'active', now(), now(), g %% 10 = 3
  FROM generate_series(1, %(members)s) g;
INSERT INTO rewards_pointsbalance (member_id, program_id, available, pending, locked, updated_at, qualifying_points,
                                   tier_override_reason)
  SELECT id, program_id, 300, 0, 0, now(), 0, '' FROM members_member WHERE program_id = %(p)s;
INSERT INTO rewards_ledgerentry (program_id, member_id, kind, reference, points, available_delta, pending_delta,
                                 locked_delta, balance_after, occurred_at, created_at, description)
  SELECT %(p)s, m.id, 'adjustment', 'B-' || m.id || '-' || g, 100, 100, 0, 0, 100 * g, now(), now(), ''
  FROM members_member m CROSS JOIN generate_series(1, 3) g WHERE m.program_id = %(p)s;
-- Lot 1 of 60 %% of the members expires within 30 days (1 to 29 days from now); the others in 60 to 400 days.
INSERT INTO rewards_pointslot (program_id, member_id, entry_id, points, remaining, pending, expires_at, created_at)
  SELECT e.program_id, e.member_id, e.id, 100, 100, false,
         CASE WHEN e.balance_after = 100 AND e.member_id %% 10 < 6
              THEN now() + (1 + e.member_id %% 29) * interval '1 day'
              ELSE now() + (60 + e.member_id %% 340) * interval '1 day' END,
         now()
  FROM rewards_ledgerentry e WHERE e.program_id = %(p)s;
ANALYZE;
"""

EXPECTED = """
SELECT count(DISTINCT m.id) FROM members_member m JOIN rewards_pointslot l ON l.member_id = m.id
WHERE m.program_id = %(p)s AND m.email <> '' AND NOT m.email_opt_out AND m.status = 'active'
  AND l.remaining > 0 AND NOT l.pending AND l.expires_at > %(now)s AND l.expires_at <= %(now)s + interval '30 days'
"""

received: collections.Counter[str] = collections.Counter()


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.mail.backends import locmem
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    if connection.vendor != "postgresql":
        sys.exit("bench/expiry_digest.py needs DATABASE_URL pointing at PostgreSQL")

    class RecipientsOnlyBackend(locmem.EmailBackend):
        def send_messages(self, messages):
            for message in messages:
                message.message()  # rendered as locmem does (and as SMTP would)
                for address in message.recipients():
                    received[address] += 1
            return len(messages)

    setup_test_environment()
    settings.EMAIL_BACKEND = f"{__name__}.RecipientsOnlyBackend"
    globals()["RecipientsOnlyBackend"] = RecipientsOnlyBackend
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from rewards.models import Notification
        from rewards.notifications.services import DIGEST_BATCH, expiry_digest_run
        from tests.factories import ProgramFactory

        program = ProgramFactory(code="BENCH", name="Bench Rewards", expiry_months=24)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(BUILD, {"p": program.pk, "members": MEMBERS})
        built = time.perf_counter() - started
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(EXPECTED, {"p": program.pk, "now": now})
            expected = cursor.fetchone()[0]

        tracemalloc.start()
        started = time.perf_counter()
        run = expiry_digest_run(program=program, now=now)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        again = expiry_digest_run(program=program, now=now + datetime.timedelta(days=1))
        rows = Notification.objects.filter(program=program, kind="points_expiring").count()
        most = max(received.values(), default=0)
        print(
            f"{MEMBERS:,} members (built in {built:.1f} s), {expected:,} with points expiring within 30 days "
            f"and an address, not unsubscribed"
        )
        print(
            f"digest: {run.sent:,} messages in {run.batches} batches of {DIGEST_BATCH} in {seconds:.1f} s "
            f"({run.sent / seconds:,.0f} messages/s), failed {run.failed}, peak Python memory (tracemalloc) "
            f"{peak / 2**20:.1f} MiB"
        )
        print(
            f"recipients: {len(received):,} distinct, at most {most} message(s) each; notification rows {rows:,}; "
            f"a second run the next day sent {again.sent}"
        )
        ok = run.sent == expected == len(received) == rows and most == 1 and again.sent == 0
        print("OK: every member due got exactly one message" if ok else "MISMATCH")
        if not ok:
            sys.exit(1)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

"""The promotion pickers' suggestions and the go-live page on a program with many earns.

Loads N earns (default 300,000; 1-4 lines each, 500 SKUs in 20 categories, 3 channels, spread over 120 days),
then times the suggestion endpoint cold (the cache emptied: one bounded scan of the latest earns) and warm, and the
go-live confirmation page (typical basket and reach). Run with the database to measure, e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty DJANGO_TEST_DATABASE=loyalty_bench_promo \\
        .venv/bin/python bench/promotion_suggestions.py --earns 300000
It creates (and drops) its own test database through Django's test runner utilities.
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

BATCH = 10_000


def load(program, earns: int) -> None:
    from members.models import Member
    from rewards.models import Earn

    members = Member.objects.bulk_create(Member(program=program, member_id=f"M-{i}") for i in range(2000))
    rng = random.Random(7)
    now = timezone.now()
    categories = [f"cat-{n}" for n in range(20)]
    rows = []
    for number in range(earns):
        lines = []
        for line_id in range(1, rng.randint(1, 4) + 1):
            sku = rng.randrange(500)
            lines.append(
                {
                    "line_id": str(line_id),
                    "sku": f"SKU-{sku}",
                    "product_category": categories[sku % 20],
                    "quantity": 1,
                    "amount": f"{rng.randint(100, 5000) / 100:.2f}",
                }
            )
        moment = now - datetime.timedelta(seconds=rng.randint(0, 120 * 86400))
        rows.append(
            Earn(
                program=program,
                member=members[number % len(members)],
                reference=f"E-{number}",
                occurred_at=moment,
                created_at=moment,
                channel=rng.choice(("store", "web", "app")),
                lines=lines,
                points=1,
            )
        )
        if len(rows) == BATCH:
            Earn.objects.bulk_create(rows)
            rows = []
    Earn.objects.bulk_create(rows)


def timed(client: Client, url: str, params: dict) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url, params)
        seconds = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    return seconds, len(queries.captured_queries), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--earns", type=int, default=300_000)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.contrib.auth import get_user_model
        from django.urls import reverse

        from rewards.models import Promotion
        from tests.factories import ProgramFactory, PromotionFactory, SegmentFactory

        program = ProgramFactory(code="BENCH")
        start = time.perf_counter()
        load(program, args.earns)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE rewards_earn") if connection.vendor == "postgresql" else None
        print(f"database: {connection.vendor}; {args.earns} earns loaded in {time.perf_counter() - start:.1f} s")
        promotion = PromotionFactory(program=program, code="CAT3", status="draft", product_categories=["cat-3"])
        promotion.segments.add(SegmentFactory(program=program, code="VIP"))
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("bench", password="x"))
        suggest = reverse("admin:rewards_promotion_suggest")
        for field in ("products", "product_categories", "channels"):
            cache.clear()
            cold = timed(client, suggest, {"program": program.pk, "field": field, "q": "1"})
            warm = timed(client, suggest, {"program": program.pk, "field": field, "q": "1", "check": "SKU-1,Cat-3"})
            print(
                f"suggest {field:18}: cold {cold[0] * 1000:7.1f} ms ({cold[1]} queries), "
                f"warm {warm[0] * 1000:6.1f} ms ({warm[1]} queries)"
            )
        page = timed(client, reverse("admin:rewards_promotion_go_live", args=[promotion.pk]), {})
        print(f"go-live confirmation: {page[0] * 1000:.1f} ms ({page[1]} queries)")
        calendar = timed(client, reverse("admin:rewards_promotion_calendar"), {})
        print(f"calendar: {calendar[0] * 1000:.1f} ms ({calendar[1]} queries)")
        assert Promotion.objects.get(pk=promotion.pk).status == "draft"
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

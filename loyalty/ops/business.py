"""Business figures computed at scrape time: a few aggregate queries, whatever the size of the tables.

Each figure is what the database says now, so every process answers the same and nothing is counted twice:

- points by ledger entry kind and program (earned, burned by redemptions and captures, reversed, expired...),
  and the number of entries;
- earns by program; redemptions by program and status; events by program and outcome;
- the age of the oldest event still `accepted` (its reward not run yet) and of the oldest voucher redemption
  still waiting for its voucher: the outbox lag, which the sweepers keep short;
- the length of each Celery queue on a Redis broker (LLEN), when a broker is configured.

The queries run in one transaction with a statement timeout on PostgreSQL; a failure answers
`loyalty_business_metrics_up 0` rather than an error, so the request figures are still scraped.
"""

import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from catalog.models import Gift
from rewards.models import Earn, Event, EventStatus, LedgerEntry, Redemption, RedemptionStatus

logger = logging.getLogger("loyalty.ops")

STATEMENT_TIMEOUT_MS = 5000
REDIS_TIMEOUT = 1.0
# Kombu's Redis transport keeps a queue's messages of priority p > 0 under "<queue>\x06\x16<p>".
KOMBU_PRIORITY_SEP = "\x06\x16"
KOMBU_PRIORITIES = (3, 6, 9)


@dataclass
class Figures:
    ledger: list[tuple[str, str, int, int]] = field(default_factory=list)  # program, kind, points, entries
    earns: list[tuple[str, int]] = field(default_factory=list)
    redemptions: list[tuple[str, str, int]] = field(default_factory=list)
    events: list[tuple[str, str, int]] = field(default_factory=list)
    oldest_accepted_event: datetime.datetime | None = None
    oldest_waiting_voucher: datetime.datetime | None = None


def database_figures() -> Figures:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        ledger = (
            LedgerEntry.objects.order_by()
            .values_list("program__code", "kind")
            .annotate(points=Sum("points"), entries=Count("id"))
        )
        earns = Earn.objects.order_by().values_list("program__code").annotate(n=Count("id"))
        redemptions = Redemption.objects.order_by().values_list("program__code", "status").annotate(n=Count("id"))
        events = Event.objects.order_by().values_list("program__code", "status").annotate(n=Count("id"))
        oldest_event = Event.objects.filter(status=EventStatus.ACCEPTED).aggregate(oldest=Min("created_at"))
        oldest_voucher = Redemption.objects.filter(
            status=RedemptionStatus.EXCHANGED, gift__type=Gift.VOUCHER, voucher__isnull=True
        ).aggregate(oldest=Min("created_at"))
        return Figures(
            ledger=[(program, kind, points or 0, entries) for program, kind, points, entries in ledger],
            earns=list(earns),
            redemptions=list(redemptions),
            events=list(events),
            oldest_accepted_event=oldest_event["oldest"],
            oldest_waiting_voucher=oldest_voucher["oldest"],
        )


def queue_names() -> list[str]:
    """The default queue, every declared queue and every queue a route names."""
    from loyalty.celery import app

    names = set(app.amqp.queues.keys()) | {app.conf.task_default_queue}
    routes = app.conf.task_routes
    if isinstance(routes, dict):
        names |= {route["queue"] for route in routes.values() if isinstance(route, dict) and route.get("queue")}
    return sorted(names)


def queue_lengths(broker_url: str) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    try:
        names = queue_names()
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.llen(name)
            for priority in KOMBU_PRIORITIES:
                pipe.llen(f"{name}{KOMBU_PRIORITY_SEP}{priority}")
        lengths = pipe.execute()
    finally:
        client.close()
    per_queue = 1 + len(KOMBU_PRIORITIES)
    return {name: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, name in enumerate(names)}


def _age(since: datetime.datetime | None, now: datetime.datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


class BusinessCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        yield from self._database()
        yield from self._queues()

    def _database(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("loyalty_business_metrics_up", "1 when the business figures below could be read.")
        try:
            figures = database_figures()
        except DatabaseError:
            logger.warning("Business metrics not computed: the database did not answer.", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now = timezone.now()

        points = GaugeMetricFamily(
            "loyalty_ledger_points",
            "Sum of the points of the ledger entries, by program and entry kind (earn, event, redemption, capture, "
            "reversal, refund, expiry, adjustment, transfer_in, transfer_out; lock, release and activation move "
            "points between balance parts). Debits are negative.",
            labels=["program", "kind"],
        )
        entries = GaugeMetricFamily(
            "loyalty_ledger_entries", "Number of ledger entries, by program and entry kind.", labels=["program", "kind"]
        )
        for program, kind, total, count in figures.ledger:
            points.add_metric([program, kind], total)
            entries.add_metric([program, kind], count)
        yield points
        yield entries

        earns = GaugeMetricFamily(
            "loyalty_earns", "Number of earns (posted purchases), by program.", labels=["program"]
        )
        for program, count in figures.earns:
            earns.add_metric([program], count)
        yield earns

        redemptions = GaugeMetricFamily(
            "loyalty_redemptions", "Number of redemptions, by program and status.", labels=["program", "status"]
        )
        for program, status, count in figures.redemptions:
            redemptions.add_metric([program, status], count)
        yield redemptions

        events = GaugeMetricFamily(
            "loyalty_events", "Number of events, by program and outcome (status).", labels=["program", "status"]
        )
        for program, status, count in figures.events:
            events.add_metric([program, status], count)
        yield events

        yield GaugeMetricFamily(
            "loyalty_oldest_accepted_event_age_seconds",
            "Age of the oldest event still accepted (its reward not run yet); 0 when none waits.",
            value=_age(figures.oldest_accepted_event, now),
        )
        yield GaugeMetricFamily(
            "loyalty_oldest_waiting_voucher_age_seconds",
            "Age of the oldest voucher redemption still waiting for its voucher (outbox lag); 0 when none waits.",
            value=_age(figures.oldest_waiting_voucher, now),
        )

    def _queues(self) -> Iterator[Metric]:
        broker_url = settings.CELERY_BROKER_URL
        if not broker_url.startswith(("redis://", "rediss://", "unix://")):
            return
        up = GaugeMetricFamily("loyalty_celery_broker_up", "1 when the Celery broker answered the scrape.")
        try:
            lengths = queue_lengths(broker_url)
        except Exception:  # any failure of the broker: the scrape still answers
            logger.warning("Celery queue lengths not read: the broker did not answer.", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queues = GaugeMetricFamily(
            "loyalty_celery_queue_length", "Messages waiting in each Celery queue (Redis LLEN).", labels=["queue"]
        )
        for name, length in lengths.items():
            queues.add_metric([name], length)
        yield queues

"""Ledger history for the demo's members: purchases, events and a few redemptions, posted through the
same services as the API, so balances, lots and history are real. Idempotent: every write has a
reference derived from the member id, and members that already have their first purchase are skipped.
Everything a member does falls after their enrolment (`enrolled_at`, set by the loader).
"""

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Gift
from loyalty.core.errors import DomainError
from members.models import Member
from programs.models import EventType, Program
from rewards.engine import Line
from rewards.models import Earn
from rewards.notifications.services import notifications_paused
from rewards.services.earning import Basket, points_earn
from rewards.services.events import event_accept, event_reward
from rewards.services.redemption import redeem, redemption_transition

PRODUCTS = (
    ("COF-250", "coffee", "7.90"),
    ("COF-1000", "coffee", "21.90"),
    ("TEA-GREEN", "organic", "4.20"),
    ("MILK-BIO-1L", "dairy", "1.85"),
    ("CHEESE-200", "dairy", "5.60"),
    ("APPLES-1KG", "fruit", "3.40"),
    ("WINE-RED", "wine", "11.50"),
    ("BREAD-SPELT", "bakery", "4.10"),
    ("CHOC-DARK", "sweets", "2.95"),
    ("PASTA-500", "grocery", "1.79"),
)
CHANNELS = ("store", "store", "store", "web", "app")
CHEAP_GIFTS = ("TOTE-BAG", "MUG-CLASSIC", "V05", "PHOTO-FRAME", "COFFEE-250")
SEED = 7_2026


def demo_history(*, program: Program, members: list[Member], progress: Callable[[int, int], None] | None = None) -> int:
    """Posts the demo history; returns how many members got theirs now."""
    rng = random.Random(SEED)
    now = timezone.now()
    event_types = {e.code: e for e in EventType.objects.filter(program=program, active=True)}
    gifts = {
        g.sku: g
        for g in Gift.objects.filter(program=program, sku__in=CHEAP_GIFTS).select_related("category__parent__parent")
    }
    done_refs = set(
        Earn.objects.filter(program=program, reference__startswith="DEMO-H-").values_list("reference", flat=True)
    )
    posted = 0
    active = [m for m in members if not m.is_blocked]
    for index, member in enumerate(active, start=1):
        # Drawn for every member, so each member's history is the same on every run.
        plan = _plan(rng, now, member.enrolled_at)
        if f"DEMO-H-{member.member_id}-1" in done_refs:
            continue
        # The history is the past: its members are not e-mailed about it (paused until after the commit).
        with notifications_paused(), transaction.atomic():
            _post(program, member, plan, event_types, gifts)
        posted += 1
        if progress and index % 50 == 0:
            progress(index, len(active))
    return posted


PURCHASE_DAYS = 150  # how far back purchases go
EVENT_DAYS = 60


def _within(days: int, most: int, enrolled_days: int) -> int:
    """A draw of 1..most days ago, squeezed into the days since enrolment for a recent member: the same draws
    are used either way, so the members after it keep their plans."""
    limit = max(1, min(most, enrolled_days - 1))
    return 1 + (days - 1) * (limit - 1) // max(most - 1, 1)


def _plan(rng: random.Random, now: datetime.datetime, enrolled_at: datetime.datetime) -> dict:
    enrolled_days = (now - enrolled_at).days
    purchases = []
    for _ in range(rng.randint(1, 4)):
        lines = []
        for number, (sku, category, price) in enumerate(rng.sample(PRODUCTS, rng.randint(1, 5)), start=1):
            quantity = rng.randint(1, 4)
            lines.append(Line(str(number), sku, category, quantity, Decimal(price) * quantity))
        days = _within(rng.randint(1, PURCHASE_DAYS), PURCHASE_DAYS, enrolled_days)
        when = now - datetime.timedelta(days=days, hours=rng.randint(0, 10))
        purchases.append((when, rng.choice(CHANNELS), tuple(lines)))
    purchases.sort(key=lambda p: p[0])
    return {
        "purchases": purchases,
        "event": rng.choice(("SURVEY", "REVIEW", "APP-INSTALL", None, None)),
        "event_days": _within(rng.randint(1, EVENT_DAYS), EVENT_DAYS, enrolled_days),
        "gift": rng.choice(CHEAP_GIFTS) if rng.random() < 0.3 else None,
        "gift_progress": rng.choice(("exchanged", "in_preparation", "in_delivery", "delivered", "cancelled")),
    }


def _post(program: Program, member: Member, plan: dict, event_types: dict, gifts: dict) -> None:
    for number, (when, channel, lines) in enumerate(plan["purchases"], start=1):
        basket = Basket(lines=lines, occurred_at=when, channel=channel, store="BRU-01" if channel == "store" else "")
        points_earn(program=program, member=member, basket=basket, reference=f"DEMO-H-{member.member_id}-{number}")
    event_type = event_types.get(plan["event"]) if plan["event"] else None
    if event_type is not None:
        event = event_accept(
            program=program,
            member=member,
            event_type=event_type,
            reference=f"DEMO-H-{member.member_id}-EV",
            occurred_at=timezone.now() - datetime.timedelta(days=plan["event_days"]),
            attributes={"source": "demo"},
        )
        event_reward(event_id=event.pk)
    gift = gifts.get(plan["gift"]) if plan["gift"] else None
    if gift is None:
        return
    try:
        redemption = redeem(
            program=program,
            member=member,
            gift=gift,
            quantity=1,
            reference=f"DEMO-H-{member.member_id}-GIFT",
            actor="load_demo",
        )
    except DomainError:
        return  # not enough points (or no stock): no gift for this member
    if gift.type != Gift.PHYSICAL:
        return
    steps = {"in_preparation": 1, "in_delivery": 2, "delivered": 3}.get(plan["gift_progress"], 0)
    for status in ("in_preparation", "in_delivery", "delivered")[:steps]:
        redemption = redemption_transition(redemption=redemption, status=status, actor="load_demo")
    if plan["gift_progress"] == "cancelled":
        redemption_transition(redemption=redemption, status="cancelled", actor="load_demo")

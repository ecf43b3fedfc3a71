"""The concurrency auditor: threads issue random movements on a few shared members at once (PostgreSQL, each thread
its own connection); afterwards every accepted operation must be in the ledger exactly once, every refused one
not at all, and the reference model, fed the accepted operations in the order the database serialised them,
must end exactly where the database is: balances and every lot."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from loyalty.core.errors import DomainError
from rewards.engine import Line
from rewards.idempotency import Answer, run_idempotent
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, PointsLot
from rewards.services.earning import Basket, points_earn
from rewards.services.points import lock_capture, lock_release, points_adjust, points_lock, points_transfer
from rewards.services.redemption import redeem
from rewards.tests.ledger_model import BasketLine, LedgerModel, Promo
from tests.factories import GiftFactory, MemberFactory, ProgramFactory, PromotionFactory
from tests.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
OPERATIONS = 30
MEMBERS = ("A", "B", "C")
# The ledger entries each kind of accepted operation writes (under its own reference).
ENTRY_KINDS = {
    "earn": ("earn",),
    "redeem": ("redemption",),
    "adjust": ("adjustment",),
    "transfer": ("transfer_out", "transfer_in"),
    "lock": ("lock",),
    "capture": ("capture",),
    "release": ("release",),
}


@dataclass
class Done:
    kind: str
    reference: str
    args: tuple
    accepted: bool
    code: str = ""


def test_concurrent_movements_are_each_applied_once_and_agree_with_the_model():
    program = ProgramFactory(code="AUDIT", expiry_months=None, pending_days=0, allow_negative_balance=False)
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    gift = GiftFactory(program=program, sku="G20", points=20)
    members = {name: MemberFactory(program=program, member_id=name) for name in MEMBERS}
    for member in members.values():
        fund(member, 100, reference=f"FUND-{member.member_id}")
    barrier = threading.Barrier(THREADS)

    def worker(seed: int) -> list[Done]:
        rng = random.Random(seed)
        done: list[Done] = []
        try:
            barrier.wait()
            for i in range(OPERATIONS):
                done.append(one_operation(program, gift, members, rng, f"{seed}-{i}"))
                if done[-1].kind == "lock" and done[-1].accepted:
                    done.append(finish_lock(program, done[-1], rng))
        finally:
            connections.close_all()
        return done

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [d for batch in pool.map(worker, range(THREADS)) for d in batch]

    accepted = [d for d in results if d.accepted]
    refused = [d for d in results if not d.accepted]
    assert accepted and refused, "the mix should both succeed and hit refusals (insufficient points)"
    assert {d.code for d in refused} <= {"insufficient_points", "invalid_transition"}
    for d in results:
        entries = LedgerEntry.objects.filter(program=program, reference=d.reference, kind__in=ENTRY_KINDS[d.kind])
        assert entries.count() == (len(ENTRY_KINDS[d.kind]) if d.accepted else 0), d
    assert ledger_differences(program.pk) == []
    assert all(b.available >= 0 for b in PointsBalance.objects.filter(program=program))

    # The model, fed what was accepted in the order the database serialised it, ends where the database is.
    now = timezone.now()
    model = LedgerModel(expiry_months=None, pending_days=0, allow_negative=False)
    for name in MEMBERS:
        model.enrol(name)
        model.adjust(name, 100, now)
    first_entry: dict[tuple[str, str], int] = {}
    for pk, reference, kind in LedgerEntry.objects.filter(program=program).values_list("pk", "reference", "kind"):
        first_entry[(reference, kind)] = min(pk, first_entry.get((reference, kind), pk))
    base = [Promo("BASE", "spend", rate=Decimal("1"))]
    serialised = sorted(accepted, key=lambda d: min(first_entry[(d.reference, k)] for k in ENTRY_KINDS[d.kind]))
    for d in serialised:
        if d.kind == "earn":
            member, amount = d.args
            model.earn(d.reference, member, [BasketLine("1", "X", "x", 1, amount)], base, None, now, now)
        elif d.kind == "redeem":
            model.redeem(d.reference, d.args[0], 20, now)
        elif d.kind == "adjust":
            model.adjust(d.args[0], d.args[1], now)
        elif d.kind == "transfer":
            model.transfer(d.args[0], d.args[1], d.args[2], now)
        elif d.kind == "lock":
            model.lock(d.reference, d.args[0], d.args[1], now + timedelta(days=1), now)
        else:
            model.finish_lock(d.reference, None, d.kind == "release", now)
    for name, member in members.items():
        row = PointsBalance.objects.get(member=member)
        assert (row.available, row.pending, row.locked) == model.row(name), name
        lots = PointsLot.objects.filter(member=member).order_by("id")
        assert [(x.expires_at, x.pending, x.points, x.remaining) for x in lots] == model.lots(name), name


def one_operation(program, gift, members, rng: random.Random, suffix: str) -> Done:
    kind = rng.choice(["earn", "redeem", "adjust", "transfer", "lock"])
    name = rng.choice(MEMBERS)
    member = members[name]
    reference = f"{kind}-{suffix}"
    try:
        if kind == "earn":
            amount = Decimal(rng.randint(1, 40))
            basket = Basket(lines=(Line("1", "X", "x", 1, amount),), occurred_at=_now())
            _idempotent(
                program,
                "earn",
                reference,
                lambda: points_earn(program=program, member=member, basket=basket, reference=reference),
            )
            return Done(kind, reference, (name, amount), True)
        if kind == "redeem":
            _idempotent(
                program,
                "redemption",
                reference,
                lambda: redeem(program=program, member=member, gift=gift, quantity=1, reference=reference),
            )
            return Done(kind, reference, (name,), True)
        if kind == "adjust":
            points = rng.choice([-30, -10, 15, 25])
            _idempotent(
                program,
                "adjustment",
                reference,
                lambda: points_adjust(
                    program=program, member=member, points=points, reference=reference, reason="audit"
                ),
            )
            return Done(kind, reference, (name, points), True)
        if kind == "transfer":
            other = rng.choice([n for n in MEMBERS if n != name])
            points = rng.randint(1, 40)
            _idempotent(
                program,
                "transfer",
                reference,
                lambda: points_transfer(
                    program=program, sender=member, receiver=members[other], points=points, reference=reference
                ),
            )
            return Done(kind, reference, (name, other, points), True)
        points = rng.randint(1, 40)
        points_lock(program=program, member=member, points=points, reference=reference, expires_in=86_400)
        return Done(kind, reference, (name, points), True)
    except DomainError as error:
        return Done(kind, reference, (name,), False, error.code)


def finish_lock(program, lock: Done, rng: random.Random) -> Done:
    """A lock is finished later by the thread that made it, captured or released."""
    kind = rng.choice(["capture", "release"])
    (lock_capture if kind == "capture" else lock_release)(program=program, reference=lock.reference)
    return Done(kind, lock.reference, lock.args, True)


def _idempotent(program, operation: str, reference: str, perform) -> None:
    run_idempotent(
        program=program,
        operation=operation,
        reference=reference,
        payload={"reference": reference},
        perform=lambda: (perform(), Answer(201, {}))[1],
    )


def _now():
    return timezone.now()

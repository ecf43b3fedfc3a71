"""The ledger checked against a model: Hypothesis drives random sequences of every points movement through the real
services on the database, and after each step the database must agree with `ledger_model` (an independent
reference written from the contract) to the point and to the lot.

Run more examples locally with `LEDGER_MODEL_EXAMPLES=2000 .venv/bin/pytest rewards/tests/test_ledger_model.py`
(or `bench/ledger_soak.py`). `LEDGER_MODEL_BREAK=newest_first` runs it against a deliberately broken ledger
(debits taking the newest lots first) to show that the machine catches and shrinks such a bug.
"""

import copy
import datetime
import itertools
import os
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from loyalty.core.errors import DomainError
from members.selectors import member_get
from members.services import member_set_status
from programs.models import EventType
from rewards.engine import Line
from rewards.idempotency import Answer, run_idempotent
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, PointsLot, Promotion, Redemption
from rewards.selectors import member_balance
from rewards.services import clock
from rewards.services.earning import Basket, earn_post, earn_reverse
from rewards.services.events import event_accept, event_reward
from rewards.services.points import lock_capture, lock_release, points_adjust, points_lock, points_transfer
from rewards.services.promotions import promotion_save
from rewards.services.redemption import redeem, redemption_transition
from rewards.tests.ledger_model import BasketLine, LedgerModel, Promo, Refused
from tests.factories import GiftFactory, MemberFactory, ProgramFactory, PromotionFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
MEMBERS = ("A", "B", "C")
PRODUCTS = {
    "BEAN": ("coffee", Decimal("7.50")),
    "MUG": ("home", Decimal("12.00")),
    "TEA": ("tea", Decimal("3.25")),
    "CUP": ("coffee", Decimal("2.10")),
}
STATUSES = ["in_preparation", "in_delivery", "delivered", "cancelled", "returned"]
_programs = itertools.count(1)

lines_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(PRODUCTS)), st.integers(min_value=1, max_value=4)), min_size=1, max_size=3
)


class LedgerMachine(RuleBasedStateMachine):
    earns = Bundle("earns")
    redemptions = Bundle("redemptions")
    locks = Bundle("locks")
    writes = Bundle("writes")

    def __init__(self):
        super().__init__()
        self.traveller = time_machine.travel(T0, tick=False)
        self.clock = self.traveller.start()
        self.references = itertools.count(1)
        self.written: dict[str, tuple] = {}

    @initialize(
        expiry_months=st.sampled_from([None, 1, 2]),
        pending_days=st.sampled_from([0, 2]),
        allow_negative=st.booleans(),
    )
    def setup(self, expiry_months, pending_days, allow_negative):
        self.program = ProgramFactory(
            code=f"LM{next(_programs)}",
            expiry_months=expiry_months,
            pending_days=pending_days,
            allow_negative_balance=allow_negative,
        )
        self.model = LedgerModel(expiry_months=expiry_months, pending_days=pending_days, allow_negative=allow_negative)
        self.members = {}
        for name in MEMBERS:
            self.members[name] = MemberFactory(program=self.program, member_id=name)
            self.model.enrol(name)
        definitions = [
            Promo("BASE", "spend", rate=Decimal("1")),
            Promo("WEB", "spend", rate=Decimal("0.5"), channels=("web",)),
            Promo("COFFEE", "quantity", points=3, categories=("coffee",), max_points=20),
            Promo("BONUS", "basket", points=10, threshold=Decimal("30.00")),
            Promo("DOUBLE", "multiplier", factor=Decimal("2"), products=("BEAN",)),
        ]
        self.promos = {p.code: p for p in definitions}
        for p in definitions:
            PromotionFactory(
                program=self.program,
                code=p.code,
                kind=p.kind,
                rate=p.rate if p.kind == "spend" else None,
                points=p.points if p.kind in ("quantity", "basket") else None,
                threshold=p.threshold if p.kind == "basket" else None,
                factor=p.factor if p.kind == "multiplier" else None,
                products=list(p.products),
                product_categories=list(p.categories),
                channels=list(p.channels),
                max_points=p.max_points,
            )
        self.gifts = {points: GiftFactory(program=self.program, sku=f"G{points}", points=points) for points in (5, 20)}
        self.event_type = EventType.objects.create(program=self.program, code="SURVEY", name={"en": "S"}, points=15)

    # -- helpers --

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def reference(self, kind: str) -> str:
        return f"{kind}-{next(self.references)}"

    def run(self, predict, perform):
        """Runs the model's prediction and the database's operation; both succeed, or both refuse alike."""
        backup = copy.deepcopy(self.model)
        try:
            expected = predict()
        except Refused as refused:
            self.model = backup
            expected = refused
        try:
            outcome = perform()
        except DomainError as error:
            assert isinstance(expected, Refused), f"the database refused ({error.code}) what the model accepted"
            assert error.code == expected.code, (error.code, expected.code)
            return None
        assert not isinstance(expected, Refused), f"the model refused ({expected.code}) what the database accepted"
        return outcome, expected

    def idempotent(self, operation: str, reference: str, payload: dict, perform):
        """The write as the API runs it: once per reference, its answer kept for replays."""
        return run_idempotent(
            program=self.program, operation=operation, reference=reference, payload=payload, perform=perform
        )

    # -- rules --

    @rule(
        targets=(earns, writes),
        member=st.sampled_from(MEMBERS),
        items=lines_strategy,
        channel=st.sampled_from([None, "store", "web"]),
        days_ago=st.one_of(st.just(0), st.integers(min_value=0, max_value=70)),
    )
    def earn(self, member, items, channel, days_ago):
        occurred_at = self.now() - datetime.timedelta(days=days_ago)
        lines = [
            BasketLine(str(i + 1), sku, PRODUCTS[sku][0], quantity, PRODUCTS[sku][1] * quantity)
            for i, (sku, quantity) in enumerate(items)
        ]
        basket = Basket(
            lines=tuple(Line(b.line_id, b.sku, b.category, b.quantity, b.amount) for b in lines),
            occurred_at=occurred_at,
            channel=channel,
        )
        reference = self.reference("E")
        payload = {"member_id": member, "lines": [[b.sku, b.quantity] for b in lines], "channel": channel}

        def perform():
            # The partner API's earn (earn_post: the one-statement lock and the idempotent write).
            outcome = earn_post(program_id=self.program.pk, member_id=member, basket=basket, reference=reference)
            return Answer(201, {"points": outcome.evaluation.points, "balance": outcome.balance.as_dict()})

        done = self.run(
            lambda: self.model.earn(
                reference, member, lines, list(self.promos.values()), channel, occurred_at, self.now()
            ),
            lambda: self.idempotent("earn", reference, payload, perform),
        )
        if done is None:
            return multiple()
        answer, points = done
        assert answer.body["points"] == points
        return self.remember("earn", reference, payload, perform, answer)

    @rule(target=writes, earn=earns, whole=st.booleans(), data=st.data())
    def reverse(self, earn, whole, data):
        record = self.model.earns[earn]
        returns = None
        if not whole:
            picked = data.draw(st.lists(st.sampled_from(record.lines), min_size=1, max_size=3, unique=True))
            returns = [(line.line_id, data.draw(st.integers(1, line.quantity))) for line in picked]
        reference = self.reference("R")
        payload = {"earn": earn, "lines": returns}

        def perform():
            outcome = earn_reverse(program=self.program, earn_reference=earn, reference=reference, returns=returns)
            return Answer(201, {"points": -outcome.points, "balance": outcome.balance.as_dict()})

        done = self.run(
            lambda: self.model.reverse(earn, returns, self.now()),
            lambda: self.idempotent("reversal", reference, payload, perform),
        )
        if done is None:
            return multiple()
        answer, points = done
        assert answer.body["points"] == -points
        return self.remember("reversal", reference, payload, perform, answer)

    @rule(
        targets=(redemptions, writes),
        member=st.sampled_from(MEMBERS),
        cost=st.sampled_from([5, 20]),
        quantity=st.integers(1, 2),
    )
    def redeem(self, member, cost, quantity):
        reference = self.reference("D")
        payload = {"member_id": member, "gift": cost, "quantity": quantity}

        def perform():
            redemption = redeem(
                program=self.program,
                member=self.members[member],
                gift=self.gifts[cost],
                quantity=quantity,
                reference=reference,
            )
            return Answer(201, {"id": redemption.pk, "points": redemption.points})

        done = self.run(
            lambda: self.model.redeem(reference, member, cost * quantity, self.now()),
            lambda: self.idempotent("redemption", reference, payload, perform),
        )
        if done is None:
            return multiple()
        return self.remember("redemption", reference, payload, perform, done[0])

    @rule(redemption=redemptions, status=st.sampled_from(STATUSES))
    def move_redemption(self, redemption, status):
        stored = Redemption.objects.get(program=self.program, reference=redemption)
        self.run(
            lambda: self.model.refund(redemption, status, self.now()),
            lambda: redemption_transition(redemption=stored, status=status),
        )

    @rule(
        targets=(locks, writes),
        member=st.sampled_from(MEMBERS),
        points=st.integers(1, 60),
        minutes=st.integers(1, 4 * 24 * 60),
    )
    def lock(self, member, points, minutes):
        reference = self.reference("L")
        payload = {"member_id": member, "points": points, "expires_in": minutes * 60}

        def perform():
            outcome = points_lock(
                program=self.program,
                member=self.members[member],
                points=points,
                reference=reference,
                expires_in=minutes * 60,
            )
            return Answer(201, {"status": outcome.lock.status, "balance": outcome.balance.as_dict()})

        expires_at = self.now() + datetime.timedelta(minutes=minutes)
        done = self.run(
            lambda: self.model.lock(reference, member, points, expires_at, self.now()),
            lambda: self.idempotent("lock", reference, payload, perform),
        )
        if done is None:
            return multiple()
        return self.remember("lock", reference, payload, perform, done[0])

    @rule(lock=locks, how=st.sampled_from(["whole", "part", "release"]), part=st.integers(1, 70))
    def finish_lock(self, lock, how, part):
        capture = None if how == "whole" else part
        if how == "release":
            perform = lambda: lock_release(program=self.program, reference=lock)  # noqa: E731
        else:
            perform = lambda: lock_capture(program=self.program, reference=lock, points=capture)  # noqa: E731
        self.run(lambda: self.model.finish_lock(lock, capture, how == "release", self.now()), perform)

    @rule(target=writes, sender=st.sampled_from(MEMBERS), receiver=st.sampled_from(MEMBERS), points=st.integers(1, 80))
    def transfer(self, sender, receiver, points):
        if sender == receiver:
            return multiple()
        reference = self.reference("T")
        payload = {"from": sender, "to": receiver, "points": points}

        def perform():
            outcome = points_transfer(
                program=self.program,
                sender=self.members[sender],
                receiver=self.members[receiver],
                points=points,
                reference=reference,
            )
            return Answer(201, {"from": outcome.from_balance.as_dict(), "to": outcome.to_balance.as_dict()})

        done = self.run(
            lambda: self.model.transfer(sender, receiver, points, self.now()),
            lambda: self.idempotent("transfer", reference, payload, perform),
        )
        if done is None:
            return multiple()
        return self.remember("transfer", reference, payload, perform, done[0])

    @rule(target=writes, member=st.sampled_from(MEMBERS), points=st.integers(-60, 120).filter(bool))
    def adjust(self, member, points):
        reference = self.reference("A")
        payload = {"member_id": member, "points": points}

        def perform():
            balance = points_adjust(
                program=self.program, member=self.members[member], points=points, reference=reference, reason="r"
            )
            return Answer(201, {"balance": balance.as_dict()})

        done = self.run(
            lambda: self.model.adjust(member, points, self.now()),
            lambda: self.idempotent("adjustment", reference, payload, perform),
        )
        if done is None:
            return multiple()
        return self.remember("adjustment", reference, payload, perform, done[0])

    @rule(member=st.sampled_from(MEMBERS), hours_ago=st.integers(0, 24 * 40))
    def event(self, member, hours_ago):
        if self.members[member].is_blocked:
            return  # refused at the door (member_blocked): nothing to reward
        occurred_at = self.now() - datetime.timedelta(hours=hours_ago)
        accepted = event_accept(
            program=self.program,
            member=self.members[member],
            event_type=self.event_type,
            reference=self.reference("V"),
            occurred_at=occurred_at,
            attributes={},
        )
        expected = self.model.event(member, self.event_type.points, occurred_at, self.now())
        assert event_reward(event_id=accepted.pk).status == expected

    @rule(member=st.sampled_from(MEMBERS), blocked=st.booleans())
    def block(self, member, blocked):
        self.members[member] = member_set_status(member=self.members[member], status="blocked" if blocked else "active")
        self.model.members[member].blocked = blocked

    @rule(rate=st.sampled_from(["1", "2", "0.5"]))
    def change_base_rate(self, rate):
        """Earns keep the rules of their moment: later reversals must not see this change."""
        promotion = Promotion.objects.get(program=self.program, code="BASE")
        promotion_save(promotion=promotion, values={"rate": Decimal(rate)})
        base = self.promos["BASE"]
        self.promos["BASE"] = Promo(base.code, base.kind, rate=Decimal(rate))

    @rule(hours=st.one_of(st.sampled_from([1, 24, 72, 24 * 20, 24 * 40]), st.integers(1, 24 * 45)))
    def time_passes(self, hours):
        self.clock.shift(datetime.timedelta(hours=hours))

    @rule(job=st.sampled_from(["activate", "release", "expire"]))
    def clock_job(self, job):
        now = self.now()
        if job == "activate":
            clock.activate_due_points(now=now)
            due = [n for n, m in self.model.members.items() if any(x.pending and x.available_at <= now for x in m.lots)]
        elif job == "release":
            clock.release_expired_locks(now=now)
            due = [
                n
                for n, m in self.model.members.items()
                if any(lk.status == "locked" and lk.expires_at <= now for lk in m.locks.values())
            ]
        else:
            clock.expire_points(now=now)
            for name in MEMBERS:
                self.model.expire(name, now)
            return
        for name in due:
            self.model.settle(name, now)

    @rule(reference=writes)
    def replay(self, reference):
        operation, payload, perform, answer = self.written[reference]
        entries = LedgerEntry.objects.filter(program=self.program).count()
        again = self.idempotent(operation, reference, payload, perform)
        assert again.replayed and again.body == answer.body
        assert LedgerEntry.objects.filter(program=self.program).count() == entries

    def remember(self, operation, reference, payload, perform, answer) -> str:
        """Keeps the write for replays: its reference goes to the `writes` bundle."""
        self.written[reference] = (operation, payload, perform, answer)
        return reference

    # -- invariants --

    @invariant()
    def database_agrees_with_the_model(self):
        """Each member: the balance row and the balance as of now equal the model's; every lot equals the model's
        lot; the entries add up to the row, part by part, and their `balance_after` is a running sum; the lots
        hold what the row says (check_ledger's invariants, computed here from the rows already read)."""
        if not hasattr(self, "program"):
            return
        now = self.now()
        for name, member in self.members.items():
            row = PointsBalance.objects.get(member=member)
            assert (row.available, row.pending, row.locked) == self.model.row(name), name
            fresh = member_get(program=self.program, member_id=name, segments=False)  # as a request loads it
            assert member_balance(member=fresh) == self.model.view(name, now), name
            lots = list(PointsLot.objects.filter(member=member).order_by("id"))
            assert [(x.expires_at, x.pending, x.points, x.remaining) for x in lots] == self.model.lots(name), name
            assert sum(x.remaining for x in lots if x.pending) == row.pending, name
            assert sum(x.remaining for x in lots if not x.pending) == max(0, row.available + row.locked), name
            running, parts = 0, [0, 0, 0]
            entries = LedgerEntry.objects.filter(member=member).order_by("id")
            for points, after, *deltas in entries.values_list(
                "points", "balance_after", "available_delta", "pending_delta", "locked_delta"
            ):
                running += points
                parts = [p + d for p, d in zip(parts, deltas, strict=True)]
                assert after == running, name
            assert parts == [row.available, row.pending, row.locked], name

    def teardown(self):
        if hasattr(self, "program"):
            assert ledger_differences(self.program.pk) == []  # and the command's own check agrees
        self.traveller.stop()


def _broken_newest_first(monkeypatch):
    """A deliberately broken ledger: debits take the newest lots first."""
    from rewards.services import ledger

    original = ledger.F

    class Newest:
        def __init__(self, name):
            self.name = name

        def asc(self, **kwargs):
            return F(self.name).desc(**kwargs) if self.name == "expires_at" else F(self.name).asc(**kwargs)

    monkeypatch.setattr(ledger, "F", lambda name: Newest(name) if name == "expires_at" else original(name))


def test_the_ledger_agrees_with_the_model(monkeypatch):
    if os.environ.get("LEDGER_MODEL_BREAK") == "newest_first":
        _broken_newest_first(monkeypatch)
    examples = int(os.environ.get("LEDGER_MODEL_EXAMPLES", "40"))
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=examples,
        stateful_step_count=int(os.environ.get("LEDGER_MODEL_STEPS", "40")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        derandomize=os.environ.get("LEDGER_MODEL_RANDOM") is None,
        print_blob=True,
    )
    machine().runTest()

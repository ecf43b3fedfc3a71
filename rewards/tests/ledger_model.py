"""A reference model of members' points, written from the contract (API.md) and the README's "Decisions worth
knowing", independently of the services: it imports nothing from `rewards`.

What it holds per member: the balance's three parts (available may go negative where the program allows it), the
lots (one per credit, with `expires_at`, and `available_at` while pending), the open locks, and the earns with their
basket and the promotion definitions of their moment. Rules, as the contract and README state them:

- every credit opens a lot; a member in debt (available + locked below zero) repays it from the new lot first;
- debits take from the lots that expire soonest first (never-expiring last, then by age); a reversal takes back
  its own earn's points first; points that no lot holds are debt;
- a refund gives the points back to the very lots the redemption took them from (a new never-expiring lot for what
  no lot had held);
- the clock, for a member, first makes due pending points available (repaying debt), then releases expired locks,
  then expires due lots: all their points but what the locks hold (a lock holds the soonest-expiring points), never
  more than is available;
- an earn's points: every applicable promotion's unrounded shares per line, floored once per promotion, capped by
  `max_points`; a multiplier adds (factor - 1) x what spend promotions gave each eligible line before their caps;
  a partial return recomputes the kept basket with the earn's own rules and posts the difference.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import math
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta

MAX_MOVEMENT = 1_000_000_000
MAX_BALANCE = 1_000_000_000_000
FAR = datetime.datetime.max.replace(tzinfo=datetime.UTC)


class Refused(Exception):
    """The model's prediction that the operation is refused, with the contract's code."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# ---- promotions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Promo:
    code: str
    kind: str  # spend, quantity, basket, multiplier
    rate: Decimal = Decimal(0)
    points: int = 0
    threshold: Decimal = Decimal(0)
    factor: Decimal = Decimal(1)
    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    max_points: int | None = None


@dataclass(frozen=True)
class BasketLine:
    line_id: str
    sku: str
    category: str
    quantity: int
    amount: Decimal


def _eligible(promo: Promo, line: BasketLine) -> bool:
    if not promo.products and not promo.categories:
        return True
    return line.sku in promo.products or line.category in promo.categories


def basket_points(promos: list[Promo], lines: list[BasketLine], channel: str | None) -> int:
    applying = [p for p in promos if not p.channels or channel in p.channels]
    total = 0
    spend_by_line: dict[str, Decimal] = {}
    for promo in applying:
        eligible = [line for line in lines if _eligible(promo, line)]
        if not eligible:
            continue
        if promo.kind == "spend":
            shares = [promo.rate * line.amount for line in eligible]
            for line, share in zip(eligible, shares, strict=True):
                spend_by_line[line.line_id] = spend_by_line.get(line.line_id, Decimal(0)) + share
        elif promo.kind == "quantity":
            shares = [Decimal(promo.points * line.quantity) for line in eligible]
        elif promo.kind == "basket":
            amount = sum((line.amount for line in eligible), Decimal(0))
            shares = [Decimal(promo.points)] if amount >= promo.threshold else []
        else:
            continue
        total += _capped(promo, sum(shares, Decimal(0)))
    # Multipliers: on each line only the highest factor applies.
    best: dict[str, Promo] = {}
    for promo in sorted((p for p in applying if p.kind == "multiplier"), key=lambda p: (-p.factor, p.code)):
        for line in lines:
            if _eligible(promo, line) and line.line_id not in best:
                best[line.line_id] = promo
    for promo in {p.code: p for p in best.values()}.values():
        extra = sum(
            ((promo.factor - 1) * spend_by_line.get(line_id, Decimal(0)) for line_id, p in best.items() if p is promo),
            Decimal(0),
        )
        total += _capped(promo, extra)
    return total


def _capped(promo: Promo, unrounded: Decimal) -> int:
    points = max(0, math.floor(unrounded))
    return min(points, promo.max_points) if promo.max_points is not None else points


# ---- members -------------------------------------------------------------------------------------------------


@dataclass
class Lot:
    number: int
    points: int
    remaining: int
    expires_at: datetime.datetime | None
    pending: bool = False
    available_at: datetime.datetime | None = None

    def sort_key(self) -> tuple:
        return (self.expires_at or FAR, self.number)


@dataclass
class Lock:
    points: int
    expires_at: datetime.datetime
    status: str = "locked"


@dataclass
class EarnRecord:
    member: str
    lines: list[BasketLine]
    promos: list[Promo]
    channel: str | None
    points: int
    lot: Lot | None
    reversed_points: int = 0
    returned: dict[str, int] = field(default_factory=dict)


@dataclass
class Redeemed:
    member: str
    points: int
    taken: list[tuple[Lot, int]]
    status: str = "exchanged"


@dataclass
class MemberPoints:
    available: int = 0
    pending: int = 0
    locked: int = 0
    blocked: bool = False
    lots: list[Lot] = field(default_factory=list)
    locks: dict[str, Lock] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.available + self.pending + self.locked

    def debt(self) -> int:
        return max(0, -(self.available + self.locked))


class LedgerModel:
    def __init__(self, *, expiry_months: int | None, pending_days: int, allow_negative: bool):
        self.expiry_months = expiry_months
        self.pending_days = pending_days
        self.allow_negative = allow_negative
        self.members: dict[str, MemberPoints] = {}
        self.earns: dict[str, EarnRecord] = {}
        self.redemptions: dict[str, Redeemed] = {}
        self._numbers = itertools.count(1)

    # -- dates --

    def expiry_for(self, moment: datetime.datetime) -> datetime.datetime | None:
        if not self.expiry_months:
            return None
        return moment.astimezone(datetime.UTC) + relativedelta(months=self.expiry_months)

    # -- lots --

    def _open(self, m: MemberPoints, points: int, expires_at, *, pending=False, available_at=None, debt=0) -> Lot:
        lot = Lot(next(self._numbers), points, max(0, points - debt), expires_at, pending, available_at)
        m.lots.append(lot)
        return lot

    def _consume(self, m: MemberPoints, points: int, first: Lot | None = None) -> list[tuple[Lot, int]]:
        taken: list[tuple[Lot, int]] = []
        left = points
        order = [first] if first is not None and not first.pending and first.remaining > 0 else []
        order += sorted(
            (lot for lot in m.lots if not lot.pending and lot.remaining > 0 and lot is not first), key=Lot.sort_key
        )
        for lot in order:
            if left <= 0:
                break
            take = min(left, lot.remaining)
            lot.remaining -= take
            taken.append((lot, take))
            left -= take
        return taken

    @staticmethod
    def _take_in_order(lots: list[Lot], points: int) -> None:
        left = points
        for lot in lots:
            if left <= 0:
                break
            take = min(left, lot.remaining)
            lot.remaining -= take
            left -= take

    def _credit(self, m: MemberPoints, points: int, expires_at, *, pending=False, available_at=None) -> Lot | None:
        if points <= 0:
            return None
        if m.total + points > MAX_BALANCE:
            raise Refused("points_limit")
        debt = 0 if pending else m.debt()
        if pending:
            m.pending += points
        else:
            m.available += points
        return self._open(m, points, expires_at, pending=pending, available_at=available_at, debt=debt)

    # -- the clock --

    def settle(self, name: str, now: datetime.datetime) -> None:
        m = self.members[name]
        due = sorted((lot for lot in m.lots if lot.pending and lot.available_at <= now), key=Lot.sort_key)
        if due:
            points = sum(lot.remaining for lot in due)
            debt = m.debt()
            m.available += points
            m.pending -= points
            for lot in due:
                lot.pending = False
            self._take_in_order(due, debt)
        for lock in m.locks.values():
            if lock.status == "locked" and lock.expires_at <= now:
                lock.status = "released"
                m.locked -= lock.points
                m.available += lock.points
        self.expire(name, now)

    def expire(self, name: str, now: datetime.datetime) -> None:
        m = self.members[name]
        due = sorted(
            (
                lot
                for lot in m.lots
                if not lot.pending and lot.remaining > 0 and lot.expires_at and lot.expires_at <= now
            ),
            key=Lot.sort_key,
        )
        points = max(0, min(sum(lot.remaining for lot in due) - m.locked, m.available))
        if points > 0:
            m.available -= points
            self._take_in_order(due, points)

    def view(self, name: str, now: datetime.datetime) -> dict[str, int]:
        """The balance as the member sees it now: what settling would post, without posting it."""
        trial = LedgerModel(
            expiry_months=self.expiry_months, pending_days=self.pending_days, allow_negative=self.allow_negative
        )
        trial.members = {name: copy.deepcopy(self.members[name])}
        trial.settle(name, now)
        m = trial.members[name]
        return {"available": m.available, "pending": m.pending, "locked": m.locked, "total": m.total}

    # -- operations (each settles the members it locks first, as every write does) --

    def enrol(self, name: str) -> None:
        self.members[name] = MemberPoints()

    def earn(self, reference, name, lines, promos, channel, occurred_at, now) -> int:
        m = self.members[name]
        if m.blocked:
            raise Refused("member_blocked")
        points = basket_points(promos, lines, channel)
        if points > MAX_MOVEMENT:
            raise Refused("points_limit")
        self.settle(name, now)
        available_at = occurred_at + datetime.timedelta(days=self.pending_days)
        pending = self.pending_days > 0 and available_at > now
        lot = self._credit(m, points, self.expiry_for(occurred_at), pending=pending, available_at=available_at)
        self.earns[reference] = EarnRecord(name, lines, promos, channel, points, lot)
        return points

    def reverse(self, earn_reference: str, returns: list[tuple[str, int]] | None, now) -> int:
        earn = self.earns[earn_reference]
        quantities = {line.line_id: line.quantity for line in earn.lines}
        if (earn.points > 0 and earn.reversed_points >= earn.points) or all(
            earn.returned.get(i, 0) >= q for i, q in quantities.items()
        ):
            raise Refused("already_reversed")
        after = dict(quantities) if returns is None else {i: earn.returned.get(i, 0) for i in quantities}
        for line_id, quantity in returns or []:
            if after[line_id] + quantity > quantities[line_id]:
                raise Refused("reversal_exceeds_earn")
            after[line_id] += quantity
        if all(after[i] >= q for i, q in quantities.items()):
            target = earn.points
        else:
            kept = [
                BasketLine(
                    line.line_id,
                    line.sku,
                    line.category,
                    line.quantity - after[line.line_id],
                    line.amount * (line.quantity - after[line.line_id]) / line.quantity,
                )
                for line in earn.lines
                if line.quantity - after[line.line_id] > 0
            ]
            target = max(0, earn.points - basket_points(earn.promos, kept, earn.channel))
        points = max(0, min(target, earn.points) - earn.reversed_points)
        m = self.members[earn.member]
        self.settle(earn.member, now)
        lot = earn.lot
        from_pending = lot is not None and lot.pending
        if not from_pending and points > m.available and not self.allow_negative:
            raise Refused("insufficient_points")
        if from_pending:
            m.pending -= points
            lot.remaining -= points
        else:
            m.available -= points
            self._consume(m, points, first=lot)
        earn.reversed_points += points
        earn.returned = after
        return points

    def redeem(self, reference: str, name: str, cost: int, now) -> None:
        m = self.members[name]
        if m.blocked:
            raise Refused("member_blocked")
        self.settle(name, now)
        if m.available < cost:
            raise Refused("insufficient_points")
        m.available -= cost
        self.redemptions[reference] = Redeemed(name, cost, self._consume(m, cost))

    def refund(self, reference: str, status: str, now) -> None:
        redeemed = self.redemptions[reference]
        allowed = {
            "exchanged": {"cancelled", "in_preparation"},
            "in_preparation": {"cancelled", "in_delivery"},
            "in_delivery": {"returned", "delivered"},
            "delivered": {"returned"},
        }
        if status not in allowed.get(redeemed.status, set()):
            raise Refused("invalid_transition")
        redeemed.status = status
        if status not in ("cancelled", "returned"):
            return
        m = self.members[redeemed.member]
        self.settle(redeemed.member, now)
        if m.total + redeemed.points > MAX_BALANCE:
            raise Refused("points_limit")
        debt_before = m.debt()
        m.available += redeemed.points
        for lot, points in redeemed.taken:
            lot.remaining += points
        uncovered = redeemed.points - sum(points for _, points in redeemed.taken)
        if uncovered > 0:
            self._open(m, uncovered, None, debt=debt_before)

    def lock(self, reference: str, name: str, points: int, expires_at, now) -> None:
        m = self.members[name]
        if m.blocked:
            raise Refused("member_blocked")
        self.settle(name, now)
        if m.available < points:
            raise Refused("insufficient_points")
        m.available -= points
        m.locked += points
        m.locks[reference] = Lock(points, expires_at)

    def finish_lock(self, reference: str, capture: int | None, release: bool, now) -> None:
        name, lock = next((n, m.locks[reference]) for n, m in self.members.items() if reference in m.locks)
        m = self.members[name]
        self.settle(name, now)
        if lock.status != "locked":
            raise Refused("invalid_transition")
        captured = 0 if release else (lock.points if capture is None else capture)
        if captured > lock.points:
            raise Refused("invalid_request")
        m.locked -= lock.points
        m.available += lock.points - captured
        lock.status = "released" if release else "captured"
        if captured:
            self._consume(m, captured)

    def transfer(self, sender: str, receiver: str, points: int, now) -> None:
        out, into = self.members[sender], self.members[receiver]
        if out.blocked or into.blocked:
            raise Refused("member_blocked")
        for name in sorted((sender, receiver)):
            self.settle(name, now)
        if out.available < points:
            raise Refused("insufficient_points")
        if into.total + points > MAX_BALANCE:
            raise Refused("points_limit")
        out.available -= points
        debt = into.debt()
        into.available += points
        for lot, taken in self._consume(out, points):
            self._open(into, taken, lot.expires_at, debt=debt)
            debt = max(0, debt - taken)

    def adjust(self, name: str, points: int, now) -> None:
        m = self.members[name]
        self.settle(name, now)
        if points < 0:
            if m.available < -points:
                raise Refused("insufficient_points")
            m.available += points
            self._consume(m, -points)
        else:
            self._credit(m, points, self.expiry_for(now))

    def event(self, name: str, points: int, occurred_at, now) -> str:
        """The reward of an accepted event: its status."""
        m = self.members[name]
        self.settle(name, now)
        if m.blocked:
            return "rejected"
        if m.total + points > MAX_BALANCE:
            return "rejected"
        self._credit(m, points, self.expiry_for(occurred_at))
        return "rewarded"

    # -- what the database is compared with --

    def row(self, name: str) -> tuple[int, int, int]:
        m = self.members[name]
        return m.available, m.pending, m.locked

    def lots(self, name: str) -> list[tuple]:
        """Each lot as (expires_at, pending, points, remaining), in opening order."""
        return [(lot.expires_at, lot.pending, lot.points, lot.remaining) for lot in self.members[name].lots]

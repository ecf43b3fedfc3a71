"""Basket evaluation, earn and earn reversal."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from loyalty.core.errors import InvalidInput
from members.errors import MemberBlocked, MemberNotFound
from members.models import Member
from programs import webhooks
from programs.models import Program
from rewards import statements
from rewards.dates import available_for, expiry_for
from rewards.engine import Context, Evaluation, Line, Rule, RuleSet
from rewards.errors import (
    AlreadyReversed,
    EarnNotFound,
    InsufficientPoints,
    InvalidReturn,
    PointsLimit,
    ReversalExceedsEarn,
)
from rewards.idempotency import Answer, Claim
from rewards.lots import MAX_MOVEMENT
from rewards.models import Earn, EntryKind, LedgerEntry, LotMovement, PointsBalance, PointsLot
from rewards.rules import live_rules, live_rules_warm
from rewards.selectors import earn_rules
from rewards.services.ledger import (
    balance_lock,
    balance_lock_by_member_id,
    entry_post,
    entry_prepare,
    lot_prepare,
    lot_take,
    lots_consume,
)
from rewards.services.tiers import tier_credit, tier_debit


@dataclass(frozen=True)
class Basket:
    lines: tuple[Line, ...]
    occurred_at: datetime.datetime
    channel: str | None = None
    store: str = ""


@dataclass(frozen=True)
class EarnOutcome:
    earn: Earn
    entry: LedgerEntry
    evaluation: Evaluation
    balance: PointsBalance
    available_at: datetime.datetime  # occurred_at + pending_days × 24 h, also when already past
    pending: bool
    answer: Answer | None = None  # the partner's answer, when the earn recorded it (`earn_post`'s `claim`)


@dataclass(frozen=True)
class ReversalOutcome:
    earn: Earn
    entry: LedgerEntry
    points: int
    balance: PointsBalance


def member_segment_codes(member: Member) -> frozenset[str]:
    """The codes read with the member (`member_with_segment_codes`), else its segments (prefetched by
    `member_get` when they are there)."""
    codes = getattr(member, "segment_codes", None)
    return codes if codes is not None else frozenset(s.code for s in member.segments.all())


def member_tier_id(member: Member) -> int | None:
    """The member's stored tier id: read with the member (`member_with_segment_codes`) or its balance row (loaded
    by `member_get`), else one query."""
    if "balance_tier_id" in member.__dict__:
        return member.__dict__["balance_tier_id"]
    balance = member._state.fields_cache.get("balance")
    if balance is not None:
        return balance.tier_id
    return PointsBalance.objects.filter(member_id=member.pk).values_list("tier_id", flat=True).first()


def basket_evaluate(
    *, program: Program, member: Member | None, basket: Basket, explain: bool = False, ruleset: RuleSet | None = None
) -> Evaluation:
    """What the basket earns now for this member (None: a guest, who gets only unsegmented promotions)."""
    live = live_rules(program)
    ruleset = ruleset or live.ruleset
    segments = member_segment_codes(member) if member is not None else None
    tier = live.tier(member_tier_id(member)) if member is not None else None
    context = Context(
        occurred_at=basket.occurred_at,
        channel=basket.channel,
        member_segments=segments,
        member_tier=tier.code if tier is not None else None,
    )
    return ruleset.evaluate(basket.lines, context, explain=explain)


def points_earn(*, program: Program, member: Member, basket: Basket, reference: str) -> EarnOutcome:
    """Evaluates the basket and posts its points once, storing the basket and the rules used."""
    if member.is_blocked:
        raise MemberBlocked(f"Member {member.member_id} is blocked and cannot earn points.")
    segments = member_segment_codes(member)
    with transaction.atomic():
        balance = balance_lock(member=member)
        if member.is_blocked:  # blocked or merged while this waited for the lock
            raise MemberBlocked(f"Member {member.member_id} is blocked and cannot earn points.")
        outcome = _post_earn(program, member, segments, balance, basket, reference)
        webhooks.emit(program=program, event_type="points.earned", subject=outcome)
        return outcome


def earn_post(
    *,
    program_id: int,
    member_id: str,
    basket: Basket,
    reference: str,
    currency: str | None = None,
    claim: Claim | None = None,
    answer_of: Callable[[EarnOutcome], Answer] | None = None,
) -> EarnOutcome:
    """The partner's earn, in as few statements as the work needs: the member's balance row is locked with the
    member, the program and the member's segments in one statement, and the rest is written once.

    Raises MemberNotFound (naming `member_id`), InvalidInput for a `currency` that is not the program's, and the
    errors of `points_earn`. No savepoint: it runs in the caller's transaction when there is one (the API's
    idempotent write), which a failure rolls back whole; `outcome.balance.program` is the program's row.

    With an idempotency `claim` and `answer_of` (the answer for an outcome), the answer is built before the last
    write and, on PostgreSQL, its record goes in the same statement as the earn (`claim.recorded`); it is then
    `outcome.answer`.
    """
    live_rules_warm(program_id)  # before any write: no statement once this process has the program's rules
    with transaction.atomic(savepoint=False):
        balance = balance_lock_by_member_id(program_id=program_id, member_id=member_id)
        if balance is None:
            message = f"Member {member_id} not found."
            raise MemberNotFound(message, {"member_id": [message]})
        program, member = balance.program, balance.member
        member.program = program
        if currency is not None and currency != program.currency:
            message = f"Must be the program's currency, {program.currency}."
            raise InvalidInput(f"Invalid request. currency: {message}", {"currency": [message]})
        if member.is_blocked:
            raise MemberBlocked(f"Member {member.member_id} is blocked and cannot earn points.")
        outcome = _post_earn(
            program, member, frozenset(balance.segment_codes), balance, basket, reference, claim, answer_of
        )
        webhooks.emit(program=program, event_type="points.earned", subject=outcome, subscriptions=balance.webhooks)
        return outcome


def _post_earn(
    program: Program,
    member: Member,
    segments: frozenset[str],
    balance: PointsBalance,
    basket: Basket,
    reference: str,
    claim: Claim | None = None,
    answer_of: Callable[[EarnOutcome], Answer] | None = None,
) -> EarnOutcome:
    """Evaluates and posts under the (locked, settled) balance row: the earn with its snapshot, its entry, its lot;
    an upgrade when the earn takes the member to a higher tier (the earn itself valued with the tier before)."""
    live = live_rules(program)
    tier = live.tier(balance.tier_id)
    context = Context(
        occurred_at=basket.occurred_at,
        channel=basket.channel,
        member_segments=segments,
        member_tier=tier.code if tier is not None else None,
    )
    evaluation = live.ruleset.evaluate(basket.lines, context)
    now = timezone.now()
    available_at = available_for(basket.occurred_at, program.pending_days)
    # Points wait only in a program with pending days (a till a little ahead of the server posts at once).
    pending = program.pending_days > 0 and available_at > now
    expires_at = expiry_for(basket.occurred_at, program.expiry_months)
    points = evaluation.points
    if points > MAX_MOVEMENT:
        raise PointsLimit(f"This basket would earn {points:,} points; one earn moves at most {MAX_MOVEMENT:,}.")
    before = (balance.available, balance.locked)
    earn = Earn(
        program=program,
        member=member,
        reference=reference,
        occurred_at=basket.occurred_at,
        channel=basket.channel or "",
        store=basket.store or "",
        lines=[_line_data(line) for line in basket.lines],
        rule_snapshots=[live.snapshots[rule.code, rule.version] for rule in evaluation.matched_rules],
        segments=sorted(segments),
        points=points,
        available_at=available_at if pending else None,
        expires_at=expires_at,
        created_at=now,
    )
    entry = entry_prepare(
        balance=balance,
        kind=EntryKind.EARN,
        reference=reference,
        occurred_at=basket.occurred_at,
        available=0 if pending else points,
        pending=points if pending else 0,
        description=", ".join(p.code for p in evaluation.promotions),
        earn=earn,
        due=(expires_at, available_at if pending else None) if points > 0 else (),
    )
    change = tier_credit(
        balance=balance, program=program, tiers=live.tiers, points=points, occurred_at=basket.occurred_at, now=now
    )
    lot = None
    if points > 0:
        lot = lot_prepare(
            balance_before=before,
            entry=entry,
            points=points,
            expires_at=expires_at,
            available_at=available_at,
            pending=pending,
        )
    outcome = EarnOutcome(
        earn=earn, entry=entry, evaluation=evaluation, balance=balance, available_at=available_at, pending=pending
    )
    # Every figure of the answer is known now (the tier change included): it is built before the rows are written.
    answer = answer_of(outcome) if answer_of is not None else None
    if connection.vendor == "postgresql":
        record = claim.record(answer) if claim is not None and answer is not None else None
        statements.write_earn(earn=earn, entry=entry, balance=balance, lot=lot, record=record)  # one round trip
        if claim is not None and record is not None:
            claim.recorded = True
    else:
        earn.save(force_insert=True)
        entry.save(force_insert=True)
        balance.save(update_fields=PointsBalance.MOVED_FIELDS)
        if lot is not None:
            lot.save(force_insert=True)
    if change is not None:  # crossing a threshold costs two statements more; other earns none
        balance.save(update_fields=list(PointsBalance.TIER_FIELDS))
        change.save(force_insert=True)
        webhooks.emit(program=program, event_type="member.tier_changed", subject=member, subscriptions=balance.webhooks)
    return replace(outcome, answer=answer) if answer is not None else outcome


def _line_data(line: Line) -> dict:
    return {
        "line_id": line.line_id,
        "sku": line.sku,
        "product_category": line.product_category,
        "quantity": line.quantity,
        "amount": str(line.amount),
    }


def _lines_from(data: list[dict]) -> list[Line]:
    return [
        Line(
            line_id=d["line_id"],
            sku=d["sku"],
            product_category=d.get("product_category"),
            quantity=d["quantity"],
            amount=Decimal(d["amount"]),
        )
        for d in data
    ]


def _returns_checked(earn: Earn, returns: list[tuple[str, int]] | None) -> dict[str, int]:
    """Units returned after this reversal, by line. Unknown lines and impossible quantities are refused."""
    quantities = {d["line_id"]: d["quantity"] for d in earn.lines}
    returned = {line_id: int(earn.returned.get(line_id, 0)) for line_id in quantities}
    if returns is None:
        return dict(quantities)
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, (line_id, quantity) in enumerate(returns):
        if line_id not in quantities:
            errors[f"lines.{index}.line_id"] = [f"Line {line_id} is not in earn {earn.reference}."]
        elif line_id in seen:
            errors[f"lines.{index}.line_id"] = [f"Line {line_id} is listed twice."]
        elif quantity > quantities[line_id]:
            errors[f"lines.{index}.quantity"] = [f"Line {line_id} had only {quantities[line_id]} units."]
        seen.add(line_id)
    if errors:
        raise InvalidReturn("The returned lines do not match the earn.", errors)
    after = dict(returned)
    for line_id, quantity in returns:
        if returned[line_id] + quantity > quantities[line_id]:
            left = quantities[line_id] - returned[line_id]
            raise ReversalExceedsEarn(f"Line {line_id} has {left} unreturned units; {quantity} cannot be returned.")
        after[line_id] = returned[line_id] + quantity
    return after


def _points_after_returns(earn: Earn, returned: dict[str, int]) -> int:
    """The earn's points recomputed on what is kept, with the rules of the earn's moment."""
    kept = []
    for line in _lines_from(earn.lines):
        left = line.quantity - returned.get(line.line_id, 0)
        if left > 0:
            amount = line.amount * left / line.quantity if left != line.quantity else line.amount
            kept.append(Line(line.line_id, line.sku, line.product_category, left, amount))
    if not kept:
        return 0
    rules = earn_rules(earn)
    context = Context(
        occurred_at=earn.occurred_at,
        channel=earn.channel or None,
        member_segments=frozenset(earn.segments),
        member_tier=_tier_at_earn(rules),
    )
    return RuleSet(rules).evaluate(kept, context).points


def _tier_at_earn(rules: list[Rule]) -> str | None:
    """A tier code that meets the tier condition of every rule the earn matched. The earn does not store the
    member's tier, but each of its rules applied to it then, so their tier lists all hold that tier: without one,
    a tier-only promotion would drop out of the kept basket and its points on kept units would be reversed too."""
    common: frozenset[str] | None = None
    for rule in rules:
        if rule.tiers:
            common = rule.tiers if common is None else common & rule.tiers
    return min(common) if common else None


def _points_holder(member: Member) -> Member:
    """The member who holds a merged member's points now: the end of its `merged_into` chain (the member itself
    when it was never merged). A return after a merge takes the points back where they went, not from the
    emptied duplicate, which would only go negative (or refuse) while the points stayed with the target."""
    seen = {member.pk}
    while member.status == Member.MERGED and member.merged_into_id is not None:
        member = Member.objects.get(pk=member.merged_into_id)
        if member.pk in seen:  # a cycle cannot be made through member_merge; never loop on bad data
            break
        seen.add(member.pk)
    return member


def _lot_after_merges(lot: PointsLot) -> PointsLot | None:
    """The lot that now holds what a merge moved out of `lot`, through every merge since: the merge's `merge_in`
    entry on the target opened one lot per lot moved, with the same dates and points (lots alike in all three
    are interchangeable). A lot that was empty at a merge stays where it was (nothing of it moved)."""
    while True:
        moved = (
            LotMovement.objects.filter(lot=lot, entry__kind=EntryKind.MERGE_OUT).select_related("entry__member").first()
        )
        if moved is None:
            return lot
        target_id = moved.entry.member.merged_into_id
        if target_id is None:
            return None
        found = (
            PointsLot.objects.filter(
                member_id=target_id,
                entry__kind=EntryKind.MERGE_IN,
                entry__reference=moved.entry.reference,
                points=-moved.points,
                expires_at=lot.expires_at,
                available_at=lot.available_at,
            )
            .order_by("-remaining", "id")
            .first()
        )
        if found is None:
            return None
        lot = found


def earn_reverse(
    *, program: Program, earn_reference: str, reference: str, returns: list[tuple[str, int]] | None
) -> ReversalOutcome:
    """Reverses an earn, wholly (`returns` None) or for returned units, posting the difference negative."""
    with transaction.atomic():
        # The earn row lock serialises reversals of one earn; the balance lock comes after, always.
        earn = Earn.objects.select_for_update().filter(program=program, reference=earn_reference).first()
        if earn is None:
            raise EarnNotFound(f"Earn {earn_reference} not found.")
        all_units_back = all(int(earn.returned.get(d["line_id"], 0)) >= d["quantity"] for d in earn.lines)
        if (earn.points > 0 and earn.reversed_points >= earn.points) or all_units_back:
            raise AlreadyReversed(f"Earn {earn.reference} is already fully reversed.")
        returned = _returns_checked(earn, returns)
        fully_returned = all(returned[d["line_id"]] >= d["quantity"] for d in earn.lines)
        target = earn.points if fully_returned else max(0, earn.points - _points_after_returns(earn, returned))
        points = max(0, min(target, earn.points) - earn.reversed_points)

        member = _points_holder(earn.member)
        balance = balance_lock(member=member)
        while member.status == Member.MERGED:  # merged while this waited for its balance row (rare): follow it
            member = _points_holder(member)
            balance = balance_lock(member=member)
        lot = PointsLot.objects.filter(entry__earn=earn, entry__kind=EntryKind.EARN).first()
        if lot is not None and member.pk != earn.member_id:
            lot = _lot_after_merges(lot)
            if lot is not None and lot.member_id != member.pk:
                lot = None  # spent before a merge: nothing of it moved, the holder's own lots pay
        from_pending = lot is not None and lot.pending
        if not from_pending and points > balance.available and not program.allow_negative_balance:
            raise InsufficientPoints(
                f"Member {member.member_id} has {balance.available} available points; "
                f"the reversal needs {points} and the program does not allow a negative balance."
            )
        tier_debit(
            balance=balance, program=program, points=points, earn_occurred_at=earn.occurred_at, now=timezone.now()
        )
        entry = entry_post(
            balance=balance,
            kind=EntryKind.REVERSAL,
            reference=reference,
            available=0 if from_pending else -points,
            pending=-points if from_pending else 0,
            description=f"Reversal of {earn.reference}",
            earn=earn,
        )
        if lot is not None and from_pending:
            lot_take(entry=entry, lot=lot, points=points)
        else:
            lots_consume(entry=entry, points=points, first_lot=lot)
        earn.reversed_points += points
        earn.returned = returned
        earn.save(update_fields=["reversed_points", "returned"])
        outcome = ReversalOutcome(earn=earn, entry=entry, points=points, balance=balance)
        webhooks.emit(program=program, event_type="points.reversed", subject=outcome)
    return outcome

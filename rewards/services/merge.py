"""Member merge: a duplicate's points, lots, tier and segments move to the member it is merged into (API.md,
Member merge and data rights), in one transaction.

Both balance rows are locked in member order (`balances_lock`), so two merges crossing each other wait instead of
deadlocking, and an earn or a redemption on either member runs before or after the merge, never across it. The
source's open lots are emptied by a `merge_out` entry and reopened on the target by a `merge_in` entry with their
own `expires_at` and `available_at` (pending points stay pending); a source in debt passes its debt on (the
target's lots pay it, soonest expiry first). Idempotency by `reference` is the API's (operation `merge`); the
ledger's unique (kind, reference) backs it.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from members.models import Member, SegmentMembership
from programs import webhooks
from programs.models import Program
from rewards.errors import InvalidTransition
from rewards.models import EntryKind, LedgerEntry, LockStatus, PointsBalance, PointsLock, PointsLot, TierChange
from rewards.rules import live_rules
from rewards.services.ledger import balances_lock, entry_post, lot_prepare, lots_consume, lots_move_out
from rewards.services.tiers import qualifying_refresh, tier_credit


@dataclass(frozen=True)
class MergeOutcome:
    target: Member
    source: Member
    available: int  # moved (negative: a debt passed on)
    pending: int
    balance: PointsBalance  # the target's, after the merge
    entry_in: LedgerEntry
    entry_out: LedgerEntry


def member_merge(*, program: Program, target: Member, source: Member, reference: str) -> MergeOutcome:
    """Merges `source` into `target`. InvalidTransition for a source with open locks, a member into itself, a
    target that is blocked or merged, or a source already merged."""
    if source.pk == target.pk:
        raise InvalidTransition(f"Member {target.member_id} cannot be merged into itself.")
    with transaction.atomic():
        # The balance rows first, as every points movement takes them (never the member rows: an earn's insert
        # takes a key-share lock on its member row while it holds the balance row); the statuses after them.
        balances = balances_lock(members=[source, target])
        s_balance, t_balance = balances[source.pk], balances[target.pk]
        if target.status != Member.ACTIVE:
            raise InvalidTransition(f"Member {target.member_id} is {target.status}: nothing can be merged into it.")
        if source.status == Member.MERGED:
            raise InvalidTransition(f"Member {source.member_id} was already merged into another member.")
        if PointsLock.objects.filter(member=source, status=LockStatus.LOCKED).exists():
            raise InvalidTransition(
                f"Member {source.member_id} has open locks: capture or release them before the merge."
            )
        now = timezone.now()
        lots = list(PointsLot.objects.filter(member=source, remaining__gt=0).order_by("expires_at", "id"))
        remaining = [lot.remaining for lot in lots]  # before the merge_out empties them
        available, pending = s_balance.available, s_balance.pending

        entry_out = entry_post(
            balance=s_balance,
            kind=EntryKind.MERGE_OUT,
            reference=reference,
            available=-available,
            pending=-pending,
            description=f"Merged into {target.member_id}",
        )
        lots_move_out(entry=entry_out, lots=lots)

        before = (t_balance.available, t_balance.locked)
        entry_in = entry_post(
            balance=t_balance,
            kind=EntryKind.MERGE_IN,
            reference=reference,
            available=available,
            pending=pending,
            description=f"Merged from {source.member_id}",
            due=[lot.expires_at for lot in lots] + [lot.available_at for lot in lots if lot.pending],
        )
        moved: list[PointsLot] = []
        running = before
        for lot, points in zip(lots, remaining, strict=True):
            moved.append(
                lot_prepare(
                    balance_before=running,
                    entry=entry_in,
                    points=points,
                    expires_at=lot.expires_at,
                    available_at=lot.available_at,
                    pending=lot.pending,
                )
            )
            if not lot.pending:
                running = (running[0] + points, running[1])
        PointsLot.objects.bulk_create(moved)
        if available < 0:
            lots_consume(entry=entry_in, points=-available)  # the source's debt, paid by the target's lots

        change = _move_tier(program, s_balance, t_balance, now)
        _unite_segments(source, target)
        source.status = Member.MERGED
        source.merged_into = target
        source.save(update_fields=["status", "merged_into", "updated_at"])
        webhooks.emit(program=program, event_type="member.merged", subject=source)
        if change is not None:
            webhooks.emit(program=program, event_type="member.tier_changed", subject=target)
    return MergeOutcome(
        target=target,
        source=source,
        available=available,
        pending=pending,
        balance=t_balance,
        entry_in=entry_in,
        entry_out=entry_out,
    )


def _move_tier(
    program: Program, source: PointsBalance, target: PointsBalance, now: datetime.datetime
) -> TierChange | None:
    """The source's qualifying points count for the target from now on; the target keeps the higher tier."""
    qualifying_refresh(balance=source, program=program, now=now)
    qualifying_refresh(balance=target, program=program, now=now)
    target.qualifying_points += source.qualifying_points
    if source.qualifying_until is not None and (
        target.qualifying_until is None or source.qualifying_until < target.qualifying_until
    ):
        target.qualifying_until = source.qualifying_until
    tiers = live_rules(program).tiers
    position = {tier.id: tier.position for tier in tiers}
    change = None
    if source.tier_id is not None and position.get(source.tier_id, 0) > position.get(target.tier_id or 0, 0):
        change = TierChange(
            program_id=program.pk,
            member_id=target.member_id,
            from_tier_id=target.tier_id,
            to_tier_id=source.tier_id,
            reason=TierChange.UPGRADE,
            qualifying_points=target.qualifying_points,
            note=f"merged from {source.member.member_id}",
            changed_at=now,
        )
        for name in PointsBalance.TIER_FIELDS:
            setattr(target, name, getattr(source, name))
    upgrade = tier_credit(
        balance=target, program=program, tiers=tiers, points=0, occurred_at=now, now=now
    )  # the summed points may reach a higher tier still
    change = upgrade or change
    source.qualifying_points, source.qualifying_until = 0, None
    source.tier_id = source.tier_since = source.tier_until = source.tier_override_until = None
    source.tier_override_reason = ""
    fields = ["qualifying_points", "qualifying_until", *PointsBalance.TIER_FIELDS]
    source.save(update_fields=fields)
    target.save(update_fields=fields)
    if change is not None:
        change.save(force_insert=True)
    return change


def _unite_segments(source: Member, target: Member) -> None:
    segment_ids = SegmentMembership.objects.filter(member=source).values_list("segment_id", flat=True)
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment_id=pk, member=target) for pk in segment_ids], ignore_conflicts=True
    )

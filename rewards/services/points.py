"""Points lifecycle: locks (pay with points, two-phase), transfers between members, adjustments."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from members.errors import MemberBlocked
from members.models import Member
from programs.models import Program
from rewards.dates import expiry_for
from rewards.errors import CaptureExceedsLock, InsufficientPoints, InvalidTransition, LockNotFound
from rewards.models import EntryKind, LockStatus, PointsBalance, PointsLock
from rewards.services.ledger import (
    balance_lock,
    balances_lock,
    entry_post,
    lock_close,
    lot_open,
    lots_consume,
)


def _ensure_active(member: Member, action: str) -> None:
    if member.is_blocked:
        raise MemberBlocked(f"Member {member.member_id} is blocked and cannot {action}.")


def _ensure_available(member: Member, balance: PointsBalance, points: int) -> None:
    if balance.available < points:
        raise InsufficientPoints(
            f"Member {member.member_id} has {balance.available} available points; {points} are needed."
        )


@dataclass(frozen=True)
class LockOutcome:
    lock: PointsLock
    balance: PointsBalance  # the member's balance row after the change, as it was written


def points_lock(*, program: Program, member: Member, points: int, reference: str, expires_in: int) -> LockOutcome:
    """Moves points from available to locked until captured, released or expired."""
    _ensure_active(member, "lock points")
    with transaction.atomic():
        balance = balance_lock(member=member)
        _ensure_active(member, "lock points")  # again: blocked or merged while this waited for the lock
        _ensure_available(member, balance, points)
        now = timezone.now()
        lock = PointsLock.objects.create(
            program=program,
            member=member,
            reference=reference,
            points=points,
            expires_at=now + datetime.timedelta(seconds=expires_in),
            created_at=now,
            updated_at=now,
        )
        entry_post(
            balance=balance,
            kind=EntryKind.LOCK,
            reference=reference,
            available=-points,
            locked=points,
            description=f"Lock {reference}",
            due=(lock.expires_at,),
        )
    return LockOutcome(lock=lock, balance=balance)


def lock_capture(*, program: Program, reference: str, points: int | None = None) -> LockOutcome:
    """Burns the lock's points, or only `points` of them (the rest goes back to available).

    Raises LockNotFound, CaptureExceedsLock, and InvalidTransition when the lock is no longer open.
    """
    return _lock_finish(program=program, reference=reference, capture=True, points=points)


def lock_release(*, program: Program, reference: str) -> LockOutcome:
    """Gives the locked points back to available. Raises LockNotFound, or InvalidTransition when not open."""
    return _lock_finish(program=program, reference=reference, capture=False, points=None)


def _lock_finish(*, program: Program, reference: str, capture: bool, points: int | None) -> LockOutcome:
    found = PointsLock.objects.filter(program=program, reference=reference).select_related("member").first()
    if found is None:
        raise LockNotFound(f"Lock {reference} not found.")
    with transaction.atomic():
        # Balance row first, then the lock row: the order every other writer uses. The settle
        # inside balance_lock releases this lock if it has expired.
        balance = balance_lock(member=found.member)
        lock = PointsLock.objects.select_for_update().get(pk=found.pk)
        lock.member = found.member
        if lock.status != LockStatus.LOCKED:
            raise InvalidTransition(
                f"Lock {reference} is {lock.status}{' (expired)' if lock.expires_at <= timezone.now() else ''}."
            )
        now = timezone.now()
        if not capture:
            lock_close(balance=balance, lock=lock, captured=0, status=LockStatus.RELEASED, now=now)
        else:
            captured = lock.points if points is None else points
            if not 0 < captured <= lock.points:
                message = f"Cannot capture {captured} points of a {lock.points}-point lock."
                raise CaptureExceedsLock(message, {"points": [message]})
            lock_close(balance=balance, lock=lock, captured=captured, status=LockStatus.CAPTURED, now=now)
    return LockOutcome(lock=lock, balance=balance)


@dataclass(frozen=True)
class TransferOutcome:
    from_balance: PointsBalance
    to_balance: PointsBalance


def points_transfer(
    *, program: Program, sender: Member, receiver: Member, points: int, reference: str, reason: str = ""
) -> TransferOutcome:
    """Moves points between two members atomically. The points keep their expiry dates."""
    _ensure_active(sender, "transfer points")
    _ensure_active(receiver, "receive points")
    with transaction.atomic():
        balances = balances_lock(members=[sender, receiver])
        _ensure_active(sender, "transfer points")
        _ensure_active(receiver, "receive points")
        out_balance, in_balance = balances[sender.pk], balances[receiver.pk]
        _ensure_available(sender, out_balance, points)
        description = reason or f"Transfer {sender.member_id} → {receiver.member_id}"
        out_entry = entry_post(
            balance=out_balance,
            kind=EntryKind.TRANSFER_OUT,
            reference=reference,
            available=-points,
            description=description,
        )
        lots_consume(entry=out_entry, points=points)
        movements = list(out_entry.lot_movements.select_related("lot").order_by("id"))
        before = (in_balance.available, in_balance.locked)
        in_entry = entry_post(
            balance=in_balance,
            kind=EntryKind.TRANSFER_IN,
            reference=reference,
            available=points,
            description=description,
            due=[movement.lot.expires_at for movement in movements],
        )
        # One lot per lot taken from, with the same expiry: a transfer never extends validity.
        for movement in movements:
            lot_open(balance_before=before, entry=in_entry, points=-movement.points, expires_at=movement.lot.expires_at)
            before = (before[0] - movement.points, before[1])
    return TransferOutcome(from_balance=out_balance, to_balance=in_balance)


def points_adjust(*, program: Program, member: Member, points: int, reference: str, reason: str) -> PointsBalance:
    """A manual correction, available at once. A negative one may not go below the available balance."""
    with transaction.atomic():
        balance = balance_lock(member=member)
        if member.status == Member.MERGED:  # blocked members may be adjusted; merged ones move nothing again
            raise MemberBlocked(f"Member {member.member_id} was merged into another member.")
        if points < 0:
            _ensure_available(member, balance, -points)
        before = (balance.available, balance.locked)
        expires_at = expiry_for(timezone.now(), program.expiry_months) if points > 0 else None
        entry = entry_post(
            balance=balance,
            kind=EntryKind.ADJUSTMENT,
            reference=reference,
            available=points,
            description=reason,
            due=(expires_at,),
        )
        if points > 0:
            lot_open(balance_before=before, entry=entry, points=points, expires_at=expires_at)
        else:
            lots_consume(entry=entry, points=-points)
    return balance

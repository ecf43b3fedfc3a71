"""Redemptions: burn points for a gift, follow it through delivery, refund on cancel or return."""

import datetime
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Gift
from catalog.selectors import gift_is_on_offer
from catalog.services import gift_stock_return, gift_stock_take
from loyalty.core.queue import enqueue_on_commit
from members.errors import MemberBlocked
from members.models import Member
from programs import webhooks
from programs.models import Program
from rewards.errors import GiftUnavailable, InsufficientPoints, InvalidTransition, OutOfStock
from rewards.models import (
    EntryKind,
    LotMovement,
    Redemption,
    RedemptionStatus,
    RedemptionStatusChange,
    Voucher,
    VoucherStatus,
)
from rewards.notification_models import NotificationKind
from rewards.notifications.services import notify_redemption
from rewards.services.ledger import balance_lock, entry_post, lots_consume, lots_restore

S = RedemptionStatus
# Physical gifts move one step at a time; vouchers and digital gifts are delivered in one step.
TRANSITIONS: dict[str, dict[str, set[str]]] = {
    Gift.PHYSICAL: {
        S.EXCHANGED: {S.IN_PREPARATION, S.CANCELLED},
        S.IN_PREPARATION: {S.IN_DELIVERY, S.CANCELLED},
        S.IN_DELIVERY: {S.DELIVERED, S.RETURNED},
        S.DELIVERED: {S.RETURNED},
    },
    Gift.VOUCHER: {S.EXCHANGED: {S.DELIVERED, S.CANCELLED}, S.DELIVERED: {S.RETURNED}},
    Gift.DIGITAL: {S.EXCHANGED: {S.DELIVERED, S.CANCELLED}, S.DELIVERED: {S.RETURNED}},
}
REFUNDING = {S.CANCELLED, S.RETURNED}
# The moves the member is told about by e-mail (a voucher's code is sent when it is issued, see voucher_issue).
NOTIFIED: dict[str, str] = {
    S.IN_DELIVERY: NotificationKind.REDEMPTION_SHIPPED,
    S.DELIVERED: NotificationKind.REDEMPTION_DELIVERED,
}
# Crockford's base32 without look-alikes: 20 symbols of 5 bits = 100 bits of randomness.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20


def allowed_transitions(redemption: Redemption) -> set[str]:
    return TRANSITIONS.get(redemption.gift.type, TRANSITIONS[Gift.PHYSICAL]).get(redemption.status, set())


def redeem(
    *,
    program: Program,
    member: Member,
    gift: Gift,
    quantity: int,
    reference: str,
    delivery: dict | None = None,
    actor: str = "",
) -> Redemption:
    """Burns the gift's points and takes its stock in one transaction; a voucher is issued after commit."""
    if member.is_blocked:
        raise MemberBlocked(f"Member {member.member_id} is blocked and cannot redeem.")
    now = timezone.now()
    if not gift_is_on_offer(gift, now):
        raise GiftUnavailable(f"Gift {gift.sku} is not on offer.")
    cost = gift.points * quantity
    with transaction.atomic():
        balance = balance_lock(member=member)
        if member.is_blocked:  # blocked or merged while this waited for the lock
            raise MemberBlocked(f"Member {member.member_id} is blocked and cannot redeem.")
        if balance.available < cost:
            raise InsufficientPoints(
                f"Member {member.member_id} has {balance.available} available points; {cost} are needed."
            )
        if not gift_stock_take(gift=gift, quantity=quantity):
            raise OutOfStock(f"Gift {gift.sku} has not enough stock left for {quantity}.")
        if delivery is None and gift.type == Gift.PHYSICAL:
            # Shipped to the member's address as it is now: the redemption keeps its own copy.
            delivery = Member.objects.filter(pk=member.pk).values_list("address", flat=True).first()
        redemption = Redemption.objects.create(
            program=program,
            member=member,
            reference=reference,
            gift=gift,
            quantity=quantity,
            points=cost,
            delivery=delivery,
            created_at=now,
            updated_at=now,
        )
        entry = entry_post(
            balance=balance,
            kind=EntryKind.REDEMPTION,
            reference=reference,
            available=-cost,
            description=f"{quantity} × {gift.sku}",
            redemption=redemption,
        )
        lots_consume(entry=entry, points=cost)
        RedemptionStatusChange.objects.create(redemption=redemption, to_status=S.EXCHANGED, actor=actor, created_at=now)
        webhooks.emit(program=program, event_type="redemption.created", subject=redemption)
        if gift.type == Gift.VOUCHER:
            from rewards.tasks import issue_voucher

            enqueue_on_commit(issue_voucher, redemption.pk)
    return redemption


def _lock(redemption_id: int) -> Redemption:
    return Redemption.objects.select_for_update(of=("self",)).select_related("gift", "member").get(pk=redemption_id)


def redemption_transition(*, redemption: Redemption, status: str, actor: str = "") -> Redemption:
    """Moves a redemption along its allowed transitions; cancel and return refund points and stock."""
    with transaction.atomic():
        locked = _lock(redemption.pk)
        if status not in allowed_transitions(locked):
            raise InvalidTransition(f"Redemption {locked.pk} cannot go from {locked.status} to {status}.")
        voucher = Voucher.objects.select_for_update().filter(redemption=locked).first()
        if status in REFUNDING and voucher is not None and voucher.status == VoucherStatus.USED:
            raise InvalidTransition(f"The voucher of redemption {locked.pk} was used: it cannot be refunded.")
        if status == S.DELIVERED and locked.gift.type == Gift.VOUCHER and voucher is None:
            raise InvalidTransition(f"Redemption {locked.pk} is delivered when its voucher is issued.")
        previous = locked.status
        now = timezone.now()
        locked.status = status
        locked.updated_at = now
        locked.save(update_fields=["status", "updated_at"])
        RedemptionStatusChange.objects.create(
            redemption=locked, from_status=previous, to_status=status, actor=actor, created_at=now
        )
        if status in REFUNDING:
            _refund(locked)
            gift_stock_return(gift=locked.gift, quantity=locked.quantity)
            if voucher is not None and voucher.status == VoucherStatus.ISSUED:
                voucher.status = VoucherStatus.VOID
                voucher.save(update_fields=["status"])
        webhooks.emit(program=locked.program_id, event_type="redemption.status_changed", subject=locked)
        if status in NOTIFIED:
            notify_redemption(redemption=locked, kind=NOTIFIED[status])
    return locked


def _refund(redemption: Redemption) -> None:
    """Gives the points back to the lots the redemption took them from."""
    balance = balance_lock(member=redemption.member)
    taken = LotMovement.objects.filter(
        entry__redemption=redemption, entry__kind=EntryKind.REDEMPTION, points__lt=0
    ).select_related("lot")
    movements = [(m.lot, -m.points) for m in taken]
    entry = entry_post(
        balance=balance,
        kind=EntryKind.REFUND,
        reference=redemption.reference,
        available=redemption.points,
        description=f"Refund of redemption {redemption.pk} ({redemption.status})",
        redemption=redemption,
        # The lots may expire (or have expired) before the points would otherwise have been due.
        due=[lot.expires_at for lot, _ in movements],
    )
    lots_restore(entry=entry, movements=movements)
    uncovered = redemption.points - sum(points for _, points in movements)
    if uncovered > 0:
        # Points that no lot held (a member in debt at the time) come back as a fresh lot.
        from rewards.services.ledger import lot_open

        lot_open(
            balance_before=(balance.available - redemption.points, balance.locked),
            entry=entry,
            points=uncovered,
            expires_at=None,
        )


def new_voucher_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def voucher_issue(*, redemption_id: int) -> Voucher | None:
    """Issues the voucher of a voucher redemption once; running it again changes nothing."""
    with transaction.atomic():
        redemption = _lock(redemption_id)
        existing = Voucher.objects.filter(redemption=redemption).first()
        if existing is not None or redemption.status != S.EXCHANGED or redemption.gift.type != Gift.VOUCHER:
            return existing
        gift = redemption.gift
        now = timezone.now()
        expires_at = now + datetime.timedelta(days=gift.voucher_valid_days) if gift.voucher_valid_days else None
        for _ in range(5):
            try:
                with transaction.atomic():
                    voucher = Voucher.objects.create(
                        program_id=redemption.program_id,
                        redemption=redemption,
                        code=new_voucher_code(),
                        value=(gift.value or Decimal("0")) * redemption.quantity,
                        currency=redemption.program.currency,
                        issued_at=now,
                        expires_at=expires_at,
                    )
                break
            except IntegrityError:  # a code collision (100 random bits: practically never)
                continue
        else:
            raise RuntimeError("could not draw a unique voucher code")
        redemption.status = S.DELIVERED
        redemption.updated_at = now
        redemption.save(update_fields=["status", "updated_at"])
        RedemptionStatusChange.objects.create(
            redemption=redemption,
            from_status=S.EXCHANGED,
            to_status=S.DELIVERED,
            actor="voucher issued",
            created_at=now,
        )
        webhooks.emit(program=redemption.program_id, event_type="voucher.issued", subject=redemption)
        webhooks.emit(program=redemption.program_id, event_type="redemption.status_changed", subject=redemption)
        notify_redemption(redemption=redemption, kind=NotificationKind.VOUCHER_ISSUED)
    return voucher


def voucher_use(*, voucher: Voucher, order_reference: str) -> Voucher:
    """Consumes an issued voucher exactly once, even when several webshop calls race."""
    with transaction.atomic():
        locked = Voucher.objects.select_for_update().get(pk=voucher.pk)
        status = locked.current_status()
        if status != VoucherStatus.ISSUED:
            raise InvalidTransition(f"Voucher {locked.code} is {status} and cannot be used.")
        locked.status = VoucherStatus.USED
        locked.used_at = timezone.now()
        locked.order_reference = order_reference
        locked.save(update_fields=["status", "used_at", "order_reference"])
    return locked


def vouchers_pending(*, older_than: datetime.timedelta) -> list[int]:
    """Voucher redemptions still waiting for their voucher (the sweeper re-queues them)."""
    cutoff = timezone.now() - older_than
    return list(
        Redemption.objects.filter(
            status=S.EXCHANGED, gift__type=Gift.VOUCHER, voucher__isnull=True, created_at__lte=cutoff
        ).values_list("pk", flat=True)[:1000]
    )

"""Writes of the webshop: a redemption in the member's name, the member's delivery address."""

import datetime
import re
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Gift
from loyalty.core.errors import DomainError
from members.models import Member
from members.services import member_update
from rewards.models import Redemption
from rewards.services.ledger import balance_lock
from rewards.services.redemption import redeem

REFERENCE_RE = re.compile(r"^SHOP-[0-9a-f]{32}$")
# A second redemption of the same gift this soon is more likely a Back button or a double tap than a wish.
REPEAT_GUARD = datetime.timedelta(minutes=2)


class ReferenceTaken(DomainError):
    code = "reference_taken"


class AddressMissing(DomainError):
    """A physical gift needs the member's delivery address, and there is none."""

    code = "address_missing"


class RecentlyRedeemed(DomainError):
    """The member redeemed the same gift moments ago: a second one needs an explicit "yes, again"."""

    code = "recently_redeemed"

    def __init__(self, message: str, *, redemption: Redemption, seconds: int):
        super().__init__(message)
        self.redemption = redemption
        self.seconds = seconds


def new_reference() -> str:
    return f"SHOP-{uuid.uuid4().hex}"


def shop_address_save(*, member: Member, address: dict) -> Member:
    """The member's postal address, as the shop's form cleaned it (the rules of `members.addresses`)."""
    return member_update(member=member, changes={"address": address})


def shop_redeem(*, member: Member, gift: Gift, quantity: int, reference: str, again: bool = False) -> Redemption:
    """Redeems once per reference: the confirmation form carries it, so a second submit finds the first.

    A physical gift goes to the member's address as it is now (AddressMissing without one). A redemption of the
    same gift within `REPEAT_GUARD` raises RecentlyRedeemed unless `again` says the member confirmed it: the
    redemptions in the database decide, so a page reached with the Back button (a new reference) is caught too.
    Raises the rewards errors (InsufficientPoints, OutOfStock, ...) with nothing spent.
    """
    try:
        with transaction.atomic():
            # The member's balance row, locked first, makes this member's redemptions one at a time: the checks
            # below and the redemption see the same rows (redeem takes the same lock again, at no cost).
            balance_lock(member=member, settle=False)
            existing = _by_reference(member, reference)
            if existing is not None:  # the same form, sent again
                return existing
            delivery = None
            if gift.type == Gift.PHYSICAL:
                delivery = Member.objects.filter(pk=member.pk).values_list("address", flat=True).first()
                if not delivery:
                    raise AddressMissing(f"Member {member.member_id} has no delivery address.")
            now = timezone.now()
            if not again:
                recent = (
                    Redemption.objects.filter(member=member, gift=gift, created_at__gte=now - REPEAT_GUARD)
                    .order_by("-created_at", "-id")
                    .first()
                )
                if recent is not None:
                    seconds = max(1, int((now - recent.created_at).total_seconds()))
                    raise RecentlyRedeemed(
                        f"Gift {gift.sku} was redeemed {seconds} seconds ago.", redemption=recent, seconds=seconds
                    )
            return redeem(
                program=member.program,
                member=member,
                gift=gift,
                quantity=quantity,
                reference=reference,
                delivery=delivery,
                actor=f"shop:{member.member_id}",
            )
    except IntegrityError:
        # The unique (program, reference) key decided: the same form was sent twice.
        existing = _by_reference(member, reference)
        if existing is None:
            raise ReferenceTaken(f"Reference {reference} is already used.") from None
        return existing


def _by_reference(member: Member, reference: str) -> Redemption | None:
    return Redemption.objects.filter(member=member, program_id=member.program_id, reference=reference).first()

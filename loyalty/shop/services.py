"""Writes of the webshop: a redemption in the member's name."""

import re
import uuid

from django.db import IntegrityError, transaction

from catalog.models import Gift
from loyalty.core.errors import DomainError
from members.models import Member
from rewards.models import Redemption
from rewards.services.redemption import redeem

REFERENCE_RE = re.compile(r"^SHOP-[0-9a-f]{32}$")


class ReferenceTaken(DomainError):
    code = "reference_taken"


def new_reference() -> str:
    return f"SHOP-{uuid.uuid4().hex}"


def shop_redeem(*, member: Member, gift: Gift, quantity: int, reference: str) -> Redemption:
    """Redeems once per reference: the confirmation form carries it, so a second submit finds the first.

    Raises the rewards errors (InsufficientPoints, OutOfStock, ...) with nothing spent.
    """
    try:
        with transaction.atomic():
            return redeem(
                program=member.program,
                member=member,
                gift=gift,
                quantity=quantity,
                reference=reference,
                actor=f"shop:{member.member_id}",
            )
    except IntegrityError:
        # The unique (program, reference) key decided: the same form was sent twice.
        existing = Redemption.objects.filter(member=member, program_id=member.program_id, reference=reference).first()
        if existing is None:
            raise ReferenceTaken(f"Reference {reference} is already used.") from None
        return existing

"""Enrolment: a member together with the ledger's balance row, which every points movement locks."""

import datetime

from django.db import transaction

from members.models import Member
from members.services import member_create
from programs import webhooks
from programs.models import Program
from rewards.models import PointsBalance


@transaction.atomic
def member_enrol(
    *,
    program: Program,
    member_id: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    birth_date: datetime.date | None = None,
    address: dict | None = None,
) -> Member:
    """Enrols a member with an empty balance. A member id already taken raises MemberExists."""
    with transaction.atomic():
        member = member_create(
            program=program,
            member_id=member_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            language=language,
            birth_date=birth_date,
            address=address,
        )
        PointsBalance.objects.create(member=member, program=program)
        webhooks.emit(program=program, event_type="member.enrolled", subject=member)
    return member

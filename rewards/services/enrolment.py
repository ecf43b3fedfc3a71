"""Enrolment: a member together with the ledger's balance row, which every points movement locks."""

import datetime

from django.db import transaction

from members.models import Member
from members.services import member_create
from programs import webhooks
from programs.models import Program
from rewards.models import PointsBalance
from rewards.notifications.services import notify_welcome


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
    email_opt_out: bool = False,
) -> Member:
    """Enrols a member with an empty balance, welcomed by e-mail where the program says so. A member id already
    taken raises MemberExists."""
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
            email_opt_out=email_opt_out,
        )
        PointsBalance.objects.create(member=member, program=program)
        webhooks.emit(program=program, event_type="member.enrolled", subject=member)
        notify_welcome(member=member)
    return member

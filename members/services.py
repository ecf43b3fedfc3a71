"""Writes on members. Each function is one transaction."""

import datetime

from django.db import IntegrityError, transaction

from members.models import Member
from programs.models import Program
from rewards.models import PointsBalance


class MemberExists(Exception):
    pass


PROFILE_FIELDS = ("email", "first_name", "last_name", "language", "birth_date", "status")


def member_enrol(
    *,
    program: Program,
    member_id: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    birth_date: datetime.date | None = None,
) -> Member:
    """Enrols a member with an empty balance. A member id already taken raises MemberExists."""
    try:
        with transaction.atomic():
            member = Member.objects.create(
                program=program,
                member_id=member_id,
                email=email or "",
                first_name=first_name or "",
                last_name=last_name or "",
                language=language or program.default_language,
                birth_date=birth_date,
            )
            PointsBalance.objects.create(member=member, program=program)
    except IntegrityError as exc:
        # The unique (program, member_id) constraint decides, also between two racing enrolments.
        raise MemberExists(member_id) from exc
    return member


@transaction.atomic
def member_update(*, member: Member, changes: dict) -> Member:
    fields = [f for f in PROFILE_FIELDS if f in changes]
    for field in fields:
        value = changes[field]
        if field in ("email", "first_name", "last_name") and value is None:
            value = ""
        if field == "language" and not value:
            value = member.program.default_language
        setattr(member, field, value)
    if fields:
        member.save(update_fields=[*fields, "updated_at"])
    return member


@transaction.atomic
def member_set_status(*, member: Member, status: str) -> Member:
    member.status = status
    member.save(update_fields=["status", "updated_at"])
    return member

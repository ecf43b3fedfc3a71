"""Writes on members. Each function is one transaction."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from members.errors import MemberExists, MemberStatusFixed
from members.models import Member, Segment, SegmentMembership
from programs.models import Program

PROFILE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "language",
    "birth_date",
    "address",
    "status",
    "email_opt_out",
)
ADDRESS_KEYS = ("name", "street", "postal_code", "city", "country", "phone")


def address_clean(address: dict | None) -> dict | None:
    """The address as stored and shown: its six keys in order, an empty or missing phone as null."""
    if not address:
        return None
    return {key: (address.get(key) or None) if key == "phone" else address[key] for key in ADDRESS_KEYS}


def member_create(
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
    """The member's row (the ledger's balance row comes with `rewards.services.enrolment.member_enrol`).
    A member id already taken raises MemberExists."""
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
                address=address_clean(address),
                email_opt_out=email_opt_out,
            )
    except IntegrityError as exc:
        # The unique (program, member_id) constraint decides, also between two racing enrolments.
        raise MemberExists(f"Member {member_id} already exists.") from exc
    return member


@transaction.atomic
def member_update(*, member: Member, changes: dict[str, Any]) -> Member:
    if member.status == Member.MERGED and changes.get("status", Member.MERGED) != Member.MERGED:
        raise MemberStatusFixed(f"Member {member.member_id} was merged into another member: its status stays merged.")
    fields = [f for f in PROFILE_FIELDS if f in changes]
    for field in fields:
        value = changes[field]
        if field in ("email", "first_name", "last_name") and value is None:
            value = ""
        if field == "language" and not value:
            value = member.program.default_language
        if field == "address":
            value = address_clean(value)
        setattr(member, field, value)
    if fields:
        member.save(update_fields=[*fields, "updated_at"])
    return member


@transaction.atomic
def member_set_status(*, member: Member, status: str) -> Member:
    if member.status == Member.MERGED and status != Member.MERGED:
        raise MemberStatusFixed(f"Member {member.member_id} was merged into another member: its status stays merged.")
    member.status = status
    member.save(update_fields=["status", "updated_at"])
    return member


def segment_add_member(*, segment: Segment, member: Member) -> bool:
    """Adds the member; True when the membership is new. Safe under concurrent identical calls."""
    # get_or_create retries the read when a concurrent insert wins the unique (segment, member) key.
    _, created = SegmentMembership.objects.get_or_create(segment=segment, member=member)
    return created


def segment_remove_member(*, segment: Segment, member: Member) -> bool:
    deleted, _ = SegmentMembership.objects.filter(segment=segment, member=member).delete()
    return deleted > 0


@dataclass(frozen=True)
class BulkResult:
    added: int
    removed: int
    unknown_members: list[str]


@transaction.atomic
def segment_bulk_update(*, segment: Segment, add: list[str], remove: list[str]) -> BulkResult:
    """Adds and removes members by partner id in a constant number of set-based queries.

    Unknown ids are reported; the rest is applied in one transaction.
    """
    wanted = set(add) | set(remove)
    found = dict(
        Member.objects.filter(program_id=segment.program_id, member_id__in=wanted).values_list("member_id", "id")
    )
    unknown = [member_id for member_id in dict.fromkeys([*add, *remove]) if member_id not in found]
    add_ids = {found[m] for m in add if m in found}
    remove_ids = {found[m] for m in remove if m in found}
    removed = 0
    if remove_ids:
        removed, _ = SegmentMembership.objects.filter(segment=segment, member_id__in=remove_ids).delete()
    added = 0
    if add_ids:
        present = set(
            SegmentMembership.objects.filter(segment=segment, member_id__in=add_ids).values_list("member_id", flat=True)
        )
        new_ids = add_ids - present
        SegmentMembership.objects.bulk_create(
            [SegmentMembership(segment=segment, member_id=pk) for pk in new_ids], ignore_conflicts=True
        )
        added = len(new_ids)
    return BulkResult(added=added, removed=removed, unknown_members=unknown)


BULK_CHUNK = 5000


@transaction.atomic
def segment_members_add(*, segment: Segment, member_ids: list[str]) -> BulkResult:
    """Adds many members by partner id (an uploaded file), all or nothing except unknown ids, which are reported.

    Calls `segment_bulk_update` in chunks, so that no query carries more ids than a database accepts.
    """
    ids = list(dict.fromkeys(member_ids))
    added, unknown = 0, []
    for start in range(0, len(ids), BULK_CHUNK):
        result = segment_bulk_update(segment=segment, add=ids[start : start + BULK_CHUNK], remove=[])
        added += result.added
        unknown += result.unknown_members
    return BulkResult(added=added, removed=0, unknown_members=unknown)

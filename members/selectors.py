"""Reads on members."""

from django.db.models import Prefetch

from members.models import Member, Segment
from programs.models import Program


def member_get(*, program: Program, member_id: str, related: bool = True) -> Member | None:
    """The member, by default with balance and segment codes loaded (two queries whatever the member
    holds); `related=False` when only the row is needed (one query)."""
    queryset = Member.objects.filter(program=program, member_id=member_id)
    if related:
        queryset = queryset.select_related("balance").prefetch_related(
            Prefetch("segments", queryset=Segment.objects.only("id", "code").order_by("code"))
        )
    member = queryset.first()
    if member is not None:
        member.program = program  # known already: saves a query wherever the member's program is read
    return member


def member_exists(*, program: Program, member_id: str) -> bool:
    return Member.objects.filter(program=program, member_id=member_id).exists()

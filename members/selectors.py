"""Reads on members."""

from django.db.models import Prefetch

from members.models import Member, Segment
from programs.models import Program


def member_get(*, program: Program, member_id: str, related: bool = True, segments: bool = True) -> Member | None:
    """The member, by default with its balance row and segment codes loaded (two queries whatever the member
    holds; one without `segments`); `related=False` when only the row is needed (one query)."""
    if "\x00" in member_id:
        return None  # no member id holds NUL, and PostgreSQL refuses it in a query
    queryset = Member.objects.filter(program=program, member_id=member_id)
    if related:
        queryset = queryset.select_related("balance")
        if segments:
            queryset = queryset.prefetch_related(
                Prefetch("segments", queryset=Segment.objects.only("id", "code").order_by("code"))
            )
    member = queryset.first()
    if member is not None:
        member.program = program  # known already: saves a query wherever the member's program is read
    return member


def member_exists(*, program: Program, member_id: str) -> bool:
    return Member.objects.filter(program=program, member_id=member_id).exists()

"""Reads on members."""

from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import F, OuterRef, Prefetch

from members.models import Member, Segment, SegmentMembership
from programs.models import Program

PREVIEW_CHUNK = 10_000  # ids per query: far below what a database accepts in one IN list


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


def member_with_segment_codes(*, program: Program, member_id: str) -> Member | None:
    """The member row with `segment_codes` (a frozenset), what evaluating a basket needs: one query on
    PostgreSQL (the codes as an array beside the row), two elsewhere."""
    if "\x00" in member_id:
        return None
    # The tier id too (evaluation needs it): a column of the balance row, named without importing its app.
    queryset = Member.objects.filter(program=program, member_id=member_id).annotate(balance_tier_id=F("balance__tier"))
    postgres = connection.vendor == "postgresql"
    if postgres:
        codes = SegmentMembership.objects.filter(member_id=OuterRef("pk")).values("segment__code")
        queryset = queryset.annotate(codes=ArraySubquery(codes))
    member = queryset.first()
    if member is None:
        return None
    member.program = program
    if postgres:
        member.segment_codes = frozenset(member.codes)  # type: ignore[attr-defined]
    else:
        member.segment_codes = frozenset(
            SegmentMembership.objects.filter(member=member).values_list("segment__code", flat=True)
        )
    return member


def member_exists(*, program: Program, member_id: str) -> bool:
    return Member.objects.filter(program=program, member_id=member_id).exists()


@dataclass(frozen=True)
class SegmentUploadPreview:
    """What adding these member ids to a segment would do, before anything is written."""

    to_add: list[str]
    already_in: list[str]
    unknown: list[str]


def segment_upload_preview(*, segment: Segment, member_ids: list[str]) -> SegmentUploadPreview:
    """Sorts uploaded ids (duplicates dropped, file order kept) into new members, members already in the segment
    and ids of no member of the segment's program. Two queries per chunk of ids."""
    ids = list(dict.fromkeys(member_ids))
    known: set[str] = set()
    inside: set[str] = set()
    for start in range(0, len(ids), PREVIEW_CHUNK):
        chunk = ids[start : start + PREVIEW_CHUNK]
        members = Member.objects.filter(program_id=segment.program_id, member_id__in=chunk)
        known.update(members.values_list("member_id", flat=True))
        inside.update(
            SegmentMembership.objects.filter(segment=segment, member__member_id__in=chunk).values_list(
                "member__member_id", flat=True
            )
        )
    return SegmentUploadPreview(
        to_add=[i for i in ids if i in known and i not in inside],
        already_in=[i for i in ids if i in inside],
        unknown=[i for i in ids if i not in known],
    )

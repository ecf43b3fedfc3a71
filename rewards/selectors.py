"""Reads on the ledger."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from members.models import Member
from rewards.models import INTERNAL_KINDS, EntryKind, LedgerEntry

HISTORY_KINDS = [k.value for k in EntryKind if k not in INTERNAL_KINDS]


def history_queryset(
    *,
    member: Member,
    kinds: list[str] | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[LedgerEntry]:
    """The member's entries as history shows them (internal moves between balance parts left out)."""
    queryset = LedgerEntry.objects.filter(member=member, kind__in=kinds or HISTORY_KINDS).select_related(
        "earn", "redemption__gift"
    )
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__lte=until)
    return queryset


def entry_status(entry: LedgerEntry, now: datetime.datetime | None = None) -> str:
    """The redemption's current status on redemption rows; `pending` for an earn whose points are not
    yet available; `posted` otherwise."""
    if entry.kind == EntryKind.REDEMPTION and entry.redemption is not None:
        return entry.redemption.status
    earn = entry.earn if entry.kind == EntryKind.EARN else None
    if earn is not None and earn.available_at is not None and earn.available_at > (now or timezone.now()):
        return "pending"
    return "posted"

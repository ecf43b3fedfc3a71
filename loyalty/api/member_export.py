"""The data-access export of one member (API.md, Member merge and data rights): everything the program holds about
the member, as one JSON document.

Each part is built by the very function that builds the API's answer for that object, so the export shows what
the API shows: the member body of `GET /members/{id}`, the rows of `GET /members/{id}/transactions` (all pages),
the redemptions of `GET /redemptions/{id}`, the events of `GET /events/{reference}` (with their type, moment and
attributes). What no endpoint shows (points lots, tier changes, webshop sessions and login links, notification
preferences and the e-mails sent) is listed with
its own plain fields. Nothing here writes.
"""

import itertools
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from loyalty.api.earning import transaction_rows
from loyalty.api.events import event_data
from loyalty.api.member_serializers import member_data
from loyalty.api.redemptions import redemption_data
from members.models import Member, MemberLoginLink, MemberSession
from programs.models import Program
from rewards import selectors
from rewards.models import Event, Notification, NotificationKind, PointsLot, Redemption, TierChange

CHUNK = 500  # rows read per round trip: a long history never sits in memory as model instances all at once

EXPORT_KEYS = (
    "exported_at",
    "program",
    "member",
    "status",
    "merged_into",
    "address",
    "tier",
    "segments",
    "balance",
    "transactions",
    "lots",
    "redemptions",
    "events",
    "tier_changes",
    "webshop_sessions",
    "login_links",
    "notifications",
)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def _transactions(member: Member, program: Program, language: str) -> Iterator[dict]:
    rows = selectors.history_queryset(member=member).order_by("-id").iterator(chunk_size=CHUNK)
    # Described a chunk at a time, as the endpoint describes a page: the promotion names take one query per chunk.
    while chunk := list(itertools.islice(rows, CHUNK)):
        yield from transaction_rows(chunk, program, language)


def _lots(member: Member) -> Iterator[dict]:
    lots = PointsLot.objects.filter(member=member).order_by("created_at", "id")
    for lot in lots.iterator(chunk_size=CHUNK):
        yield {
            "transaction_id": lot.entry_id,
            "points": lot.points,
            "remaining": lot.remaining,
            "pending": lot.pending,
            "available_at": _iso(lot.available_at),
            "expires_at": _iso(lot.expires_at),
            "created_at": _iso(lot.created_at),
        }


def _redemptions(member: Member, program: Program, language: str) -> Iterator[dict]:
    redemptions = (
        Redemption.objects.filter(program=program, member=member)
        .select_related("gift", "member", "program", "voucher")
        .order_by("created_at", "id")
    )
    for redemption in redemptions.iterator(chunk_size=CHUNK):
        yield redemption_data(redemption, language)


def _events(member: Member, program: Program) -> Iterator[dict]:
    events = Event.objects.filter(program=program, member=member).select_related("event_type")
    for event in events.order_by("occurred_at", "id").iterator(chunk_size=CHUNK):
        yield {
            **event_data(event),
            "type": event.event_type.code,
            "occurred_at": _iso(event.occurred_at),
            "attributes": event.attributes,
        }


def _tier_changes(member: Member, program: Program) -> list[dict]:
    changes = (
        TierChange.objects.filter(program=program, member=member)
        .select_related("from_tier", "to_tier")
        .order_by("changed_at", "id")
    )
    return [
        {
            "from": change.from_tier.code if change.from_tier else None,
            "to": change.to_tier.code if change.to_tier else None,
            "reason": change.reason,
            "qualifying_points": change.qualifying_points,
            "note": change.note,
            "changed_at": _iso(change.changed_at),
        }
        for change in changes
    ]


def _webshop(member: Member) -> tuple[list[dict], list[dict]]:
    sessions = [
        {
            "created_at": _iso(s.created_at),
            "expires_at": _iso(s.expires_at),
            "revoked_at": _iso(s.revoked_at),
            "language": s.language,
        }
        for s in MemberSession.objects.filter(member=member).order_by("created_at", "id")
    ]
    links = [
        {"created_at": _iso(link.created_at), "expires_at": _iso(link.expires_at), "used_at": _iso(link.used_at)}
        for link in MemberLoginLink.objects.filter(member=member).order_by("created_at", "id")
    ]
    return sessions, links


def _notifications(member: Member) -> dict:
    """The member's notification preferences and the e-mails the program recorded for them (no copy of a
    message is kept: what, when, in which language, with what outcome)."""
    messages = Notification.objects.filter(member=member).select_related("redemption").order_by("created_at", "id")
    return {
        "preferences": {"email": not member.email_opt_out},
        "emails": [
            {
                "kind": n.kind,
                "redemption": n.redemption.reference if n.redemption else None,
                "month": n.subject if n.kind == NotificationKind.POINTS_EXPIRING else None,
                "status": n.status,
                "language": n.language,
                "created_at": _iso(n.created_at),
                "sent_at": _iso(n.sent_at),
            }
            for n in messages.iterator(chunk_size=CHUNK)
        ],
    }


def member_export(*, member: Member, language: str) -> dict:
    """The whole document for `member` (loaded by `members.selectors.member_get` with its balance and segments),
    texts in `language`. Its keys are EXPORT_KEYS, in that order."""
    program = member.program
    profile = member_data(member, language)
    sessions, links = _webshop(member)
    merged_into = None
    if member.merged_into_id is not None:
        merged_into = Member.objects.filter(pk=member.merged_into_id).values_list("member_id", flat=True).first()
    document = {
        "exported_at": timezone.now().isoformat(),
        "program": {"code": program.code, "name": program.name},
        "member": profile,
        "status": member.status,
        "merged_into": merged_into,
        # API.md lists address and tier beside status, segments and balance: each at the top, as in `member`.
        "address": profile["address"],
        "tier": profile["tier"],
        "segments": profile["segments"],
        "balance": profile["balance"],
        "transactions": list(_transactions(member, program, language)),
        "lots": list(_lots(member)),
        "redemptions": list(_redemptions(member, program, language)),
        "events": list(_events(member, program)),
        "tier_changes": _tier_changes(member, program),
        "webshop_sessions": sessions,
        "login_links": links,
        "notifications": _notifications(member),
    }
    assert tuple(document) == EXPORT_KEYS
    return document

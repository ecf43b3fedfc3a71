"""The member page's data-rights and merge helpers: the export download and the merge preview.

The export is the API's document (`loyalty.api.member_export`), built once for both channels: the back office
only serves it as a file. The merge preview reads what `rewards.services.merge.member_merge` would move, without
writing: the source's available and pending points, its open lots with their dates, the qualifying points and
tiers of both members, the segments the target would gain, and what blocks the merge (open locks, a target that
is not active, a source already merged). The service decides again when it runs; the preview only informs.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext as _

from loyalty.api.member_export import member_export
from loyalty.backoffice import labels
from members.models import Member
from members.selectors import member_get
from programs.models import Tier
from rewards.models import LockStatus, PointsBalance, PointsLock, PointsLot
from rewards.selectors import balance_view
from rewards.services.ledger import balance_catch_up


def export_document(member: Member) -> dict:
    """The member's export, texts in the member's language (the program's default when none)."""
    program = member.program
    loaded = member_get(program=program, member_id=member.member_id)
    assert loaded is not None  # the admin found it: it exists
    balance_catch_up(member=loaded)  # expired lots get their `expiry` row before the history is exported
    return member_export(member=loaded, language=member.language or program.default_language)


def export_response(member: Member) -> HttpResponse:
    """The export document as a JSON file download."""
    body = json.dumps(export_document(member), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename=member-{member.member_id}-export.json"
    return response


@dataclass(frozen=True)
class LotRow:
    points: int  # remaining: what moves
    pending: bool
    available_at: datetime.datetime | None
    expires_at: datetime.datetime | None


@dataclass(frozen=True)
class Side:
    member: Member
    balance: dict[str, int]
    tier: Tier | None
    qualifying_points: int
    segments: list[str]


@dataclass(frozen=True)
class MergePreview:
    source: Side
    target: Side
    lots: list[LotRow]
    locks: list[PointsLock]
    segments_added: list[str]  # the source's segments the target is not in yet
    segments_united: list[str]
    qualifying_points: int  # the target's after the merge (both sums)
    tier_kept: Tier | None  # the higher of the two tiers (the summed points may reach a higher one still)
    blockers: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)


def _side(member: Member) -> Side:
    balance = PointsBalance.objects.filter(member=member).select_related("tier").first()
    return Side(
        member=member,
        balance=balance_view(balance, member.program),
        tier=balance.tier if balance is not None else None,
        qualifying_points=balance.qualifying_points if balance is not None else 0,
        segments=sorted(member.segments.values_list("code", flat=True)),
    )


def merge_preview(*, source: Member, target: Member) -> MergePreview:
    """What merging `source` into `target` would move now (nothing is written)."""
    s, t = _side(source), _side(target)
    lots = [
        LotRow(points=lot.remaining, pending=lot.pending, available_at=lot.available_at, expires_at=lot.expires_at)
        for lot in PointsLot.objects.filter(member=source, remaining__gt=0).order_by("expires_at", "id")
    ]
    locks = list(PointsLock.objects.filter(member=source, status=LockStatus.LOCKED).order_by("created_at", "id"))
    blockers = []
    if source.pk == target.pk:
        blockers.append(_("Member %(member)s cannot be merged into itself.") % {"member": target.member_id})
    if locks:
        blockers.append(
            _("Member %(member)s has %(count)s open lock(s): capture or release them before the merge.")
            % {"member": source.member_id, "count": len(locks)}
        )
    if target.status != Member.ACTIVE:
        status = labels.label(labels.MEMBER_STATUS, target.status).lower()
        blockers.append(
            _("Member %(member)s is %(status)s: nothing can be merged into it.")
            % {"member": target.member_id, "status": status}
        )
    if source.status == Member.MERGED:
        blockers.append(_("Member %(member)s was already merged into another member.") % {"member": source.member_id})
    tiers = [tier for tier in (s.tier, t.tier) if tier is not None]
    return MergePreview(
        source=s,
        target=t,
        lots=lots,
        locks=locks,
        segments_added=sorted(set(s.segments) - set(t.segments)),
        segments_united=sorted(set(s.segments) | set(t.segments)),
        qualifying_points=s.qualifying_points + t.qualifying_points,
        tier_kept=max(tiers, key=lambda tier: tier.threshold) if tiers else None,
        blockers=blockers,
    )

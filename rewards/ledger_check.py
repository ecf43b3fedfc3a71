"""Verifies the ledger's invariants for every member with set-based queries."""

from dataclasses import dataclass

from django.db.models import BigIntegerField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from members.models import Member
from rewards.models import LedgerEntry, PointsBalance, PointsLot
from rewards.selectors import member_total


@dataclass(frozen=True)
class Difference:
    member_id: str
    program: str
    problem: str


def ledger_differences(program_id: int | None = None) -> list[Difference]:
    """Members whose balance row disagrees with their entries or lots; empty when the ledger is sound."""
    balances = PointsBalance.objects.all()
    members = Member.objects.filter(balance__isnull=True)
    if program_id is not None:
        balances = balances.filter(program_id=program_id)
        members = members.filter(program_id=program_id)
    last_after = LedgerEntry.objects.filter(member_id=OuterRef("member_id")).order_by("-id").values("balance_after")[:1]
    checked = balances.annotate(
        e_available=member_total(LedgerEntry, "available_delta"),
        e_pending=member_total(LedgerEntry, "pending_delta"),
        e_locked=member_total(LedgerEntry, "locked_delta"),
        l_pending=member_total(PointsLot, "remaining", pending=True),
        l_open=member_total(PointsLot, "remaining", pending=False),
        last_after=Coalesce(Subquery(last_after, output_field=BigIntegerField()), Value(0)),
    )
    wrong = checked.filter(
        ~Q(available=F("e_available"))
        | ~Q(pending=F("e_pending"))
        | ~Q(locked=F("e_locked"))
        | ~Q(pending=F("l_pending"))
        | ~Q(l_open=Greatest(F("available") + F("locked"), Value(0)))
        | ~Q(last_after=F("available") + F("pending") + F("locked"))
    ).select_related("member__program")
    out: list[Difference] = []
    for b in wrong.iterator(chunk_size=500):
        problems = []
        if (b.available, b.pending, b.locked) != (b.e_available, b.e_pending, b.e_locked):
            problems.append(
                f"balance (available {b.available}, pending {b.pending}, locked {b.locked}) != entries "
                f"({b.e_available}, {b.e_pending}, {b.e_locked})"
            )
        if b.l_pending != b.pending:
            problems.append(f"pending {b.pending} != pending lots {b.l_pending}")
        if b.l_open != max(0, b.available + b.locked):
            problems.append(f"available + locked {b.available + b.locked} != open lots {b.l_open}")
        if b.last_after != b.total:
            problems.append(f"last balance_after {b.last_after} != total {b.total}")
        out.append(Difference(b.member.member_id, b.member.program.code, "; ".join(problems)))
    for m in members.select_related("program").iterator(chunk_size=500):
        out.append(Difference(m.member_id, m.program.code, "no balance row"))
    return out

"""Erasure of a member's personal data (API.md, Member merge and data rights).

`member_erase` does it all in one transaction, after locking the member's balance row (so that no redemption,
lock or transfer of the member runs meanwhile) and the member row:

- refused (`InvalidTransition`, 409 `invalid_transition`) while a physical redemption of the member is on its way
  (`exchanged`, `in_preparation`, `in_delivery`): its delivery address is still needed;
- the profile is overwritten: e-mail, first and last name emptied, birth date null, and the language reset to ""
  (the program's default): a language is a personal preference, and nothing needs it any more;
- `member_id` becomes an opaque pseudonym, `erased-<32 hex>` (within the id rules, drawn at random, so it never
  collides with a partner's id and the old id is free to be enrolled again as a new member); `erased_at` is set
  and an active member becomes `blocked` (a merged one stays `merged`), so no points move for it again;
- the `delivery` of every redemption of the member is set to null;
- the member is opted out of e-mail, and notifications still waiting are skipped (no address is left anyway);
- webshop sessions and login links are deleted, and so are the member's segment memberships (which segments a
  person is in is a profile of them; the segments themselves stay);
- the free-form `attributes` of the member's events are cleared to `{}` (a partner may have put personal data in
  them); their reference, type, moment, status and points stay;
- staff-written free text about the member is cleared: the tier changes' `note` and the balance's
  `tier_override_reason`;
- copies of the member's answers kept by the platform are redacted: the idempotency records (replayed answers)
  and the webhook outbox events that name the member lose the profile fields and deliveries, and the old id in
  them becomes the pseudonym; the admin's change log names the member by the pseudonym;
- a `MemberErasure` row records the program, the pseudonym, when and which actor asked (`api-client:<id>` or
  `staff:<username>`), nothing personal; the `member.erased` webhook carries only the pseudonym.

Ledger entries, lots, locks, earns and redemptions stay with their amounts and dates: program totals and
`check_ledger` do not change. The earns' baskets and segment-code snapshots hold no personal data and stay (they
are the audit trail of how points were computed).
"""

import json
import secrets
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from members.models import Member, MemberErasure, MemberLoginLink, MemberSession, SegmentMembership
from programs import webhooks
from programs.models import WebhookEvent
from rewards.errors import InvalidTransition
from rewards.models import (
    Event,
    IdempotencyRecord,
    Notification,
    NotificationStatus,
    PointsBalance,
    Redemption,
    RedemptionStatus,
    TierChange,
)
from rewards.services.ledger import balance_lock

PSEUDONYM_PREFIX = "erased-"
UNDELIVERED = (RedemptionStatus.EXCHANGED, RedemptionStatus.IN_PREPARATION, RedemptionStatus.IN_DELIVERY)
# Keys of the API's answers that hold personal data: emptied (text) or nulled in the copies of answers kept.
_TEXT_KEYS = ("email", "first_name", "last_name")
_NULL_KEYS = ("birth_date", "delivery", "address")


def new_pseudonym() -> str:
    return f"{PSEUDONYM_PREFIX}{secrets.token_hex(16)}"


def redact(value: Any, old_id: str, pseudonym: str) -> Any:
    """A copy of an API answer (JSON) without the member's personal data, the old id replaced by the pseudonym."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _TEXT_KEYS and isinstance(item, str):
                out[key] = ""
            elif key in _NULL_KEYS:
                out[key] = None
            else:
                out[key] = redact(item, old_id, pseudonym)
        return out
    if isinstance(value, list):
        return [redact(item, old_id, pseudonym) for item in value]
    if value == old_id:
        return pseudonym
    return value


def _redact_copies(member: Member, old_id: str, pseudonym: str) -> None:
    """The answers replayed by idempotency and the webhook outbox, where they name the member."""
    quoted = json.dumps(old_id)
    records = IdempotencyRecord.objects.filter(program_id=member.program_id, response_body__contains=quoted)
    for record in records.only("id", "response_body"):
        assert record.response_body is not None
        body = redact(json.loads(record.response_body), old_id, pseudonym)
        IdempotencyRecord.objects.filter(pk=record.pk).update(response_body=json.dumps(body))
    events = WebhookEvent.objects.filter(program_id=member.program_id, data__member_id=old_id)
    for event in events.only("id", "data"):
        WebhookEvent.objects.filter(pk=event.pk).update(data=redact(event.data, old_id, pseudonym))
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Member), object_id=str(member.pk)).update(
        object_repr=pseudonym
    )


def member_erase(*, member: Member, actor: str) -> MemberErasure:
    """Erases the member's personal data for good (see the module's docstring); returns the erasure record."""
    with transaction.atomic():
        balance_lock(member=member, settle=False)
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.erased_at is not None:
            raise InvalidTransition("The member's data was erased already.")
        on_the_way = Redemption.objects.filter(
            member=locked, gift__type="physical", status__in=[s.value for s in UNDELIVERED]
        ).values_list("pk", flat=True)
        pending = sorted(on_the_way)
        if pending:
            raise InvalidTransition(
                f"Redemption {pending[0]} is not delivered yet: deliver or cancel it before erasing the member."
            )
        now = timezone.now()
        old_id, pseudonym = locked.member_id, new_pseudonym()
        locked.member_id = pseudonym
        locked.email = locked.first_name = locked.last_name = locked.language = ""
        locked.birth_date = None
        locked.address = None
        locked.erased_at = now
        locked.email_opt_out = True  # no e-mail any more, whatever is still waiting
        if locked.status == Member.ACTIVE:
            locked.status = Member.BLOCKED
        locked.save(
            update_fields=[
                "member_id",
                "email",
                "first_name",
                "last_name",
                "language",
                "birth_date",
                "address",
                "erased_at",
                "email_opt_out",
                "status",
                "updated_at",
            ]
        )
        Redemption.objects.filter(member=locked, delivery__isnull=False).update(delivery=None)
        MemberSession.objects.filter(member=locked).delete()
        MemberLoginLink.objects.filter(member=locked).delete()
        SegmentMembership.objects.filter(member=locked).delete()
        Notification.objects.filter(
            member=locked, status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]
        ).update(status=NotificationStatus.SKIPPED)
        # A mail server's error may quote the address; the language was the member's.
        Notification.objects.filter(member=locked).update(last_error="", language="")
        Event.objects.filter(member=locked).exclude(attributes={}).update(attributes={})
        TierChange.objects.filter(member=locked).exclude(note="").update(note="")
        PointsBalance.objects.filter(member=locked).exclude(tier_override_reason="").update(tier_override_reason="")
        _redact_copies(locked, old_id, pseudonym)
        erasure = MemberErasure.objects.create(
            program_id=locked.program_id, pseudonym=pseudonym, erased_at=now, actor=actor[:200]
        )
        webhooks.emit(program=locked.program_id, event_type="member.erased", subject=erasure)
    member.member_id, member.erased_at, member.status = pseudonym, now, locked.status
    return erasure

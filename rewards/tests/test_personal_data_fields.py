"""Every model field of the project that could hold personal data is classified: a new text, JSON or date field
fails this test until it is put in one of the lists below, so that no field escapes erasure and export.

- PERSONAL: erased by rewards.services.erasure.member_erase (how, in the comment) and shown by the export.
- NOT_PERSONAL: program configuration, codes, statuses, hashes, or data about staff and partners, never about a
  member (why, in the comment).
"""

from django.apps import apps
from django.db import models

PROJECT_APPS = ("programs", "members", "catalog", "rewards", "loyalty", "backoffice", "shop", "programfile", "demo")
KINDS = (models.CharField, models.TextField, models.JSONField, models.DateField)  # EmailField is a CharField

PERSONAL = {
    "members.Member.member_id": "replaced by a pseudonym",
    "members.Member.email": "emptied",
    "members.Member.first_name": "emptied",
    "members.Member.last_name": "emptied",
    "members.Member.language": "reset to the program's default",
    "members.Member.birth_date": "nulled",
    "members.Member.address": "nulled",
    "members.MemberSession.token_hash": "row deleted",
    "members.MemberSession.language": "row deleted",
    "members.MemberLoginLink.token_hash": "row deleted",
    "rewards.Redemption.delivery": "nulled",
    "rewards.Event.attributes": "cleared to {}",
    "rewards.TierChange.note": "staff free text about the member: emptied",
    "rewards.PointsBalance.tier_override_reason": "staff free text about the member: emptied",
    "rewards.IdempotencyRecord.response_body": "answers naming the member: redacted",
    "programs.WebhookEvent.data": "outbox events naming the member: redacted",
    "rewards.Notification.language": "the member's language: emptied",
    "rewards.Notification.last_error": "a mail server's answer may name the address: emptied",
}

NOT_PERSONAL = {
    "rewards.Notification.kind": "a kind code",
    "rewards.Notification.subject": "a redemption id, a month or `enrolment`",
    "rewards.Notification.context": "figures (points, a date), like the ledger's",
    "rewards.Notification.status": "a status code",
    "rewards.Notification.key": "a random key",
    "rewards.Notification.claim": "a random token",
    "rewards.NotificationText.kind": "program configuration",
    "rewards.NotificationText.language": "program configuration",
    "rewards.NotificationText.subject": "program configuration",
    "rewards.NotificationText.text_body": "program configuration",
    "rewards.NotificationText.html_body": "program configuration",
    "members.Member.status": "a status code",
    "members.Segment.code": "program configuration",
    "members.Segment.name": "program configuration",
    "members.MemberErasure.pseudonym": "the opaque pseudonym, by design",
    "members.MemberErasure.actor": "the API client or staff user",
    "programs.Program.code": "program configuration",
    "programs.Program.name": "program configuration",
    "programs.Program.currency": "program configuration",
    "programs.Program.languages": "program configuration",
    "programs.Program.default_language": "program configuration",
    "programs.Program.timezone": "program configuration",
    "programs.Tier.code": "program configuration",
    "programs.Tier.name": "program configuration",
    "programs.ApiClient.name": "a partner's client",
    "programs.ApiClient.scopes": "a partner's client",
    "programs.EventType.code": "program configuration",
    "programs.EventType.name": "program configuration",
    "programs.WebhookSubscription.url": "a partner's endpoint",
    "programs.WebhookSubscription.events": "event type codes",
    "programs.WebhookSubscription.description": "a partner's label",
    "programs.WebhookSubscription.status": "a status code",
    "programs.WebhookSubscription.disabled_reason": "about the endpoint",
    "programs.WebhookSubscription.secret_salt": "a random salt",
    "programs.WebhookEvent.id": "a random id",
    "programs.WebhookEvent.type": "an event type code",
    "programs.WebhookDelivery.status": "a status code",
    "programs.WebhookDelivery.last_response": "the partner's receiver's answer",
    "programs.WebhookDelivery.last_error": "a network error",
    "catalog.GiftCategory.code": "catalog",
    "catalog.GiftCategory.name": "catalog",
    "catalog.Gift.sku": "catalog",
    "catalog.Gift.type": "catalog",
    "catalog.Gift.images": "catalog",
    "catalog.Gift.name": "catalog",
    "catalog.Gift.description": "catalog",
    "catalog.GiftStockChange.actor": "a staff user",
    "catalog.GiftStockChange.reason": "about stock",
    "rewards.Promotion.code": "program configuration",
    "rewards.Promotion.name": "program configuration",
    "rewards.Promotion.kind": "program configuration",
    "rewards.Promotion.status": "program configuration",
    "rewards.Promotion.products": "program configuration",
    "rewards.Promotion.product_categories": "program configuration",
    "rewards.Promotion.channels": "program configuration",
    "rewards.TierChange.reason": "a reason code",
    "rewards.LedgerEntry.kind": "a kind code",
    "rewards.LedgerEntry.reference": "the partner's transaction reference (kept: the ledger is append-only)",
    "rewards.LedgerEntry.description": "what the movement was (transfer or adjustment reason), kept with the "
    "figures: the ledger is append-only and the API asks partners for reasons, not personal data",
    "rewards.Earn.reference": "the partner's transaction reference",
    "rewards.Earn.channel": "a channel code",
    "rewards.Earn.store": "a store code",
    "rewards.Earn.lines": "the basket: products and amounts (the audit trail of the points)",
    "rewards.Earn.rules": "promotion rules",
    "rewards.Earn.rule_snapshots": "promotion rules",
    "rewards.Earn.segments": "segment codes at earn time (the audit trail of the points)",
    "rewards.Earn.returned": "returned quantities",
    "rewards.RuleSnapshot.code": "promotion rules",
    "rewards.RuleSnapshot.digest": "promotion rules",
    "rewards.RuleSnapshot.definition": "promotion rules",
    "rewards.IdempotencyRecord.operation": "an operation code",
    "rewards.IdempotencyRecord.reference": "the partner's reference",
    "rewards.IdempotencyRecord.request_hash": "a hash",
    "rewards.Redemption.reference": "the partner's reference",
    "rewards.Redemption.status": "a status code",
    "rewards.RedemptionStatusChange.from_status": "a status code",
    "rewards.RedemptionStatusChange.to_status": "a status code",
    "rewards.RedemptionStatusChange.actor": "a staff user or partner",
    "rewards.Voucher.code": "a voucher code",
    "rewards.Voucher.currency": "a currency code",
    "rewards.Voucher.status": "a status code",
    "rewards.Voucher.order_reference": "the webshop's order reference",
    "rewards.Event.reference": "the partner's reference",
    "rewards.Event.local_date": "the day the event happened (kept with the figures, for limits)",
    "rewards.Event.status": "a status code",
    "rewards.Event.reason": "a reason code",
    "rewards.PointsLock.reference": "the partner's reference",
    "rewards.PointsLock.status": "a status code",
}


def project_fields() -> set[str]:
    names = set()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, KINDS) and not isinstance(field, models.DateTimeField):
                names.add(f"{model._meta.label}.{field.name}")
    return names


def test_every_field_that_could_hold_personal_data_is_classified():
    unclassified = project_fields() - PERSONAL.keys() - NOT_PERSONAL.keys()
    assert unclassified == set(), (
        "classify these fields in rewards/tests/test_personal_data_fields.py: PERSONAL (and erase them in "
        "rewards/services/erasure.py, export them in loyalty/api/member_export.py) or NOT_PERSONAL"
    )


def test_the_lists_name_only_existing_fields_once():
    assert PERSONAL.keys() & NOT_PERSONAL.keys() == set()
    assert (PERSONAL.keys() | NOT_PERSONAL.keys()) - project_fields() == set()

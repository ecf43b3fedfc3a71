"""The `data` of each webhook event type, built by the functions that build the API's own answers (registered
with programs.webhooks at start-up, so the domain that emits the events does not depend on the API)."""

from typing import Any

from loyalty.api.earning import earn_answer, reversal_answer
from loyalty.api.member_serializers import member_data
from loyalty.api.redemptions import redemption_data
from members.selectors import member_get
from programs import webhooks
from rewards.models import Event, Redemption


def _member(member: Any) -> dict:
    fresh = member_get(program=member.program, member_id=member.member_id)
    return member_data(fresh, member.program.default_language)


def _earn(outcome: Any) -> dict:
    program = outcome.earn.program
    return earn_answer(outcome, program, program.default_language)


def _event(event: Event) -> dict:
    return {
        "reference": event.reference,
        "status": event.status,
        "points": event.points,
        "reason": event.reason or None,
    }


def _redemption(redemption: Redemption) -> dict:
    fresh = Redemption.objects.select_related("gift", "member", "program", "voucher").get(pk=redemption.pk)
    return redemption_data(fresh, fresh.program.default_language)


def _erased(erasure: Any) -> dict:
    """Only the pseudonym: nothing personal travels about an erased member."""
    return {"member_id": erasure.pseudonym}


def _expired(item: Any) -> dict:
    balance, points = item
    return {"member_id": balance.member.member_id, "points": points, "balance": balance.as_dict()}


def register() -> None:
    webhooks.register_renderer("member.enrolled", _member)
    webhooks.register_renderer("member.tier_changed", _member)
    webhooks.register_renderer("member.merged", _member)
    webhooks.register_renderer("member.erased", _erased)
    webhooks.register_renderer("points.earned", _earn)
    webhooks.register_renderer("points.reversed", reversal_answer)
    webhooks.register_renderer("points.expired", _expired)
    webhooks.register_renderer("event.rewarded", _event)
    webhooks.register_renderer("event.rejected", _event)
    webhooks.register_renderer("redemption.created", _redemption)
    webhooks.register_renderer("redemption.status_changed", _redemption)
    webhooks.register_renderer("voucher.issued", _redemption)

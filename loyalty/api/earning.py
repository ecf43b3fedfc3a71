"""Earn & burn endpoints: thin views that validate, call a service and shape the answer."""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from loyalty.api import earning_serializers as s
from loyalty.api import enums
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.baskets import validate_basket
from loyalty.api.errors import conflict, invalid
from loyalty.api.fields import TIMESTAMP_SCHEMA, QueryTimestampField
from loyalty.api.members import get_member_or_404, member_for_evaluation_or_404
from loyalty.api.pagination import PAGE_PARAMETERS, page_response_data, paginate_queryset
from loyalty.core.logging import bind_log_context
from rewards import selectors
from rewards.engine import Evaluation, Line
from rewards.history import entry_descriptions
from rewards.idempotency import Answer, Claim, IdempotencyMismatch, run_idempotent
from rewards.services.earning import (
    Basket,
    EarnOutcome,
    ReversalOutcome,
    basket_evaluate,
    earn_post,
    earn_reverse,
)
from rewards.services.ledger import balance_catch_up


def idempotent_response(answer: Answer) -> Response:
    response = Response(answer.body, status=answer.status)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def run_write(view, *, operation: str, reference: str, perform, extra: str = "", inline: bool = False) -> Response:
    """Runs a write once per reference and maps business errors to the envelope (`inline`: `perform` takes the
    idempotency claim, see rewards.idempotency)."""
    try:
        answer = run_idempotent(
            program_id=view.caller.program_id,
            operation=operation,
            reference=reference,
            payload=view.request.data,
            perform=perform,
            extra=extra,
            inline=inline,
        )
    except IdempotencyMismatch as exc:
        raise conflict("idempotency_mismatch", str(exc)) from None
    return idempotent_response(answer)


def basket_from(data: dict) -> Basket:
    from django.utils import timezone

    return Basket(
        lines=tuple(
            Line(line["line_id"], line["sku"], line["product_category"], line["quantity"], line["amount"])
            for line in data["lines"]
        ),
        occurred_at=data.get("occurred_at") or timezone.now(),
        channel=data.get("channel") or None,
        store=data.get("store") or "",
    )


FLAGS = {"true": True, "1": True, "false": False, "0": False}


def read_flag(request, name: str) -> bool:
    """A boolean query parameter: true/false (or 1/0); anything else is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in FLAGS:
        raise invalid(f"{name} must be true or false.", {name: ["Must be true or false."]})
    return FLAGS[raw.lower()]


def evaluation_data(evaluation: Evaluation, program, language: str, explain: bool = False) -> dict:
    data = {
        "points": evaluation.points,
        "promotions": [
            {"code": p.code, "name": program.text(p.name, language), "points": p.points} for p in evaluation.promotions
        ],
        "lines": [
            {"line_id": line.line_id, "points": line.points, "promotions": line.promotions} for line in evaluation.lines
        ],
    }
    if explain:
        data["not_applied"] = [{"code": code, "reason": reason} for code, reason in evaluation.not_applied]
    return data


def earn_answer(outcome: EarnOutcome, program, language: str) -> dict:
    """The earn's answer (and its `points.earned` webhook data)."""
    earn = outcome.earn
    return {
        "reference": earn.reference,
        "member_id": outcome.balance.member.member_id,
        "points": earn.points,
        "status": "pending" if outcome.pending else "posted",
        "available_at": outcome.available_at.isoformat(),
        "expires_at": earn.expires_at.isoformat() if earn.expires_at else None,
        **{
            key: value
            for key, value in evaluation_data(outcome.evaluation, program, language).items()
            if key != "points"
        },
        "balance": outcome.balance.as_dict(),
    }


def reversal_answer(outcome: ReversalOutcome) -> dict:
    """The reversal's answer (and its `points.reversed` webhook data)."""
    return {
        "reference": outcome.entry.reference,
        "original_reference": outcome.earn.reference,
        "points": -outcome.points,
        "balance": outcome.balance.as_dict(),
    }


class BasketEvaluateView(ProgramAPIView):
    required_scope = "points:read"

    @extend_schema(
        operation_id="baskets_evaluate",
        summary="Basket Point Evaluation",
        description="The points this basket would earn now, posting nothing. Without `member_id` the basket is a "
        "guest's: only promotions with no segment apply. `?explain=true` adds `not_applied` with a reason per live "
        "promotion that gave no points.",
        request=s.BasketInput,
        parameters=[
            OpenApiParameter(
                "explain",
                OpenApiTypes.BOOL,
                required=False,
                description="`true` adds `not_applied`: every live promotion that gave no points, with the reason.",
            )
        ],
        responses={200: s.EvaluationOutput, **error_responses(400, 404)},
    )
    def post(self, request):
        # Only a body naming a currency needs the program's row to be validated; otherwise the row is read with
        # the member, in one statement.
        body = request.data
        checks_currency = isinstance(body, dict) and "currency" in body
        data = validate_basket(body, earn=False, program=self.program if checks_currency else None)
        member_id = data.get("member_id")
        member = member_for_evaluation_or_404(self, member_id, "member_id") if member_id else None
        explain = read_flag(request, "explain")
        evaluation = basket_evaluate(program=self.program, member=member, basket=basket_from(data), explain=explain)
        return Response(evaluation_data(evaluation, self.program, self.get_language(), explain))


class EarnView(ProgramAPIView):
    required_scope = "points:write"

    @extend_schema(
        operation_id="transactions_earn",
        summary="Earn",
        description="Evaluates the basket and posts its points once per `reference`. The same reference and body "
        "again answers 200 with the original body and `Idempotent-Replayed: true`; another body is "
        "`409 idempotency_mismatch`. A blocked member is `409 member_blocked`. An earn whose rules give more than "
        "1,000,000,000 points, or that would take the member's balance over 1,000,000,000,000, is "
        "`409 points_limit` and changes nothing.",
        request=s.EarnInput,
        responses={201: s.EarnOutput, 200: s.EarnOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request):
        v = validate_basket(request.data, earn=True)
        basket = basket_from(v)
        reference = v["reference"]
        bind_log_context(member_id=v["member_id"])  # the member is read with its balance, not by get_member_or_404

        def answer_of(outcome: EarnOutcome) -> Answer:
            self.caller.program = outcome.balance.program  # read with the member: no statement of its own
            return Answer(status=201, body=earn_answer(outcome, self.program, self.get_language()))

        def perform(claim: Claim) -> Answer:
            # The answer is recorded with the earn's rows, in the same statement (rewards.statements).
            outcome = earn_post(
                program_id=self.caller.program_id,
                member_id=v["member_id"],
                basket=basket,
                reference=reference,
                currency=v.get("currency"),
                claim=claim,
                answer_of=answer_of,
            )
            assert outcome.answer is not None
            return outcome.answer

        return run_write(self, operation="earn", reference=reference, perform=perform, inline=True)


class ReversalView(ProgramAPIView):
    required_scope = "points:write"

    @extend_schema(
        operation_id="transactions_reverse",
        summary="Earn Reversal",
        description="Without `lines`, reverses what remains of the earn. With `lines` (units returned), recomputes the "
        "kept basket with the promotion rules of the earn's moment and posts the difference negative. "
        "`409 already_reversed`, `409 reversal_exceeds_earn`, `409 insufficient_points` (points already spent and no "
        "negative balance allowed); an unknown `line_id` or more units than the line had is a 400. An earn of a member "
        "since merged into another is reversed from the member its points moved to: `balance` is that member's.",
        request=s.ReversalInput,
        responses={201: s.ReversalOutput, 200: s.ReversalOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request, reference: str):
        data = s.ReversalInput(data=request.data)
        data.is_valid(raise_exception=True)
        own_reference = data.validated_data["reference"]
        lines = data.validated_data.get("lines")
        returns = [(line["line_id"], line["quantity"]) for line in lines] if lines is not None else None

        def perform() -> Answer:
            outcome = earn_reverse(
                program=self.program, earn_reference=reference, reference=own_reference, returns=returns
            )
            body = reversal_answer(outcome)
            return Answer(status=201, body=body)

        return run_write(self, operation="reversal", reference=own_reference, perform=perform, extra=reference)


class HistoryFilters(serializers.Serializer):
    type = serializers.ChoiceField(choices=selectors.HISTORY_KINDS, required=False)
    since = QueryTimestampField(required=False)
    until = QueryTimestampField(required=False)


class TransactionHistoryView(ProgramAPIView):
    required_scope = "points:read"

    @extend_schema(
        operation_id="members_transactions_list",
        summary="Transaction History",
        description="The member's ledger, newest first, cursor-paginated. Each row's `points` is its change to the "
        "total balance and `balance_after` the total after it. `since`/`until` bound `occurred_at`, inclusive. Points "
        "past their expiry have their `expiry` row as soon as the balance counts them as gone (it is posted on read "
        "when the hourly job has not run yet).",
        parameters=[
            OpenApiParameter(
                "type",
                OpenApiTypes.STR,
                enum=enums.HISTORY_TYPES,
                required=False,
                description="Only rows of this type.",
            ),
            OpenApiParameter(
                "since",
                TIMESTAMP_SCHEMA,
                required=False,
                description="Only rows with `occurred_at` at or after this moment (ISO 8601 with offset).",
            ),
            OpenApiParameter(
                "until",
                TIMESTAMP_SCHEMA,
                required=False,
                description="Only rows with `occurred_at` at or before this moment (ISO 8601 with offset).",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={200: s.TransactionPageOutput, **error_responses(400, 404)},
    )
    def get(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id, segments=False)
        filters = HistoryFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        balance_catch_up(member=member)  # expired lots get their `expiry` row before the rows are listed
        queryset = selectors.history_queryset(
            member=member, kinds=[f["type"]] if "type" in f else None, since=f.get("since"), until=f.get("until")
        )
        entries, next_cursor = paginate_queryset(request, queryset, ["-id"])
        results = transaction_rows(entries, self.program, self.get_language())
        return Response(page_response_data(results, next_cursor))


def transaction_rows(entries: list, program, language: str) -> list[dict]:
    """The history rows of these entries (from `history_queryset`), described in `language`: a fixed number of
    queries whatever their count (the promotion names of the earns among them are read once)."""
    descriptions = entry_descriptions(entries, program, language)
    return [transaction_data(entry, program, language, descriptions[entry.pk]) for entry in entries]


def transaction_data(entry, program, language: str, description: str) -> dict:
    redemption = entry.redemption
    if redemption is not None:
        gift = redemption.gift
        redemption = {
            "id": redemption.pk,
            "status": redemption.status,
            "gift": {"sku": gift.sku, "name": program.text(gift.name, language), "type": gift.type},
        }
    return {
        "id": entry.id,
        "type": entry.kind,
        "points": entry.points,
        "balance_after": entry.balance_after,
        "reference": entry.reference,
        "occurred_at": entry.occurred_at.isoformat(),
        "created_at": entry.created_at.isoformat(),
        "status": selectors.entry_status(entry),
        "description": description,
        "redemption": redemption,
    }

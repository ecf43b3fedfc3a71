"""Points lifecycle endpoints: locks, capture/release, transfers, adjustments, expiring points."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from loyalty.api import enums
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.earning import run_write
from loyalty.api.fields import ClosedSerializer, ReferenceField, StrictCharField, StrictIntegerField
from loyalty.api.member_serializers import BalanceOutput, MemberIdField
from loyalty.api.members import get_member_or_404
from loyalty.api.pagination import PAGE_PARAMETERS, page_response_data, page_schema, paginate_queryset
from rewards.idempotency import Answer
from rewards.lots import MAX_MOVEMENT
from rewards.selectors import points_expiring
from rewards.services import points as services

MAX_POINTS = MAX_MOVEMENT  # one movement at most (API.md, "Point magnitudes")


class LockInput(ClosedSerializer):
    reference = ReferenceField(
        help_text="The partner's unique id of this lock (e.g. the checkout's); idempotent by it."
    )
    member_id = MemberIdField(help_text="The member whose points are locked.")
    points = StrictIntegerField(
        min_value=1,
        max_value=MAX_POINTS,
        help_text=f"Points to lock, 1 to {MAX_POINTS:,}, at most the available balance.",
    )
    expires_in = StrictIntegerField(
        min_value=10,
        max_value=604_800,
        required=False,
        default=900,
        help_text="Seconds until the lock expires and its points count as available again: 10 to 604,800 (7 days).",
    )


class CaptureInput(ClosedSerializer):
    points = StrictIntegerField(
        min_value=1,
        max_value=MAX_POINTS,
        required=False,
        help_text="Points to burn, at most those locked (more is a 400); the rest returns to available. "
        "Omitted (or no body at all): all of them.",
    )


class TransferInput(ClosedSerializer):
    reference = ReferenceField(help_text="The partner's unique id of this transfer; idempotent by it.")
    from_member_id = MemberIdField(help_text="The member who gives the points.")
    to_member_id = MemberIdField(help_text="The member who receives them (not the same member).")
    points = StrictIntegerField(
        min_value=1,
        max_value=MAX_POINTS,
        help_text=f"Points to move, 1 to {MAX_POINTS:,}, at most the available balance.",
    )
    reason = StrictCharField(
        max_length=255, required=False, allow_blank=True, allow_null=True, help_text="Optional, shown in history."
    )

    def validate(self, attrs):
        if attrs["from_member_id"] == attrs["to_member_id"]:
            raise serializers.ValidationError({"to_member_id": ["Must differ from from_member_id."]})
        return attrs


class AdjustmentInput(ClosedSerializer):
    reference = ReferenceField(help_text="The partner's unique id of this adjustment; idempotent by it.")
    points = StrictIntegerField(
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        help_text=f"Signed and not 0, from -{MAX_POINTS:,} to {MAX_POINTS:,}: a negative one may not take the available "
        "balance below zero.",
    )
    reason = StrictCharField(max_length=255, help_text="Why (required), shown in history.")

    def validate_points(self, value):
        if value == 0:
            raise serializers.ValidationError("Must not be 0.")
        return value


LOCK = inline_serializer(
    name="PointsLock",
    fields={
        "reference": serializers.CharField(help_text="The lock's reference."),
        "member_id": serializers.CharField(help_text="The member whose points are locked."),
        "status": serializers.ChoiceField(
            choices=enums.LOCK_STATUSES,
            help_text="`locked` until captured or released (an expired lock is released by itself).",
        ),
        "points": serializers.IntegerField(min_value=1, help_text="The points locked."),
        "captured_points": serializers.IntegerField(
            min_value=0, help_text="The points burnt by the capture (0 before)."
        ),
        "expires_at": serializers.DateTimeField(help_text="When the lock expires."),
        "balance": BalanceOutput(help_text="The member's balance right after this call."),
    },
)
TRANSFER = inline_serializer(
    name="PointsTransfer",
    fields={
        "reference": serializers.CharField(help_text="The transfer's reference."),
        "from_member_id": serializers.CharField(help_text="The member who gave the points."),
        "to_member_id": serializers.CharField(help_text="The member who received them."),
        "points": serializers.IntegerField(min_value=1, help_text="The points moved."),
        "from_balance": BalanceOutput(help_text="The giver's balance right after the transfer."),
        "to_balance": BalanceOutput(help_text="The receiver's balance right after the transfer."),
    },
)
ADJUSTMENT = inline_serializer(
    name="PointsAdjustment",
    fields={
        "reference": serializers.CharField(help_text="The adjustment's reference."),
        "member_id": serializers.CharField(help_text="The member adjusted."),
        "points": serializers.IntegerField(help_text="Signed: the points added or taken."),
        "reason": serializers.CharField(help_text="Why."),
        "balance": BalanceOutput(help_text="The member's balance right after the adjustment."),
    },
)
EXPIRING = page_schema(
    "ExpiringPage",
    inline_serializer(
        name="ExpiringPoints",
        fields={
            "expires_at": serializers.DateTimeField(help_text="The moment these points expire."),
            "points": serializers.IntegerField(min_value=1, help_text="The points that expire then."),
        },
    ),
)


def lock_data(outcome: services.LockOutcome, member_id: str) -> dict:
    lock = outcome.lock
    return {
        "reference": lock.reference,
        "member_id": member_id,
        "status": lock.status,
        "points": lock.points,
        "captured_points": lock.captured_points,
        "expires_at": lock.expires_at.isoformat(),
        "balance": outcome.balance.as_dict(),
    }


class LockCreateView(ProgramAPIView):
    required_scope = "redeem"

    @extend_schema(
        operation_id="points_locks_create",
        summary="Lock points",
        description="Pay with points at checkout, two-phase: moves points from available to locked until they are "
        "captured or released, or until `expires_in` seconds (10 to 604,800; default 900) have passed, when they "
        "count as available again. `409 insufficient_points`, `409 member_blocked`. Idempotent by `reference`.",
        request=LockInput,
        responses={201: LOCK, 200: LOCK, **error_responses(400, 404, 409)},
    )
    def post(self, request):
        data = LockInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        member = get_member_or_404(self.program, v["member_id"], "member_id", related=False)

        def perform() -> Answer:
            outcome = services.points_lock(
                program=self.program,
                member=member,
                points=v["points"],
                reference=v["reference"],
                expires_in=v["expires_in"],
            )
            return Answer(status=201, body=lock_data(outcome, member.member_id))

        return run_write(self, operation="lock", reference=v["reference"], perform=perform)


class LockFinishView(ProgramAPIView):
    required_scope = "redeem"
    capture = False

    def finish(self, request, reference: str) -> Response:
        if self.capture:
            # The body is optional: an empty POST (any content type), or {}, captures the whole lock.
            body = request.data if request._request.body.strip() else {}
            data = CaptureInput(data=body)
            data.is_valid(raise_exception=True)
            points = data.validated_data.get("points")
            outcome = services.lock_capture(program=self.program, reference=reference, points=points)
        else:
            outcome = services.lock_release(program=self.program, reference=reference)
        return Response(lock_data(outcome, outcome.lock.member.member_id))


class LockCaptureView(LockFinishView):
    capture = True

    @extend_schema(
        operation_id="points_locks_capture",
        summary="Capture locked points",
        description="Burns the locked points, or fewer (`points`; the rest returns to available). Capturing more "
        "than was locked is a 400; a second capture or release, or either after expiry, is `409 invalid_transition`.",
        request=CaptureInput,
        responses={200: LOCK, **error_responses(400, 404, 409)},
    )
    def post(self, request, reference: str):
        return self.finish(request, reference)


class LockReleaseView(LockFinishView):
    takes_body = False

    @extend_schema(
        operation_id="points_locks_release",
        summary="Unlock points",
        description="Returns the locked points to available. After a capture, a release, or the lock's expiry: "
        "`409 invalid_transition`.",
        request=None,
        responses={200: LOCK, **error_responses(404, 409)},
    )
    def post(self, request, reference: str):
        return self.finish(request, reference)


class TransferView(ProgramAPIView):
    required_scope = "points:write"

    @extend_schema(
        operation_id="points_transfers_create",
        summary="Transfer points between members",
        description="Moves points between two members of the program, atomically; the points keep their expiry "
        "dates. `409 insufficient_points`, `409 member_blocked` (either side); the same member on both sides is a 400. "
        "A transfer that would take the receiver's balance over 1,000,000,000,000 points is `409 points_limit`.",
        request=TransferInput,
        responses={201: TRANSFER, 200: TRANSFER, **error_responses(400, 404, 409)},
    )
    def post(self, request):
        data = TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        sender = get_member_or_404(self.program, v["from_member_id"], "from_member_id", related=False)
        receiver = get_member_or_404(self.program, v["to_member_id"], "to_member_id", related=False)

        def perform() -> Answer:
            outcome = services.points_transfer(
                program=self.program,
                sender=sender,
                receiver=receiver,
                points=v["points"],
                reference=v["reference"],
                reason=v.get("reason") or "",
            )
            body = {
                "reference": v["reference"],
                "from_member_id": sender.member_id,
                "to_member_id": receiver.member_id,
                "points": v["points"],
                "from_balance": outcome.from_balance.as_dict(),
                "to_balance": outcome.to_balance.as_dict(),
            }
            return Answer(status=201, body=body)

        return run_write(self, operation="transfer", reference=v["reference"], perform=perform)


class AdjustmentView(ProgramAPIView):
    required_scope = "points:write"

    @extend_schema(
        operation_id="members_adjustments_create",
        summary="Adjust a member's points",
        description="A manual correction, signed and non-zero, with a required `reason`; available at once. A "
        "negative adjustment beyond the available balance is `409 insufficient_points`. Blocked members can be "
        "adjusted. Idempotent by `reference`. One that would take the balance over 1,000,000,000,000 points is "
        "`409 points_limit`.",
        request=AdjustmentInput,
        responses={201: ADJUSTMENT, 200: ADJUSTMENT, **error_responses(400, 404, 409)},
    )
    def post(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id, related=False)
        data = AdjustmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data

        def perform() -> Answer:
            balance = services.points_adjust(
                program=self.program, member=member, points=v["points"], reference=v["reference"], reason=v["reason"]
            )
            body = {
                "reference": v["reference"],
                "member_id": member.member_id,
                "points": v["points"],
                "reason": v["reason"],
                "balance": balance.as_dict(),
            }
            return Answer(status=201, body=body)

        return run_write(self, operation="adjustment", reference=v["reference"], perform=perform, extra=member_id)


class ExpiringView(ProgramAPIView):
    required_scope = "points:read"

    @extend_schema(
        operation_id="members_expiring_list",
        summary="Points by expiry date",
        description="The remaining points of the member's available and locked lots, grouped by exact `expires_at`, "
        "soonest first. Pending points appear once available; points that never expire are not listed.",
        parameters=PAGE_PARAMETERS,
        responses={200: EXPIRING, **error_responses(400, 404)},
    )
    def get(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id, related=False)
        rows, next_cursor = paginate_queryset(request, points_expiring(member=member), ["expires_at"])
        results = [{"expires_at": row["expires_at"].isoformat(), "points": row["points"]} for row in rows]
        return Response(page_response_data(results, next_cursor))

"""Points lifecycle endpoints: locks, capture/release, transfers, adjustments, expiring points."""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.earning import run_write
from loyalty.api.fields import ReferenceField, StrictCharField, StrictIntegerField
from loyalty.api.member_serializers import BalanceOutput, MemberIdField
from loyalty.api.members import get_member_or_404
from loyalty.api.pagination import page_response_data, paginate_queryset
from rewards.idempotency import Answer
from rewards.selectors import points_expiring
from rewards.services import points as services

MAX_POINTS = 1_000_000_000


class LockInput(serializers.Serializer):
    reference = ReferenceField()
    member_id = MemberIdField()
    points = StrictIntegerField(min_value=1, max_value=MAX_POINTS)
    expires_in = StrictIntegerField(min_value=10, max_value=604_800, required=False, default=900)


class CaptureInput(serializers.Serializer):
    points = StrictIntegerField(min_value=1, max_value=MAX_POINTS, required=False)


class TransferInput(serializers.Serializer):
    reference = ReferenceField()
    from_member_id = MemberIdField()
    to_member_id = MemberIdField()
    points = StrictIntegerField(min_value=1, max_value=MAX_POINTS)
    reason = StrictCharField(max_length=255, required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs):
        if attrs["from_member_id"] == attrs["to_member_id"]:
            raise serializers.ValidationError({"to_member_id": ["Must differ from from_member_id."]})
        return attrs


class AdjustmentInput(serializers.Serializer):
    reference = ReferenceField()
    points = StrictIntegerField(min_value=-MAX_POINTS, max_value=MAX_POINTS)
    reason = StrictCharField(max_length=255)

    def validate_points(self, value):
        if value == 0:
            raise serializers.ValidationError("Must not be 0.")
        return value


LOCK = inline_serializer(
    name="PointsLock",
    fields={
        "reference": serializers.CharField(),
        "member_id": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["locked", "captured", "released"]),
        "points": serializers.IntegerField(),
        "captured_points": serializers.IntegerField(),
        "expires_at": serializers.DateTimeField(),
        "balance": BalanceOutput(),
    },
)
TRANSFER = inline_serializer(
    name="PointsTransfer",
    fields={
        "reference": serializers.CharField(),
        "from_member_id": serializers.CharField(),
        "to_member_id": serializers.CharField(),
        "points": serializers.IntegerField(),
        "from_balance": BalanceOutput(),
        "to_balance": BalanceOutput(),
    },
)
ADJUSTMENT = inline_serializer(
    name="PointsAdjustment",
    fields={
        "reference": serializers.CharField(),
        "member_id": serializers.CharField(),
        "points": serializers.IntegerField(),
        "reason": serializers.CharField(),
        "balance": BalanceOutput(),
    },
)
EXPIRING = inline_serializer(
    name="ExpiringPage",
    fields={
        "results": serializers.ListField(
            child=inline_serializer(
                name="ExpiringPoints",
                fields={"expires_at": serializers.DateTimeField(), "points": serializers.IntegerField()},
            )
        ),
        "next": serializers.CharField(allow_null=True),
    },
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
        summary="Capture locked points",
        description="Burns the locked points, or fewer (`points`; the rest returns to available). Capturing more "
        "than was locked is a 400; a second capture or release, or either after expiry, is `409 invalid_transition`.",
        request=CaptureInput,
        responses={200: LOCK, **error_responses(400, 404, 409)},
    )
    def post(self, request, reference: str):
        return self.finish(request, reference)


class LockReleaseView(LockFinishView):
    @extend_schema(
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
        summary="Transfer points between members",
        description="Moves points between two members of the program, atomically; the points keep their expiry "
        "dates. `409 insufficient_points`, `409 member_blocked` (either side); the same member on both sides is a 400.",
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
        summary="Adjust a member's points",
        description="A manual correction, signed and non-zero, with a required `reason`; available at once. A "
        "negative adjustment beyond the available balance is `409 insufficient_points`. Blocked members can be "
        "adjusted. Idempotent by `reference`.",
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
        summary="Points by expiry date",
        description="The remaining points of the member's available and locked lots, grouped by exact `expires_at`, "
        "soonest first. Pending points appear once available; points that never expire are not listed.",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT), OpenApiParameter("cursor", OpenApiTypes.STR)],
        responses={200: EXPIRING, **error_responses(400, 404)},
    )
    def get(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id, related=False)
        rows, next_cursor = paginate_queryset(request, points_expiring(member=member), ["expires_at"])
        results = [{"expires_at": row["expires_at"].isoformat(), "points": row["points"]} for row in rows]
        return Response(page_response_data(results, next_cursor))

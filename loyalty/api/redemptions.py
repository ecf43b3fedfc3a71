"""Redeem Points Voucher, the redemption lifecycle, and vouchers for the webshop."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from catalog.models import Gift
from loyalty.api import redemption_serializers as s
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.earning import run_write
from loyalty.api.errors import not_found
from loyalty.api.members import get_member_or_404
from rewards.idempotency import Answer
from rewards.models import Redemption, Voucher
from rewards.services import redemption as services


def money(value) -> str:
    return f"{value:.2f}"


def voucher_data(voucher: Voucher | None, redemption: Redemption) -> dict | None:
    if voucher is None:
        if redemption.gift.type != Gift.VOUCHER or redemption.status in ("cancelled", "returned"):
            return None
        return {
            "code": None,
            "value": money(redemption.gift.value * redemption.quantity),
            "currency": redemption.program.currency,
            "status": "pending",
            "expires_at": None,
        }
    return plain_voucher_data(voucher)


def redemption_data(redemption: Redemption, language: str) -> dict:
    gift = redemption.gift
    program = redemption.program
    voucher = getattr(redemption, "voucher", None)
    return {
        "id": redemption.pk,
        "reference": redemption.reference,
        "member_id": redemption.member.member_id,
        "status": redemption.status,
        "points": redemption.points,
        "quantity": redemption.quantity,
        "gift": {
            "sku": gift.sku,
            "name": program.text(gift.name, language),
            "type": gift.type,
            "points": gift.points,
            "value": money(gift.value),
        },
        "delivery": redemption.delivery,
        "voucher": voucher_data(voucher, redemption),
        "created_at": redemption.created_at.isoformat(),
        "updated_at": redemption.updated_at.isoformat(),
    }


def load_redemption(program, redemption_id: int) -> Redemption:
    redemption = (
        Redemption.objects.filter(program=program, pk=redemption_id)
        .select_related("gift", "member", "program", "voucher")
        .first()
    )
    if redemption is None:
        raise not_found(f"Redemption {redemption_id} not found.")
    return redemption


class RedeemView(ProgramAPIView):
    required_scope = "redeem"

    @extend_schema(
        operation_id="redemptions_create",
        summary="Redeem Points Voucher",
        description="Burns the gift's points at once and takes its stock, in one transaction: "
        "`409 insufficient_points`, `409 out_of_stock`, `409 gift_unavailable` (not validated or outside its "
        "validity window), `409 member_blocked`; an unknown member or gift is 404 naming the field. For a gift of "
        "type `voucher`, a background task issues the voucher: `voucher.status` is `pending` until then, then "
        "`issued` (and the redemption `delivered`). Idempotent by `reference`.",
        request=s.RedeemInput,
        responses={201: s.RedemptionOutput, 200: s.RedemptionOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request):
        data = s.RedeemInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        member = get_member_or_404(self.program, v["member_id"], "member_id", related=False)
        gift = (
            Gift.objects.filter(program=self.program, sku=v["gift"]).select_related("category__parent__parent").first()
        )
        if gift is None:
            raise not_found(f"Gift {v['gift']} not found.", "gift")
        language = self.get_language()

        def perform() -> Answer:
            redemption = services.redeem(
                program=self.program,
                member=member,
                gift=gift,
                quantity=v["quantity"],
                reference=v["reference"],
                delivery=v.get("delivery"),
                actor=f"api:{request.user.client.name}",
            )
            redemption.program = self.program
            return Answer(status=201, body=redemption_data(redemption, language))

        return run_write(self, operation="redemption", reference=v["reference"], perform=perform)


class RedemptionDetailView(ProgramAPIView):
    required_scope = "redeem"

    @extend_schema(
        operation_id="redemptions_retrieve",
        summary="A redemption",
        description="The redemption with its current status, delivery and voucher.",
        responses={200: s.RedemptionOutput, **error_responses(404)},
    )
    def get(self, request, redemption_id: int):
        return Response(redemption_data(load_redemption(self.program, redemption_id), self.get_language()))


class RedemptionTransitionView(ProgramAPIView):
    required_scope = "redeem"
    target: str | None = None

    def transition(self, request, redemption_id: int, status: str) -> Response:
        redemption = load_redemption(self.program, redemption_id)
        services.redemption_transition(redemption=redemption, status=status, actor=f"api:{request.user.client.name}")
        return Response(redemption_data(load_redemption(self.program, redemption_id), self.get_language()))


class RedemptionCancelView(RedemptionTransitionView):
    takes_body = False

    @extend_schema(
        operation_id="redemptions_cancel",
        summary="Cancel a redemption",
        description="Only from `exchanged` or `in_preparation`: points refunded (a `refund` entry), stock returned, "
        "voucher voided. Otherwise `409 invalid_transition`.",
        request=None,
        responses={200: s.RedemptionOutput, **error_responses(404, 409)},
    )
    def post(self, request, redemption_id: int):
        return self.transition(request, redemption_id, "cancelled")


class RedemptionStatusView(RedemptionTransitionView):
    @extend_schema(
        operation_id="redemptions_status_update",
        summary="Move a redemption along its statuses",
        description="Physical gifts: exchanged → in_preparation → in_delivery → delivered, one step at a time; "
        "cancelled from exchanged or in_preparation; returned from in_delivery or delivered (points refunded). "
        "Voucher and digital gifts: exchanged → delivered, returned from delivered (an unused voucher is voided). "
        "Any other move is `409 invalid_transition`.",
        request=s.StatusInput,
        responses={200: s.RedemptionOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request, redemption_id: int):
        data = s.StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self.transition(request, redemption_id, data.validated_data["status"])


def load_voucher(program, code: str) -> Voucher:
    voucher = Voucher.objects.filter(program=program, code=code.strip().upper()).first()
    if voucher is None:
        raise not_found(f"Voucher {code} not found.")
    return voucher


def plain_voucher_data(voucher: Voucher) -> dict:
    return {
        "code": voucher.code,
        "value": money(voucher.value),
        "currency": voucher.currency,
        "status": voucher.current_status(),
        "expires_at": voucher.expires_at.isoformat() if voucher.expires_at else None,
    }


class VoucherView(ProgramAPIView):
    required_scope = "redeem"

    @extend_schema(
        operation_id="vouchers_retrieve",
        summary="Check a voucher",
        description="The webshop checks a voucher's value and status before accepting it (`expired` once past "
        "`expires_at`).",
        responses={200: s.VoucherOutput, **error_responses(404)},
    )
    def get(self, request, code: str):
        return Response(plain_voucher_data(load_voucher(self.program, code)))


class VoucherUseView(ProgramAPIView):
    required_scope = "redeem"

    @extend_schema(
        operation_id="vouchers_use",
        summary="Use a voucher",
        description="Consumes the voucher once; a second use, or a void or expired voucher, is `409 invalid_transition`.",
        request=s.VoucherUseInput,
        responses={200: s.VoucherOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request, code: str):
        voucher = load_voucher(self.program, code)
        data = s.VoucherUseInput(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = services.voucher_use(voucher=voucher, order_reference=data.validated_data["order_reference"])
        return Response(plain_voucher_data(voucher))

"""Input and output shapes of redemptions and vouchers."""

from rest_framework import serializers

from loyalty.api import enums
from loyalty.api.addresses import COUNTRY_CODES, DeliveryInput, DeliveryOutput  # noqa: F401 - COUNTRY_CODES: schema
from loyalty.api.fields import ClosedSerializer, ReferenceField, StrictCharField, StrictIntegerField
from loyalty.api.member_serializers import MemberIdField
from loyalty.api.schema import CurrencyField, MoneyOutputField

REDEMPTION_STATUSES = enums.REDEMPTION_STATUSES


class RedeemInput(ClosedSerializer):
    reference = ReferenceField(help_text="The partner's unique id of this redemption; idempotent by it.")
    member_id = MemberIdField(help_text="The member who redeems.")
    gift = StrictCharField(max_length=64, help_text="The gift's sku.")
    quantity = StrictIntegerField(
        min_value=1, max_value=100, required=False, default=1, help_text="Units of the gift, 1 to 100."
    )
    delivery = DeliveryInput(
        required=False,
        allow_null=True,
        help_text="Where to ship a physical gift; omitted or null: the member's address at that moment, if any.",
    )


class StatusInput(ClosedSerializer):
    status = serializers.ChoiceField(
        choices=REDEMPTION_STATUSES, help_text="The next status (one step along the redemption's lifecycle)."
    )


class VoucherUseInput(ClosedSerializer):
    order_reference = ReferenceField(help_text="The webshop's id of the order the voucher pays.")


class VoucherOutput(serializers.Serializer):
    code = serializers.CharField(
        allow_null=True, help_text="The voucher's code, the secret the webshop checks; null until issued."
    )
    value = MoneyOutputField(help_text='Its value, a money string with two decimals, e.g. "10.00".')
    currency = CurrencyField(help_text="The currency of `value` (ISO 4217).")
    status = serializers.ChoiceField(
        choices=enums.VOUCHER_STATUSES,
        help_text="`pending` until issued; `issued` (usable), `used`, `void` (cancelled) or `expired`.",
    )
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When it expires; null: never, or not issued.")


class RedemptionGiftOutput(serializers.Serializer):
    sku = serializers.CharField(help_text="The gift's sku.")
    name = serializers.CharField(help_text="In the requested language, else the program's default language.")
    type = serializers.ChoiceField(choices=enums.GIFT_TYPES, help_text="The gift's type.")
    points = serializers.IntegerField(min_value=0, help_text="The gift's price of one unit, in points.")
    value = MoneyOutputField(help_text="The gift's value of one unit, a money string.")


class RedemptionOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The redemption's id, for `GET /redemptions/{redemption_id}`.")
    reference = serializers.CharField(help_text="The partner's reference of the redemption.")
    member_id = serializers.CharField(help_text="The member who redeemed.")
    status = serializers.ChoiceField(
        choices=REDEMPTION_STATUSES,
        help_text="exchanged → in_preparation → in_delivery → delivered for physical gifts; exchanged → delivered "
        "for vouchers once issued; `cancelled` or `returned` with the points refunded.",
    )
    points = serializers.IntegerField(min_value=0, help_text="The positive cost in points (all units).")
    quantity = serializers.IntegerField(min_value=1, max_value=100, help_text="Units of the gift.")
    gift = RedemptionGiftOutput(help_text="The gift redeemed.")
    delivery = DeliveryOutput(
        allow_null=True, help_text="Where a physical gift is shipped; null when there is no address."
    )
    voucher = VoucherOutput(
        allow_null=True,
        help_text="For a gift of type `voucher`: `pending` until a background task issues it; else null.",
    )
    created_at = serializers.DateTimeField(help_text="When it was redeemed.")
    updated_at = serializers.DateTimeField(help_text="When it last changed.")

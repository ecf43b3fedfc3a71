"""Input and output shapes of redemptions and vouchers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.api import enums
from loyalty.api.fields import ClosedSerializer, ReferenceField, StrictCharField, StrictIntegerField
from loyalty.api.member_serializers import MemberIdField
from loyalty.api.schema import CurrencyField, MoneyOutputField

# ISO 3166-1 alpha-2 codes.
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY
    BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
    FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR
    IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()
)
COUNTRY_CODES = tuple(sorted(COUNTRIES))  # in a stable order, for the schema's CountryEnum
REDEMPTION_STATUSES = enums.REDEMPTION_STATUSES


@extend_schema_field({"type": "string", "enum": list(COUNTRY_CODES)})
class CountryCodeField(StrictCharField):
    """An assigned ISO 3166-1 alpha-2 code (checked by the serializer's `validate_country`)."""


@extend_schema_field({"type": "string", "pattern": r"^[0-9+ ()./-]{0,32}$"})
class PhoneField(StrictCharField):
    """Digits, spaces and + ( ) - . / (checked by the serializer's `validate_phone`)."""


class DeliveryInput(ClosedSerializer):
    name = StrictCharField(max_length=150, help_text="The recipient's name.")
    street = StrictCharField(max_length=200, help_text="Street and number.")
    postal_code = StrictCharField(max_length=16, help_text="Postal code.")
    city = StrictCharField(max_length=100, help_text="City.")
    country = CountryCodeField(
        max_length=2, min_length=2, help_text="An assigned ISO 3166-1 alpha-2 code in upper case, e.g. `BE`."
    )
    phone = PhoneField(
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Optional; at most 32 of digits, spaces and `+ ( ) - . /`.",
    )

    def validate_country(self, value: str) -> str:
        if value not in COUNTRIES:
            raise serializers.ValidationError("Must be an ISO 3166-1 alpha-2 code in upper case, e.g. BE.")
        return value

    def validate_phone(self, value):
        if value and not all(c.isdigit() or c in "+ ()-./" for c in value):
            raise serializers.ValidationError("Only digits, spaces and + ( ) - . / are allowed.")
        return value


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


class DeliveryOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The recipient's name.")
    street = serializers.CharField(help_text="Street and number.")
    postal_code = serializers.CharField(help_text="Postal code.")
    city = serializers.CharField(help_text="City.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    phone = serializers.CharField(required=False, allow_null=True, help_text="Phone number, when given.")


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

"""Input and output shapes of redemptions and vouchers."""

from rest_framework import serializers

from loyalty.api.fields import ReferenceField, StrictCharField, StrictIntegerField
from loyalty.api.member_serializers import MemberIdField

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
REDEMPTION_STATUSES = ["exchanged", "in_preparation", "in_delivery", "delivered", "cancelled", "returned"]


class DeliveryInput(serializers.Serializer):
    name = StrictCharField(max_length=150)
    street = StrictCharField(max_length=200)
    postal_code = StrictCharField(max_length=16)
    city = StrictCharField(max_length=100)
    country = StrictCharField(max_length=2, min_length=2)
    phone = StrictCharField(max_length=32, required=False, allow_blank=True, allow_null=True)

    def validate_country(self, value: str) -> str:
        if value not in COUNTRIES:
            raise serializers.ValidationError("Must be an ISO 3166-1 alpha-2 code in upper case, e.g. BE.")
        return value

    def validate_phone(self, value):
        if value and not all(c.isdigit() or c in "+ ()-./" for c in value):
            raise serializers.ValidationError("Only digits, spaces and + ( ) - . / are allowed.")
        return value


class RedeemInput(serializers.Serializer):
    reference = ReferenceField()
    member_id = MemberIdField()
    gift = StrictCharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=100, required=False, default=1)
    delivery = DeliveryInput(required=False, allow_null=True)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=REDEMPTION_STATUSES)


class VoucherUseInput(serializers.Serializer):
    order_reference = ReferenceField()


class VoucherOutput(serializers.Serializer):
    code = serializers.CharField(allow_null=True)
    value = serializers.CharField(help_text="Money string, e.g. 10.00")
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "issued", "used", "void", "expired"])
    expires_at = serializers.DateTimeField(allow_null=True)


class RedemptionGiftOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    points = serializers.IntegerField()
    value = serializers.CharField()


class RedemptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    member_id = serializers.CharField()
    status = serializers.ChoiceField(choices=REDEMPTION_STATUSES)
    points = serializers.IntegerField(help_text="The positive cost in points.")
    quantity = serializers.IntegerField()
    gift = RedemptionGiftOutput()
    delivery = DeliveryInput(allow_null=True)
    voucher = VoucherOutput(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

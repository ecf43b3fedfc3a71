"""Postal addresses: a member's `address` and a redemption's `delivery` have the same fields and rules (API.md)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.api.fields import ClosedSerializer, StrictCharField

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


class DeliveryOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The recipient's name.")
    street = serializers.CharField(help_text="Street and number.")
    postal_code = serializers.CharField(help_text="Postal code.")
    city = serializers.CharField(help_text="City.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    phone = serializers.CharField(required=False, allow_null=True, help_text="Phone number, when given.")

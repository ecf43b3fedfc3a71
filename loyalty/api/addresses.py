"""Postal addresses: a member's `address` and a redemption's `delivery` have the same fields and rules (API.md)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.api.fields import ClosedSerializer, StrictCharField
from members.addresses import COUNTRY_CODES, MAX_LENGTHS, is_country, is_phone


@extend_schema_field({"type": "string", "enum": list(COUNTRY_CODES)})
class CountryCodeField(StrictCharField):
    """An assigned ISO 3166-1 alpha-2 code (checked by the serializer's `validate_country`)."""


@extend_schema_field({"type": "string", "pattern": r"^[0-9+ ()./-]{0,32}$"})
class PhoneField(StrictCharField):
    """Digits, spaces and + ( ) - . / (checked by the serializer's `validate_phone`)."""


class DeliveryInput(ClosedSerializer):
    name = StrictCharField(max_length=MAX_LENGTHS["name"], help_text="The recipient's name.")
    street = StrictCharField(max_length=MAX_LENGTHS["street"], help_text="Street and number.")
    postal_code = StrictCharField(max_length=MAX_LENGTHS["postal_code"], help_text="Postal code.")
    city = StrictCharField(max_length=MAX_LENGTHS["city"], help_text="City.")
    country = CountryCodeField(
        max_length=2, min_length=2, help_text="An assigned ISO 3166-1 alpha-2 code in upper case, e.g. `BE`."
    )
    phone = PhoneField(
        max_length=MAX_LENGTHS["phone"],
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Optional; at most 32 of digits, spaces and `+ ( ) - . /`.",
    )

    def validate_country(self, value: str) -> str:
        if not is_country(value):
            raise serializers.ValidationError("Must be an ISO 3166-1 alpha-2 code in upper case, e.g. BE.")
        return value

    def validate_phone(self, value):
        if not is_phone(value):
            raise serializers.ValidationError("Only digits, spaces and + ( ) - . / are allowed.")
        return value


class DeliveryOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The recipient's name.")
    street = serializers.CharField(help_text="Street and number.")
    postal_code = serializers.CharField(help_text="Postal code.")
    city = serializers.CharField(help_text="City.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    phone = serializers.CharField(required=False, allow_null=True, help_text="Phone number, when given.")

"""Strict input fields: JSON types are checked, not coerced ("5" is not a quantity)."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

REFERENCE_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MONEY_RE = re.compile(r"^-?\d{1,10}(\.\d{1,2})?$")


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReferenceField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not REFERENCE_RE.match(value):
            raise serializers.ValidationError("Must be 1-64 characters of A-Z a-z 0-9 . _ : -")
        return value


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("Must be a JSON integer.")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError("Must be true or false.")
        return data


@extend_schema_field({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "12.50"})
class MoneyField(serializers.Field):
    """A decimal string with at most two decimals ("12.5" is 12.50); JSON numbers are refused."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not MONEY_RE.match(data.strip()):
            raise serializers.ValidationError('Must be a decimal string with at most two decimals, e.g. "12.50".')
        try:
            value = Decimal(data.strip()).quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise serializers.ValidationError("Not a valid amount.") from exc
        if value < 0 and not self.allow_negative:
            raise serializers.ValidationError("Must not be negative.")
        return value

    def to_representation(self, value):
        return f"{Decimal(value):.2f}"


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """ISO 8601 with an offset; a timestamp without offset is refused."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be an ISO 8601 timestamp string.")
        try:
            value = parse_datetime(data)
        except ValueError:
            value = None
        if value is None:
            raise serializers.ValidationError("Must be an ISO 8601 timestamp, e.g. 2026-11-25T10:31:00+01:00.")
        if value.tzinfo is None:
            raise serializers.ValidationError("Timestamp must include a UTC offset, e.g. +01:00 or Z.")
        return value

    def to_representation(self, value):
        return value.isoformat() if value else None


@extend_schema_field(OpenApiTypes.DATE)
class StrictDateField(serializers.Field):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be a date string YYYY-MM-DD.")
        try:
            value = parse_date(data)
        except ValueError:
            value = None
        if value is None:
            raise serializers.ValidationError("Must be a valid date YYYY-MM-DD.")
        return value

    def to_representation(self, value):
        return value.isoformat() if value else None


class ClosedSerializer(serializers.Serializer):
    """Refuses keys it does not know, naming them."""

    read_only_keys: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = [k for k in data if k not in self.fields or self.fields[k].read_only]
        if unknown:
            raise serializers.ValidationError(
                {k: ["This field is read-only." if k in self.read_only_keys else "Unknown field."] for k in unknown}
            )
        return super().to_internal_value(data)


def require_object(data) -> dict:
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
    return data

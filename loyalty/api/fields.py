"""Strict input fields: JSON types are checked, not coerced ("5" is not a quantity)."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Used with fullmatch(): `$` alone also matches before a trailing newline ("R-1\n" would pass).
REFERENCE_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MONEY_RE = re.compile(r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$")  # ASCII digits only (\d would take "١٢")


class StrictCharField(serializers.CharField):
    """A JSON string taken as sent: not coerced from numbers, not trimmed (a value the schema allows, such as a
    lone space or tab, is not turned into a "blank" refusal)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

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
        if not REFERENCE_RE.fullmatch(value):
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


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$", "examples": ["12.50"]})
class MoneyField(serializers.Field):
    """A decimal string with at most two decimals ("12.5" is 12.50); JSON numbers are refused."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not MONEY_RE.fullmatch(data):
            raise serializers.ValidationError('Must be a decimal string with at most two decimals, e.g. "12.50".')
        try:
            value = Decimal(data).quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise serializers.ValidationError("Not a valid amount.") from exc
        if value < 0 and not self.allow_negative:
            raise serializers.ValidationError("Must not be negative.")
        return value

    def to_representation(self, value):
        return f"{Decimal(value):.2f}"


MAX_OFFSET = datetime.timedelta(hours=14)
UTC_MIN = datetime.datetime.min.replace(tzinfo=datetime.UTC)
UTC_MAX = datetime.datetime.max.replace(tzinfo=datetime.UTC)


# For the OpenAPI schema: a date-time whose offset is at most ±14:00 (the forms parse_datetime reads).
TIMESTAMP_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": r"(?:[Zz]|[+-](?:0[0-9]|1[0-3])(?::?[0-5][0-9])?|[+-]14(?::?00)?)$",
}


@extend_schema_field(TIMESTAMP_SCHEMA)
class AwareDateTimeField(serializers.Field):
    """ISO 8601 with an offset of at most ±14:00; a timestamp without offset is refused. Any year is accepted:
    a moment beyond what UTC can hold (0001-01-01T00:00:00+14:00) reads as the first or last moment."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be an ISO 8601 timestamp string.")
        try:
            # (parse_datetime's pattern ends with `$`, which would take a trailing newline.)
            value = None if data.endswith("\n") else parse_datetime(data)
        except ValueError:
            value = None
        if value is None:
            raise serializers.ValidationError("Must be an ISO 8601 timestamp, e.g. 2026-11-25T10:31:00+01:00.")
        offset = value.utcoffset()
        if offset is None:
            raise serializers.ValidationError("Timestamp must include a UTC offset, e.g. +01:00 or Z.")
        if abs(offset) > MAX_OFFSET:
            raise serializers.ValidationError("The UTC offset must be between -14:00 and +14:00.")
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            return UTC_MIN if value.year == 1 else UTC_MAX

    def to_representation(self, value):
        return value.isoformat() if value else None


class QueryTimestampField(AwareDateTimeField):
    """A timestamp in a query string (`?since=`). An unencoded `+` of a positive offset arrives as a space
    (`...T10:00:00 01:00`, form decoding); such a value cannot mean anything else, so it is read as `+01:00`."""

    UNENCODED_PLUS = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = self.UNENCODED_PLUS.sub(r"\1+\2", data)
        return super().to_internal_value(data)


class OccurredAtField(AwareDateTimeField):
    """When a purchase or an event happened: from 2000-01-01T00:00:00Z to 24 hours after the server's now
    (tills' clocks drift; points dated further ahead would count, expire and tier wrongly)."""

    EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    AHEAD = datetime.timedelta(hours=24)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value < self.EARLIEST:
            raise serializers.ValidationError("Must not be before 2000-01-01T00:00:00Z.")
        if value > timezone.now() + self.AHEAD:
            raise serializers.ValidationError("Must not be more than 24 hours after the server's time.")
        return value


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
    """The base of every request body: a key it does not define is refused, naming it. Nested bodies (lines,
    delivery) are ClosedSerializers too, so an unknown key at any depth is named by its dotted path
    (`lines.0.productcategory`): a misspelt field is never silently ignored."""

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

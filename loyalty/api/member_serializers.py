import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from loyalty.api.fields import ClosedSerializer, StrictCharField, StrictDateField
from members.models import MEMBER_ID_RE
from rewards.selectors import member_balance


def validate_member_id(value: str) -> str:
    if not MEMBER_ID_RE.match(value):
        raise serializers.ValidationError("Must be 1-64 characters without spaces, '/', '?', '#', '%' or '\\'.")
    return value


class MemberIdField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return validate_member_id(super().to_internal_value(data))


class ProfileFieldsMixin(serializers.Serializer):
    email = StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=254)
    first_name = StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=150)
    last_name = StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=150)
    language = StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=10)
    birth_date = StrictDateField(required=False, allow_null=True)

    def validate_email(self, value):
        if value:
            try:
                validate_email(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError("Enter a valid e-mail address.") from exc
        return value

    def validate_language(self, value):
        program = self.context["program"]
        if value and value not in program.languages:
            raise serializers.ValidationError(
                f"Must be one of the program's languages: {', '.join(program.languages)}."
            )
        return value

    def validate_birth_date(self, value):
        if value is None:
            return value
        if value > datetime.date.today():
            raise serializers.ValidationError("Must not be in the future.")
        if value.year < 1900:
            raise serializers.ValidationError("Must be after 1900.")
        return value


class MemberCreateInput(ProfileFieldsMixin, ClosedSerializer):
    member_id = MemberIdField()


class MemberUpdateInput(ProfileFieldsMixin, ClosedSerializer):
    read_only_keys = ("member_id", "balance", "segments", "enrolled_at")
    status = serializers.ChoiceField(choices=["active", "blocked"], required=False)

    def validate_status(self, value):
        if not isinstance(self.initial_data.get("status"), str):
            raise serializers.ValidationError("Must be 'active' or 'blocked'.")
        return value


class BalanceOutput(serializers.Serializer):
    available = serializers.IntegerField()
    pending = serializers.IntegerField()
    locked = serializers.IntegerField()
    total = serializers.IntegerField()


class MemberOutput(serializers.Serializer):
    member_id = serializers.CharField()
    email = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=["active", "blocked"])
    enrolled_at = serializers.DateTimeField()
    balance = BalanceOutput()
    segments = serializers.ListField(child=serializers.CharField())


def member_data(member) -> dict:
    """The member as the API shows it (balance and segments must be loaded by the selector)."""
    return {
        "member_id": member.member_id,
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "language": member.language,
        "birth_date": member.birth_date.isoformat() if member.birth_date else None,
        "status": member.status,
        "enrolled_at": member.enrolled_at.isoformat(),
        "balance": member_balance(member=member),
        "segments": sorted(s.code for s in member.segments.all()),
    }

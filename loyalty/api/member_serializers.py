import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.api import enums
from loyalty.api.addresses import DeliveryInput, DeliveryOutput
from loyalty.api.fields import ClosedSerializer, StrictBooleanField, StrictCharField, StrictDateField
from members.models import MEMBER_ID_RE
from rewards.selectors import member_balance, member_tier


def validate_member_id(value: str) -> str:
    if not MEMBER_ID_RE.fullmatch(value):
        raise serializers.ValidationError(
            "Must be 1-64 printable ASCII characters without spaces, '/', '?', '#', '%' or '\\'."
        )
    return value


class MemberIdField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return validate_member_id(super().to_internal_value(data))


@extend_schema_field(
    {"oneOf": [{"type": "string", "format": "email", "maxLength": 254}, {"type": "string", "maxLength": 0}]}
)
class EmailAddressField(StrictCharField):
    """An e-mail address, or empty (checked by the serializer's `validate_email`)."""


@extend_schema_field({"type": "string", "format": "date", "pattern": r"^(?:19|20)[0-9]{2}-"})
class BirthDateField(StrictDateField):
    """A date from 1900 to today (checked by the serializer's `validate_birth_date`)."""


NOTIFICATIONS_HELP = (
    "The member's choice of messages from the program: `email` true when the member receives its e-mails "
    "(voucher codes, gift shipped and delivered, the monthly reminder of points expiring within 30 days, a welcome "
    "where the program sends one), false when the member unsubscribed (through the link in every e-mail, the "
    "admin, or here). Erasure sets it to false."
)


class NotificationsInput(ClosedSerializer):
    email = StrictBooleanField(help_text="false: the member receives no e-mail from the program; true: it does again.")


class NotificationsOutput(serializers.Serializer):
    email = serializers.BooleanField(help_text="Whether the member receives the program's e-mails.")


class ProfileFieldsMixin(serializers.Serializer):
    email = EmailAddressField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=254,
        help_text="The member's e-mail address; empty or null clears it.",
    )
    first_name = StrictCharField(
        required=False, allow_blank=True, allow_null=True, max_length=150, help_text="Empty or null clears it."
    )
    last_name = StrictCharField(
        required=False, allow_blank=True, allow_null=True, max_length=150, help_text="Empty or null clears it."
    )
    language = StrictCharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=10,
        help_text="One of the program's language codes (`GET /languages`); empty or null: the program's default.",
    )
    birth_date = BirthDateField(
        required=False, allow_null=True, help_text="`YYYY-MM-DD`, from 1900 to today; null clears it."
    )
    address = DeliveryInput(
        required=False,
        allow_null=True,
        help_text="The member's postal address, where a physical gift redeemed without `delivery` is sent; null "
        "clears it.",
    )

    notifications = NotificationsInput(required=False, help_text=NOTIFICATIONS_HELP + " Default on enrolment: true.")

    def validate_notifications(self, value):
        if "email" not in value:  # a PATCH makes the nested object partial: its one field is required all the same
            raise serializers.ValidationError({"email": ["This field is required."]})
        return value

    def validate(self, attrs):
        # The contract's shape in, the member's opt-out flag to the services.
        if "notifications" in attrs:
            attrs["email_opt_out"] = not attrs.pop("notifications")["email"]
        return attrs

    def validate_address(self, value):
        # A PATCH is partial, and DRF makes the nested address partial too: its fields are required all the same.
        if value is not None:
            missing = [name for name, field in DeliveryInput().fields.items() if field.required and name not in value]
            if missing:
                raise serializers.ValidationError({name: ["This field is required."] for name in missing})
        return value

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
    member_id = MemberIdField(
        help_text="The partner's own id for the member, unique in the program: 1-64 characters without spaces, "
        "`/`, `?`, `#`, `%` or `\\`."
    )


class MemberUpdateInput(ProfileFieldsMixin, ClosedSerializer):
    read_only_keys = ("member_id", "balance", "segments", "enrolled_at")
    status = serializers.ChoiceField(
        choices=["active", "blocked"],
        required=False,
        help_text="`blocked`: the member can no longer earn, be rewarded, redeem, lock or transfer points. A "
        "`merged` member's status cannot change (409 `invalid_transition`).",
    )

    def validate_status(self, value):
        if not isinstance(self.initial_data.get("status"), str):
            raise serializers.ValidationError("Must be 'active' or 'blocked'.")
        return value


class BalanceOutput(serializers.Serializer):
    available = serializers.IntegerField(
        help_text="Points the member can spend now (negative only after a reversal, where the program allows it)."
    )
    pending = serializers.IntegerField(help_text="Earned points not available yet (until their `available_at`).")
    locked = serializers.IntegerField(help_text="Points held by open locks.")
    total = serializers.IntegerField(help_text="available + pending + locked.")


class NextTierOutput(serializers.Serializer):
    code = serializers.CharField(help_text="The tier above the member's.")
    name = serializers.CharField(help_text="Its name, in the request's language.")
    threshold = serializers.IntegerField(help_text="The qualifying points it needs.")
    points_needed = serializers.IntegerField(min_value=0, help_text="`threshold` − `qualifying_points`, never below 0.")


class MemberTierOutput(serializers.Serializer):
    code = serializers.CharField(help_text="The tier's code.")
    name = serializers.CharField(help_text="Its name, in the request's language.")
    since = serializers.DateTimeField(help_text="When the member reached it (enrolment, for a threshold-0 tier).")
    until = serializers.DateTimeField(
        allow_null=True,
        help_text="Kept at least until then (`since` + `tier_window_months` months); then the daily assessment "
        "decides. Null for a threshold-0 tier, which is never lost.",
    )
    qualifying_points = serializers.IntegerField(
        help_text="Points earned (earns and rewarded events) in the last `tier_window_months` months, less reversals."
    )
    next = NextTierOutput(allow_null=True, help_text="The tier above, or null at the top.")


class MemberOutput(serializers.Serializer):
    member_id = serializers.CharField(help_text="The partner's id for the member.")
    email = serializers.CharField(help_text="Empty when unknown.")
    first_name = serializers.CharField(help_text="Empty when unknown.")
    last_name = serializers.CharField(help_text="Empty when unknown.")
    language = serializers.CharField(help_text="The member's language code, one of the program's.")
    birth_date = serializers.DateField(allow_null=True, help_text="`YYYY-MM-DD`, or null when unknown.")
    status = serializers.ChoiceField(
        choices=enums.MEMBER_STATUSES, help_text="`blocked` members can be read and adjusted, not earn or spend."
    )
    enrolled_at = serializers.DateTimeField(help_text="When the member was enrolled (ISO 8601 with offset).")
    address = DeliveryOutput(allow_null=True, help_text="The member's postal address, or null.")
    notifications = NotificationsOutput(help_text=NOTIFICATIONS_HELP)
    balance = BalanceOutput(help_text="The member's points as of now.")
    segments = serializers.ListField(
        child=serializers.CharField(), help_text="The codes of the segments the member is in, sorted."
    )
    merged_into = serializers.CharField(
        required=False,
        help_text="Only on a member with status `merged`: the id of the member its points were merged into.",
    )
    tier = MemberTierOutput(
        allow_null=True,
        help_text="The member's tier; null when none is reached and the program has no threshold-0 tier.",
    )


def tier_data(member, language: str | None) -> dict | None:
    view = member_tier(member=member)
    if view is None:
        return None
    program, tier, following = member.program, view["tier"], view["next"]
    return {
        "code": tier.code,
        "name": program.text(tier.name, language) or tier.code,
        "since": view["since"].isoformat() if view["since"] else None,
        "until": view["until"].isoformat() if view["until"] else None,
        "qualifying_points": view["qualifying_points"],
        "next": None
        if following is None
        else {
            "code": following.code,
            "name": program.text(following.name, language) or following.code,
            "threshold": following.threshold,
            "points_needed": view["points_needed"],
        },
    }


def member_data(member, language: str | None = None) -> dict:
    """The member as the API shows it (balance and segments must be loaded by the selector); texts in `language`
    (the program's default when None)."""
    return {
        "member_id": member.member_id,
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "language": member.language,
        "birth_date": member.birth_date.isoformat() if member.birth_date else None,
        "status": member.status,
        "enrolled_at": member.enrolled_at.isoformat(),
        "address": member.address,
        "notifications": {"email": not member.email_opt_out},
        "balance": member_balance(member=member),
        "segments": sorted(s.code for s in member.segments.all()),
        "tier": tier_data(member, language),
        # Only on a merged duplicate (API.md): the member its points went to.
        **({"merged_into": member.merged_into.member_id} if member.merged_into_id else {}),
    }

"""Input and output shapes of the earn & burn endpoints."""

from decimal import Decimal

from rest_framework import serializers

from loyalty.api.fields import (
    AwareDateTimeField,
    MoneyField,
    ReferenceField,
    StrictCharField,
    StrictIntegerField,
)
from loyalty.api.member_serializers import BalanceOutput, MemberIdField

MAX_LINES = 500
MAX_QUANTITY = 1_000_000


class BasketLineInput(serializers.Serializer):
    line_id = StrictCharField(max_length=64)
    sku = StrictCharField(max_length=64)
    product_category = StrictCharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = MoneyField()
    amount = MoneyField(required=False)

    def validate(self, attrs):
        if "amount" not in attrs:
            attrs["amount"] = (attrs["unit_price"] * attrs["quantity"]).quantize(Decimal("0.01"))
        attrs["product_category"] = attrs.get("product_category") or None
        return attrs


class BasketInput(serializers.Serializer):
    member_id = MemberIdField(required=False, allow_null=True)
    reference = ReferenceField(required=False)
    occurred_at = AwareDateTimeField(required=False)
    channel = StrictCharField(max_length=32, required=False, allow_null=True, allow_blank=True)
    store = StrictCharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    currency = StrictCharField(max_length=3, required=False)
    lines: serializers.ListSerializer = serializers.ListSerializer(
        child=BasketLineInput(), allow_empty=False, max_length=MAX_LINES
    )

    def validate_currency(self, value):
        program = self.context["program"]
        if value != program.currency:
            raise serializers.ValidationError(f"Must be the program's currency, {program.currency}.")
        return value

    def validate_lines(self, lines):
        seen: set[str] = set()
        errors = []
        for line in lines:
            duplicate = line["line_id"] in seen
            errors.append({"line_id": ["line_id must be unique in the basket."]} if duplicate else {})
            seen.add(line["line_id"])
        if any(errors):
            raise serializers.ValidationError(errors)
        return lines


class EarnInput(BasketInput):
    member_id = MemberIdField()
    reference = ReferenceField()


class ReturnLineInput(serializers.Serializer):
    line_id = StrictCharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class ReversalInput(serializers.Serializer):
    reference = ReferenceField()
    lines: serializers.ListSerializer = serializers.ListSerializer(
        child=ReturnLineInput(), required=False, allow_empty=False, max_length=MAX_LINES
    )


class PromotionPointsOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    points = serializers.IntegerField()


class LinePointsOutput(serializers.Serializer):
    line_id = serializers.CharField()
    points = serializers.IntegerField()
    promotions = serializers.ListField(child=serializers.CharField())


class NotAppliedOutput(serializers.Serializer):
    code = serializers.CharField()
    reason = serializers.ChoiceField(choices=["segment", "channel", "dates", "min_amount", "no_eligible_lines"])


class EvaluationOutput(serializers.Serializer):
    points = serializers.IntegerField()
    promotions = PromotionPointsOutput(many=True)
    lines = LinePointsOutput(many=True)
    not_applied = NotAppliedOutput(many=True, required=False, help_text="Only with ?explain=true.")


class EarnOutput(serializers.Serializer):
    reference = serializers.CharField()
    member_id = serializers.CharField()
    points = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["posted", "pending"])
    available_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    promotions = PromotionPointsOutput(many=True)
    lines = LinePointsOutput(many=True)
    balance = BalanceOutput()


class ReversalOutput(serializers.Serializer):
    reference = serializers.CharField()
    original_reference = serializers.CharField()
    points = serializers.IntegerField(help_text="Negative: the points taken back.")
    balance = BalanceOutput()


class TransactionRedemptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    gift = serializers.DictField()


class TransactionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    points = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    reference = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    status = serializers.CharField()
    description = serializers.CharField()
    redemption = TransactionRedemptionOutput(allow_null=True)


class TransactionPageOutput(serializers.Serializer):
    results = TransactionOutput(many=True)
    next = serializers.CharField(allow_null=True)

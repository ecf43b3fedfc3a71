"""Input and output shapes of the earn & burn endpoints."""

from decimal import Decimal

from rest_framework import serializers

from loyalty.api import enums
from loyalty.api.fields import (
    ClosedSerializer,
    MoneyField,
    OccurredAtField,
    ReferenceField,
    StrictCharField,
    StrictIntegerField,
)
from loyalty.api.member_serializers import BalanceOutput, MemberIdField
from loyalty.api.schema import CurrencyField

MAX_LINES = 500
MAX_QUANTITY = 1_000_000


class BasketLineInput(ClosedSerializer):
    line_id = StrictCharField(max_length=64, help_text="The line's id, unique within the basket.")
    sku = StrictCharField(max_length=64, help_text="The product's sku (matched by promotions' `products`).")
    product_category = StrictCharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The product's category code (matched by promotions' `product_categories`).",
    )
    quantity = StrictIntegerField(
        min_value=1, max_value=MAX_QUANTITY, help_text="Units bought: a positive JSON integer (not a string)."
    )
    unit_price = MoneyField(help_text='Price of one unit: a money string with at most two decimals, e.g. "4.50".')
    amount = MoneyField(
        required=False,
        help_text="The line's total after discounts, a money string; default: quantity × unit_price.",
    )

    def validate(self, attrs):
        if "amount" not in attrs:
            attrs["amount"] = (attrs["unit_price"] * attrs["quantity"]).quantize(Decimal("0.01"))
        attrs["product_category"] = attrs.get("product_category") or None
        return attrs


class BasketInput(ClosedSerializer):
    member_id = MemberIdField(
        required=False,
        allow_null=True,
        help_text="The member whose basket it is; omitted or null: a guest (only promotions open to everyone apply).",
    )
    reference = ReferenceField(required=False, help_text="The partner's id of the basket (not used by evaluation).")
    occurred_at = OccurredAtField(
        required=False,
        help_text="When the purchase happened, ISO 8601 with offset, from 2000-01-01 to 24 h after now; "
        "promotion dates are matched against it (default: now).",
    )
    channel = StrictCharField(
        max_length=32,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The sales channel, a code of the program (e.g. `store`, `web`); promotions may be limited to some.",
    )
    store = StrictCharField(
        max_length=64, required=False, allow_null=True, allow_blank=True, help_text="The partner's store code."
    )
    currency = CurrencyField(
        max_length=3, required=False, help_text="Must be the program's currency (upper-case ISO 4217 code)."
    )
    lines: serializers.ListSerializer = serializers.ListSerializer(
        child=BasketLineInput(),
        allow_empty=False,
        max_length=MAX_LINES,
        help_text=f"The basket's lines, 1 to {MAX_LINES}; `line_id`s unique.",
    )

    def validate_currency(self, value):
        program = self.context.get("program")
        if program is None:
            return value  # the earn checks it against the program it locks (no statement before)
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
    member_id = MemberIdField(help_text="The member who earns.")
    reference = ReferenceField(
        help_text="The partner's unique id of this earn (1-64 of `A-Z a-z 0-9 . _ : -`): sent again with the same "
        "body, the original answer is replayed; with another body, `409 idempotency_mismatch`."
    )


class ReturnLineInput(ClosedSerializer):
    line_id = StrictCharField(max_length=64, help_text="The `line_id` of a line of the original earn.")
    quantity = StrictIntegerField(
        min_value=1, max_value=MAX_QUANTITY, help_text="Units returned (at most what the line has left)."
    )


class ReversalInput(ClosedSerializer):
    reference = ReferenceField(
        help_text="The reversal's own unique reference (not the earn's, which is in the path); idempotent by it."
    )
    lines: serializers.ListSerializer = serializers.ListSerializer(
        child=ReturnLineInput(),
        required=False,
        allow_empty=False,
        max_length=MAX_LINES,
        help_text="The units returned, per line (a partial return); omitted: reverse what remains of the earn.",
    )


class PromotionPointsOutput(serializers.Serializer):
    code = serializers.CharField(help_text="The promotion's code.")
    name = serializers.CharField(help_text="In the requested language, else the program's default language.")
    points = serializers.IntegerField(min_value=1, help_text="The points it gives the basket (never 0: not listed).")


class LinePointsOutput(serializers.Serializer):
    line_id = serializers.CharField(help_text="The basket line's `line_id`.")
    points = serializers.IntegerField(
        help_text="The line's share of the points, rounded down: informative, the total is rounded per promotion."
    )
    promotions = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the promotions that gave this line points."
    )


class NotAppliedOutput(serializers.Serializer):
    code = serializers.CharField(help_text="The promotion's code.")
    reason = serializers.ChoiceField(
        choices=enums.NOT_APPLIED_REASONS, help_text="The first condition of the promotion the basket failed."
    )


class EvaluationOutput(serializers.Serializer):
    points = serializers.IntegerField(min_value=0, help_text="The points the basket would earn: the promotions' sum.")
    promotions = PromotionPointsOutput(many=True, help_text="The promotions that give points.")
    lines = LinePointsOutput(many=True, help_text="The points per line, in the basket's order.")
    not_applied = NotAppliedOutput(
        many=True,
        required=False,
        help_text="Only with `?explain=true`: every live promotion that gave no points, with why.",
    )


class EarnOutput(serializers.Serializer):
    reference = serializers.CharField(help_text="The earn's reference.")
    member_id = serializers.CharField(help_text="The member who earned.")
    points = serializers.IntegerField(min_value=0, help_text="The points posted.")
    status = serializers.ChoiceField(
        choices=enums.EARN_STATUSES, help_text="`pending` until `available_at` when the program has pending days."
    )
    available_at = serializers.DateTimeField(
        help_text="When the points become available: `occurred_at` + the program's pending days × 24 h "
        "(equal to `occurred_at` when the program has none)."
    )
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the points expire; null when the program sets no expiry."
    )
    promotions = PromotionPointsOutput(many=True, help_text="The promotions that gave points.")
    lines = LinePointsOutput(many=True, help_text="The points per line, in the basket's order.")
    balance = BalanceOutput(help_text="The member's balance right after this earn.")


class ReversalOutput(serializers.Serializer):
    reference = serializers.CharField(help_text="The reversal's own reference.")
    original_reference = serializers.CharField(help_text="The reference of the earn reversed.")
    points = serializers.IntegerField(max_value=0, help_text="Negative: the points taken back.")
    balance = BalanceOutput(help_text="The member's balance right after this reversal.")


class TransactionGiftOutput(serializers.Serializer):
    sku = serializers.CharField(help_text="The gift's sku.")
    name = serializers.CharField(help_text="In the requested language, else the program's default language.")
    type = serializers.ChoiceField(choices=enums.GIFT_TYPES, help_text="The gift's type.")


class TransactionRedemptionOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The redemption's id (`GET /redemptions/{redemption_id}`).")
    status = serializers.ChoiceField(choices=enums.REDEMPTION_STATUSES, help_text="The redemption's current status.")
    gift = TransactionGiftOutput(help_text="The gift redeemed.")


class TransactionOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The history row's id.")
    type = serializers.ChoiceField(choices=enums.HISTORY_TYPES, help_text="What moved the points.")
    points = serializers.IntegerField(help_text="Signed: the row's change to the member's total balance.")
    balance_after = serializers.IntegerField(help_text="The total balance after this row (a running sum).")
    reference = serializers.CharField(help_text="The reference of the operation that made the row.")
    occurred_at = serializers.DateTimeField(help_text="When it happened (the operation's `occurred_at`).")
    created_at = serializers.DateTimeField(help_text="When the row was written.")
    status = serializers.ChoiceField(
        choices=enums.HISTORY_STATUSES,
        help_text="The redemption's current status on redemption rows; `pending` on an earn whose points are still "
        "pending; `posted` otherwise.",
    )
    description = serializers.CharField(
        help_text="A human-readable description in the request's language (may be empty): the gift's name on "
        "redemptions (`2 × Mug`), the promotions' names on earns, the event type's name on events, the reason on "
        "adjustments and transfers."
    )
    redemption = TransactionRedemptionOutput(allow_null=True, help_text="On redemption rows, else null.")


class TransactionPageOutput(serializers.Serializer):
    results = TransactionOutput(many=True, help_text="This page's rows, newest first.")
    next = serializers.CharField(
        allow_null=True,
        help_text="An opaque cursor to pass as `?cursor=` for the next page; null on the last page. "
        "Pages stay stable while new rows are written.",
    )

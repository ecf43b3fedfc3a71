from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Segment
from programs.models import Program


class Promotion(models.Model):
    """An earn rule. Every change bumps `version`, which earns record in their snapshot."""

    SPEND = "spend"
    QUANTITY = "quantity"
    BASKET = "basket"
    MULTIPLIER = "multiplier"
    KINDS = [(SPEND, "Spend"), (QUANTITY, "Quantity"), (BASKET, "Basket"), (MULTIPLIER, "Multiplier")]
    DRAFT = "draft"
    LIVE = "live"
    PAUSED = "paused"
    STATUSES = [(DRAFT, "Draft"), (LIVE, "Live"), (PAUSED, "Paused")]
    KIND_KEYS = {SPEND: ("rate",), QUANTITY: ("points",), BASKET: ("threshold", "points"), MULTIPLIER: ("factor",)}

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="promotions")
    code = models.CharField(max_length=64)
    name = models.JSONField(default=dict)
    kind = models.CharField(max_length=12, choices=KINDS)
    status = models.CharField(max_length=8, choices=STATUSES, default=DRAFT)
    rate = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    points = models.PositiveIntegerField(null=True, blank=True)
    threshold = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    factor = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    products = models.JSONField(default=list, blank=True, help_text="SKUs; empty with no categories means every line.")
    product_categories = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True, help_text="Empty means every channel.")
    segments = models.ManyToManyField(Segment, blank=True, related_name="promotions")
    tiers = models.ManyToManyField(
        "programs.Tier", blank=True, related_name="promotions", help_text="Empty means any tier, or none."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    min_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_points = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["program", "code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="promotion_code_unique"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(starts_at__lt=F("ends_at")),
                name="promotion_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["spend", "quantity", "basket", "multiplier"]), name="promotion_kind_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=["draft", "live", "paused"]), name="promotion_status_valid"),
            models.CheckConstraint(condition=~Q(kind="spend") | Q(rate__gt=0), name="promotion_spend_rate"),
            models.CheckConstraint(condition=~Q(kind="quantity") | Q(points__gt=0), name="promotion_quantity_points"),
            models.CheckConstraint(
                condition=~Q(kind="basket") | (Q(points__gt=0) & Q(threshold__gte=0)), name="promotion_basket_keys"
            ),
            models.CheckConstraint(
                condition=~Q(kind="multiplier") | Q(factor__gt=1), name="promotion_multiplier_factor"
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(min_amount__gte=0), name="promotion_min_amount"
            ),
        ]

    def __str__(self) -> str:
        return self.code


# The rule keys of each kind of promotion: a promotion carries only its own kind's keys (the others are null).
KIND_KEYS: dict[str, set[str]] = {kind: set(keys) for kind, keys in Promotion.KIND_KEYS.items()}
ALL_KIND_KEYS: set[str] = set().union(*KIND_KEYS.values())


class PointsBalance(models.Model):
    """The member's balance row. It moves only in the transaction that writes the entries explaining it."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="balance", primary_key=True)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    # 64-bit: a balance may reach the contract's ceiling of 1,000,000,000,000 points.
    available = models.BigIntegerField(default=0)
    pending = models.BigIntegerField(default=0)
    locked = models.BigIntegerField(default=0)
    # No later than the first moment the clock makes something due (pending points, a lock or a lot expiring);
    # null when nothing ever will. Writes settle, and reads look for due points, only once it has passed.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Qualifying points (earns and rewarded events within the program's tier window, less their reversals),
    # kept up to date by the writes; exact until `qualifying_until`, when the first counted point leaves the
    # window (null: none counted), then recounted (rewards.services.tiers).
    qualifying_points = models.BigIntegerField(default=0)
    qualifying_until = models.DateTimeField(null=True, blank=True)
    # The member's tier: null for none (a threshold-0 tier then still applies, see rewards.tiers).
    tier = models.ForeignKey("programs.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tier_since = models.DateTimeField(null=True, blank=True)
    tier_until = models.DateTimeField(null=True, blank=True)
    # Set by hand in the back office: kept whatever the points until `tier_override_until`.
    tier_override_reason = models.CharField(max_length=255, blank=True, default="")
    tier_override_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What a write changes on the row (the ledger's entry_post, and the hand-written earn on PostgreSQL).
    MOVED_FIELDS = (
        "available",
        "pending",
        "locked",
        "next_due_at",
        "qualifying_points",
        "qualifying_until",
        "updated_at",
    )
    TIER_FIELDS = ("tier", "tier_since", "tier_until", "tier_override_reason", "tier_override_until")
    # Set by the hot paths' lock (rewards.services.ledger.balance_lock_by_member_id), not columns; `webhooks` (the
    # program's subscriptions by event type) only where the lock read them (PostgreSQL).
    segment_codes: list[str]
    webhooks: dict[str, list[int]] | None = None

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pending__gte=0), name="balance_pending_non_negative"),
            models.CheckConstraint(condition=Q(locked__gte=0), name="balance_locked_non_negative"),
            models.CheckConstraint(
                condition=Q(tier__isnull=True) | (Q(tier_since__isnull=False) & Q(tier_until__isnull=False)),
                name="balance_tier_dated",
            ),
            models.CheckConstraint(
                condition=Q(tier_override_until__isnull=True) | Q(tier__isnull=False),
                name="balance_tier_override_has_tier",
            ),
        ]
        indexes = [
            models.Index(fields=["tier_until"], name="balance_tier_due_idx", condition=Q(tier__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"Balance of {self.member}: {self.available} available, {self.pending} pending, {self.locked} locked"

    @property
    def total(self) -> int:
        return self.available + self.pending + self.locked

    def as_dict(self) -> dict:
        return {"available": self.available, "pending": self.pending, "locked": self.locked, "total": self.total}


class TierChange(models.Model):
    """A change of a member's tier, for history and the dashboard."""

    UPGRADE = "upgrade"
    ASSESSMENT = "assessment"
    OVERRIDE = "override"
    REASONS = [(UPGRADE, "Upgrade"), (ASSESSMENT, "Assessment"), (OVERRIDE, "Set by hand")]

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey("programs.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey("programs.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=12, choices=REASONS)
    qualifying_points = models.BigIntegerField()
    note = models.CharField(max_length=255, blank=True, default="")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=["upgrade", "assessment", "override"]), name="tier_change_reason_valid"
            ),
        ]
        indexes = [models.Index(fields=["program", "changed_at"], name="tier_change_program_idx")]

    def __str__(self) -> str:
        was, now = (t.code if t is not None else "no tier" for t in (self.from_tier, self.to_tier))
        return f"{self.member}: {was} → {now} ({self.get_reason_display()}) on {self.changed_at:%Y-%m-%d}"


class EntryKind(models.TextChoices):
    EARN = "earn"
    REVERSAL = "reversal"
    EVENT = "event"
    REDEMPTION = "redemption"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    EXPIRY = "expiry"
    CAPTURE = "capture"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    MERGE_IN = "merge_in"
    MERGE_OUT = "merge_out"
    # Internal moves between the balance's parts: they change no total, so history does not list them.
    LOCK = "lock"
    RELEASE = "release"
    ACTIVATION = "activation"


INTERNAL_KINDS = (EntryKind.LOCK, EntryKind.RELEASE, EntryKind.ACTIVATION)


class LedgerEntry(models.Model):
    """One change of a member's balance. Append-only: corrections are new entries.

    `points` is the change of the total; the three deltas say which part of the balance moved.
    """

    # No index of their own on program and member: the composite indexes below lead with them. Every write adds
    # an entry, and each index is one more insertion in it.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="ledger_entries", db_index=False)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    reference = models.CharField(max_length=64)
    points = models.BigIntegerField()
    available_delta = models.BigIntegerField(default=0)
    pending_delta = models.BigIntegerField(default=0)
    locked_delta = models.BigIntegerField(default=0)
    balance_after = models.BigIntegerField(help_text="The member's total balance after this entry.")
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    description = models.CharField(max_length=255, blank=True, default="")
    # Each entry has at most one of these: partial indexes (below) hold only the entries that have it.
    earn = models.ForeignKey(
        "Earn", null=True, blank=True, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    redemption = models.ForeignKey(
        "Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    event = models.ForeignKey(
        "Event", null=True, blank=True, on_delete=models.PROTECT, related_name="entries", db_index=False
    )

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [
            # Idempotency lives in the database: a duplicate reference cannot be posted twice.
            models.UniqueConstraint(fields=["program", "kind", "reference"], name="ledger_reference_unique"),
            models.CheckConstraint(
                condition=Q(points=F("available_delta") + F("pending_delta") + F("locked_delta")),
                name="ledger_points_are_sum_of_deltas",
            ),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in EntryKind]), name="ledger_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["member", "-id"], name="ledger_member_recent_idx"),
            models.Index(fields=["program", "kind", "created_at"], name="ledger_program_kind_idx"),
            models.Index(fields=["earn"], condition=Q(earn__isnull=False), name="ledger_earn_idx"),
            models.Index(fields=["redemption"], condition=Q(redemption__isnull=False), name="ledger_redemption_idx"),
            models.Index(fields=["event"], condition=Q(event__isnull=False), name="ledger_event_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.points:+d}"


class Earn(models.Model):
    """A posted purchase: the basket and the exact promotion versions that produced its points."""

    POSTED = "posted"
    PENDING = "pending"

    # Indexed by the reference constraint and earn_program_created_idx, both led by the program.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="earns")
    reference = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=32, blank=True, default="")
    store = models.CharField(max_length=64, blank=True, default="")
    lines = models.JSONField(help_text="The basket lines as posted (amounts as strings).")
    rules = models.JSONField(
        default=list, blank=True, help_text="Earns posted before rule snapshots: the matched promotions' definitions."
    )
    rule_snapshots = models.JSONField(
        default=list, blank=True, help_text="The ids of the RuleSnapshots (promotion versions) that matched the basket."
    )
    segments = models.JSONField(default=list, help_text="The member's segment codes at earn time.")
    points = models.PositiveIntegerField()
    reversed_points = models.PositiveIntegerField(default=0)
    returned = models.JSONField(default=dict, help_text="Units returned so far, by line_id.")
    available_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "reference"], name="earn_reference_unique"),
            models.CheckConstraint(condition=Q(reversed_points__lte=F("points")), name="earn_reversal_within_earn"),
        ]
        indexes = [models.Index(fields=["program", "created_at"], name="earn_program_created_idx")]

    def __str__(self) -> str:
        return self.reference


class RuleSnapshot(models.Model):
    """A promotion's definition as earns used it, stored once and referenced by every earn that matched it, so that
    reversals and audits recompute with the rules of that moment. Immutable; identified by its content."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    digest = models.CharField(max_length=64, help_text="SHA-256 of the definition (canonical JSON).")
    definition = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "digest"], name="rule_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class PointsLot(models.Model):
    """Points credited together, with their expiry: debits consume the lots that expire soonest first.

    A lot is open while `remaining` > 0. A lot past its expiry keeps points only while a lock holds
    them; the expiry job takes the rest.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="lots")
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lots")
    points = models.PositiveBigIntegerField()
    remaining = models.BigIntegerField()
    available_at = models.DateTimeField(null=True, blank=True, help_text="Pending until then.")
    pending = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(remaining__gte=0), name="lot_remaining_non_negative"),
            models.CheckConstraint(condition=Q(remaining__lte=F("points")), name="lot_remaining_within_points"),
        ]
        indexes = [
            models.Index(
                fields=["member", "expires_at"], name="lot_member_open_idx", condition=Q(remaining__gt=0, pending=False)
            ),
            models.Index(fields=["available_at"], name="lot_pending_idx", condition=Q(pending=True)),
        ]

    def __str__(self) -> str:
        until = f"expires {self.expires_at:%Y-%m-%d}" if self.expires_at else "never expires"
        return f"{self.points} points of {self.member} ({self.remaining} left, {until})"


class LotMovement(models.Model):
    """Which lots a debit consumed (negative) or a refund restored (positive)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lot_movements")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="movements")
    points = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(points=0), name="lot_movement_non_zero")]

    def __str__(self) -> str:
        return f"{self.points:+d} points of lot {self.lot_id} by entry {self.entry_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a write with a partner reference, replayed for identical retries."""

    # Indexed by the reference constraint, led by the program.
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+", db_index=False)
    operation = models.CharField(max_length=32)
    reference = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    # Text, not JSONB: a replay must return the original answer byte for byte, keys in their order.
    response_body = models.TextField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "operation", "reference"], name="idempotency_reference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.reference}"


class RedemptionStatus(models.TextChoices):
    EXCHANGED = "exchanged"
    IN_PREPARATION = "in_preparation"
    IN_DELIVERY = "in_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


# The words staff and members read for each status (the stored codes are the API's). Kept apart from the field's
# choices so that a wording change needs no migration.
REDEMPTION_STATUS_LABELS: dict[str, object] = {
    RedemptionStatus.EXCHANGED: _("Exchanged"),
    RedemptionStatus.IN_PREPARATION: _("In preparation"),
    RedemptionStatus.IN_DELIVERY: _("Shipped"),
    RedemptionStatus.DELIVERED: _("Delivered"),
    RedemptionStatus.CANCELLED: _("Cancelled"),
    RedemptionStatus.RETURNED: _("Returned"),
}


def redemption_status_label(status: str) -> str:
    return str(REDEMPTION_STATUS_LABELS.get(status, status.replace("_", " ")))


class Redemption(models.Model):
    """Points burnt for a gift, followed to the member's door (or to an issued voucher)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="redemptions")
    reference = models.CharField(max_length=64)
    gift = models.ForeignKey("catalog.Gift", on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveSmallIntegerField(default=1)
    points = models.PositiveBigIntegerField(help_text="The total cost in points.")
    status = models.CharField(max_length=16, choices=RedemptionStatus.choices, default=RedemptionStatus.EXCHANGED)
    delivery = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.UniqueConstraint(fields=["program", "reference"], name="redemption_reference_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1, quantity__lte=100), name="redemption_quantity_range"),
            models.CheckConstraint(condition=Q(points__gt=0), name="redemption_points_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RedemptionStatus]), name="redemption_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["program", "status", "created_at"], name="redemption_status_idx")]

    def __str__(self) -> str:
        return f"{self.reference} ({redemption_status_label(self.status)})"


class RedemptionStatusChange(models.Model):
    """Who moved a redemption from which status to which, and when."""

    redemption = models.ForeignKey(Redemption, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16)
    actor = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return _("Redemption %(reference)s → %(status)s on %(date)s") % {
            "reference": self.redemption.reference,
            "status": redemption_status_label(self.to_status),
            "date": f"{self.created_at:%Y-%m-%d}",
        }


class VoucherStatus(models.TextChoices):
    ISSUED = "issued"
    USED = "used"
    VOID = "void"


class Voucher(models.Model):
    """A webshop voucher issued for a redemption; its code is the secret."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    redemption = models.OneToOneField(Redemption, on_delete=models.PROTECT, related_name="voucher")
    code = models.CharField(max_length=32, unique=True)
    value = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=VoucherStatus.choices, default=VoucherStatus.ISSUED)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    order_reference = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["issued", "used", "void"]), name="voucher_status_valid"),
            models.CheckConstraint(condition=Q(value__gte=0), name="voucher_value_non_negative"),
        ]

    def __str__(self) -> str:
        # The code is the member's secret: only its last four characters, as on the redemption page.
        return f"Voucher …{self.code[-4:]} ({self.current_status()})"

    def current_status(self, now=None) -> str:
        """`expired` is read, not stored: an issued voucher past its date."""
        if self.status == VoucherStatus.ISSUED and self.expires_at and self.expires_at <= (now or timezone.now()):
            return "expired"
        return self.status


class EventStatus(models.TextChoices):
    ACCEPTED = "accepted"
    REWARDED = "rewarded"
    REJECTED = "rejected"


class Event(models.Model):
    """An action reported by a partner. Stored before the 202: the row is the outbox of its reward."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events")
    event_type = models.ForeignKey("programs.EventType", on_delete=models.PROTECT, related_name="events")
    reference = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    local_date = models.DateField(help_text="The day of occurred_at in the program's timezone (per-day limits).")
    attributes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.ACCEPTED)
    points = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "reference"], name="event_reference_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["accepted", "rewarded", "rejected"]), name="event_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="event_waiting_idx", condition=Q(status="accepted")),
            models.Index(fields=["member", "event_type", "status", "local_date"], name="event_limits_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


class LockStatus(models.TextChoices):
    LOCKED = "locked"
    CAPTURED = "captured"
    RELEASED = "released"


class PointsLock(models.Model):
    """Points held for a checkout (pay with points): captured or released, or released when it expires."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="points_locks")
    reference = models.CharField(max_length=64)
    points = models.PositiveIntegerField()
    captured_points = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=LockStatus.choices, default=LockStatus.LOCKED)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "reference"], name="lock_reference_unique"),
            models.CheckConstraint(condition=Q(points__gt=0), name="lock_points_positive"),
            models.CheckConstraint(condition=Q(captured_points__lte=F("points")), name="lock_capture_within_lock"),
            models.CheckConstraint(
                condition=Q(status__in=["locked", "captured", "released"]), name="lock_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="lock_open_idx", condition=Q(status="locked"))]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


# The e-mail notification models live in their own module (one idea per module); imported here so that Django
# finds them with the app's models.
from rewards.notification_models import (  # noqa: E402, F401
    Notification,
    NotificationKind,
    NotificationSettings,
    NotificationStatus,
    NotificationText,
)

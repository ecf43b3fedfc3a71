from django.db import models
from django.db.models import F, Q

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
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    min_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_points = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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


class PointsBalance(models.Model):
    """The member's balance row. It moves only in the transaction that writes the entries explaining it."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="balance", primary_key=True)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    available = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    locked = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pending__gte=0), name="balance_pending_non_negative"),
            models.CheckConstraint(condition=Q(locked__gte=0), name="balance_locked_non_negative"),
        ]

    @property
    def total(self) -> int:
        return self.available + self.pending + self.locked

    def as_dict(self) -> dict:
        return {"available": self.available, "pending": self.pending, "locked": self.locked, "total": self.total}

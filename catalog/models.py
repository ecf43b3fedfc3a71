from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Program


class GiftCategory(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="gift_categories")
    code = models.CharField(max_length=64)
    name = models.JSONField(default=dict)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("gift category")
        verbose_name_plural = _("gift categories")
        ordering = ["program", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="category_code_unique"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.code


class Gift(models.Model):
    PHYSICAL = "physical"
    VOUCHER = "voucher"
    DIGITAL = "digital"
    TYPES = [(PHYSICAL, "Physical"), (VOUCHER, "Voucher"), (DIGITAL, "Digital")]

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="gifts", verbose_name=_("program"))
    sku = models.CharField(_("SKU"), max_length=64)
    category = models.ForeignKey(
        GiftCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gifts",
        verbose_name=_("category"),
    )
    type = models.CharField(_("type"), max_length=10, choices=TYPES, default=PHYSICAL)
    points = models.PositiveIntegerField(_("points"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=0)
    stock = models.IntegerField(_("stock"), null=True, blank=True, help_text=_("Empty means unlimited."))
    validated = models.BooleanField(_("validated"), default=False, help_text=_("Only validated gifts are on offer."))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    images = models.JSONField(_("images"), default=list, blank=True)
    name = models.JSONField(_("name"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    voucher_valid_days = models.PositiveIntegerField(_("voucher valid days"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["program", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["program", "sku"], name="gift_sku_unique"),
            models.CheckConstraint(condition=Q(stock__isnull=True) | Q(stock__gte=0), name="gift_stock_non_negative"),
            models.CheckConstraint(condition=Q(points__gt=0), name="gift_points_positive"),
            models.CheckConstraint(condition=Q(value__gte=0), name="gift_value_non_negative"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_from__lt=F("valid_until")),
                name="gift_validity_ordered",
            ),
            models.CheckConstraint(condition=Q(type__in=["physical", "voucher", "digital"]), name="gift_type_valid"),
        ]

    def __str__(self) -> str:
        return self.sku


def gift_image_path(instance: "GiftImage", filename: str) -> str:
    """gifts/<gift id>/<original name> (the id, not the sku: a sku may hold characters unfit for a path);
    the storage adds a suffix when the name is taken."""
    return f"gifts/{instance.gift_id}/{filename}"


class GiftImage(models.Model):
    """A picture uploaded in the admin. A FileField whose content is checked (catalog.images), not an
    ImageField: that would need Pillow for a check that the file's signature already gives."""

    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="uploaded_images")
    file = models.FileField(upload_to=gift_image_path, max_length=255)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.file.name or ""


class GiftStockChange(models.Model):
    """Who set a gift's stock from what to what, and when (redemptions move stock without a row here:
    they are explained by the redemptions themselves). Append-only."""

    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="stock_changes")
    before = models.IntegerField(_("before"), null=True, blank=True, help_text=_("Empty means unlimited."))
    after = models.IntegerField(_("after"), null=True, blank=True, help_text=_("Empty means unlimited."))
    actor = models.CharField(_("actor"), max_length=150, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.gift_id}: {self.before} → {self.after}"

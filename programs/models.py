from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application

from loyalty.core.translation import language_name, translate


class Program(models.Model):
    """A loyalty program (a brand): its languages, currency and points settings."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    languages = models.JSONField(default=list, help_text="Language codes, in display order.")
    default_language = models.CharField(max_length=10, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    expiry_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Earned points expire this many calendar months after the purchase."
    )
    pending_days = models.PositiveSmallIntegerField(
        default=0, help_text="Earned points stay pending this many days (return window)."
    )
    allow_negative_balance = models.BooleanField(
        default=False, help_text="An earn reversal may take the available balance below zero."
    )
    tier_window_months = models.PositiveSmallIntegerField(
        default=12,
        help_text="Qualifying points for tiers: what was earned in this many calendar months; a tier reached is "
        "kept at least this long.",
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="loyalty_programs",
        help_text="Staff users who manage this program in the admin (superusers see every program).",
    )
    rules_version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped whenever a promotion changes: invalidates cached rule sets."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_months__isnull=True) | Q(expiry_months__gte=1), name="program_expiry_months_positive"
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="program_currency_iso"),
            models.CheckConstraint(
                condition=Q(tier_window_months__gte=1) & Q(tier_window_months__lte=120),
                name="program_tier_window_months_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def language_list(self) -> list[dict]:
        return [{"code": c, "name": language_name(c), "default": c == self.default_language} for c in self.languages]

    def text(self, texts: dict | None, language: str | None = None) -> str:
        return translate(texts, language, self.default_language)


class Tier(models.Model):
    """A status level (Silver, Gold): reached with `threshold` qualifying points. `position` counts from 1 for
    the lowest; programs.services.tiers_renumber keeps it in threshold order."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    code = models.CharField(max_length=64)
    name = models.JSONField(default=dict, help_text="By language code.")
    threshold = models.BigIntegerField(help_text="Qualifying points needed.")
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["program", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="tier_code_unique"),
            models.UniqueConstraint(fields=["program", "threshold"], name="tier_threshold_unique"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="tier_threshold_non_negative"),
        ]

    def __str__(self) -> str:
        return self.code


class ApiClient(models.Model):
    """A partner system (till, webshop, CRM): an OAuth application bound to one program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="api_clients")
    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="api_client")
    name = models.CharField(max_length=200)
    scopes = models.CharField(max_length=500, help_text="Space-separated scopes this client may ask for.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["program", "name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"{self.name} ({self.program.code})"

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())


class EventType(models.Model):
    """An action that rewards points (survey, review, birthday), with its limits per member."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="event_types")
    code = models.CharField(_("code"), max_length=64)
    name = models.JSONField(_("name"), default=dict)
    points = models.PositiveIntegerField(_("points"))
    per_day_limit = models.PositiveIntegerField(_("per day limit"), null=True, blank=True)
    lifetime_limit = models.PositiveIntegerField(_("lifetime limit"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("event type")
        verbose_name_plural = _("event types")
        ordering = ["program", "code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="event_type_code_unique"),
            models.CheckConstraint(
                condition=Q(per_day_limit__isnull=True) | Q(per_day_limit__gte=1), name="event_type_per_day_positive"
            ),
            models.CheckConstraint(
                condition=Q(lifetime_limit__isnull=True) | Q(lifetime_limit__gte=1), name="event_type_lifetime_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class WebhookSubscription(models.Model):
    """A partner's HTTPS endpoint for changes in its program (API.md, Webhooks).

    The signing secret is not stored: it is derived from the server's WEBHOOK_SECRET_KEY and `secret_salt`
    (programs.webhooks.signing_secret), so a database dump alone cannot sign a delivery."""

    ACTIVE = "active"
    DISABLED = "disabled"
    STATUSES = [(ACTIVE, "Active"), (DISABLED, "Disabled")]

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="webhooks")
    api_client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types delivered to this endpoint.")
    description = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    secret_salt = models.CharField(max_length=64, editable=False)
    # Since when every delivery attempt has failed (null: the last one succeeded, or none yet): three days of
    # that disables the subscription.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["program", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["active", "disabled"]), name="webhook_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.program.code})"


class WebhookEvent(models.Model):
    """One change to report, written in the transaction of the change (the outbox)."""

    id = models.CharField(max_length=40, primary_key=True)  # msg_<32 hex>: Standard Webhooks' webhook-id
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["program", "created_at"], name="webhook_event_program_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    """An event on its way to one subscription: at least once, retried with growing delays, `failed` after
    24 hours."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUSES = [(PENDING, "Pending"), (DELIVERED, "Delivered"), (FAILED, "Failed")]

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the delivery until then (its attempt in flight); a killed worker's hold simply expires.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.CharField(max_length=1000, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]), name="webhook_delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due_idx", condition=Q(status="pending")),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.subscription.url} ({self.get_status_display()})"

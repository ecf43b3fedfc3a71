from django.conf import settings
from django.db import models
from django.db.models import Q
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
    code = models.CharField(max_length=64)
    name = models.JSONField(default=dict)
    points = models.PositiveIntegerField()
    per_day_limit = models.PositiveIntegerField(null=True, blank=True)
    lifetime_limit = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
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

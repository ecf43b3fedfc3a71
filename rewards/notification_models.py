"""E-mail notifications: the record of each message (its idempotency claim and outbox row), the texts the
marketing team edits, and which kinds a program sends. Imported by `rewards.models`."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from members.models import Member
from programs.models import Program


class NotificationKind(models.TextChoices):
    VOUCHER_ISSUED = "voucher_issued", "Voucher issued"
    REDEMPTION_SHIPPED = "redemption_shipped", "Gift shipped"
    REDEMPTION_DELIVERED = "redemption_delivered", "Gift delivered"
    POINTS_EXPIRING = "points_expiring", "Points expiring (monthly digest)"
    WELCOME = "welcome", "Welcome on enrolment"


class NotificationStatus(models.TextChoices):
    PENDING = "pending"  # recorded, waiting for its task
    SENDING = "sending"  # claimed by a worker: never claimed again, so never sent twice
    SENT = "sent"
    FAILED = "failed"  # the backend refused it: claimed again by a retry (up to MAX_ATTEMPTS)
    SKIPPED = "skipped"  # nothing to send any more (opted out, no address, erased, kind switched off)


class Notification(models.Model):
    """One e-mail to one member about one thing. The unique (member, kind, subject) row is the claim: an event
    reported twice, a task run twice or a digest run twice finds the row and sends nothing more.

    `subject` names what the message is about: `redemption:<id>` (voucher, shipped, delivered), the month
    `YYYY-MM` (the expiry digest), `enrolment` (welcome). Nothing personal is stored here: the address is read
    from the member when the message is sent."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    subject = models.CharField(max_length=40)
    redemption = models.ForeignKey(
        "rewards.Redemption", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Figures of the digest (points, first expiry) as computed when it was claimed.
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    # Random: the signed unsubscribe link carries it (never the member's id).
    key = models.CharField(max_length=32, unique=True)
    # Random, per claiming run: which rows a batch claimed (bulk inserts do not return ids everywhere).
    claim = models.CharField(max_length=32, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="", help_text="The language it was sent in.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "kind", "subject"], name="notification_once"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in NotificationKind]), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in NotificationStatus]), name="notification_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], name="notification_waiting_idx", condition=Q(status__in=["pending", "failed"])
            ),
            models.Index(fields=["claim"], name="notification_claim_idx", condition=~Q(claim="")),
            models.Index(fields=["program", "-created_at"], name="notification_program_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.status})"


class NotificationText(models.Model):
    """A program's own wording of one kind of e-mail in one language (the shipped default applies otherwise).
    Placeholders such as {first_name} are replaced by plain substitution: never run as a template."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="notification_texts")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=200)
    text_body = models.TextField(help_text="The plain-text part.")
    html_body = models.TextField(
        blank=True,
        default="",
        help_text="The HTML part (simple markup: p, strong, em, a, ul, li, br). Empty: made from the text part.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kind", "language"], name="notification_text_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in NotificationKind]), name="notification_text_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"


class NotificationSettings(models.Model):
    """Which e-mails a program sends (a program without a row: every kind but the welcome)."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="notification_settings")
    voucher_issued = models.BooleanField(default=True, help_text="Send the voucher code when it is issued.")
    redemption_shipped = models.BooleanField(default=True, help_text="Tell the member a gift is on its way.")
    redemption_delivered = models.BooleanField(default=True, help_text="Tell the member a gift was delivered.")
    points_expiring = models.BooleanField(
        default=True, help_text="Once a month at most: the points expiring within 30 days."
    )
    welcome = models.BooleanField(default=False, help_text="Welcome new members when they are enrolled.")

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.program.code}"

    def sends(self, kind: str) -> bool:
        return bool(getattr(self, kind))

import re

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.models import Program

# What a partner's member id may be: it travels in URL paths, which take plain ASCII ids only (API.md), so
# printable ASCII without spaces, '/', '?', '#', '%' or '\'.
MEMBER_ID_RE = re.compile(r"^(?:(?![/?#%\\])[!-~]){1,64}$")


class Member(models.Model):
    ACTIVE = "active"
    BLOCKED = "blocked"
    MERGED = "merged"
    STATUSES = [(ACTIVE, "Active"), (BLOCKED, "Blocked"), (MERGED, "Merged")]

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="members")
    member_id = models.CharField(max_length=64, help_text="The partner's id for this member.")
    email = models.EmailField(blank=True, default="")
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="")
    birth_date = models.DateField(null=True, blank=True)
    # {name, street, postal_code, city, country, phone} (validated by the API), or null: where physical gifts go.
    address = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A merged duplicate points at the member it was merged into (API.md, Member merge); it moves no points again.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from")
    # The member said no to e-mail (API `notifications.email`, the unsubscribe link, the admin); erasure sets it.
    email_opt_out = models.BooleanField(
        default=False, help_text="The member receives no e-mail from the program (unsubscribed)."
    )
    # Set by erasure: the personal data is gone and `member_id` is a pseudonym.
    erased_at = models.DateTimeField(null=True, blank=True)
    segments: "models.ManyToManyField[Segment, SegmentMembership]" = models.ManyToManyField(
        "Segment", through="SegmentMembership", related_name="members", blank=True
    )

    # Set by members.selectors.member_with_segment_codes, not a column.
    segment_codes: frozenset[str]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["program", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "member_id"], name="member_id_unique_in_program"),
            models.CheckConstraint(condition=Q(status__in=["active", "blocked", "merged"]), name="member_status_valid"),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="member_merged_has_target",
            ),
        ]
        indexes = [models.Index(fields=["program", "email"], name="member_email_idx")]

    def __str__(self) -> str:
        return self.member_id

    @property
    def is_blocked(self) -> bool:
        """No points movement and no identification: blocked, or merged into another member."""
        return self.status != self.ACTIVE


class Segment(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="segments")
    code = models.CharField(max_length=64)
    name = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["program", "code"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="segment_code_unique")]

    def __str__(self) -> str:
        return self.code


class SegmentMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "member"], name="segment_membership_unique")]
        indexes = [models.Index(fields=["member", "segment"], name="membership_member_idx")]

    def __str__(self) -> str:
        return f"{self.member} in {self.segment}"


class MemberSession(models.Model):
    """A member logged into the webshop. The cookie holds a signed random key; only its hash is stored here."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="shop_sessions")
    token_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the random key in the cookie.")
    language = models.CharField(max_length=10, blank=True, default="", help_text="Chosen in the webshop.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "expires_at"], name="member_session_member_idx")]

    def __str__(self) -> str:
        return f"session of {self.member_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class MemberLoginLink(models.Model):
    """A one-time, short-lived link that opens a webshop session; only the token's hash is stored."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="login_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "expires_at"], name="member_login_link_member_idx")]

    def __str__(self) -> str:
        return f"login link of {self.member_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class MemberErasure(models.Model):
    """That a member's personal data was erased: when, by whom, under which pseudonym. Nothing personal."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    pseudonym = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField()
    actor = models.CharField(max_length=200, help_text="The API client or staff user that asked for it.")

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"Erasure of {self.pseudonym} on {self.erased_at:%Y-%m-%d}"

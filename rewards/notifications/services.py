"""Notifications: recorded where their event happens, sent once, stopped by the member's opt-out.

Once, even when tasks run twice: the unique (member, kind, subject) row is the claim. The services of the events
record it in their own transaction (an event that rolls back notifies nobody) and queue its task after commit;
the task then *claims* the row, an UPDATE from `pending` (or `failed`) to `sending` that only one worker can win,
committed before the message leaves. A second delivery of the task, or a second worker, finds `sending` or `sent`
and sends nothing. A backend error marks the row `failed`, which the retry (the task's own, or the sweeper's)
claims again, up to MAX_ATTEMPTS. A worker killed between its claim and the end of the send leaves the row in
`sending`: never sent again (at most once, by design: a duplicate voucher e-mail is worse than a late one; the
admin lists such rows, and the code is in the member's webshop anyway).

The digest of points expiring within 30 days is claimed in batches: one insert of rows already `sending` with
this run's random claim token (rows of members already told this month conflict and are left alone), one read of
the rows carrying the token, the sends through one backend connection, one update of the outcome. Each batch
costs the same few queries however large, and holds one batch of members in memory.
"""

import contextlib
import contextvars
import datetime
import logging
import secrets
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Min, OuterRef, Q, Sum
from django.utils import timezone

from loyalty.core.queue import enqueue_on_commit
from members.models import Member
from programs.models import Program
from rewards.models import Redemption
from rewards.notification_models import (
    Notification,
    NotificationKind,
    NotificationSettings,
    NotificationStatus,
)
from rewards.notifications.render import (
    TextBook,
    email_message,
    format_date,
    format_money,
    format_points,
    member_language,
    render_email,
    unsubscribe_key,
    unsubscribe_url,
)

logger = logging.getLogger("rewards.notifications")

K = NotificationKind
S = NotificationStatus
MAX_ATTEMPTS = 5
RETRY_DELAYS = (60, 300, 1800, 7200)  # seconds before the sweeper takes a failed message again
DIGEST_WINDOW = datetime.timedelta(days=30)
DIGEST_BATCH = 500


_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("notifications_paused", default=False)


@contextlib.contextmanager
def notifications_paused() -> Iterator[None]:
    """Nothing is recorded inside (and so nothing sent): for writing the past, such as the demo's history, whose
    members must not be told today about a parcel delivered last year."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


class NotificationFailed(Exception):
    """The e-mail backend refused the message; the row is `failed` and will be claimed again."""


def new_key() -> str:
    return secrets.token_urlsafe(18)


def kind_enabled(program_id: int, kind: str) -> bool:
    """Whether the program sends this kind (without settings: every kind but the welcome)."""
    row = NotificationSettings.objects.filter(program_id=program_id).first()
    return row.sends(kind) if row is not None else kind != K.WELCOME


def _reachable(member: Member) -> bool:
    return bool(member.email) and not member.email_opt_out and member.erased_at is None


def notification_record(
    *, member: Member, kind: str, subject: str, redemption: Redemption | None = None
) -> Notification | None:
    """Records a notification in the caller's transaction and queues its sending after commit. Nothing for a
    member without an address or who opted out, a kind the program does not send, or one already recorded."""
    if _paused.get() or not _reachable(member) or not kind_enabled(member.program_id, kind):
        return None
    try:
        with transaction.atomic():  # a savepoint: the duplicate's error leaves the caller's transaction usable
            notification = Notification.objects.create(
                program_id=member.program_id,
                member=member,
                kind=kind,
                subject=subject,
                redemption=redemption,
                key=new_key(),
            )
    except IntegrityError:
        return None  # the unique (member, kind, subject): told already
    from rewards.tasks import send_notification

    enqueue_on_commit(send_notification, notification.pk)
    return notification


def notify_redemption(*, redemption: Redemption, kind: str) -> Notification | None:
    return notification_record(
        member=redemption.member, kind=kind, subject=f"redemption:{redemption.pk}", redemption=redemption
    )


def notify_welcome(*, member: Member) -> Notification | None:
    return notification_record(member=member, kind=K.WELCOME, subject="enrolment")


def _values(notification: Notification, language: str) -> dict[str, Any]:
    """The placeholders' values of a recorded notification; callables are formatted in the message's language."""
    program = notification.program
    redemption = notification.redemption
    values: dict[str, Any] = {}
    if redemption is not None:
        values["gift"] = program.text(redemption.gift.name, language) or redemption.gift.sku
        voucher = getattr(redemption, "voucher", None)
        if notification.kind == K.VOUCHER_ISSUED and voucher is not None:
            values["code"] = voucher.code
            values["value"] = lambda: format_money(voucher.value, voucher.currency)
            values["date"] = lambda: format_date(voucher.expires_at, program)
    if notification.kind == K.POINTS_EXPIRING:
        context = notification.context
        values["points"] = lambda: format_points(int(context["points"]))
        values["date"] = lambda: format_date(datetime.datetime.fromisoformat(context["first_expiry"]), program)
    return values


def _claim(notification_id: int, now: datetime.datetime) -> bool:
    """Takes the row for this worker, committed at once (outside any transaction of the caller's)."""
    claimed = Notification.objects.filter(
        pk=notification_id, status__in=[S.PENDING, S.FAILED], attempts__lt=MAX_ATTEMPTS
    ).update(status=S.SENDING, claimed_at=now, attempts=F("attempts") + 1, next_attempt_at=None)
    return claimed == 1


def _failed(pks: list[int], attempts: int, error: str, now: datetime.datetime) -> None:
    delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1] if attempts else RETRY_DELAYS[0]
    Notification.objects.filter(pk__in=pks).update(
        status=S.FAILED, last_error=error[:300], next_attempt_at=now + datetime.timedelta(seconds=delay)
    )


def notification_send(*, notification_id: int) -> str:
    """Sends a recorded notification once; returns its status afterwards (`sent`, `skipped`, or the status that
    kept it from being claimed). Raises NotificationFailed when the backend refused it (the row is `failed`)."""
    now = timezone.now()
    if not _claim(notification_id, now):
        status = Notification.objects.filter(pk=notification_id).values_list("status", flat=True).first()
        return status or "missing"
    notification = Notification.objects.select_related(
        "program", "member", "redemption__gift", "redemption__voucher"
    ).get(pk=notification_id)
    member, program = notification.member, notification.program
    if not _reachable(member) or member.status == Member.MERGED or not kind_enabled(program.pk, notification.kind):
        Notification.objects.filter(pk=notification_id).update(status=S.SKIPPED)
        return S.SKIPPED
    if notification.kind == K.VOUCHER_ISSUED and getattr(notification.redemption, "voucher", None) is None:
        Notification.objects.filter(pk=notification_id).update(status=S.SKIPPED)  # nothing to tell without a code
        return S.SKIPPED
    try:
        texts = TextBook(program, [notification.kind])
        language = member_language(program, member.language)
        link = unsubscribe_url(notification.key)
        email = render_email(
            program=program,
            kind=notification.kind,
            language=language,
            first_name=member.first_name,
            values=_values(notification, texts.text(notification.kind, language)[0]),
            texts=texts,
            link=link,
        )
        email_message(program=program, to=member.email, email=email, link=link).send()
    except Exception as exc:  # the backend's own errors (SMTP, provider API), or any other: released, retried
        _failed([notification_id], notification.attempts, f"{type(exc).__name__}: {exc}", timezone.now())
        raise NotificationFailed(f"Notification {notification_id} could not be sent: {exc}") from exc
    Notification.objects.filter(pk=notification_id).update(
        status=S.SENT, sent_at=timezone.now(), language=email.language
    )
    logger.info("Notification %s (%s) sent.", notification_id, notification.kind)
    return S.SENT


def notifications_waiting(*, older_than: datetime.timedelta, limit: int = 1000) -> list[int]:
    """Rows whose task was lost (still `pending`), and `failed` ones due for another attempt."""
    now = timezone.now()
    return list(
        Notification.objects.filter(
            Q(status=S.PENDING, created_at__lte=now - older_than)
            | Q(status=S.FAILED, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- opt-out ---------------------------------------------------------------------------------------------------


def member_unsubscribe(*, member: Member) -> Member:
    """Opts the member out of every e-mail: what is still waiting is not sent either."""
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(email_opt_out=True, updated_at=timezone.now())
        Notification.objects.filter(member_id=member.pk, status__in=[S.PENDING, S.FAILED]).update(status=S.SKIPPED)
    member.email_opt_out = True
    return member


class BadUnsubscribeLink(Exception):
    """The link was not signed by this server (tampered with, cut short, made up)."""


def unsubscribe_link_member(*, token: str) -> Member | None:
    """The member an unsubscribe token names, or None when the token is genuine but names nobody any more
    (erased). Raises BadUnsubscribeLink when the signature is wrong."""
    key = unsubscribe_key(token)
    if key is None:
        raise BadUnsubscribeLink(token)
    return Member.objects.select_related("program").filter(notifications__key=key, erased_at__isnull=True).first()


# --- the monthly digest of points expiring within 30 days ----------------------------------------------------


@dataclass(frozen=True)
class DigestBatch:
    last_member: int  # the keyset position: the next batch starts after this member's pk
    claimed: int
    sent: int
    failed: int
    more: bool


def digest_period(program: Program, now: datetime.datetime) -> str:
    """The month a digest counts in: the program's own calendar month."""
    return now.astimezone(zoneinfo.ZoneInfo(program.timezone)).strftime("%Y-%m")


def expiry_digest_batch(
    *,
    program: Program,
    now: datetime.datetime,
    texts: TextBook,
    after: int = 0,
    size: int = DIGEST_BATCH,
    connection: Any = None,
) -> DigestBatch:
    """Tells up to `size` members (by pk after `after`) about their points expiring within 30 days of `now`:
    those with an address, not opted out, active, not told yet this month (see the module's docstring)."""
    period = digest_period(program, now)
    lots = Q(
        lots__remaining__gt=0,
        lots__pending=False,
        lots__expires_at__gt=now,
        lots__expires_at__lte=now + DIGEST_WINDOW,
    )
    told = Notification.objects.filter(member_id=OuterRef("pk"), kind=K.POINTS_EXPIRING, subject=period)
    rows = list(
        Member.objects.filter(program=program, pk__gt=after, status=Member.ACTIVE, email_opt_out=False)
        .filter(erased_at__isnull=True)
        .exclude(email="")
        .filter(~Exists(told))
        # Filtered before the annotation: the sums count only the lots expiring in the window.
        .filter(lots)
        .values("pk", "email", "first_name", "language")
        .annotate(points=Sum("lots__remaining"), first_expiry=Min("lots__expires_at"))
        .order_by("pk")[:size]
    )
    if not rows:
        return DigestBatch(last_member=after, claimed=0, sent=0, failed=0, more=False)
    connection = connection or get_connection()
    # Opened before anything is claimed: with the mail server down, the batch fails having claimed nobody, and the
    # task's retry (or the next day's pass) tells these members.
    connection.open()
    sent: list[int] = []
    failed: list[int] = []
    try:
        claim = secrets.token_hex(16)
        languages = {
            row["pk"]: texts.text(K.POINTS_EXPIRING, member_language(program, row["language"]))[0] for row in rows
        }
        Notification.objects.bulk_create(
            [
                Notification(
                    program=program,
                    member_id=row["pk"],
                    kind=K.POINTS_EXPIRING,
                    subject=period,
                    context={"points": row["points"], "first_expiry": row["first_expiry"].isoformat()},
                    status=S.SENDING,
                    key=new_key(),
                    claim=claim,
                    language=languages[row["pk"]],
                    attempts=1,
                    created_at=now,
                    claimed_at=now,
                )
                for row in rows
            ],
            # A member told meanwhile by another run: that run's row stays, and this one is not made.
            ignore_conflicts=True,
        )
        keys = dict(Notification.objects.filter(claim=claim).values_list("member_id", "key"))
        for row in rows:
            key = keys.get(row["pk"])
            if key is None:
                continue
            try:
                link = unsubscribe_url(key)
                email = render_email(
                    program=program,
                    kind=K.POINTS_EXPIRING,
                    language=row["language"],
                    first_name=row["first_name"],
                    values={
                        "points": lambda points=row["points"]: format_points(points),
                        "date": lambda moment=row["first_expiry"]: format_date(moment, program),
                    },
                    texts=texts,
                    link=link,
                )
                connection.send_messages([email_message(program=program, to=row["email"], email=email, link=link)])
            except Exception:  # one refused address must not stop the batch: the sweeper retries this one
                logger.warning("Expiry digest to member %s failed.", row["pk"], exc_info=True)
                failed.append(row["pk"])
            else:
                sent.append(row["pk"])
    finally:
        connection.close()
    done = timezone.now()
    if sent:
        Notification.objects.filter(claim=claim, member_id__in=sent).update(status=S.SENT, sent_at=done)
    if failed:
        failing = list(Notification.objects.filter(claim=claim, member_id__in=failed).values_list("pk", flat=True))
        _failed(failing, 1, "the backend refused the message", done)
    return DigestBatch(
        last_member=rows[-1]["pk"], claimed=len(keys), sent=len(sent), failed=len(failed), more=len(rows) == size
    )


@dataclass(frozen=True)
class DigestRun:
    last_member: int
    sent: int
    failed: int
    batches: int
    done: bool


def expiry_digest_run(
    *,
    program: Program,
    now: datetime.datetime,
    after: int = 0,
    size: int | None = None,
    max_batches: int | None = None,
) -> DigestRun:
    """Batches of `expiry_digest_batch` from `after` until every member is done (or `max_batches` were run:
    the task then continues in a new task, so that no single task runs for long)."""
    if not kind_enabled(program.pk, K.POINTS_EXPIRING) or program.expiry_months is None:
        return DigestRun(last_member=after, sent=0, failed=0, batches=0, done=True)
    texts = TextBook(program, [K.POINTS_EXPIRING])
    size = size or DIGEST_BATCH
    sent = failed = batches = 0
    connection = get_connection()
    while True:
        batch = expiry_digest_batch(
            program=program, now=now, texts=texts, after=after, size=size, connection=connection
        )
        batches += 1
        sent, failed, after = sent + batch.sent, failed + batch.failed, batch.last_member
        if not batch.more:
            return DigestRun(last_member=after, sent=sent, failed=failed, batches=batches, done=True)
        if max_batches is not None and batches >= max_batches:
            return DigestRun(last_member=after, sent=sent, failed=failed, batches=batches, done=False)


def digest_programs() -> list[int]:
    """Programs whose points expire (the others have nothing to tell)."""
    return list(Program.objects.filter(expiry_months__isnull=False).order_by("pk").values_list("pk", flat=True))

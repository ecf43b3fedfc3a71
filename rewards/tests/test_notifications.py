"""E-mail notifications: every text in every language, each trigger sends exactly one e-mail, opt-out, the
once-only claim under retries (Django's locmem backend: `mailoutbox`)."""

import re

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.test import override_settings

from catalog.models import Gift
from rewards.models import Notification, NotificationKind, NotificationSettings, NotificationText
from rewards.notifications import services
from rewards.notifications.preview import SAMPLE_CODE, preview_email
from rewards.notifications.texts import DEFAULTS, LANGUAGES, PLACEHOLDER_RE, PLACEHOLDERS, unknown_placeholders
from rewards.services.enrolment import member_enrol
from rewards.services.redemption import redeem, redemption_transition
from rewards.tasks import send_notification
from tests.factories import GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db
KINDS = [kind.value for kind in NotificationKind]


def _html(message) -> str:
    (content, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return content


def _visible_lines(text: str) -> list[str]:
    """The lines of a plain-text part that are words, not the sample values every language shares."""
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line and line != "--" and SAMPLE_CODE not in line and not line.startswith("http"):
            lines.append(line)
    return lines


# --- texts ---------------------------------------------------------------------------------------------------


def test_defaults_exist_for_every_kind_in_the_four_languages_with_known_placeholders_only():
    for kind in KINDS:
        assert set(DEFAULTS[kind]) == set(LANGUAGES), kind
        for language, (subject, text) in DEFAULTS[kind].items():
            assert not unknown_placeholders(kind, subject + text), (kind, language)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_renders_in_every_language_with_both_parts_and_every_placeholder_replaced(program, kind, language):
    email = preview_email(program=program, kind=kind, language=language)
    assert email.language == language
    for part in (email.subject, email.text, email.html):
        assert part.strip()
        assert not PLACEHOLDER_RE.search(part), (kind, language, PLACEHOLDER_RE.findall(part))
    assert "Anna" in email.text and "Anna" in email.html
    assert email.html.lstrip().startswith("<!doctype html>") and f'<html lang="{language}">' in email.html
    assert "/shop/unsubscribe/" in email.text and "/shop/unsubscribe/" in email.html
    if kind == NotificationKind.VOUCHER_ISSUED:
        assert SAMPLE_CODE in email.text and SAMPLE_CODE in email.html
    if kind == NotificationKind.POINTS_EXPIRING:
        assert re.search("1[.,\u00a0\u202f ]?250", email.text)  # grouped the language's way


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["fr", "nl", "it"])
def test_no_english_is_left_in_the_other_languages(program, kind, language):
    english = preview_email(program=program, kind=kind, language="en")
    other = preview_email(program=program, kind=kind, language=language)
    assert other.subject != english.subject
    for line in _visible_lines(english.text):
        # The lines that only hold values (the gift's name, a date) may be the same in every language.
        if line in {"Gift GIFT", program.name}:
            continue
        assert line not in other.text, (language, line)
    for words in ("You receive this e-mail", ">Unsubscribe<", "Hello"):
        assert words not in other.html, (language, words)


def test_a_language_the_program_lacks_falls_back_to_its_default(program):
    program.default_language = "fr"
    program.save()
    email = preview_email(program=program, kind=NotificationKind.WELCOME, language="de")
    assert email.language == "fr"
    assert email.subject == f"Bienvenue chez {program.name}"
    assert email.text.startswith("Bonjour Anna,")


def test_a_programs_own_text_is_used_and_its_values_are_escaped_in_the_html_part(program):
    NotificationText.objects.create(
        program=program,
        kind=NotificationKind.WELCOME,
        language="en",
        subject="Hi {first_name}, welcome to {program}",
        text_body="{greeting}\n\nGreat to see you, {first_name}. {unknown} stays as written.",
        html_body="<p>Great to see you, <strong>{first_name}</strong>.</p>",
    )
    email = preview_email(program=program, kind=NotificationKind.WELCOME, language="en", first_name="<b>Bo</b>")
    assert email.subject == f"Hi <b>Bo</b>, welcome to {program.name}"
    assert "Great to see you, <b>Bo</b>. {unknown} stays as written." in email.text
    assert "<strong>&lt;b&gt;Bo&lt;/b&gt;</strong>" in email.html
    assert "<b>Bo</b>" not in email.html
    # Another language still has the shipped default.
    assert preview_email(program=program, kind=NotificationKind.WELCOME, language="fr").subject.startswith("Bienvenue")


def test_staff_text_is_never_run_as_a_template(program):
    NotificationText.objects.create(
        program=program,
        kind=NotificationKind.WELCOME,
        language="en",
        subject="{{ settings.SECRET_KEY }} {% now 'Y' %}",
        text_body="{{ request }} {program.__class__} {% load static %}",
    )
    email = preview_email(program=program, kind=NotificationKind.WELCOME, language="en")
    assert email.subject == "{{ settings.SECRET_KEY }} {% now 'Y' %}"
    assert "{{ request }} {program.__class__} {% load static %}" in email.text
    assert "{% load static %}" in email.html  # the HTML part made from the text, escaped, not interpreted


# --- triggers ------------------------------------------------------------------------------------------------


@pytest.fixture
def voucher_gift(program):
    return GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)


def test_a_voucher_redeemed_through_the_api_sends_its_code_once(
    api, program, voucher_gift, mailoutbox, django_capture_on_commit_callbacks
):
    member = MemberFactory(program=program, member_id="M-1", language="fr", first_name="Léa")
    fund(member, 100)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/redemptions", {"reference": "R1", "member_id": "M-1", "gift": "V10"})
    assert response.status_code == 201, response.content
    redemption_id = response.json()["id"]
    code = api.get(f"/api/v1/redemptions/{redemption_id}").json()["voucher"]["code"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [member.email]
    assert message.subject == "Votre bon d’achat pour Cadeau V10 est prêt"
    assert code in message.body and code in _html(message)
    assert message.body.startswith("Bonjour Léa,")
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.from_email == f"{program.name} <rewards@localhost>"
    row = Notification.objects.get()
    assert (row.kind, row.subject, row.status, row.language) == (
        "voucher_issued",
        f"redemption:{redemption_id}",
        "sent",
        "fr",
    )


def test_shipped_and_delivered_each_send_one_email(program, mailoutbox, django_capture_on_commit_callbacks):
    member = MemberFactory(program=program, member_id="M-1")
    gift = GiftFactory(program=program, sku="MUG", points=100)
    fund(member, 100)
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redeem(program=program, member=member, gift=gift, quantity=1, reference="R1")
        redemption_transition(redemption=redemption, status="in_preparation")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        redemption_transition(redemption=redemption, status="in_delivery")
    assert [m.subject for m in mailoutbox] == ["Your gift is on its way: Gift MUG"]
    with django_capture_on_commit_callbacks(execute=True):
        redemption_transition(redemption=redemption, status="delivered")
    assert [m.subject for m in mailoutbox][1:] == ["Your gift has been delivered: Gift MUG"]
    assert "has been delivered" in mailoutbox[1].body and "has been delivered" in _html(mailoutbox[1])


def test_a_transition_that_rolls_back_notifies_nobody(program, mailoutbox, django_capture_on_commit_callbacks):
    member = MemberFactory(program=program, member_id="M-1")
    gift = GiftFactory(program=program, sku="MUG", points=100)
    fund(member, 100)
    redemption = redeem(program=program, member=member, gift=gift, quantity=1, reference="R1")
    redemption_transition(redemption=redemption, status="in_preparation")
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        from django.db import transaction

        with transaction.atomic():
            redemption_transition(redemption=redemption, status="in_delivery")
            raise RuntimeError("rolled back")
    assert mailoutbox == [] and not Notification.objects.exists()


def test_welcome_only_where_the_program_turned_it_on(program, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member_enrol(program=program, member_id="M-1", email="m1@example.com", language="nl")
    assert mailoutbox == []
    NotificationSettings.objects.create(program=program, welcome=True)
    with django_capture_on_commit_callbacks(execute=True):
        member_enrol(program=program, member_id="M-2", email="m2@example.com", first_name="Jan", language="nl")
        member_enrol(program=program, member_id="M-3", email="", language="nl")  # no address: nothing
        member_enrol(program=program, member_id="M-4", email="m4@example.com", email_opt_out=True)
    assert [(m.to, m.subject) for m in mailoutbox] == [(["m2@example.com"], f"Welkom bij {program.name}")]
    assert mailoutbox[0].body.startswith("Hallo Jan,")


def test_a_kind_the_program_switched_off_is_not_sent(
    program, voucher_gift, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.create(program=program, voucher_issued=False)
    member = MemberFactory(program=program, member_id="M-1")
    fund(member, 100)
    with django_capture_on_commit_callbacks(execute=True):
        redeem(program=program, member=member, gift=voucher_gift, quantity=1, reference="R1")
    assert mailoutbox == [] and not Notification.objects.exists()


def test_an_opted_out_member_gets_nothing_even_when_opting_out_after_the_event(
    program, voucher_gift, mailoutbox, django_capture_on_commit_callbacks
):
    opted_out = MemberFactory(program=program, member_id="M-1", email_opt_out=True)
    fund(opted_out, 100)
    with django_capture_on_commit_callbacks(execute=True):
        redeem(program=program, member=opted_out, gift=voucher_gift, quantity=1, reference="R1")
    assert mailoutbox == [] and not Notification.objects.exists()

    late = MemberFactory(program=program, member_id="M-2")
    fund(late, 100)
    redemption = redeem(program=program, member=late, gift=voucher_gift, quantity=1, reference="R2")
    from rewards.services.redemption import voucher_issue

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        voucher_issue(redemption_id=redemption.pk)
    services.member_unsubscribe(member=late)  # between the event and its task
    for callback in callbacks:
        callback()
    assert mailoutbox == []
    assert Notification.objects.get(member=late).status == "skipped"


# --- once, under retries ---------------------------------------------------------------------------------------


class FailingOnce:
    """An e-mail backend whose first message fails, as an SMTP server that is down for a moment."""

    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        FailingOnce.calls += 1
        if FailingOnce.calls == 1:
            raise ConnectionRefusedError("mail server down")
        mail.outbox.extend(messages)
        return len(messages)


def _recorded(program) -> Notification:
    member = MemberFactory(program=program, member_id="M-1")
    notification = services.notify_welcome(member=member)
    assert notification is None  # the welcome is off by default
    NotificationSettings.objects.create(program=program, welcome=True)
    notification = services.notify_welcome(member=member)
    assert notification is not None
    return notification


def test_the_task_run_twice_sends_once(program, mailoutbox):
    notification = _recorded(program)
    assert send_notification.apply(args=[notification.pk]).get() == "sent"
    assert send_notification.apply(args=[notification.pk]).get() == "sent"
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_the_same_event_reported_twice_is_recorded_once(program):
    notification = _recorded(program)
    assert services.notify_welcome(member=notification.member) is None
    assert Notification.objects.count() == 1


def test_a_message_claimed_by_another_worker_is_not_sent_again(program, mailoutbox):
    notification = _recorded(program)
    Notification.objects.filter(pk=notification.pk).update(status="sending")  # a worker holds it (or died holding it)
    assert services.notification_send(notification_id=notification.pk) == "sending"
    assert mailoutbox == []


@override_settings(EMAIL_BACKEND="rewards.tests.test_notifications.FailingOnce")
def test_a_retry_after_a_failure_sends_once(program, mailoutbox):
    FailingOnce.calls = 0
    notification = _recorded(program)
    with pytest.raises(services.NotificationFailed):
        services.notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert "mail server down" in notification.last_error and notification.next_attempt_at is not None
    assert mailoutbox == []
    # The retry (the task's own or the sweeper's) claims it again and sends it; any later run sends nothing.
    assert services.notification_send(notification_id=notification.pk) == "sent"
    assert services.notification_send(notification_id=notification.pk) == "sent"
    assert send_notification.apply(args=[notification.pk]).get() == "sent"
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 2)


@override_settings(EMAIL_BACKEND="rewards.tests.test_notifications.FailingOnce")
def test_the_celery_task_retries_a_failure_and_sends_once(program, mailoutbox):
    FailingOnce.calls = 0
    notification = _recorded(program)
    with pytest.raises(Retry):  # the task asks Celery for a retry (eager: raised here instead of re-queued)
        send_notification.apply(args=[notification.pk])
    assert mailoutbox == [] and Notification.objects.get(pk=notification.pk).status == "failed"
    assert send_notification.apply(args=[notification.pk]).get() == "sent"  # the retry
    assert send_notification.apply(args=[notification.pk]).get() == "sent"  # a duplicate delivery of it
    assert len(mailoutbox) == 1
    assert Notification.objects.get(pk=notification.pk).status == "sent"


def test_the_sweeper_finds_lost_and_failed_messages(program, time_machine):
    import datetime

    from django.utils import timezone

    notification = _recorded(program)
    assert services.notifications_waiting(older_than=datetime.timedelta(minutes=2)) == []
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=3))
    assert services.notifications_waiting(older_than=datetime.timedelta(minutes=2)) == [notification.pk]
    Notification.objects.filter(pk=notification.pk).update(
        status="failed", attempts=services.MAX_ATTEMPTS, next_attempt_at=timezone.now()
    )
    assert services.notifications_waiting(older_than=datetime.timedelta(minutes=2)) == []  # given up


def test_erasure_stops_every_email(program, mailoutbox):
    from rewards.services.erasure import member_erase

    notification = _recorded(program)
    Notification.objects.filter(pk=notification.pk).update(
        status="failed", last_error="550 <m-1@example.com>: no such user", language="en"
    )
    member_erase(member=notification.member, actor="staff:test")
    notification.refresh_from_db()
    assert (notification.status, notification.last_error, notification.language) == ("skipped", "", "")
    assert services.notification_send(notification_id=notification.pk) == "skipped"
    assert mailoutbox == []
    member = notification.member
    member.refresh_from_db()
    assert member.email_opt_out and member.email == ""
    assert services.notify_welcome(member=member) is None


def test_two_programs_texts_do_not_mix(program, mailoutbox):
    other = ProgramFactory(code="OTHER", name="Other Rewards")
    NotificationText.objects.create(
        program=other, kind="welcome", language="en", subject="Other welcome", text_body="{greeting}"
    )
    assert preview_email(program=program, kind="welcome", language="en").subject == f"Welcome to {program.name}"
    assert preview_email(program=other, kind="welcome", language="en").subject == "Other welcome"


def test_every_kind_has_placeholders_declared():
    assert set(PLACEHOLDERS) == set(KINDS)


def test_nothing_is_recorded_while_paused(program, mailoutbox, django_capture_on_commit_callbacks):
    """The demo writes its history so: members are not told today about last year's parcels."""
    member = MemberFactory(program=program, member_id="M-1")
    gift = GiftFactory(program=program, sku="MUG", points=100)
    fund(member, 100)
    redemption = redeem(program=program, member=member, gift=gift, quantity=1, reference="R1")
    redemption_transition(redemption=redemption, status="in_preparation")
    with services.notifications_paused(), django_capture_on_commit_callbacks(execute=True):
        redemption_transition(redemption=redemption, status="in_delivery")
    assert mailoutbox == [] and not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        redemption_transition(redemption=redemption, status="delivered")
    assert len(mailoutbox) == 1


def test_the_sweeper_task_sends_what_was_lost(program, mailoutbox, time_machine):
    import datetime

    from django.utils import timezone

    from rewards.tasks import sweep_notifications

    notification = _recorded(program)  # recorded, its message lost (never sent)
    assert sweep_notifications.apply().get() == 0  # too young: its own task may still come
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=3))
    assert sweep_notifications.apply().get() == 1
    assert len(mailoutbox) == 1
    assert sweep_notifications.apply().get() == 0
    assert Notification.objects.get(pk=notification.pk).status == "sent"

"""The monthly digest of points expiring within 30 days: who gets it, once a month, in batches of constant cost."""

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from rewards.models import Notification, NotificationSettings
from rewards.notifications import services
from rewards.notifications.render import TextBook
from rewards.tasks import send_expiry_digests
from tests.factories import MemberFactory, ProgramFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC)


def days(n: float) -> datetime.datetime:
    return NOW + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    """The data is made at NOW: a write settles what the clock made due (lots past their expiry)."""
    time_machine.move_to(NOW)


@pytest.fixture
def program(db):
    return ProgramFactory(code="DIG", name="Digest Rewards", expiry_months=24)


def _member(program, member_id, lots, **fields):
    member = MemberFactory(program=program, member_id=member_id, **fields)
    for points, expires_at in lots:
        fund(member, points, expires_at=expires_at)
    return member


def test_only_members_with_points_expiring_within_30_days_and_reachable_are_told(program, mailoutbox):
    soon = _member(program, "SOON", [(100, days(5)), (50, days(20)), (70, days(60))], language="fr")
    _member(program, "LATER", [(100, days(40))])
    _member(program, "OPTED-OUT", [(100, days(5))], email_opt_out=True)
    _member(program, "NO-EMAIL", [(100, days(5))], email="")
    _member(program, "BLOCKED", [(100, days(5))], status="blocked")
    _member(program, "GONE", [(100, days(-1))])  # expired already: the expiry job's business
    spent = _member(program, "SPENT", [(100, days(5))])
    from rewards.models import PointsLot

    PointsLot.objects.filter(member=spent).update(remaining=0)
    run = services.expiry_digest_run(program=program, now=NOW, size=2)
    assert run.done and run.sent == 1
    assert [m.to for m in mailoutbox] == [[soon.email]]
    message = mailoutbox[0]
    assert message.subject == "150 de vos points expirent bientôt"
    assert (
        "150 de vos points Digest Rewards expireront dans les 30 prochains jours, les premiers le 10 novembre 2026."
        in message.body
    )
    html = message.alternatives[0][0]
    assert "150 de vos points" in html and "10 novembre 2026" in html
    row = Notification.objects.get()
    assert (row.kind, row.subject, row.status, row.context["points"]) == ("points_expiring", "2026-11", "sent", 150)


def test_once_per_member_per_month_however_often_it_runs(program, mailoutbox):
    a = _member(program, "A", [(100, days(10))])
    b = _member(program, "B", [(100, days(60))])  # within 30 days only from December 5
    for now in (NOW, NOW, days(1), days(20)):
        services.expiry_digest_run(program=program, now=now)
    assert [m.to for m in mailoutbox] == [[a.email]]
    services.expiry_digest_run(program=program, now=days(30))  # December: B's points now expire within 30 days
    assert [m.to for m in mailoutbox] == [[a.email], [b.email]]
    services.expiry_digest_run(program=program, now=days(31))
    assert len(mailoutbox) == 2
    assert set(Notification.objects.values_list("member__member_id", "subject")) == {("A", "2026-11"), ("B", "2026-12")}


def test_a_run_that_meets_another_runs_claims_sends_nothing_for_them(program, mailoutbox):
    a = _member(program, "A", [(100, days(10))])
    # Another run claimed A a moment ago (its row exists, `sending`): this run's insert conflicts and is dropped.
    Notification.objects.create(
        program=program, member=a, kind="points_expiring", subject="2026-11", status="sending", key="k-other"
    )
    batch = services.expiry_digest_batch(program=program, now=NOW, texts=TextBook(program))
    assert (batch.claimed, batch.sent) == (0, 0)
    assert mailoutbox == []


def test_each_batch_costs_the_same_few_queries_whatever_its_size(program, mailoutbox):
    members = [_member(program, f"M{i:02}", [(10 + i, days(3 + i % 20))]) for i in range(24)]
    texts = TextBook(program)

    def batch_queries(after: int, size: int) -> tuple[int, services.DigestBatch]:
        with CaptureQueriesContext(connection) as queries:
            batch = services.expiry_digest_batch(program=program, now=NOW, texts=texts, after=after, size=size)
        return len(queries), batch

    small, first = batch_queries(0, 4)
    large, second = batch_queries(first.last_member, 20)
    assert (first.sent, second.sent) == (4, 20)
    assert small == large == 4, (small, large)  # members, claim insert, claimed rows, outcome
    assert len(mailoutbox) == len(members) == 24
    assert len({tuple(m.to) for m in mailoutbox}) == 24


def test_a_program_that_switched_the_digest_off_or_has_no_expiry_sends_nothing(program, mailoutbox):
    _member(program, "A", [(100, days(10))])
    NotificationSettings.objects.create(program=program, points_expiring=False)
    assert services.expiry_digest_run(program=program, now=NOW).sent == 0
    never = ProgramFactory(code="NEVER", expiry_months=None)
    _member(never, "B", [(100, days(10))])
    assert services.expiry_digest_run(program=never, now=NOW).sent == 0
    assert mailoutbox == []


def test_the_beat_task_runs_every_program_in_chained_batches(program, mailoutbox, monkeypatch):
    from rewards import tasks

    monkeypatch.setattr(tasks, "DIGEST_BATCHES_PER_TASK", 1)
    monkeypatch.setattr(services, "DIGEST_BATCH", 2)
    for i in range(5):
        _member(program, f"M{i}", [(100, days(10))])
    other = ProgramFactory(code="DIG2", expiry_months=12)
    _member(other, "X", [(100, days(10))])
    assert send_expiry_digests.apply().get() == 2
    assert len(mailoutbox) == 6
    assert send_expiry_digests.apply().get() == 2  # the next day's pass: nothing new to tell
    assert len(mailoutbox) == 6


class DownBackend:
    """A mail server that does not answer."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise ConnectionRefusedError("mail server down")

    def close(self):
        pass


class RefusesOne:
    """A mail server that refuses one address."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        from django.core import mail

        if messages[0].to == ["b@example.com"]:
            raise ValueError("550 no such user")
        mail.outbox.extend(messages)
        return 1


@override_settings(EMAIL_BACKEND="rewards.tests.test_notification_digest.DownBackend")
def test_a_mail_server_down_claims_nobody(program, mailoutbox):
    _member(program, "A", [(100, days(10))])
    with pytest.raises(ConnectionRefusedError):
        services.expiry_digest_run(program=program, now=NOW)
    assert not Notification.objects.exists()  # the next pass tells them


@override_settings(EMAIL_BACKEND="rewards.tests.test_notification_digest.RefusesOne")
def test_a_refused_address_is_retried_alone_and_the_batch_goes_on(program, mailoutbox):
    _member(program, "A", [(100, days(10))])
    _member(program, "B", [(100, days(10))])
    _member(program, "C", [(100, days(10))])
    run = services.expiry_digest_run(program=program, now=NOW)
    assert (run.sent, run.failed) == (2, 1)
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.com", "c@example.com"]
    refused = Notification.objects.get(member__member_id="B")
    assert refused.status == "failed" and refused.next_attempt_at is not None
    # Its retry (the sweeper's) goes through send_notification, with the figures claimed for it.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        assert services.notification_send(notification_id=refused.pk) == "sent"
    assert mailoutbox[-1].to == ["b@example.com"] and mailoutbox[-1].subject == "100 of your points expire soon"

"""The member's e-mail preference in the API (`notifications.email`): GET, enrol, PATCH, export, erasure."""

import pytest

from members.models import Member
from rewards.models import Notification, NotificationSettings
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_get_shows_the_preference(api, member):
    assert api.get("/api/v1/members/M-1").json()["notifications"] == {"email": True}
    Member.objects.filter(pk=member.pk).update(email_opt_out=True)
    assert api.get("/api/v1/members/M-1").json()["notifications"] == {"email": False}


def test_patch_turns_email_off_and_on(api, member):
    response = api.patch("/api/v1/members/M-1", {"notifications": {"email": False}})
    assert response.status_code == 200, response.content
    assert response.json()["notifications"] == {"email": False}
    member.refresh_from_db()
    assert member.email_opt_out is True
    # Another change leaves it as it is.
    assert api.patch("/api/v1/members/M-1", {"first_name": "Bo"}).json()["notifications"] == {"email": False}
    response = api.patch("/api/v1/members/M-1", {"notifications": {"email": True}})
    assert response.json()["notifications"] == {"email": True}
    member.refresh_from_db()
    assert member.email_opt_out is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notifications": {}}, "notifications.email"),
        ({"notifications": {"email": "no"}}, "notifications.email"),
        ({"notifications": {"email": None}}, "notifications.email"),
        ({"notifications": {"email": False, "sms": True}}, "notifications.sms"),
        ({"notifications": None}, "notifications"),
        ({"notifications": True}, "notifications"),
        ({"email_opt_out": True}, "email_opt_out"),
    ],
)
def test_patch_refuses_a_bad_preference(api, member, body, field):
    response = api.patch("/api/v1/members/M-1", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()
    member.refresh_from_db()
    assert member.email_opt_out is False


def test_enrol_with_email_off_is_not_welcomed(api, program, mailoutbox, django_capture_on_commit_callbacks):
    NotificationSettings.objects.create(program=program, welcome=True)
    with django_capture_on_commit_callbacks(execute=True):
        off = api.post(
            "/api/v1/members", {"member_id": "M-8", "email": "m8@example.com", "notifications": {"email": False}}
        )
        on = api.post("/api/v1/members", {"member_id": "M-9", "email": "m9@example.com", "language": "it"})
    assert off.status_code == 201 and off.json()["notifications"] == {"email": False}
    assert on.status_code == 201 and on.json()["notifications"] == {"email": True}
    assert [(m.to, m.subject) for m in mailoutbox] == [(["m9@example.com"], "Ti diamo il benvenuto in Demo Rewards")]


def test_the_export_holds_the_preference_and_the_emails(api, program, mailoutbox):
    member = MemberFactory(program=program, member_id="M-1")
    NotificationSettings.objects.create(program=program, welcome=True)
    from rewards.notifications import services

    services.notification_send(notification_id=services.notify_welcome(member=member).pk)
    doc = api.get("/api/v1/members/M-1/export").json()
    assert doc["member"]["notifications"] == {"email": True}
    assert doc["notifications"]["preferences"] == {"email": True}
    (sent,) = doc["notifications"]["emails"]
    assert (sent["kind"], sent["redemption"], sent["month"]) == ("welcome", None, None)
    assert (sent["status"], sent["language"]) == ("sent", "en")
    assert sent["sent_at"] is not None


def test_erasure_turns_email_off(api, program, member):
    Notification.objects.create(program=program, member=member, kind="points_expiring", subject="2026-11", key="k1")
    assert api.delete("/api/v1/members/M-1").status_code == 204
    member.refresh_from_db()
    assert member.email_opt_out is True and member.email == ""
    assert Notification.objects.get().status == "skipped"

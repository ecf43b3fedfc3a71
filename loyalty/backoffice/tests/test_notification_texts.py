"""The e-mail texts in the admin: written per program, kind and language with the placeholders checked, a preview
of every e-mail, the kinds a program sends, the log; and the opt-out on the member page."""

import pytest
from django.test import Client

from loyalty.backoffice.tests.helpers import admin_url, staff_user
from members.models import Member
from rewards.models import Notification, NotificationSettings, NotificationText
from rewards.notifications.texts import LANGUAGES
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
KINDS = ("voucher_issued", "redemption_shipped", "redemption_delivered", "points_expiring", "welcome")


@pytest.fixture
def web(client, program):
    client.force_login(staff_user("manager", program))
    return client


def preview(web, program, kind, language):
    url = admin_url(NotificationText, "preview")
    return web.get(url, {"program": program.pk, "kind": kind, "language": language})


@pytest.mark.parametrize("kind", KINDS)
def test_the_preview_shows_every_email_in_every_language(web, program, kind):
    for language in LANGUAGES:
        page = preview(web, program, kind, language)
        assert page.status_code == 200, (kind, language)
        html = page.content.decode()
        assert 'data-part="subject"' in html and 'data-part="text"' in html and "the shipped default text" in html
        framed = web.get(
            admin_url(NotificationText, "preview_html"), {"program": program.pk, "kind": kind, "language": language}
        )
        assert framed.status_code == 200
        assert f'<html lang="{language}">' in framed.content.decode()
        assert framed["X-Frame-Options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in framed["Content-Security-Policy"]


def test_the_list_links_to_the_preview_of_the_users_programs(web, program, other_program):
    page = web.get(admin_url(NotificationText, "changelist")).content.decode()
    assert f"Preview the e-mails of {program.code}" in page
    assert other_program.code not in page


def test_the_preview_of_a_program_or_language_out_of_reach_is_404(web, program, other_program):
    assert preview(web, other_program, "welcome", "en").status_code == 404
    assert preview(web, program, "welcome", "de").status_code == 404
    assert preview(web, program, "nonsense", "en").status_code == 404
    assert preview(web, program, "welcome", "en").status_code == 200


def test_customising_starts_from_the_default_and_the_preview_then_shows_the_programs_text(web, program):
    add = admin_url(NotificationText, "add")
    page = web.get(add, {"program": program.pk, "kind": "welcome", "language": "fr"})
    assert "Bienvenue chez {program}" in page.content.decode()
    response = web.post(
        add,
        {
            "program": program.pk,
            "kind": "welcome",
            "language": "fr",
            "subject": "Bienvenue {first_name} !",
            "text_body": "{greeting}\n\nRavis de vous voir chez {program}.",
            "html_body": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    html = preview(web, program, "welcome", "fr").content.decode()
    assert "Bienvenue Anna !" in html and "Ravis de vous voir chez Demo Rewards." in html
    assert "the program&#x27;s own text" in html or "the program's own text" in html


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("subject", "Hello {frist_name}", "unknown placeholder {frist_name}"),
        ("text_body", "Your code: {code}", "unknown placeholder {code}"),
        ("html_body", "<p>{points}</p>", "unknown placeholder {points}"),
        ("subject", "Welcome\nto us", "must be one line"),
    ],
)
def test_unknown_placeholders_and_a_subject_on_two_lines_are_refused(web, program, field, value, words):
    data = {
        "program": program.pk,
        "kind": "welcome",
        "language": "en",
        "subject": "Welcome",
        "text_body": "{greeting}",
        "html_body": "",
        field: value,
    }
    response = web.post(admin_url(NotificationText, "add"), data)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not NotificationText.objects.exists()


def test_a_language_the_program_lacks_is_refused(web, program):
    program.languages = ["en", "fr"]
    program.save()
    data = {"program": program.pk, "kind": "welcome", "language": "it", "subject": "Benvenuto", "text_body": "x"}
    response = web.post(admin_url(NotificationText, "add"), data)
    assert response.status_code == 200 and "must be one of the program" in response.content.decode()


def test_the_welcome_is_switched_on_in_the_settings(web, program):
    response = web.post(
        admin_url(NotificationSettings, "add"),
        {
            "program": program.pk,
            "voucher_issued": "on",
            "redemption_shipped": "on",
            "redemption_delivered": "on",
            "points_expiring": "on",
            "welcome": "on",
        },
    )
    assert response.status_code == 302
    assert NotificationSettings.objects.get(program=program).welcome is True


def test_the_log_lists_the_programs_emails_read_only(web, program, other_program):
    mine = MemberFactory(program=program, member_id="MINE")
    theirs = MemberFactory(program=other_program, member_id="THEIRS")
    Notification.objects.create(program=program, member=mine, kind="welcome", subject="enrolment", key="k1")
    other = Notification.objects.create(
        program=other_program, member=theirs, kind="welcome", subject="enrolment", key="k2"
    )
    listing = web.get(admin_url(Notification, "changelist"))
    assert listing.status_code == 200
    assert "MINE" in listing.content.decode() and "THEIRS" not in listing.content.decode()
    assert web.get(admin_url(Notification, "change", other.pk)).status_code == 404
    assert web.get(admin_url(Notification, "add")).status_code == 403


def test_the_member_page_shows_and_changes_the_opt_out(web, program):
    member = MemberFactory(program=program, member_id="ANN-1", email="ann@example.com")
    url = admin_url(Member, "change", member.pk)
    page = web.get(url)
    assert 'name="email_opt_out"' in page.content.decode()
    form = {
        "email": "ann@example.com",
        "first_name": member.first_name,
        "last_name": member.last_name,
        "language": "en",
        "birth_date": "",
        "email_opt_out": "on",
        "status": "active",
    }
    response = web.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.email_opt_out is True
    form.pop("email_opt_out")
    web.post(url, form)
    member.refresh_from_db()
    assert member.email_opt_out is False


def test_a_superuser_sees_it_all(program):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    assert preview(client, program, "voucher_issued", "it").status_code == 200

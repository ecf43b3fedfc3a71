"""Program as code: the program's e-mails (`notifications`: which kinds it sends, its own texts) in the file."""

import copy
import io
import json

import pytest
from django.core.management import call_command

from loyalty.programfile.exporter import program_export
from loyalty.programfile.importer import program_import, program_import_report
from loyalty.programfile.tests.test_program_file import full_document, refused, table_counts
from programs.models import Program
from rewards.models import NotificationSettings, NotificationText
from rewards.notifications.render import TextBook
from rewards.notifications.services import kind_enabled

pytestmark = pytest.mark.django_db

DEFAULT_SEND = {
    "voucher_issued": True,
    "redemption_shipped": True,
    "redemption_delivered": True,
    "points_expiring": True,
    "welcome": False,
}


def texts(program: Program) -> dict[tuple[str, str], tuple[str, str, str]]:
    rows = NotificationText.objects.filter(program=program)
    return {(t.kind, t.language): (t.subject, t.text_body, t.html_body) for t in rows}


def without_notifications(code: str = "ACME") -> dict:
    data = full_document(code)
    del data["notifications"]
    return data


def test_the_file_sets_which_emails_are_sent_and_their_wording():
    program = program_import(data=full_document())

    assert not kind_enabled(program.pk, "redemption_shipped")
    assert kind_enabled(program.pk, "welcome") and kind_enabled(program.pk, "voucher_issued")
    assert texts(program) == {
        ("voucher_issued", "en"): (
            "Your {gift} voucher",
            "{greeting}\n\nYour code:\n\n{code}",
            "<p>{greeting}</p><p>Your code: <strong>{code}</strong></p>",
        ),
        ("voucher_issued", "fr"): ("Votre bon pour {gift}", "{greeting}\n\nVotre code :\n\n{code}", ""),
        ("welcome", "en"): ("Welcome to {program}", "{greeting}\n\nWelcome to {program}.", ""),
    }
    # What a member gets: the program's wording where it has one, the shipped default elsewhere.
    book = TextBook(program)
    assert book.text("welcome", "en")[1][0] == "Welcome to {program}"
    assert book.text("welcome", "fr")[1][0] != "Welcome to {program}"


def test_export_import_export_through_the_commands_is_identical(tmp_path):
    program_import(data=full_document())
    out = io.StringIO()
    call_command("export_program", "ACME", stdout=out)
    first = json.loads(out.getvalue())
    assert first["notifications"] == full_document()["notifications"]  # kinds in their order, then languages

    path = tmp_path / "copy.json"
    path.write_text(json.dumps({**first, "code": "COPY"}), encoding="utf-8")
    summary = io.StringIO()
    call_command("import_program", str(path), stdout=summary)
    again = io.StringIO()
    call_command("export_program", "COPY", stdout=again)

    assert again.getvalue() == out.getvalue().replace('"code": "ACME"', '"code": "COPY"', 1)
    assert "notification_settings: 1 created, 0 updated, 0 unchanged" in summary.getvalue()
    assert "notification_texts: 3 created, 0 updated, 0 unchanged" in summary.getvalue()


def test_texts_are_exported_in_the_programs_language_order():
    data = full_document()
    data["languages"] = ["fr", "en"]
    data["notifications"]["texts"].append(
        {"kind": "points_expiring", "language": "fr", "subject": "{points} points", "text_body": "{date}"}
    )
    program = program_import(data=data)

    exported = program_export(program=program)["notifications"]["texts"]

    assert [(t["kind"], t["language"]) for t in exported] == [
        ("voucher_issued", "fr"),
        ("voucher_issued", "en"),
        ("points_expiring", "fr"),
        ("welcome", "en"),
    ]
    assert exported[2]["html_body"] == ""  # omitted: the model's default, written explicitly


def test_a_reimport_updates_adds_keeps_what_the_file_omits_and_is_idempotent():
    program = program_import(data=full_document())
    # Edited in the admin since: a text the file does not carry.
    NotificationText.objects.create(
        program=program, kind="redemption_delivered", language="fr", subject="Livré", text_body="{gift}"
    )
    stamps = dict(NotificationText.objects.values_list("language", "updated_at").filter(kind="welcome"))
    data = {
        "code": "ACME",
        "notifications": {
            "send": {"welcome": False},  # the other kinds keep their stored values
            "texts": [
                {"kind": "voucher_issued", "language": "fr", "subject": "Votre bon {gift} est prêt"},
                {"kind": "welcome", "language": "en", "subject": "Welcome to {program}"},  # as stored
                {"kind": "welcome", "language": "fr", "subject": "Bienvenue", "text_body": "{greeting}"},
            ],
        },
    }

    result = program_import_report(data=data)

    settings = NotificationSettings.objects.get(program=program)
    assert {kind: settings.sends(kind) for kind in DEFAULT_SEND} == DEFAULT_SEND | {"redemption_shipped": False}
    stored = texts(program)
    assert stored[("voucher_issued", "fr")] == ("Votre bon {gift} est prêt", "{greeting}\n\nVotre code :\n\n{code}", "")
    assert stored[("welcome", "fr")] == ("Bienvenue", "{greeting}", "")
    assert stored[("redemption_delivered", "fr")] == ("Livré", "{gift}", "")  # omitted: kept
    assert ("voucher_issued", "en") in stored  # omitted: kept
    assert NotificationText.objects.get(kind="welcome", language="en").updated_at == stamps["en"]
    assert result.counts["notification_settings"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert result.counts["notification_texts"] == {"created": 1, "updated": 1, "unchanged": 1}

    exported = program_export(program=program)
    again = program_import_report(data=data)
    assert again.counts["notification_settings"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again.counts["notification_texts"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert program_export(program=program) == exported


def test_an_old_file_without_the_section_leaves_the_programs_emails_alone():
    program = program_import(data=without_notifications())

    # Nothing stored: the program sends what a program without settings sends (every kind but the welcome).
    assert not NotificationSettings.objects.filter(program=program).exists()
    assert not NotificationText.objects.filter(program=program).exists()
    assert program_export(program=program)["notifications"] == {"send": DEFAULT_SEND, "texts": []}
    assert [kind for kind in DEFAULT_SEND if kind_enabled(program.pk, kind)] == [
        "voucher_issued",
        "redemption_shipped",
        "redemption_delivered",
        "points_expiring",
    ]

    # Set in the admin (or by a newer file), then an old file is applied again: kept as they are.
    program_import(data=full_document())
    before = program_export(program=program)["notifications"]
    result = program_import_report(data=without_notifications())
    assert program_export(program=program)["notifications"] == before
    assert (
        result.counts["notification_settings"]
        == result.counts["notification_texts"]
        == {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
        }
    )


def test_texts_alone_leave_the_settings_as_they_are():
    program = program_import(data=without_notifications())

    program_import(data={"code": "ACME", "notifications": {"texts": full_document()["notifications"]["texts"]}})

    assert not NotificationSettings.objects.filter(program=program).exists()
    assert len(texts(program)) == 3


def test_a_text_may_use_a_language_the_same_file_adds():
    program_import(data=full_document())
    text = {"kind": "welcome", "language": "nl", "subject": "Welkom", "text_body": "{greeting}"}

    assert refused({"code": "ACME", "notifications": {"texts": [text]}}) == [
        "notifications.texts[0].language: must be one of the program's languages (en, fr)"
    ]
    program = program_import(data={"code": "ACME", "languages": ["en", "fr", "nl"], "notifications": {"texts": [text]}})
    assert texts(program)[("welcome", "nl")] == ("Welkom", "{greeting}", "")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda n: n.update(colour="red"), "notifications.colour: unknown key"),
        (lambda n: n["send"].update(sms=True), "notifications.send.sms: unknown key"),
        (lambda n: n["send"].update(welcome="yes"), "notifications.send.welcome: must be true or false"),
        (lambda n: n.update(send=[]), "notifications.send: must be a JSON object"),
        (lambda n: n.update(texts={}), "notifications.texts: must be a JSON list"),
        (lambda n: n["texts"].append("welcome"), "notifications.texts[3]: must be a JSON object"),
        (lambda n: n["texts"][1].update(footer="x"), "notifications.texts[1].footer: unknown key"),
        (
            lambda n: n["texts"][0].update(kind="birthday"),
            "notifications.texts[0].kind: must be one of voucher_issued, redemption_shipped, redemption_delivered, "
            "points_expiring, welcome",
        ),
        (
            lambda n: n["texts"][1].update(language="de"),
            "notifications.texts[1].language: must be one of the program's languages (en, fr)",
        ),
        (
            lambda n: n["texts"][2].update(subject="x" * 201),
            "notifications.texts[2].subject: must be a non-empty string of at most 200 characters",
        ),
        (
            lambda n: n["texts"][2].update(subject="   "),
            "notifications.texts[2].subject: must be a non-empty string of at most 200 characters",
        ),
        (lambda n: n["texts"][2].update(subject="Welcome\nto us"), "notifications.texts[2].subject: must be one line"),
        (lambda n: n["texts"][0].update(text_body=""), "notifications.texts[0].text_body: must be a non-empty string"),
        (
            lambda n: n["texts"][0].update(html_body=None),
            'notifications.texts[0].html_body: must be a string ("": made from text_body)',
        ),
        (
            lambda n: n["texts"][2].update(html_body="<p>{code}</p>"),
            "notifications.texts[2].html_body: unknown placeholder {code}: this e-mail knows {greeting}, "
            "{first_name}, {program}",
        ),
        (
            lambda n: n["texts"][0].update(subject="{frist_name}, your {gift}"),
            "notifications.texts[0].subject: unknown placeholder {frist_name}: this e-mail knows {greeting}, "
            "{first_name}, {program}, {gift}, {code}, {value}, {date}",
        ),
        (
            lambda n: n["texts"].append({"kind": "welcome", "language": "en", "subject": "Hi", "text_body": "Hi"}),
            "notifications.texts[3]: duplicate of notifications.texts[2] (the same kind and language)",
        ),
        (lambda n: n["texts"].append({"language": "en"}), "notifications.texts[3].kind: required"),
        (
            lambda n: n["texts"].append({"kind": "welcome", "language": "fr", "subject": "Salut"}),
            "notifications.texts[3].text_body: required",
        ),
    ],
)
def test_bad_notifications_are_refused_with_their_path_and_change_nothing(change, error):
    program_import(data=full_document())
    before, exported = table_counts(), program_export(program=Program.objects.get(code="ACME"))
    data = full_document()
    data["name"] = "Renamed"  # valid changes elsewhere are not written either
    data["notifications"]["send"]["voucher_issued"] = False
    data["notifications"]["texts"][1]["subject"] = "Changé"
    change(data["notifications"])

    assert refused(data) == [error]
    assert table_counts() == before
    assert program_export(program=Program.objects.get(code="ACME")) == exported


def test_a_bad_section_is_refused_for_a_new_program_too():
    data = copy.deepcopy(full_document())
    data["notifications"] = None

    assert refused(data) == ["notifications: must be a JSON object"]
    assert Program.objects.count() == 0

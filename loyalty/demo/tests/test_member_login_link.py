"""`manage.py member_login_link PROGRAM MEMBER_ID`: a fresh one-time webshop link, or a clear refusal."""

import io
import logging
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.test import Client, override_settings

from members.identification import COOKIE_NAME
from members.models import Member
from members.services import member_set_status
from rewards.services.erasure import member_erase
from rewards.services.merge import member_merge
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def login_link(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("member_login_link", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_link_opens_the_shop_once(program):
    member = MemberFactory(program=program, member_id="DEMO-0042", first_name="Lotte")

    link, note = login_link("DEMO", "DEMO-0042", "--base-url", "https://loyalty.example.com/")

    assert link.startswith("https://loyalty.example.com/shop/login/")
    assert "\n" not in link  # only the link on stdout, so `$(manage.py member_login_link ...)` works
    assert "DEMO-0042" in note and "10 minutes" in note
    browser = Client()
    opened = browser.get(urlsplit(link).path)
    assert opened.status_code == 302 and opened["Location"] == "/shop/"
    assert opened.cookies[COOKIE_NAME].value
    home = browser.get("/shop/")
    assert home.status_code == 200 and "Lotte" in home.content.decode()
    assert Client().get(urlsplit(link).path).status_code == 403  # a second use is refused
    member.refresh_from_db()
    assert member.status == Member.ACTIVE


def test_each_run_prints_a_new_link_on_the_site_url_by_default(program):
    MemberFactory(program=program, member_id="DEMO-0042")

    with override_settings(SITE_URL="https://shop.example.com"):
        first, _ = login_link("DEMO", "DEMO-0042")
        second, _ = login_link("DEMO", "DEMO-0042")

    assert first.startswith("https://shop.example.com/shop/login/") and first != second
    assert Client().get(urlsplit(first).path).status_code == 302  # the older link still works once
    assert Client().get(urlsplit(second).path).status_code == 302


@pytest.mark.parametrize(
    ("program_code", "member_id", "message"),
    [
        ("NOPE", "DEMO-0042", "No program with code 'NOPE'."),
        ("DEMO", "DEMO-9999", "No member 'DEMO-9999' in program DEMO."),
    ],
)
def test_unknown_program_or_member_is_refused(program, program_code, member_id, message):
    MemberFactory(program=program, member_id="DEMO-0042")

    with pytest.raises(CommandError, match=message):
        login_link(program_code, member_id)


def test_a_blocked_member_gets_no_link(program):
    member = MemberFactory(program=program, member_id="DEMO-0042")
    member_set_status(member=member, status=Member.BLOCKED)

    with pytest.raises(CommandError, match="DEMO-0042 is blocked"):
        login_link("DEMO", "DEMO-0042")


def test_a_merged_member_gets_no_link_and_is_told_where_to_look(program):
    source = MemberFactory(program=program, member_id="DEMO-0042")
    target = MemberFactory(program=program, member_id="DEMO-0043")
    member_merge(program=program, target=target, source=source, reference="MERGE-1")

    with pytest.raises(CommandError, match="merged into DEMO-0043"):
        login_link("DEMO", "DEMO-0042")
    assert login_link("DEMO", "DEMO-0043")[0].startswith("http://")


def test_an_erased_member_gets_no_link(program):
    member = MemberFactory(program=program, member_id="DEMO-0042")
    member_erase(member=member, actor="test")
    member.refresh_from_db()

    with pytest.raises(CommandError, match="No member 'DEMO-0042'"):  # the partner's id is gone
        login_link("DEMO", "DEMO-0042")
    with pytest.raises(CommandError, match="was erased"):  # and its pseudonym opens nothing either
        login_link("DEMO", member.member_id)


@pytest.fixture
def logging_kept():
    """The loggers as they were, after the test: `ManagementUtility.execute()` runs `django.setup()`, which configures
    logging again, with a console handler on this test's captured stderr; pytest closes that after the test, and every
    later record of the process would fail to print ("--- Logging error ---", ValueError: I/O operation on closed
    file)."""
    loggers = [logging.getLogger()]
    loggers += [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate, logger.disabled) for logger in loggers]
    yield
    for logger, handlers, level, propagate, disabled in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


def test_manage_py_exits_non_zero_with_the_reason_on_stderr(program, capsys, logging_kept):
    utility = ManagementUtility(["manage.py", "member_login_link", "DEMO", "DEMO-9999"])

    with pytest.raises(SystemExit) as exit_info:
        utility.execute()

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "No member 'DEMO-9999' in program DEMO." in captured.err and captured.out == ""

"""The demo's program file is the program as `export_program` prints it."""

import io
import json

import pytest
from django.core.management import call_command

from loyalty.demo.loader import DEMO_FILE, demo_load
from loyalty.programfile.exporter import program_export
from programs.models import Program

pytestmark = pytest.mark.django_db


def test_the_demo_file_is_exactly_what_export_program_prints():
    """So the demo can be edited in the admin and saved back with `export_program DEMO > demo_program.json`.

    Compared before the members' history, whose gifts take stock."""
    demo_load()
    out = io.StringIO()

    call_command("export_program", "DEMO", stdout=out)

    assert out.getvalue() == DEMO_FILE.read_text(encoding="utf-8")
    assert program_export(program=Program.objects.get(code="DEMO")) == json.loads(out.getvalue())

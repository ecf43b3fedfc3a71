import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings


@pytest.fixture(scope="module", autouse=True)
def media_root(tmp_path_factory):
    """load_demo uploads the gift pictures: into the module's own directory, never the project's media/."""
    root = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=root):
        yield root


@pytest.fixture(scope="module")
def first_run(django_db_setup, django_db_blocker, media_root) -> str:
    """The output of a first `load_demo` on an empty database (8 s of history), run once per module: each test
    then runs in a savepoint on top of it and is rolled back, so every test starts from the same fresh demo."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)

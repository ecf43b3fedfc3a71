"""`manage.py check --deploy` with the production variables of the README says nothing it does not explain."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests import django_process as dp

README = Path(settings.BASE_DIR) / "README.md"
# Warnings that a deployment may keep on purpose, each explained in the README's production section: HSTS for
# subdomains and the preload list are decisions about the whole domain, not about this application.
OPTIONAL = {"security.W005", "security.W021"}


def warnings_of(env: dict[str, str]) -> list[str]:
    completed = dp.manage(["check", "--deploy", "--fail-level", "ERROR"], env)
    assert completed.returncode == 0, completed.stderr  # no error at all
    return sorted(set(re.findall(r"\(([A-Za-z0-9_]+\.[EWCI]\d+)\)", completed.stdout + completed.stderr)))


def production_section() -> str:
    text = README.read_text()
    start = text.index("## Production")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_production_section_lists_the_check_deploy_warnings_that_remain():
    section = production_section()
    assert "check --deploy" in section
    for warning in OPTIONAL:
        assert warning in section, warning


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"DATABASE_URL": "postgres://loyalty@db:5432/loyalty", "DJANGO_DB_POOL": "true"},
        {"DJANGO_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "media", "AWS_S3_CUSTOM_DOMAIN": "media.example.com"},
    ],
    ids=["local", "pool", "s3"],
)
def test_check_deploy_is_clean_with_the_production_variables(tmp_path, extra):
    found = warnings_of(dp.production_environment(tmp_path, **extra))
    section = production_section()
    unexplained = [warning for warning in found if warning not in section]
    assert unexplained == [], f"explain these in README's Production section or fix them: {unexplained}"


def test_without_the_domain_wide_hsts_choices_only_the_explained_warnings(tmp_path):
    env = dp.production_environment(
        tmp_path, DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false", DJANGO_SECURE_HSTS_PRELOAD="false"
    )
    assert set(warnings_of(env)) == OPTIONAL


def test_without_the_https_variables_check_deploy_says_so(tmp_path):
    """What the variables are for: left out, Django's own warnings come back."""
    env = dp.production_environment(tmp_path)
    for name in ("DJANGO_SECURE_HSTS_SECONDS", "DJANGO_SECURE_SSL_REDIRECT"):
        del env[name]
    assert {"security.W004", "security.W008"} <= set(warnings_of(env))

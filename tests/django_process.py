"""Settings as a deployment loads them: Python or manage.py in a fresh process, with the environment given.

The settings read the environment once, at import: what DJANGO_DEBUG=false, DJANGO_SECRET_KEY,
DJANGO_SECURE_* or DJANGO_STORAGE do can only be seen in a process started with them. The process inherits
none of the test run's DJANGO_*, DATABASE_URL, CELERY_*, REDIS_URL or AWS_* variables: only what is given.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.celery_worker import ROOT

# A key that is not the development default (the settings refuse that one with DEBUG off).
PRODUCTION_KEY = "a-test-deployment-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
RESULT = "RESULT:"
SCRUBBED = ("DJANGO_", "DATABASE_URL", "CELERY_", "REDIS_URL", "AWS_", "SENTRY_")


def clean_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED)}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "loyalty.settings",
            # A database of its own that nothing here opens (checks and these requests need none).
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(tmp_path / "staticfiles"),
            "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def production_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What the README's production section sets (behind a TLS proxy), plus `extra`."""
    production = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": PRODUCTION_KEY,
        "DJANGO_ALLOWED_HOSTS": "loyalty.example.com,testserver",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://loyalty.example.com",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "DJANGO_SECURE_HSTS_PRELOAD": "true",
    }
    return clean_environment(tmp_path, **{**production, **extra})


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], env)


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs `code` after django.setup(); it reports with `report(value)` (JSON), read back by `result()`."""
    prelude = (
        "import json, django\n"
        "django.setup()\n"
        f"def report(value):\n    print({RESULT!r} + json.dumps(value, default=str), flush=True)\n"
    )
    return run([sys.executable, "-c", prelude + code], env)


def result(completed: subprocess.CompletedProcess):
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])
    raise AssertionError(f"no result (exit {completed.returncode}):\n{completed.stdout}\n{completed.stderr}")


def get(paths: list[str], env: dict[str, str], **headers: str) -> dict[str, dict]:
    """GET each path through the whole middleware stack in a process with `env`: status, headers, cookies (as
    Set-Cookie would write them), body."""
    code = (
        "from django.test import Client\n"
        "client = Client()\n"
        "answers = {}\n"
        f"for path in {paths!r}:\n"
        f"    response = client.get(path, **{headers!r})\n"
        "    body = b''.join(response.streaming_content) if response.streaming else response.content\n"
        "    answers[path] = {'status': response.status_code, 'headers': dict(response.headers),\n"
        "                     'cookies': {k: m.OutputString() for k, m in response.cookies.items()},\n"
        "                     'body': body.decode('latin-1')}\n"
        "report(answers)\n"
    )
    completed = python(code, env)
    return result(completed)

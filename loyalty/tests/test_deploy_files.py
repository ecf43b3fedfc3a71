"""deploy/: the Dockerfile, compose.yaml, the build context's ignore file and the health probe.

Docker cannot build or run here (no daemon): these tests read the files and check that they hold together with
the code: services, commands, queues, healthchecks, and variables that the settings (or a library) really read and
that the README documents.
"""

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
README = (ROOT / "README.md").read_text()
# Read by a library rather than by the project's code.
READ_BY_LIBRARIES = {
    "DATABASE_URL": "dj-database-url",
    "AWS_ACCESS_KEY_ID": "boto3 / django-storages",
    "AWS_SECRET_ACCESS_KEY": "boto3 / django-storages",
    "WEB_CONCURRENCY": "gunicorn",
}
APP_SERVICES = {
    "migrate",
    "web",
    "worker-vouchers",
    "worker-events",
    "worker-webhooks",
    "worker-notifications",
    "worker-maintenance",
    "beat",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def project_sources() -> str:
    files = [ROOT / "gunicorn.conf.py", ROOT / "manage.py"]
    for package in ("loyalty", "programs", "members", "catalog", "rewards"):
        files += [p for p in (ROOT / package).rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]
    return "\n".join(p.read_text() for p in files)


def option(command: list[str], flag: str) -> str:
    """The value of `-Q x` / `-n x` / `--flag=x` in a command."""
    for index, part in enumerate(command):
        if part == flag:
            return command[index + 1]
        if part.startswith(flag + "="):
            return part.split("=", 1)[1]
    raise AssertionError(f"{flag} not in {command}")


# ---- compose.yaml -----------------------------------------------------------------------------------------------


def test_the_services(compose):
    assert set(compose["services"]) == APP_SERVICES | {"postgres", "redis"}
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == (
            DEPLOY / "Dockerfile"
        ).resolve()
        assert service["image"] == compose["services"]["web"]["image"], "one image for every app service"


def test_migrate_runs_once_before_the_rest(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES - {"migrate"}:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_the_web_service(compose):
    web = compose["services"]["web"]
    assert web["command"][:2] == ["gunicorn", "loyalty.wsgi"]
    assert "--bind=0.0.0.0:8000" in web["command"]
    assert (ROOT / "gunicorn.conf.py").exists()  # gunicorn reads it from its working directory, /app
    assert web["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py", "/healthz"]
    assert "media:/app/media" in web["volumes"]


def test_a_worker_per_queue_covers_every_queue(compose):
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    consumed = {}
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if command[:4] != ["celery", "-A", "loyalty", "worker"]:
            continue
        queues = option(command, "-Q").split(",")
        node = option(command, "-n")
        for queue in queues:
            assert queue in declared, (name, queue)
            consumed[queue] = name
        # The healthcheck pings this worker by its node name.
        assert f"-d {node.replace('%h', '$${HOSTNAME}')}" in service["healthcheck"]["test"][1], name
        assert service["environment"]["DJANGO_DB_POOL"] == "false", name
        assert service["stop_grace_period"], name
    assert set(consumed) == declared
    assert len(set(consumed.values())) == len(declared)  # one queue each: none starves another


def test_one_beat(compose):
    beats = [name for name, s in compose["services"].items() if (s.get("command") or [])[3:4] == ["beat"]]
    assert beats == ["beat"]
    beat = compose["services"]["beat"]
    assert "--enable-remote-control" in beat["command"]
    assert "celerybeat@$${HOSTNAME}" in beat["healthcheck"]["test"][1]
    assert beat.get("deploy", {}).get("replicas", 1) == 1


def test_healthchecks(compose):
    services = compose["services"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in APP_SERVICES - {"migrate"}:
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_the_environment_is_the_readmes(compose):
    environment = compose["x-environment"]
    sources = project_sources()
    for variable in environment:
        assert f"`{variable}`" in README, f"{variable} is not documented in the README"
        if variable in READ_BY_LIBRARIES:
            continue
        assert re.search(rf"[\"']{variable}[\"']", sources), f"{variable}: no code reads it"
    assert environment["DJANGO_DEBUG"] == "false"
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), "required, no default"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    # Every app service gets it, workers with their pool switched off.
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert set(env) == set(environment), name


def test_interpolations_have_defaults_or_are_required(compose):
    text = (DEPLOY / "compose.yaml").read_text()
    for name, rest in re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)(?:(:?[-?][^}]*))?\}", text):
        assert rest, f"${{{name}}} has neither a default (:-) nor a requirement (:?)"


def test_the_example_env_file_names_the_required_variables():
    example = (DEPLOY / "example.env").read_text()
    for name in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS"):
        assert re.search(rf"^{name}=", example, re.MULTILINE), name


# ---- Dockerfile -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> str:
    # One instruction per line: continuation lines joined.
    return re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())


def instructions(dockerfile: str, keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in dockerfile.splitlines() if line.startswith(keyword + " ")]


def test_multi_stage_from_python_slim(dockerfile):
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    stages = instructions(dockerfile, "FROM")
    assert stages == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]
    assert "COPY --from=build /opt/venv /opt/venv" in dockerfile


def test_runtime_requirements_into_a_venv(dockerfile):
    assert "python -m venv /opt/venv" in dockerfile
    assert "/opt/venv/bin/pip install -r /tmp/runtime.txt" in dockerfile
    marker = re.search(r"awk '/\^(# [^/]+)/", dockerfile).group(1)
    requirements = (ROOT / "requirements.txt").read_text()
    assert marker in requirements.splitlines()
    runtime = requirements.split(marker)[0]
    for package in (
        "Django==",
        "gunicorn==",
        "celery==",
        "psycopg[binary]==",
        "psycopg-pool==",
        "whitenoise==",
        "django-csp==",
        "django-storages[s3]==",
        "redis==",
    ):
        assert package in runtime, package
    for tool in ("pytest==", "playwright==", "mypy=="):
        assert tool not in runtime, tool


def test_collectstatic_at_build_time_with_a_dummy_key(dockerfile):
    [run] = [r for r in instructions(dockerfile, "RUN") if "collectstatic" in r]
    assert "DJANGO_SECRET_KEY=" in run and "manage.py collectstatic --noinput" in run
    assert "ENV DJANGO_SECRET_KEY" not in dockerfile  # no key in the image's environment
    assert "DJANGO_DEBUG=false" in dockerfile


def test_non_root_user_healthcheck_and_gunicorn(dockerfile):
    users = instructions(dockerfile, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    [healthcheck] = instructions(dockerfile, "HEALTHCHECK")
    assert '"/app/deploy/healthcheck.py", "/healthz"' in healthcheck
    [cmd] = instructions(dockerfile, "CMD")
    assert cmd.startswith('["gunicorn", "loyalty.wsgi"')
    assert (ROOT / "loyalty" / "ops" / "health.py").exists()


def test_the_build_context_leaves_out_what_the_image_does_not_run():
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, p.rstrip("/")) or path.startswith(p.rstrip("/") + "/") or fnmatch.fnmatch(path, p)
            for p in patterns
        )

    for path in (".venv", ".git", "media", "staticfiles", "db.sqlite3", "artifacts", ".env"):
        assert ignored(path), path
    for path in (
        "manage.py",
        "requirements.txt",
        "gunicorn.conf.py",
        "loyalty",
        "templates",
        "locale",
        "deploy/healthcheck.py",
        "deploy/Dockerfile",
    ):
        assert not ignored(path), path
        assert (ROOT / path).exists(), path


# ---- the health probe -------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_probe_script_against_gunicorn(live_server_gunicorn):
    port = live_server_gunicorn.port
    env = {"PORT": str(port), "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "PATH": "/usr/bin:/bin"}
    probe = [sys.executable, str(DEPLOY / "healthcheck.py")]
    assert subprocess.run([*probe, "/healthz"], env=env, timeout=30).returncode == 0
    assert subprocess.run([*probe, "/no-such-page"], env=env, timeout=30, capture_output=True).returncode == 1
    closed = {**env, "PORT": "1"}
    assert subprocess.run([*probe, "/healthz"], env=closed, timeout=30, capture_output=True).returncode == 1


# ---- gunicorn.conf.py ---------------------------------------------------------------------------------------------


def test_a_worker_loads_every_view_then_freezes_the_garbage_collector():
    """What `post_worker_init` does in a fresh interpreter: the views are imported and the objects loaded so far are
    out of the collector's generations (a full collection no longer scans them)."""
    script = (
        "import gc, runpy, sys, django\n"
        "django.setup()\n"
        "assert 'loyalty.api.urls' not in sys.modules\n"
        "runpy.run_path('gunicorn.conf.py')['post_worker_init'](None)\n"
        "print(gc.get_freeze_count(), 'loyalty.api.urls' in sys.modules, len(gc.get_objects()))\n"
    )
    env = {"DJANGO_SETTINGS_MODULE": "loyalty.settings", "PATH": "/usr/bin:/bin", "DJANGO_LOG_LEVEL": "WARNING"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    frozen, views_loaded, still_tracked = int(out[0]), out[1], int(out[2])
    assert views_loaded == "True"
    assert frozen > 50_000  # Django, DRF and the app
    assert still_tracked < 1_000


@pytest.mark.postgres
def test_gthread_workers_close_each_connection_so_that_they_share_the_load(transactional_db, tmp_path):
    """keepalive = 0: a gthread worker (threads > 1, as deployed) would otherwise keep serving every request of a
    kept-alive connection it accepted. (Sync workers always close.)"""
    import http.client

    from tests.live_server import LiveServer

    server = LiveServer(tmp_path / "gunicorn.log", workers=1, threads=2)
    server.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", "/healthz", headers={"Connection": "keep-alive"})
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200
        assert answer.getheader("Connection") == "close"
    finally:
        server.stop()
    assert "Using worker: gthread" in server.log_path.read_text()

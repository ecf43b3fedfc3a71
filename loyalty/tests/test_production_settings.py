"""Production settings, loaded as a deployment loads them: in a process started with its environment."""

import sys

import pytest

from tests import django_process as dp

SETTINGS = "from django.conf import settings\nreport({name: getattr(settings, name) for name in %r})\n"


def settings_of(env: dict[str, str], *names: str) -> dict:
    return dp.result(dp.python(SETTINGS % (names,), env))


# ---- the secret key ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["manage.py", "check"],
        ["manage.py", "migrate", "--check"],
        ["-c", "import django; django.setup()"],
        ["-c", "import loyalty.wsgi"],  # what gunicorn loads
    ],
)
def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path, command):
    completed = dp.run([sys.executable, *command], dp.clean_environment(tmp_path, DJANGO_DEBUG="false"))
    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr
    assert "DJANGO_SECRET_KEY is not set and DJANGO_DEBUG is false" in completed.stderr


def test_a_blank_secret_key_counts_as_none(tmp_path):
    completed = dp.manage(["check"], dp.clean_environment(tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY="  "))
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in completed.stderr


def test_debug_off_with_the_development_key_refuses_to_start(tmp_path):
    from django.conf import settings

    env = dp.clean_environment(tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY=settings.INSECURE_SECRET_KEY)
    completed = dp.manage(["check"], env)
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY is the insecure development key" in completed.stderr


def test_a_worker_refuses_to_start_too(tmp_path):
    completed = dp.run(
        [sys.executable, "-m", "celery", "-A", "loyalty", "inspect", "ping"],
        dp.clean_environment(tmp_path, DJANGO_DEBUG="false"),
        timeout=60,
    )
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in completed.stdout + completed.stderr


def test_debug_on_keeps_the_development_default(tmp_path):
    values = settings_of(dp.clean_environment(tmp_path), "DEBUG", "SECRET_KEY", "INSECURE_SECRET_KEY")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"] == values["INSECURE_SECRET_KEY"]


def test_debug_off_with_a_key_of_its_own_starts(tmp_path):
    completed = dp.manage(["check"], dp.production_environment(tmp_path))
    assert completed.returncode == 0, completed.stderr


# ---- HTTPS and origins ------------------------------------------------------------------------------------------


def test_https_settings_come_from_the_environment(tmp_path):
    values = settings_of(
        dp.production_environment(tmp_path, DJANGO_CSRF_TRUSTED_ORIGINS="https://a.example.com, https://b.example.com"),
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "CSRF_TRUSTED_ORIGINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )
    assert values == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "CSRF_TRUSTED_ORIGINS": ["https://a.example.com", "https://b.example.com"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_https_settings_are_off_by_default(tmp_path):
    values = settings_of(
        dp.clean_environment(tmp_path),
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "CSRF_TRUSTED_ORIGINS",
    )
    assert values == {
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "CSRF_TRUSTED_ORIGINS": [],
    }


def test_a_number_that_is_not_one_is_refused_clearly(tmp_path):
    completed = dp.manage(["check"], dp.production_environment(tmp_path, DJANGO_SECURE_HSTS_SECONDS="one year"))
    assert completed.returncode != 0
    assert "DJANGO_SECURE_HSTS_SECONDS must be a whole number" in completed.stderr


# ---- database connections ---------------------------------------------------------------------------------------

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/loyalty"


def test_persistent_connections_by_default(tmp_path):
    values = settings_of(dp.clean_environment(tmp_path, DATABASE_URL=POSTGRES_URL), "DATABASES")
    default = values["DATABASES"]["default"]
    assert default["CONN_MAX_AGE"] == 60
    assert default["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in default.get("OPTIONS", {})


def test_the_pool_option(tmp_path):
    env = dp.clean_environment(
        tmp_path,
        DATABASE_URL=POSTGRES_URL,
        DJANGO_DB_POOL="true",
        DJANGO_DB_POOL_MIN_SIZE="2",
        DJANGO_DB_POOL_MAX_SIZE="8",
        DJANGO_DB_POOL_TIMEOUT="5",
    )
    default = settings_of(env, "DATABASES")["DATABASES"]["default"]
    assert default["CONN_MAX_AGE"] == 0  # Django's pool requires it
    assert default["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 5}


def test_the_pool_refuses_persistent_connections(tmp_path):
    env = dp.clean_environment(tmp_path, DATABASE_URL=POSTGRES_URL, DJANGO_DB_POOL="true", DJANGO_CONN_MAX_AGE="60")
    completed = dp.manage(["check"], env)
    assert completed.returncode != 0
    assert "DJANGO_DB_POOL=true needs DJANGO_CONN_MAX_AGE=0" in completed.stderr


def test_the_pool_needs_postgresql(tmp_path):
    completed = dp.manage(["check"], dp.clean_environment(tmp_path, DJANGO_DB_POOL="true"))
    assert completed.returncode != 0
    assert "DJANGO_DB_POOL=true needs PostgreSQL" in completed.stderr


@pytest.mark.postgres
def test_pooled_connections_serve_queries(tmp_path, transactional_db):
    """Through psycopg_pool against the real (test) database: threads share the process's pool."""
    from tests.celery_worker import database_url

    env = dp.clean_environment(
        tmp_path, DATABASE_URL=database_url(), DJANGO_DB_POOL="true", DJANGO_DB_POOL_MAX_SIZE="2"
    )
    code = (
        "import threading\n"
        "from django.db import connection, connections\n"
        "seen = []\n"
        "def query():\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SELECT pg_backend_pid()')\n"
        "        seen.append(cursor.fetchone()[0])\n"
        "    connections.close_all()  # gives the connection back to the pool\n"
        "threads = [threading.Thread(target=query) for _ in range(6)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "pool = connection.pool\n"
        "report({'pool': type(pool).__module__, 'queries': len(seen), 'backends': len(set(seen)),\n"
        "        'max_size': pool.max_size})\n"
        "connection.close_pool()\n"
    )
    values = dp.result(dp.python(code, env))
    assert values["pool"].startswith("psycopg_pool")
    assert values["queries"] == 6
    assert values["max_size"] == 2
    assert values["backends"] <= 2  # six threads, at most two connections


# ---- static and media storage -----------------------------------------------------------------------------------


def test_static_files_are_found_in_the_apps_until_collectstatic_has_run(tmp_path):
    env = dp.production_environment(tmp_path)
    paths = ["/static/shop/shop.css", "/static/backoffice/admin.css", "/static/admin/css/base.css"]
    for path, answer in dp.get(paths, env, HTTP_X_FORWARDED_PROTO="https").items():
        assert answer["status"] == 200, path
        assert answer["headers"]["Content-Type"].startswith("text/css"), path


def test_collected_static_files_are_served_compressed(tmp_path):
    env = dp.production_environment(tmp_path)
    collected = dp.manage(["collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "staticfiles" / "shop" / "shop.css.gz").exists()
    answers = dp.get(["/static/shop/shop.css"], env, HTTP_X_FORWARDED_PROTO="https", HTTP_ACCEPT_ENCODING="gzip")
    answer = answers["/static/shop/shop.css"]
    assert answer["status"] == 200
    assert answer["headers"].get("Content-Encoding") == "gzip"


def test_s3_storage_from_the_environment(tmp_path):
    env = dp.production_environment(
        tmp_path,
        DJANGO_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="loyalty-media",
        AWS_S3_ENDPOINT_URL="http://minio:9000",
        AWS_S3_REGION_NAME="eu-west-1",
        AWS_ACCESS_KEY_ID="test-access",
        AWS_SECRET_ACCESS_KEY="test-secret",
    )
    code = (
        "from django.conf import settings\n"
        "from django.core.files.storage import storages\n"
        "default_storage = storages['default']\n"
        "from django.urls import resolve, Resolver404\n"
        "try:\n"
        "    resolve('/media/gifts/1/mug.png'); mounted = True\n"
        "except Resolver404:\n"
        "    mounted = False\n"
        "report({'class': type(default_storage).__name__, 'bucket': default_storage.bucket_name,\n"
        "        'url': default_storage.url('gifts/1/mug.png'), 'mounted': mounted,\n"
        "        'img_src': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']})\n"
    )
    values = dp.result(dp.python(code, env))
    assert values["class"] == "S3Storage"
    assert values["bucket"] == "loyalty-media"
    assert values["url"].startswith("http://minio:9000/loyalty-media/media/gifts/1/mug.png")
    assert "Signature" not in values["url"]  # public catalog pictures: plain URLs
    assert values["mounted"] is False  # the bucket serves them, not /media/
    assert "http://minio:9000" in values["img_src"]


def test_s3_storage_needs_a_bucket(tmp_path):
    completed = dp.manage(["check"], dp.production_environment(tmp_path, DJANGO_STORAGE="s3"))
    assert completed.returncode != 0
    assert "DJANGO_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in completed.stderr


def test_an_unknown_storage_is_refused(tmp_path):
    completed = dp.manage(["check"], dp.production_environment(tmp_path, DJANGO_STORAGE="ftp"))
    assert completed.returncode != 0
    assert "DJANGO_STORAGE must be `local` or `s3`" in completed.stderr


def test_postgresql_urls_get_the_backend_with_the_quiet_health_check(tmp_path):
    """loyalty.core.postgresql: Django's backend whose health check sends no SELECT 1 on a quiet connection."""
    for env in (
        dp.clean_environment(tmp_path, DATABASE_URL=POSTGRES_URL),
        dp.clean_environment(tmp_path, DATABASE_URL=POSTGRES_URL, DJANGO_DB_POOL="true"),
    ):
        default = settings_of(env, "DATABASES")["DATABASES"]["default"]
        assert default["ENGINE"] == "loyalty.core.postgresql" and default["CONN_HEALTH_CHECKS"] is True
    sqlite = settings_of(dp.clean_environment(tmp_path), "DATABASES")["DATABASES"]["default"]
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"


def test_postgresql_prepares_its_statements_unless_told_not_to(tmp_path):
    default = settings_of(dp.clean_environment(tmp_path, DATABASE_URL=POSTGRES_URL), "DATABASES")["DATABASES"]
    assert default["default"]["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}
    off = dp.clean_environment(tmp_path, DATABASE_URL=POSTGRES_URL, DJANGO_DB_PREPARED="false")
    assert "server_side_binding" not in settings_of(off, "DATABASES")["DATABASES"]["default"].get("OPTIONS", {})
    sqlite = settings_of(dp.clean_environment(tmp_path), "DATABASES")["DATABASES"]["default"]["OPTIONS"]
    assert "prepare_threshold" not in sqlite

"""Settings: one module, configured only by environment variables with safe local defaults."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", True)
# The default key only serves local demos; any deployment sets DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me-0123456789")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "oauth2_provider",
    "loyalty.apps.LoyaltyConfig",
    "programs",
    "members",
    "catalog",
    "rewards",
    "loyalty.backoffice.apps.BackofficeConfig",
    "loyalty.shop.apps.ShopConfig",
    "loyalty.programfile.apps.ProgramFileConfig",
    "loyalty.demo.apps.DemoConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "loyalty.api.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "loyalty.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "loyalty.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASES["default"].setdefault("TEST", {})
if os.environ.get("DJANGO_TEST_DATABASE"):
    DATABASES["default"]["TEST"]["NAME"] = os.environ["DJANGO_TEST_DATABASE"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("nl", "Nederlands"),
    ("it", "Italiano"),
    ("de", "Deutsch"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Request bodies over 1 MiB are refused (413 in the envelope).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# The member webshop: how long an identification cookie lasts (Identification user API).
MEMBER_SESSION_SECONDS = int(os.environ.get("MEMBER_SESSION_SECONDS", "1800"))

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["loyalty.api.authentication.ProgramTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["loyalty.api.permissions.HasProgramScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "loyalty.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["loyalty.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": os.environ.get("API_RATE_LIMIT", "6000/min")},
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty platform — partner API",
    "DESCRIPTION": (
        "Partner API v1. Authenticate with OAuth 2.0 client credentials at `/oauth/token/`; "
        "every call sends `Authorization: Bearer <token>` and acts inside the token's program. "
        'Every error answers `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "RedemptionStatusEnum": ["exchanged", "in_preparation", "in_delivery", "delivered", "cancelled", "returned"],
        "EventStatusEnum": "rewards.models.EventStatus",
        "LockStatusEnum": "rewards.models.LockStatus",
        "MemberStatusEnum": ["active", "blocked"],
        "VoucherStatusEnum": ["pending", "issued", "used", "void", "expired"],
    },
}

API_SCOPES = {
    "program:read": "Read program details and languages",
    "members:read": "Read members",
    "members:write": "Enrol and update members, identify them",
    "points:read": "Evaluate baskets, read history and promotions",
    "points:write": "Earn, reverse, reward events, transfer, adjust",
    "redeem": "Redeem points, locks, vouchers",
    "segments:write": "Manage segments and promotion segments",
    "catalog:read": "Read the gift catalog",
}

OAUTH2_PROVIDER = {
    "SCOPES": API_SCOPES,
    "SCOPES_BACKEND_CLASS": "loyalty.api.oauth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "loyalty.api.oauth.ProgramOAuth2Validator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("OAUTH_TOKEN_EXPIRE_SECONDS", "3600")),
    # Client secrets are stored hashed; the admin and the command show them once.
    "PKCE_REQUIRED": False,
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "loyalty",
    }
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged task (worker killed) is delivered again after this many seconds.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# A request never waits long on a broker that is down: the outbox row is swept later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "clear-expired-tokens": {"task": "programs.tasks.clear_expired_tokens", "schedule": 3600.0},
    "sweep-pending-vouchers": {"task": "rewards.tasks.sweep_pending_vouchers", "schedule": 60.0},
    "sweep-events": {"task": "rewards.tasks.sweep_events", "schedule": 30.0},
    "activate-due-points": {"task": "rewards.tasks.activate_due_points", "schedule": 300.0},
    "release-expired-locks": {"task": "rewards.tasks.release_expired_locks", "schedule": 60.0},
    "expire-points": {"task": "rewards.tasks.expire_points", "schedule": 3600.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Named explicitly so that migrations can refer to django-oauth-toolkit's swappable models.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

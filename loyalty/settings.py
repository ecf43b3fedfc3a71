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
    "drf_spectacular_sidecar",
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
    "loyalty.middleware.RequestIdMiddleware",
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
    "DEFAULT_PARSER_CLASSES": ["loyalty.api.parsers.StrictJSONParser"],
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
        "every call sends `Authorization: Bearer <token>` and acts inside the token's program.\n\n"
        "- JSON in and out. Timestamps are ISO 8601 with an offset; money is a decimal string with two decimals "
        '(`"12.50"`) in the program\'s currency; points are integers. Request bodies are strict: an unknown key, at '
        "any depth, is a 400 naming it.\n"
        '- Every error answers `{"error": {"code", "message", "fields", "request_id"}}` (also 413, 415, 429, 500).\n'
        "- Every list is cursor-paginated: `?limit=` (1-200, default 50) and `?cursor=` (the previous page's "
        '`next`); the answer is `{"results": [...], "next": cursor or null}`.\n'
        "- Writes that move points or stock are idempotent by their `reference`: the same reference and body again "
        "answers 200 with the original answer and `Idempotent-Replayed: true`; another body is "
        "`409 idempotency_mismatch`.\n"
        "- Every answer carries `X-Request-Id`; every answer to an authenticated partner carries its request budget "
        "in `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a 429 carries `Retry-After`.\n"
        "- Catalog and program reads carry an `ETag`; a matching `If-None-Match` is answered 304.\n\n"
        "The examples are real answers of the server, recorded by its test suite."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Path ids are `<key:...>` (printable ASCII but '/') or `<id:...>` (a database id) converters.
    "PATH_CONVERTER_OVERRIDES": {
        "key": {"type": "string", "pattern": r"^[!-.0-~]+$"},
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 999_999_999_999_999_999},
    },
    # One component per closed set, named once, from the constants the serializers use.
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "loyalty.api.enums.MEMBER_STATUSES",
        "EarnStatusEnum": "loyalty.api.enums.EARN_STATUSES",
        "EventStatusEnum": "loyalty.api.enums.EVENT_STATUSES",
        "EventAcceptedStatusEnum": "loyalty.api.enums.EVENT_ACCEPTED_STATUSES",
        "LockStatusEnum": "loyalty.api.enums.LOCK_STATUSES",
        "RedemptionStatusEnum": "loyalty.api.enums.REDEMPTION_STATUSES",
        "VoucherStatusEnum": "loyalty.api.enums.VOUCHER_STATUSES",
        "GiftTypeEnum": "loyalty.api.enums.GIFT_TYPES",
        "PromotionKindEnum": "loyalty.api.enums.PROMOTION_KINDS",
        "HistoryTypeEnum": "loyalty.api.enums.HISTORY_TYPES",
        "HistoryStatusEnum": "loyalty.api.enums.HISTORY_STATUSES",
        "NotAppliedReasonEnum": "loyalty.api.enums.NOT_APPLIED_REASONS",
        "CountryEnum": "loyalty.api.redemption_serializers.COUNTRY_CODES",
    },
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "loyalty.api.schema.postprocess_schema",
    ],
    # Swagger UI and ReDoc come from drf-spectacular-sidecar, served by the app: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "displayOperationId": True, "validatorUrl": None},
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
    "formatters": {
        "plain": {
            "()": "loyalty.core.logging.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Named explicitly so that migrations can refer to django-oauth-toolkit's swappable models.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

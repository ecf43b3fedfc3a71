"""Settings: one module, configured only by environment variables with safe local defaults."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
# The default key only serves local work with DEBUG on: with DJANGO_DEBUG=false the settings refuse to load
# (web, worker, beat, manage.py alike) without a key of the deployment's own.
INSECURE_SECRET_KEY = "insecure-local-development-key-change-me-0123456789"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not DEBUG and not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set and DJANGO_DEBUG is false: set DJANGO_SECRET_KEY to a long random value "
        "of this deployment's own, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` (or DJANGO_DEBUG=true for local work)."
    )
if not DEBUG and SECRET_KEY == INSECURE_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is the insecure development key from the source code and DJANGO_DEBUG is false: "
        "set DJANGO_SECRET_KEY to a long random value of this deployment's own."
    )
SECRET_KEY = SECRET_KEY or INSECURE_SECRET_KEY
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    # The back office's theme: before django.contrib.admin so its templates win.
    "unfold",
    "unfold.contrib.filters",
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
    "csp",
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
    # Metrics and the request's log line, around everything else (loyalty/ops).
    "loyalty.ops.middleware.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Widens the policy for the admin theme only (its response passes here before CSPMiddleware sees it).
    "loyalty.backoffice.csp.BackofficeCSPMiddleware",
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

# Connections: persistent per thread (DJANGO_CONN_MAX_AGE seconds, 0 closes after each request), or, with
# DJANGO_DB_POOL=true on PostgreSQL, psycopg 3's pool shared by the threads of a process (min/max connections per
# process; a request waits up to the timeout for a free one). Django's pool requires CONN_MAX_AGE=0. Sizing
# against PostgreSQL's max_connections: README, "Production".
# A persistent connection is health-checked at its first statement of each request. On PostgreSQL the engine is
# loyalty.core.postgresql: Django's backend, whose check sends no `SELECT 1` while the connection is idle and its
# socket has nothing to read (a server that ends a connection says so on it): one round trip less per request,
# dead connections still replaced. Its vendor stays "postgresql".
DB_POOL = env_bool("DJANGO_DB_POOL", False)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0 if DB_POOL else 60),
        conn_health_checks=True,
    )
}
POSTGRESQL_ENGINE = "loyalty.core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # dj_database_url's, for postgres:// URLs
    DATABASES["default"]["ENGINE"] = POSTGRESQL_ENGINE
if DB_POOL:
    if DATABASES["default"]["ENGINE"] != POSTGRESQL_ENGINE:
        raise ImproperlyConfigured("DJANGO_DB_POOL=true needs PostgreSQL (a postgres:// DATABASE_URL).")
    if DATABASES["default"]["CONN_MAX_AGE"] != 0:
        raise ImproperlyConfigured(
            "DJANGO_DB_POOL=true needs DJANGO_CONN_MAX_AGE=0 (or unset): the pool keeps the connections open, "
            "Django's persistent connections cannot be combined with it."
        )
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DJANGO_DB_POOL_MIN_SIZE", 1),
        "max_size": env_int("DJANGO_DB_POOL_MAX_SIZE", 4),
        "timeout": env_int("DJANGO_DB_POOL_TIMEOUT", 10),
    }
# Server-side parameters, and psycopg prepares a statement on a connection once it has run it 5 times: PostgreSQL
# then stops planning the hot paths' statements on every request (an earn's statements: 4.0 -> 3.0 ms in process)
# and no large value (an earn's JSON) is quoted into the SQL text. Off behind a transaction-mode pooler (pgbouncer),
# which cannot keep a connection's prepared statements.
DB_PREPARED = env_bool("DJANGO_DB_PREPARED", True)
if DATABASES["default"]["ENGINE"] == POSTGRESQL_ENGINE and DB_PREPARED:
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
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

# Static files are served by the app (whitenoise), DEBUG on or off. `collectstatic` (README "Production"; the
# Dockerfile runs it at build time) copies them to STATIC_ROOT with compressed variants, and whitenoise serves that
# copy; until it has been run (STATIC_ROOT missing or empty), whitenoise finds the files in the apps instead, so a
# server started without the step still has its styles and scripts (uncompressed).
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = DEBUG or not (STATIC_ROOT.is_dir() and any(STATIC_ROOT.iterdir()))

# Uploaded files (gift pictures). DJANGO_STORAGE=local (the default): on the disk under MEDIA_ROOT, served at
# /media/ by the app itself, DEBUG on or off (loyalty/media.py: no directory listings, nothing outside
# MEDIA_ROOT, pictures inline and anything else as a download). DJANGO_STORAGE=s3: in an S3-compatible bucket
# (django-storages) that serves them at its own address; credentials come from the usual AWS_* variables.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_STORAGE = os.environ.get("DJANGO_STORAGE", "").strip().lower() or "local"
# Origins other than this site's that serve the uploaded files: the pages' Content Security Policy allows them.
MEDIA_ORIGINS: list[str] = []
if MEDIA_STORAGE == "local":
    _media_storage: dict = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    _bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not _bucket:
        raise ImproperlyConfigured("DJANGO_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (the bucket of the uploads).")
    _endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "").strip().rstrip("/")
    _custom_domain = os.environ.get("AWS_S3_CUSTOM_DOMAIN", "").strip()
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            # Empty: AWS itself. MinIO, Ceph, Scaleway, Cloudflare R2...: their endpoint, e.g. https://s3.example.com
            "endpoint_url": _endpoint or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME", "").strip() or None,
            # A CDN or public host name in front of the bucket, e.g. media.example.com.
            "custom_domain": _custom_domain or None,
            "location": os.environ.get("AWS_LOCATION", "media").strip("/"),
            # Pictures are public catalog content: plain URLs (a public-read bucket policy on `location`, or the
            # CDN) keep the API's ETags stable; set true for a private bucket (URLs signed for an hour).
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "default_acl": os.environ.get("AWS_DEFAULT_ACL", "").strip() or None,
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE", "").strip() or None,
            # Two uploads with one name both survive (the second gets a suffix), as on the local disk.
            "file_overwrite": False,
        },
    }
    if _custom_domain:
        MEDIA_ORIGINS = [f"https://{_custom_domain}"]
    elif _endpoint:
        _scheme, _, _host = _endpoint.partition("://")
        _host = _host.split("/")[0]
        MEDIA_ORIGINS = [f"{_scheme}://{_host}", f"{_scheme}://{_bucket}.{_host}"]
else:
    raise ImproperlyConfigured(f"DJANGO_STORAGE must be `local` or `s3`, not {MEDIA_STORAGE!r}.")
STORAGES = {
    "default": _media_storage,
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
# Where the site answers, for links made outside a request (`member_login_link`, `load_demo`); requests build
# theirs from their own host.
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000").strip().rstrip("/")

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# HTTPS in production (README "Production"). Behind a proxy or load balancer that ends TLS and sets
# X-Forwarded-Proto itself (overwriting what a client sent), DJANGO_SECURE_PROXY_SSL_HEADER=true lets Django
# believe it: request.is_secure(), the redirect below and HSTS then work.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# Probes and the metrics scraper call from inside the network over plain HTTP: never redirected.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)/?$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Origins whose pages may post forms here besides the request's own host, e.g. https://loyalty.example.com
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Content Security Policy (django-csp 4) on every answer: scripts and styles only from this site's own files, so
# no inline <script>, style attribute or on*= handler anywhere (the shop's, the admin's and the dashboard's
# pages are written so). Pictures may come from elsewhere over https: gifts may name external image URLs
# besides their uploads. The API docs pages widen it for Swagger UI and ReDoc (loyalty/api/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "https:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The back office (django-unfold), branded per deployment.
# Unfold's login form carries no "next" field: a login at /admin/login/ lands here (the only staff login).
LOGIN_REDIRECT_URL = "/admin/"
BACKOFFICE_TITLE = os.environ.get("BACKOFFICE_TITLE", "Loyalty back office")
UNFOLD = {
    "SITE_TITLE": BACKOFFICE_TITLE,
    "SITE_HEADER": BACKOFFICE_TITLE,
    # Staff of a single program read its name under the title.
    "SITE_SUBHEADER": "loyalty.backoffice.navigation.site_subheader",
    "SITE_SYMBOL": "loyalty",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # The index: figures to act on and the same links by job as the sidebar.
    "DASHBOARD_CALLBACK": "loyalty.backoffice.home.index_context",
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": "loyalty.backoffice.navigation.show_all_applications",
        # Navigation by job, each link shown only to users who may use it.
        "navigation": "loyalty.backoffice.navigation.sidebar",
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["loyalty.api.authentication.ProgramTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["loyalty.api.permissions.HasProgramScope"],
    "DEFAULT_RENDERER_CLASSES": ["loyalty.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["loyalty.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "loyalty.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["loyalty.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Per API client, across every process and host when REDIS_URL is set.
        "client": os.environ.get("API_RATE_LIMIT", "6000/min"),
        # Per caller address, for /api/v1 requests without a valid token (none, or a bad one); empty: no limit.
        "anon": os.environ.get("API_ANON_RATE_LIMIT", "300/min") or None,
    },
    "UNAUTHENTICATED_USER": None,
    # Reverse proxies in front of the app that append to X-Forwarded-For: the caller address of the
    # per-address limits (API and /oauth/) is the one the outermost of them saw. 0: REMOTE_ADDR.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
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
        "CountryEnum": "loyalty.api.addresses.COUNTRY_CODES",
        "WebhookEventTypeEnum": "loyalty.api.enums.WEBHOOK_EVENT_TYPES",
        "WebhookStatusEnum": "loyalty.api.enums.WEBHOOK_STATUSES",
        "WebhookDeliveryStatusEnum": "loyalty.api.enums.WEBHOOK_DELIVERY_STATUSES",
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
    "webhooks:write": "Subscribe to webhooks and read their deliveries",
}

OAUTH2_PROVIDER = {
    "SCOPES": API_SCOPES,
    "SCOPES_BACKEND_CLASS": "loyalty.api.oauth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "loyalty.api.oauth.ProgramOAuth2Validator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("OAUTH_TOKEN_EXPIRE_SECONDS", "3600")),
    # Client secrets are stored hashed (the admin and the command show them once), with a keyed HMAC: see
    # programs/client_secrets.py for why not PBKDF2.
    "CLIENT_SECRET_HASHER": "client_hmac_sha256",
    # The client-credentials grant only: oauthlib's server for it answers any other grant type
    # `unsupported_grant_type`, and serves revocation and bearer tokens (introspection is loyalty.api.oauth_views).
    "OAUTH2_SERVER_CLASS": "oauthlib.oauth2.BackendApplicationServer",
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["client_credentials"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": [],
    # What the project never uses, turned off, so that `check --deploy` has nothing to say about it (RFC 9700):
    # implicit and password grants, plain PKCE, tokens in query strings, authorization responses, http redirect
    # URIs, refresh tokens. Tokens are stored as their SHA-256 only (the bearer authentication looks them up so).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
}
# The key of the client secrets' HMAC; empty: SECRET_KEY. Set it in deployments, apart from SECRET_KEY, so that
# rotating one does not invalidate the other. Older keys (comma-separated) are still accepted, and a secret
# verified with one is re-hashed with the current key.
OAUTH_CLIENT_SECRET_KEY = os.environ.get("OAUTH_CLIENT_SECRET_KEY", "")
OAUTH_CLIENT_SECRET_KEY_FALLBACKS = [
    k.strip() for k in os.environ.get("OAUTH_CLIENT_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
]
# Failed client authentications at /oauth/* allowed per client_id and per caller address; past them, 429.
OAUTH_CLIENT_AUTH_FAILURE_LIMIT = os.environ.get("OAUTH_CLIENT_AUTH_FAILURE_LIMIT", "10/min")
# Django's default hashers, in its order (staff passwords: PBKDF2 as before), then the client secrets' hasher,
# which django-oauth-toolkit finds here by its algorithm (CLIENT_SECRET_HASHER above).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "programs.client_secrets.ClientSecretHasher",
]

# Shared state. With REDIS_URL (e.g. redis://127.0.0.1:6379/1), Django's cache is Redis: the request budgets,
# the failed-authentication counters and anything else cached hold across every process and host. Without it,
# the local-memory cache of each process (the single-process SQLite demo).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "loyalty.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "loyalty",
            # A Redis that does not answer costs a request at most this long: the limits are then not counted.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "loyalty",
        }
    }
# How long an access token's grant stays cached (programs.tokens). Revoking deletes it everywhere at once with
# Redis; each process's local memory keeps it at most this long otherwise.
TOKEN_CACHE_SECONDS = int(os.environ.get("TOKEN_CACHE_SECONDS", "300" if REDIS_URL else "10"))

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Webhooks: the key their signing secrets are derived from (with a random salt per subscription, see
# programs/webhooks.py), apart from the database; by default derived from the secret key.
WEBHOOK_SECRET_KEY = os.environ.get("WEBHOOK_SECRET_KEY", "") or f"webhooks:{SECRET_KEY}"
# Local testing only: lets subscriptions use http:// and private, loopback or link-local addresses.
WEBHOOK_ALLOW_PRIVATE_URLS = os.environ.get("WEBHOOK_ALLOW_PRIVATE_URLS", "false").lower() == "true"
# How long a worker holds a delivery it is attempting (more than the 10 s a receiver has): a worker killed
# mid-attempt leaves a hold that expires, then the sweeper queues the delivery again.
WEBHOOK_LEASE_SECONDS = int(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
# How long each process may keep a program's subscriptions cached (changes drop it at once from a shared cache).
WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS = int(
    os.environ.get("WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS", "300" if REDIS_URL else "10")
)
# Each event task also settles up to this many of the oldest events waiting, in one transaction (a burst is
# rewarded in batches; 1 turns batching off).
EVENT_REWARD_BATCH = max(1, env_int("EVENT_REWARD_BATCH", 100))
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
# Named queues, so that a slow or piled-up kind of work cannot starve the others: run a worker (or a group of
# them) per queue (README "Production"). A worker started without -Q consumes all of them (the demo, the tests).
# Each queue with its own direct exchange and routing key (by default Celery would bind all of them to the default
# queue's exchange and key).
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("vouchers", "events", "webhooks", "notifications", "maintenance")
]
# Every task is routed explicitly (a test checks it); the default only catches a task someone forgot to route.
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = {
    "rewards.tasks.issue_voucher": {"queue": "vouchers"},
    "rewards.tasks.sweep_pending_vouchers": {"queue": "vouchers"},
    "rewards.tasks.reward_event": {"queue": "events"},
    "rewards.tasks.sweep_events": {"queue": "events"},
    "rewards.tasks.activate_due_points": {"queue": "maintenance"},
    "rewards.tasks.release_expired_locks": {"queue": "maintenance"},
    "rewards.tasks.expire_points": {"queue": "maintenance"},
    "rewards.tasks.assess_tiers": {"queue": "maintenance"},
    "rewards.tasks.send_notification": {"queue": "notifications"},
    "rewards.tasks.sweep_notifications": {"queue": "notifications"},
    "rewards.tasks.send_expiry_digests": {"queue": "notifications"},
    "rewards.tasks.expiry_digest": {"queue": "notifications"},
    "programs.tasks.deliver_webhook": {"queue": "webhooks"},
    "programs.tasks.sweep_webhooks": {"queue": "webhooks"},
    "programs.tasks.clear_expired_tokens": {"queue": "maintenance"},
}
# A worker that loses its broker connection cancels what it runs (acks_late: the broker delivers it again)
# instead of finishing a task that another worker may already have received.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Beat runs once: a second beat process finds the leader's lock in Redis and stays on standby (loyalty/beat.py).
CELERY_BEAT_SCHEDULER = "loyalty.beat.SingleBeatScheduler"
# Each periodic message expires after its period: the next one does the same work, so a queue that was stopped
# for an hour does not replay 120 sweeps when its worker comes back.
CELERY_BEAT_SCHEDULE = {
    "clear-expired-tokens": {
        "task": "programs.tasks.clear_expired_tokens",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    "sweep-pending-vouchers": {
        "task": "rewards.tasks.sweep_pending_vouchers",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "sweep-events": {"task": "rewards.tasks.sweep_events", "schedule": 30.0, "options": {"expires": 30}},
    "activate-due-points": {
        "task": "rewards.tasks.activate_due_points",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    "release-expired-locks": {
        "task": "rewards.tasks.release_expired_locks",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "expire-points": {"task": "rewards.tasks.expire_points", "schedule": 3600.0, "options": {"expires": 3600}},
    "sweep-webhooks": {"task": "programs.tasks.sweep_webhooks", "schedule": 60.0, "options": {"expires": 60}},
    "sweep-notifications": {
        "task": "rewards.tasks.sweep_notifications",
        "schedule": 120.0,
        "options": {"expires": 120},
    },
    # The expiry digest, daily at 07:00 UTC: each member is told at most once a calendar month (the first pass of
    # the month tells everyone with points expiring within 30 days; later passes only those not told yet).
    "send-expiry-digests": {
        "task": "rewards.tasks.send_expiry_digests",
        "schedule": crontab(minute=0, hour=7),
        "options": {"expires": 6 * 3600},
    },
    # The daily tier assessment (members whose tier's `until` has passed), at 01:30 UTC; idempotent for a day.
    "assess-tiers": {
        "task": "rewards.tasks.assess_tiers",
        "schedule": crontab(minute=30, hour=1),
        "options": {"expires": 6 * 3600},
    },
}

# E-mail to members (rewards.notifications). Without settings, messages are written to the console (the worker's
# output). With EMAIL_HOST, over SMTP. EMAIL_BACKEND names any backend by its dotted path, e.g. an Anymail
# provider's (`anymail.backends.mailgun.EmailBackend`), whose settings come from ANYMAIL_* variables (README).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587 if EMAIL_HOST else 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", bool(EMAIL_HOST))
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "rewards@localhost"
# Anymail's settings, from the environment: ANYMAIL_MAILGUN_API_KEY=... becomes ANYMAIL["MAILGUN_API_KEY"].
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}
# The public address of this site, for links in e-mails (sent by workers, which have no request to ask).
SITE_URL = os.environ.get("SITE_URL", "").strip() or "http://127.0.0.1:8000"

# Operations (loyalty/ops): metrics, log format, error reporting.
# `GET /metrics` answers only with `Authorization: Bearer <METRICS_TOKEN>`; without a token it does not exist (404).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
# Where the gunicorn workers' counters meet (prometheus-client reads the variable from the environment itself);
# gunicorn.conf.py creates a temporary directory when it is not set.
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# `json` (one object per line, for log shippers) or `text` (readable); by default text with debug, else JSON.
DJANGO_LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "").strip().lower() or ("text" if DEBUG else "json")
if DJANGO_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be json or text, not {DJANGO_LOG_FORMAT!r}.")
# Errors go to Sentry (or a compatible service) only when SENTRY_DSN is set; traces are sampled at this rate.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "")
SENTRY_RELEASE = os.environ.get("SENTRY_RELEASE", "")
try:
    SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "").strip() or 0)
except ValueError:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number between 0 and 1.") from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "loyalty.core.logging.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "loyalty.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if DJANGO_LOG_FORMAT == "json" else "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own lines go through the root's handler only (not also through Django's default console
        # handler in debug), and so do runserver's: every line in the chosen format.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Named explicitly so that migrations can refer to django-oauth-toolkit's swappable models.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

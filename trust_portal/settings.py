"""Trust Portal settings: one module, every deployment choice read from the environment.

With no environment at all this is the embedded default (SQLite file, eager
Celery tasks, DEBUG on, a development secret). Production sets ``DEBUG=0`` and
the variables in the README's table; a malformed value stops start-up with an
error naming the variable (see ``trust_portal.env``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from trust_portal.env import SQLITE_OPTIONS, Env

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

DEBUG = env.bool("DEBUG", default=True)

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production-0123456789abcdef"
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY, allow_empty=False)
else:
    SECRET_KEY = env.str("SECRET_KEY")  # required: raises naming SECRET_KEY when missing
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a unique value of at least 50 characters when DEBUG is off.")

ALLOWED_HOSTS = env.hosts("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env.origins("CSRF_TRUSTED_ORIGINS", default=[])
# Where the portal is reached from outside: links in e-mails are built on it (no request to take a host from).
SITE_URL = env.url("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else None)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "trust_portal",
    "accounts",
    "pacts",
    "evidence",
    "transparency",
    "verdicts",
    "reputation",
    "disputes",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "trust_portal.web.PrivateResponsesMiddleware",
    "trust_portal.throttle.PageThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "trust_portal.web.DomainErrorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "trust_portal.urls"
WSGI_APPLICATION = "trust_portal.wsgi.application"
ASGI_APPLICATION = "trust_portal.asgi.application"

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
                "csp.context_processors.nonce",
                "accounts.context_processors.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.database(
        "DATABASE_URL",
        default={
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        },
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login and API throttling counters live here) ------------------
CACHE_URL = env.redis_url("CACHE_URL", schemes=("redis", "rediss"))
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Our permissions (accounts/permissions.py) are asked through rules.has_perm, never user.has_perm: keeping the
# rules backend out of authentication keeps them apart from Django's model permissions, which the admin uses.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins allowed per window, counted per username and per client address.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)  # per (username, address), then backoff
LOGIN_FAILURE_USER_LIMIT = env.int("LOGIN_FAILURE_USER_LIMIT", default=50, minimum=1)  # per username, any address
LOGIN_FAILURE_IP_LIMIT = env.int("LOGIN_FAILURE_IP_LIMIT", default=30, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900, minimum=1)

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly.js ships inside the plotly wheel; serve it from there (no CDN).
    ("plotly", Path(plotly.__file__).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies stand in front of the web processes. 0: the client is REMOTE_ADDR and
# X-Forwarded-For is ignored (anyone can send it); N: the Nth X-Forwarded-For entry from the right, the one
# the outermost proxy wrote (trust_portal.clients). Throttles and the sign-in lock-out key on it.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0, minimum=0, maximum=10)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Plotly and htmx set style attributes at run time.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Celery -------------------------------------------------------------------
# No broker configured: tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = env.redis_url("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
if CELERY_BROKER_URL is None:
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_RESULT_BACKEND = env.redis_url(
    "CELERY_RESULT_BACKEND",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None,
    schemes=("redis", "rediss"),
)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="trust-portal", allow_empty=False)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "purge-idempotency-keys": {"task": "evidence.purge_idempotency_keys", "schedule": 3600.0},
    # Vendors' owners hear of access grants expiring within 7 days (once per grant).
    "remind-expiring-grants": {"task": "evidence.remind_expiring_grants", "schedule": 3600.0},
    # Appends queue a checkpoint on commit; this one covers anything a lost task missed.
    "sign-checkpoint": {
        "task": "transparency.sign_checkpoint",
        "schedule": env.int("CHECKPOINT_SECONDS", default=300, minimum=10),
    },
    # Staleness comes with the passage of time, not only with new data.
    "sweep-verdicts": {
        "task": "verdicts.sweep",
        "schedule": env.int("VERDICT_SWEEP_SECONDS", default=900, minimum=10),
    },
    # Service credits become owed when their cure period ends (to the second: the task only needs to be prompt).
    "ledger-sweep": {
        "task": "reputation.ledger_sweep",
        "schedule": env.int("LEDGER_SWEEP_SECONDS", default=60, minimum=10),
    },
    # Webhook retries are rows with a due time (next_attempt_at): this sends what is due, surviving restarts.
    "send-due-webhooks": {"task": "reputation.send_due_webhooks", "schedule": 15.0},
    # Dispute deadlines move on their own: respondent default, overdue reviews, appeal windows closing.
    "dispute-deadlines": {
        "task": "disputes.escalate",
        "schedule": env.int("DISPUTE_SWEEP_SECONDS", default=300, minimum=10),
    },
}

# --- Evidence ---------------------------------------------------------------------
EVIDENCE_BATCH_LIMIT = env.int("EVIDENCE_BATCH_LIMIT", default=1000, minimum=1)
EVIDENCE_ATTACHMENT_MAX_BYTES = env.int("EVIDENCE_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024, minimum=1024)
EVIDENCE_IMPORT_MAX_BYTES = env.int("EVIDENCE_IMPORT_MAX_BYTES", default=20 * 1024 * 1024, minimum=1024)
EVIDENCE_IMPORT_RECORD_LIMIT = env.int("EVIDENCE_IMPORT_RECORD_LIMIT", default=50_000, minimum=1)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=48, minimum=24)
# Request bodies: a full batch with base64 attachments fits; beyond this Django refuses (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=16 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Transparency log -----------------------------------------------------------------
LOG_ORIGIN = env.key_name("LOG_ORIGIN", default="trust-portal.local/log")  # also the signing key's name
# An Ed25519 private key, PEM; parsed (and refused by a system check, naming it) in transparency.log.
LOG_SIGNING_KEY = env.str("LOG_SIGNING_KEY", default="")
LOG_SIGNING_KEY_FILE = env.path("LOG_SIGNING_KEY_FILE", default=BASE_DIR / "log-key.pem")
CHECKPOINT_COALESCE_SECONDS = 5  # appends within this long after one another are covered by one signing task

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = env.dotted_path("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.hostname("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.email_address("DEFAULT_FROM_EMAIL", default="Trust Portal <noreply@trust-portal.local>")

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Bearer first: its WWW-Authenticate header makes unauthenticated calls 401, not 403.
        "accounts.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api.permissions.TokenScopeAllows",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["trust_portal.api.throttling.ClientRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "trust_portal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "trust_portal.api.negotiation.FormatNamingNegotiation",
    "DEFAULT_PARSER_CLASSES": ["trust_portal.api.parsers.FastJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "trust_portal.api.exceptions.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Requests per client (token, else user, else address); "N/second|minute|hour|day".
API_THROTTLE_RATES = {
    "token": env.rate("API_THROTTLE_RATE", default="1200/minute"),
    "anon": env.rate("API_THROTTLE_RATE_ANON", default="120/minute"),
}
# Pages (everything outside /api/, static files and health checks): per signed-in user / per address.
PAGE_THROTTLE_RATES = {
    "user": env.rate("PAGE_THROTTLE_RATE", default="600/minute"),
    "anon": env.rate("PAGE_THROTTLE_RATE_ANON", default="120/minute"),
}
PAGE_THROTTLE_EXEMPT_PREFIXES = ("/static/", "/media/", "/api/", "/healthz", "/favicon.ico")
# List pages: ?page_size= at most this many items (anonymous / signed in), and a page stops adding items
# once their JSON passes API_PAGE_MAX_BYTES (at least one item a page; ``next`` carries on from there).
API_PAGE_SIZE_MAX_ANON = env.int("API_PAGE_SIZE_MAX_ANON", default=50, minimum=1, maximum=500)
API_PAGE_SIZE_MAX = env.int("API_PAGE_SIZE_MAX", default=500, minimum=1, maximum=5000)
API_PAGE_MAX_BYTES = env.int("API_PAGE_MAX_BYTES", default=1024 * 1024, minimum=16 * 1024)
if API_PAGE_SIZE_MAX_ANON > API_PAGE_SIZE_MAX:
    raise ImproperlyConfigured(
        f"API_PAGE_SIZE_MAX_ANON={API_PAGE_SIZE_MAX_ANON} must be at most API_PAGE_SIZE_MAX={API_PAGE_SIZE_MAX}."
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Trust Portal API",
    "DESCRIPTION": "Behavioral contracts (pacts) for AI agents: define, capture, interpret, act.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "RFC 9457 problem details.",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                                "code": {"type": "string"},
                            },
                        },
                    },
                },
                "required": ["title", "status"],
            }
        },
    },
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "reputation.models.Tier",
        "EngagementStatusEnum": ["active", "scheduled", "ended"],
        "LedgerEntryStatusEnum": "reputation.models.LedgerEntry.Status",
        "PactVersionStatusEnum": "pacts.models.PactVersion.Status",
        "AccessRequestStatusEnum": ["pending", "approved", "denied", "expired", "revoked"],
        "IncidentStatusEnum": "incidents.models.Status",
        "MissedSignalTypeEnum": "incidents.models.SignalType",
        "IncidentOriginTypeEnum": "incidents.models.OriginType",
    },
}

# --- Logging --------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env.choice("LOG_LEVEL", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
    "loggers": {"django.db.backends": {"level": "INFO"}, "celery.app.trace": {"level": "WARNING"}},
}

# --- Input sanitiser (docs/input.md) ----------------------------------------------------------------------------
# Control characters in the path, query, headers and page forms are refused before the session middleware reads
# the session cookie (a NUL in it would reach PostgreSQL): first after the static files.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "trust_portal.web.InputSanitiserMiddleware",
)
# Error responses documented as problem+json, with the statuses every operation may answer (400, 401, 429).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "trust_portal.api.schema.problem_responses",
]
CSRF_FAILURE_VIEW = "trust_portal.web.csrf_failure"  # problem+json under /api/


# --- the trust loop (reputation) ----------------------------------------------------------------------------------
SCORE_HALF_LIFE_DAYS = env.int("SCORE_HALF_LIFE_DAYS", default=30, minimum=1, maximum=3650)
TIER_UPGRADE_DAYS = env.int("TIER_UPGRADE_DAYS", default=14, minimum=0, maximum=365)
RECEIPT_SECONDS = env.int("RECEIPT_SECONDS", default=900, minimum=10, maximum=86400)

# Webhooks (Standard Webhooks; docs/reputation.md, "Webhooks"). Delays before each attempt, in seconds: the spec's
# schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h), each with ±jitter.
WEBHOOK_RETRY_SCHEDULE: list[float] = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
WEBHOOK_RETRY_JITTER = 0.1
WEBHOOK_TIMEOUT_SECONDS = 15.0
WEBHOOK_DISABLE_AFTER_DAYS = 5  # an endpoint failing this long, without one success, is disabled with a notice
WEBHOOK_SECRET_OVERLAP_HOURS = 24  # after a rotation, the previous secret keeps signing this long
# Private, loopback, link-local, multicast and reserved targets (and plain http) are refused unless this is on.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=DEBUG)

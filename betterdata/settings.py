"""Settings: 12-factor through django-environ. Production-safe defaults: DEBUG off, SECRET_KEY
required, HTTPS-only cookies, HSTS, a strict CSP (docs/security-settings.md)."""

from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Production-safe by default (docs/security-settings.md). DEBUG is off unless set. DEMO=1 is
# the local demo (`make run`, serve_demo): DEBUG stays off (real error pages) but plain HTTP on
# localhost works (no SSL redirect, HSTS or Secure-only cookies), static files are served from
# the source tree without collectstatic, mail goes to .data/mail/ and a dev SECRET_KEY is kept in
# .data/secret_key. Never set DEMO in production.
DEBUG = env.bool("DEBUG", default=False)
DEMO = env.bool("DEMO", default=False)
LOCAL_HTTP = DEBUG or DEMO
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not LOCAL_HTTP:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off: refusing to start. Set SECRET_KEY in the "
            'environment (50+ random characters, e.g. `python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"`), or DEMO=1 for a local demo (make run sets it).'
        )
    from .devkey import dev_secret_key

    SECRET_KEY = dev_secret_key(DATA_DIR / "secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "betterdata.apps.ScopedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "guardian",
    "axes",  # login lockout (docs/security-throttling.md)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "betterdata",
    "accounts",
    "orgs",
    "notifications",
    "partnerships",
    "billing",
    "inventory",
    "shipments",
    "procurement",
    "analytics",
    "api",
    # Last: its migration enables row-level security on every other app's tables.
    "rls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost after security: every response carries the CSP and frame headers, including the
    # 400 for a bad Host or a NUL in the query string that the middleware below answer.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # The request id (core/logs.py): on the request, every log line and the response header.
    "core.logs.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "betterdata.middleware.RejectNulInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "betterdata.middleware.ScopeMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "billing.middleware.EntitlementDeniedMiddleware",
    # Last: turns a login refused by the lockout into the lockout page (accounts/throttle.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "betterdata.urls"
CSRF_FAILURE_VIEW = "betterdata.errors.csrf_failure"
WSGI_APPLICATION = "betterdata.wsgi.application"

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
                "orgs.context_processors.scope",
            ],
            "builtins": ["billing.templatetags.entitlements", "orgs.templatetags.policy"],
        },
    }
]

if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from .devdb import embedded_database_url

    DATABASES = {"default": env.db_url_config(embedded_database_url(DATA_DIR / "pg"))}
# Persistent connections in production (a new connection costs ~20 ms, a query ~0.4 ms); the
# local demo's runserver opens a thread per request, where a kept connection buys nothing.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEMO else 60)
# A kept connection is checked before each request reuses it, so a database restart costs a
# reconnect, not a 500 per worker (docs/operations.md). Harmless when connections are not kept.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Never wait forever for a database that does not answer (seconds; libpq's connect_timeout).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
)
DATABASES["default"].setdefault("ENGINE", "django.db.backends.postgresql")
# Row-level security (docs/rls.md): the app runs as a role without SUPERUSER or BYPASSRLS,
# created and switched to on connect when the configured user is a superuser (pgserver, CI).
DB_APP_ROLE = env("DB_APP_ROLE", default="betterdata_app")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "rls.backend"
if DB_APP_ROLE:
    DATABASES["default"].setdefault("OPTIONS", {})["assume_role"] = DB_APP_ROLE
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked (needs a request).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row
GUARDIAN_GET_INIT_ANONYMOUS_USER = "accounts.models.get_anonymous_user_instance"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# Two-factor sign-in (docs/security-two-factor.md): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = "Better Data"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Uploads are never served from MEDIA_URL (no URL pattern, no web-server alias): only through
# scoped download views (core/uploads.py, docs/security-files.md).
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(DATA_DIR / "media"))
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# `make backup` / `manage.py backup` writes <stamp>.dump and <stamp>.media.tar.gz here.
BACKUP_DIR = env("BACKUP_DIR", default=str(DATA_DIR / "backups"))
STORAGES = {
    # Removes partial files and those of a failed service (core/uploads.py).
    "default": {"BACKEND": "core.uploads.TrackedFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if LOCAL_HTTP
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# The demo serves static files straight from the source tree (no collectstatic), re-scanned
# on every request so edits show; production serves the collected, hashed files.
WHITENOISE_USE_FINDERS = LOCAL_HTTP
WHITENOISE_AUTOREFRESH = LOCAL_HTTP

# Email: development writes every message to .data/mail/ (and the console log).
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="betterdata.mail.DevMailBackend"
    if LOCAL_HTTP
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# A hung SMTP server fails the send after this many seconds (then the task retries) instead of
# blocking a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Better Data <noreply@betterdata.example>")

# Celery: Redis when REDIS_URL is set; otherwise tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Durable tasks (docs/operations.md): a message is acknowledged only after its task finished, so
# a worker killed mid-task (even a pool child by SIGKILL) leaves it queued for another worker;
# each worker process reserves one message at a time, so a slow task holds no others back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task runs forever: SoftTimeLimitExceeded after 60 s (a task may catch it and retry), the
# pool child is killed after 90 s. A late-acked message must not outlive Redis's visibility
# timeout (redelivered after it), which stays far above the hard limit.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
# A request that queues a task never hangs on a refused or hung Redis: connecting and every
# socket read or write give up after 2 s, and publishing retries twice, 0.2 s apart, then
# raises (kombu.exceptions.OperationalError) to the caller.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "retry_on_timeout": False,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The worker itself keeps trying to reach the broker after a lost connection (its own loop,
# not a request); at start it retries too, then exits so the supervisor restarts it.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = 10
CELERY_TIMEZONE = TIME_ZONE

# Stripe: real Checkout + webhooks when the secret key is set.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Billing fails closed: without STRIPE_SECRET_KEY no checkout exists unless the labelled
# simulation is switched on explicitly (DEMO=1, so `make run`, does; docs/security-billing.md).
BILLING_SIMULATED_CHECKOUT = env.bool("BILLING_SIMULATED_CHECKOUT", default=DEMO)
# Days a past-due organization keeps its plan before it falls back to FREE; whether an *owned*
# organization (subsidiary, division, branch) may pay for itself (SELF_PAY) instead of being
# billed under its network. Partners may always pay their own way.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=14)
BILLING_SELF_PAY_ENABLED = env.bool("BILLING_SELF_PAY_ENABLED", default=False)
CELERY_BEAT_SCHEDULE = {
    "billing-sweep-webhook-events": {
        "task": "billing.tasks.sweep_webhook_events",
        "schedule": 60.0,
    },
    "billing-expire-grace-periods": {
        "task": "billing.tasks.expire_grace_periods",
        "schedule": 3600.0,
    },
}

DEMO_PASSWORD = env("DEMO_PASSWORD", default="betterdata-demo")
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)

# Headers on every response, DEBUG or not.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # Lax, not Strict: links in invitation e-mails keep the session
CSRF_COOKIE_SAMESITE = "Lax"
# HTTPS behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from
# clients). Off only for the local demo and DEBUG, which speak plain HTTP on localhost.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not LOCAL_HTTP)
# Probes (load balancer, orchestrator) call these over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = not LOCAL_HTTP
CSRF_COOKIE_SECURE = not LOCAL_HTTP
SECURE_HSTS_SECONDS = 0 if LOCAL_HTTP else env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL_HTTP
SECURE_HSTS_PRELOAD = not LOCAL_HTTP

# Content-Security-Policy (django-csp 4): scripts and styles only from our own static files;
# no inline <script>, no on*= handlers, no style= attributes (tests/core/test_csp.py greps the
# templates; tests/browser/test_csp.py records violations). img data: is for generated images
# (QR codes). Real Stripe Checkout is a redirect after a form POST, which form-action governs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, *(["https://checkout.stripe.com"] if STRIPE_SECRET_KEY else [])],
        "frame-ancestors": [NONE],
    }
}

# Logs and errors (docs/operations.md): every line carries the request id; JSON lines in
# production (LOG_FORMAT=json), a readable line in the demo and DEBUG (LOG_FORMAT=text). A 4xx is
# one line without a traceback; a 500 is logged with its traceback, mailed to ADMINS when set,
# and sent to Sentry when SENTRY_DSN is set. Set LOG_FORMAT to override either default.
LOG_FORMAT = env("LOG_FORMAT", default="text" if LOCAL_HTTP else "json")
# ADMINS=Name <a@example.com>,Other <b@example.com>: mailed the traceback of every 500.
ADMINS = [
    (name, address)
    for name, address in getaddresses(env.list("ADMINS", default=[]))
    if "@" in address
]
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
SENTRY_DSN = env("SENTRY_DSN", default="")
# Whether a 500 reaches anyone: the error page says so only when it does.
ERRORS_NOTIFY = bool(SENTRY_DSN or (ADMINS and not LOCAL_HTTP))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logs.RequestIdFilter"},
        "quiet_client_errors": {"()": "core.logs.QuietClientErrors"},
    },
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "quiet_client_errors"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # 5xx only (ERROR); 4xx stay warnings in the console. Production settings with ADMINS.
        "django.request": {"handlers": ["mail_admins"] if ADMINS and not LOCAL_HTTP else []},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts, not every clean-up
    },
}
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env("SENTRY_ENVIRONMENT", default="demo" if DEMO else "production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,  # no user emails, cookies or bodies leave the deployment
    )

# --- Throttling (docs/security-throttling.md) ---------------------------------------------------
# Login (the form and the admin's): django-axes, attempts in the database so every process sees
# them. Locked after 5 failures for one account from one address, or 20 from one address across
# accounts; a lock lasts 15 minutes from the last failure. A successful login clears the
# account's own failures from that address.
AXES_HANDLER = "accounts.throttle.LoginLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURES_PER_ACCOUNT_ANY_ADDRESS = env.int(
    "LOGIN_FAILURES_PER_ACCOUNT_ANY_ADDRESS", default=20
)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.throttle.login_username"
AXES_ENABLE_ADMIN = False  # accounts/admin.py registers them, for platform staff only
AXES_SENSITIVE_PARAMETERS = ["password"]
# The client address: REMOTE_ADDR unless the deployment says how many proxies it runs behind
# (TRUSTED_PROXY_COUNT, each appending to X-Forwarded-For); then the address the nearest
# trusted proxy saw. Without it a client could pick its own address by sending the header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
# Invalid reset links, invitation links and API tokens: counted per client address in a cache
# every process shares (core/throttle.py): Redis when REDIS_URL is set, else the database
# (table created by core/migrations/0002_throttle_cache.py).
THROTTLE_CACHE_TABLE = "throttle_cache"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Built Scopes, per process, keyed by the database's scope version (orgs/access.py): a
    # version read is one query, a hit needs no network, and a stale entry is unreachable.
    "scopes": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "scopes",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": THROTTLE_CACHE_TABLE,
    },
}
# Seconds a built Scope is reused while the scope version stands (0: build on every request).
SCOPE_CACHE_SECONDS = env.int("SCOPE_CACHE_SECONDS", default=300)
RATELIMIT_USE_CACHE = "throttle"
RATELIMIT_IP_META_KEY = "core.throttle.client_ip"

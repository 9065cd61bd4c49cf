"""Settings: 12-factor through django-environ. Production-safe defaults: DEBUG off, SECRET_KEY
required, HTTPS-only cookies, HSTS, a strict CSP (docs/security-settings.md)."""

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
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "betterdata.middleware.RejectNulInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "betterdata.middleware.ScopeMiddleware",
    "billing.middleware.EntitlementDeniedMiddleware",
]

ROOT_URLCONF = "betterdata.urls"
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
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
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
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row
GUARDIAN_GET_INIT_ANONYMOUS_USER = "accounts.models.get_anonymous_user_instance"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
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
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Better Data <noreply@betterdata.example>")

# Celery: Redis when REDIS_URL is set; otherwise tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = TIME_ZONE

# Stripe: real Checkout + webhooks when the secret key is set; a labelled simulation otherwise.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Billing: days a past-due organization keeps its plan before it falls back to FREE; whether
# organizations may pay for themselves (SELF_PAY) instead of being billed under their network.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=14)
BILLING_SELF_PAY_ENABLED = env.bool("BILLING_SELF_PAY_ENABLED", default=False)
CELERY_BEAT_SCHEDULE = {
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}

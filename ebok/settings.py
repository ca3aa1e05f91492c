"""EBOK settings: one file, driven by environment variables (see README, "Configuration").

Zero configuration gives a development setup on SQLite under ./var/; DATABASE_URL selects PostgreSQL;
EBOK_ENV=production switches on everything `ebok check --deploy` asks for.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ebok.common.env import env_bool, env_choice, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("EBOK_DATA_DIR", "var")).resolve()

ENV = env_choice("EBOK_ENV", ("development", "production"), "development")
PRODUCTION = ENV == "production"
DEBUG = env_bool("EBOK_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("EBOK_DEBUG must not be on with EBOK_ENV=production")


def _secret_key() -> str:
    key = env_str("EBOK_SECRET_KEY")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("EBOK_SECRET_KEY must be at least 50 characters long")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("EBOK_SECRET_KEY is required with EBOK_ENV=production")
    # Development: a key generated once and kept beside the SQLite database.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("EBOK_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("EBOK_ALLOWED_HOSTS is required with EBOK_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("EBOK_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Domain apps: models and services (writes) / selectors (reads).
    "ebok.common",  # shared helpers and the operations commands (backup, restore)
    "ebok.company",
    "ebok.accounts",
    "ebok.customers",
    "ebok.tariffs",
    "ebok.metering",
    "ebok.readings",
    "ebok.billing",
    "ebok.payments",
    "ebok.notifications",
    "ebok.audit",
    "ebok.integrations",
    # Interface apps: views, forms and templates only.
    "ebok.portal",
    "ebok.backoffice",
    "ebok.collector",
    "ebok.api",
    "ebok.demo",
]

MIDDLEWARE = [
    "ebok.common.middleware.ProxyClientIPMiddleware",  # the client's address behind EBOK_PROXY_HOPS proxies
    "django.middleware.security.SecurityMiddleware",
    "ebok.common.middleware.NoStoreMiddleware",  # no cache keeps pages with personal data
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ebok.accounts.middleware.SessionAgeMiddleware",  # absolute session timeout
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor was given
    "ebok.api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ebok.urls"
WSGI_APPLICATION = "ebok.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ebok.portal.context.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured("DATABASE_URL must start with postgres://, postgresql:// or sqlite://")
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("EBOK_DB_CONN_MAX_AGE", 60))
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "ebok.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN so that
    # two writers queue instead of failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["ebok.accounts.backends.EmailOrUsernameBackend"]

# --- Authentication -------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
# Idle timeout: the session lasts this long after the last request (each request renews it).
SESSION_COOKIE_AGE = env_int("EBOK_SESSION_IDLE_SECONDS", 30 * 60, minimum=300)
SESSION_SAVE_EVERY_REQUEST = False  # the idle expiry is refreshed once a minute (ebok/accounts/middleware.py)
# Absolute timeout: however active, a login lasts at most this long (ebok.accounts.middleware).
EBOK_SESSION_ABSOLUTE_SECONDS = env_int("EBOK_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60, minimum=600)
# Two-step login (TOTP, django-otp): required for staff, optional for customers (ebok/accounts/twofactor.py).
# Between the password and the code the person is not logged in yet; the password step is forgotten after:
EBOK_2FA_PENDING_SECONDS = env_int("EBOK_2FA_PENDING_SECONDS", 10 * 60, minimum=60)
OTP_TOTP_ISSUER = env_str("EBOK_TOTP_ISSUER", "EBOK")  # the name shown in the person's authenticator app
# django-otp's own throttle doubles the delay after every wrong code without bound, which a person who knows
# the password could use to lock the owner out for days; ebok.accounts.throttle limits codes instead, with a
# bounded cool-off.
OTP_TOTP_THROTTLE_FACTOR = 0
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # links in password-reset and e-mail confirmation messages

# --- Languages and time ---------------------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Warsaw"
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# --- E-mail ---------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("EBOK_FROM_EMAIL", "ebok@localhost")
# The portal's public address, for links in e-mails (confirmation, password reset).
EBOK_SITE_URL = env_str("EBOK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_HOST = env_str("EBOK_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EBOK_EMAIL_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("EBOK_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env_str("EBOK_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("EBOK_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

EMAIL_TIMEOUT = 30

# --- Background tasks and messages ----------------------------------------------------------------------
# One task API (django-tasks, the package behind Django 6's django.tasks); the database queue needs no extra
# server. Start workers with `ebok worker` (README, "Background worker").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds to wait before each retry of a message that failed to send; after the last one it is FAILED.
EBOK_MESSAGE_RETRY_DELAYS = [
    int(s) for s in env_list("EBOK_MESSAGE_RETRY_DELAYS", ["60", "300", "1800", "7200"])
]
# Days before the due date on which "payment due" reminders go out.
EBOK_PAYMENT_DUE_NOTICE_DAYS = env_int("EBOK_PAYMENT_DUE_NOTICE_DAYS", 3, minimum=1, maximum=30)
# SMS: off by default; "console" logs messages, "smsapi" sends through SMSAPI.pl.
EBOK_SMS_PROVIDER = env_choice("EBOK_SMS_PROVIDER", ("", "console", "smsapi"), "")
EBOK_SMSAPI_URL = env_str("EBOK_SMSAPI_URL", "https://api.smsapi.pl/sms.do")
EBOK_SMSAPI_TOKEN = env_str("EBOK_SMSAPI_TOKEN")
EBOK_SMSAPI_SENDER = env_str("EBOK_SMSAPI_SENDER")
if EBOK_SMS_PROVIDER == "smsapi" and not EBOK_SMSAPI_TOKEN:
    raise ImproperlyConfigured("EBOK_SMSAPI_TOKEN is required with EBOK_SMS_PROVIDER=smsapi")

# --- Security -------------------------------------------------------------------------------------------
# Content Security Policy on every response (django-csp): scripts and styles only from our own static files,
# nothing inline (a template that needs an inline script uses {{ request.csp_nonce }}); no plugins, no
# <base>, no framing. Images may be data: URIs (the reader app's photo preview) and blob: (camera).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Reverse proxies in front of EBOK that append the client's address to X-Forwarded-For (nginx: 1).
EBOK_PROXY_HOPS = env_int("EBOK_PROXY_HOPS", 0, minimum=0, maximum=5)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"
    # __Host- cookies are only accepted over HTTPS, for this host and path / (ASVS 3.3.1).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    # Flash messages live in the session instead of a cookie of their own.
    MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    SECURE_SSL_REDIRECT = env_bool("EBOK_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("EBOK_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("EBOK_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("EBOK_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # SafeFormatter escapes line breaks and control characters in messages, so that user input (a username
    # with "\n2026-01-01 INFO ...") can't forge a log line.
    "formatters": {
        "plain": {
            "()": "ebok.common.logging.SafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("EBOK_LOG_LEVEL", ("DEBUG", "INFO", "WARNING"), "INFO"),
    },
}

# --- Documents ------------------------------------------------------------------------------------------
# Directory with the official KSeF FA(3) XSD files used to validate structured invoices before they are
# offered for download (tests point it at ../shared/data/ksef-fa3); empty = no validation.
KSEF_SCHEMA_DIR = env_str("EBOK_KSEF_SCHEMA_DIR")

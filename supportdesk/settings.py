"""Supportdesk settings: every knob is an environment variable, parsed strictly.

With no environment at all the desk runs on an embedded SQLite database under ``var/``.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Final

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SUPPORTDESK_VAR", BASE_DIR.parent / "var"))


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def envsecret(name: str, default: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", "false")
SECRET_KEY = envsecret("SECRET_KEY", "")
if not SECRET_KEY:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        from django.core.management.utils import get_random_secret_key

        _key_file.write_text(get_random_secret_key())
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "axes",
    "csp",
    "ninja",
    "django_tasks_db",
    "supportdesk.accounts",
    "supportdesk.plans",
    "supportdesk.tickets",
    "supportdesk.assets",
    "supportdesk.channels.email",
    "supportdesk.channels.chat",
    "supportdesk.channels.voice",
    "supportdesk.channels.sms",
    "supportdesk.billing",
    "supportdesk.knowledge",
    "supportdesk.status",
    "supportdesk.remote",
    "supportdesk.service_requests",
    "supportdesk.field",
    "supportdesk.desk",
    "supportdesk.world",
    "supportdesk.runtime",
    "supportdesk.api",
]

MIDDLEWARE = [
    "supportdesk.channels.webhooks.CarrierWebhooks",
    "supportdesk.status.cache.StatusCache",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "supportdesk.middleware.RefuseNul",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "supportdesk.plans.zones.TimezoneMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "supportdesk.urls"
WSGI_APPLICATION = "supportdesk.wsgi.application"

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
                "supportdesk.accounts.context_processors.brand",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'supportdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE avoids lock upgrades failing under load.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
# Persistent connections: on SQLite, closing the last connection checkpoints the WAL, which
# roughly halves write throughput when done per request.
DATABASES["default"]["CONN_MAX_AGE"] = envint("CONN_MAX_AGE", "600")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "supportdesk.accounts.backends.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "supportdesk.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("pl", _("Polish")), ("pt", _("Portuguese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["supportdesk.formats"]
# The language a person picks is kept in a cookie for a year (the browser's choice otherwise).
LANGUAGE_COOKIE_NAME = "supportdesk_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE: Final = "Lax"
# The browser's own time zone, sent by the page, for people who have not chosen one.
TIMEZONE_COOKIE_NAME = "supportdesk_tz"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files customers and agents attach to messages: at most this many, each at most this big.
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
ATTACHMENT_MAX_FILES = envint("ATTACHMENT_MAX_FILES", "5")
# The prefix of case numbers (CASE-12) on a desk without brands; each brand numbers its own.
CASE_PREFIX = os.environ.get("CASE_PREFIX", "CASE")
if not re.fullmatch(r"[A-Z][A-Z0-9]{0,11}", CASE_PREFIX):
    raise ImproperlyConfigured("CASE_PREFIX: capital letters and digits, starting with a letter")
# Facet counts of the agent queue are recomputed at most this often per filter set.
QUEUE_COUNTS_SECONDS = envint("QUEUE_COUNTS_SECONDS", "20")

SESSION_COOKIE_HTTPONLY = True
# The desk served over HTTPS: cookies only over HTTPS, plain HTTP redirected, and browsers told
# to use nothing but HTTPS (HSTS) for HSTS_SECONDS.
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(SESSION_COOKIE_SECURE))
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", "31536000" if SESSION_COOKIE_SECURE else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", "true")
# Reverse proxies in front of the desk (0: browsers connect directly). Each appends the address
# it received from to X-Forwarded-For, and the outermost says in X-Forwarded-Proto whether the
# browser used HTTPS: only then are those headers believed.
PROXY_COUNT = envint("PROXY_COUNT", "0")
if PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Only the desk's own scripts and styles run; the few inline ones carry the page's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Guessing passwords: after SIGNIN_FAILURE_LIMIT failures for one address, or from one client
# address (failed personal tokens included), sign-in is refused for SIGNIN_LOCKOUT_MINUTES
# after the last failure. An administrator can lift it sooner (admin, Axes: access attempts).
SIGNIN_FAILURE_LIMIT = envint("SIGNIN_FAILURE_LIMIT", "5")
SIGNIN_LOCKOUT_MINUTES = envint("SIGNIN_LOCKOUT_MINUTES", "15")
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = "supportdesk.accounts.throttle.lockout_parameters"
AXES_USERNAME_CALLABLE = "supportdesk.accounts.throttle.signin_address"
AXES_CLIENT_IP_CALLABLE = "supportdesk.accounts.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "supportdesk.accounts.views.locked_out"
# Successful sign-ins are not logged (the table would only grow); failures are.
AXES_DISABLE_ACCESS_LOG = True

EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "20")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@supportdesk.example")
# The email channel. Message-IDs of outgoing mail end in this domain (default: that of the
# sender address). Attachments over the limit are replaced by a note; the message still lands.
MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN", "")
MAIL_MAX_ATTACHMENT_BYTES = envint("MAIL_MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024))
# A message larger than this is refused by the gateway (5.3.4, its headers are kept, held).
MAIL_MAX_MESSAGE_BYTES = envint("MAIL_MAX_MESSAGE_BYTES", str(50 * 1024 * 1024))
# A reply carries its files up to this many bytes in all; the rest go as signed links that
# download only their file, for this many days.
MAIL_REPLY_ATTACHMENT_BYTES = envint("MAIL_REPLY_ATTACHMENT_BYTES", str(10 * 1024 * 1024))
MAIL_FILE_LINK_DAYS = envint("MAIL_FILE_LINK_DAYS", "14")
# A sender whose messages exceed this many in the window is held (a mail loop, a flood).
MAIL_RATE_LIMIT = envint("MAIL_RATE_LIMIT", "20")
MAIL_RATE_WINDOW_SECONDS = envint("MAIL_RATE_WINDOW_SECONDS", "600")
# Acknowledge new cases from unregistered senders too (off: no backscatter to forged senders).
MAIL_ACKNOWLEDGE_UNREGISTERED = envbool("MAIL_ACKNOWLEDGE_UNREGISTERED", "false")
MAIL_POLL_INTERVAL_SECONDS = envint("MAIL_POLL_INTERVAL_SECONDS", "60")
# Senders are checked against their domain's DKIM keys and DMARC policy through this resolver:
# "system" (resolv.conf), nameserver addresses ("127.0.0.53,9.9.9.9"), or "off" (no lookups:
# every sender is "not verified" unless the mailbox's server vouches). Each lookup gets this long.
MAIL_DNS_RESOLVER = os.environ.get("MAIL_DNS_RESOLVER", "system")
MAIL_DNS_TIMEOUT_SECONDS = envint("MAIL_DNS_TIMEOUT_SECONDS", "2")
# A sender holds a message this long; if it dies meanwhile, the message is sent again after.
# Longer than one SMTP conversation can take (a few round trips of EMAIL_TIMEOUT each).
MAIL_SEND_LEASE_SECONDS = envint("MAIL_SEND_LEASE_SECONDS", "300")
# A worker delivering a stored message holds it this long; if it dies, the sweep retries after.
MAIL_INTAKE_LEASE_SECONDS = envint("MAIL_INTAKE_LEASE_SECONDS", "300")
# With no SMTP server configured (the demo), outgoing mail is written to var/mail/ as files,
# so nothing fails for want of a server; set EMAIL_HOST to send it for real.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
PROVIDER_NAME = os.environ.get("PROVIDER_NAME", "Supportdesk")
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600))
INVITATION_DAYS = envint("INVITATION_DAYS", "14")

# Phone and SMS through a carrier that speaks TwiML webhooks (Twilio, SignalWire, Telnyx).
# Requests are signed with the account's token; without one the desk derives its own, which
# only the built-in phone simulator knows. PUBLIC_URL: the address the carrier calls, when
# the desk sits behind a proxy (signatures cover the URL as the carrier saw it).
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
TWILIO_AUTH_TOKEN = envsecret("TWILIO_AUTH_TOKEN", "")
if not TWILIO_AUTH_TOKEN:
    import hashlib as _hashlib

    TWILIO_AUTH_TOKEN = _hashlib.sha256(f"carrier:{SECRET_KEY}".encode()).hexdigest()[:32]
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com")
PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
PHONE_RING_SECONDS = envint("PHONE_RING_SECONDS", "20")
PHONE_PIN_TRIES = envint("PHONE_PIN_TRIES", "3")
PHONE_SIMULATOR = envbool("PHONE_SIMULATOR", "true")
# The number the desk texts from when it writes first ("text me this link"); replies to a text
# go from the number the customer wrote to. Empty: the desk offers no texts of its own.
SMS_FROM = os.environ.get("SMS_FROM", "")
# A sender holds a text this long; if it dies meanwhile, the text is sent again after.
SMS_SEND_LEASE_SECONDS = envint("SMS_SEND_LEASE_SECONDS", "120")
# How long a worker process serves the status page's public answers (anonymous readers) from
# memory; 0 turns that off. A status change clears the process that made it at once.
STATUS_PUBLIC_CACHE_SECONDS = envint("STATUS_PUBLIC_CACHE_SECONDS", "5")
# The bearer token monitors (Prometheus Alertmanager) send with their webhooks; empty: off.
STATUS_ALERTMANAGER_TOKEN = envsecret("STATUS_ALERTMANAGER_TOKEN", "")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SWEEP_INTERVAL_SECONDS = envint("SWEEP_INTERVAL_SECONDS", "15")
ACCESS_LOG = envbool("ACCESS_LOG", "false")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # The carrier's client logs every request's headers at INFO.
        "twilio": {"level": "WARNING"},
    },
}

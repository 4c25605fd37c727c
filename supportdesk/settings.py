"""Supportdesk settings: every knob is an environment variable, parsed strictly.

With no environment at all the desk runs on an embedded SQLite database under ``var/``.
"""

import os
from pathlib import Path

import dj_database_url
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
    "django_tasks_db",
    "supportdesk.accounts",
    "supportdesk.plans",
    "supportdesk.tickets",
    "supportdesk.channels.email",
    "supportdesk.channels.chat",
    "supportdesk.billing",
    "supportdesk.knowledge",
    "supportdesk.world",
    "supportdesk.runtime",
    "supportdesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "supportdesk.accounts.middleware.TimezoneMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
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
LANGUAGE_COOKIE_SAMESITE = "Lax"
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
# Facet counts of the agent queue are recomputed at most this often per filter set.
QUEUE_COUNTS_SECONDS = envint("QUEUE_COUNTS_SECONDS", "20")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

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
# A sender whose messages exceed this many in the window is held (a mail loop, a flood).
MAIL_RATE_LIMIT = envint("MAIL_RATE_LIMIT", "20")
MAIL_RATE_WINDOW_SECONDS = envint("MAIL_RATE_WINDOW_SECONDS", "600")
# Acknowledge new cases from unregistered senders too (off: no backscatter to forged senders).
MAIL_ACKNOWLEDGE_UNREGISTERED = envbool("MAIL_ACKNOWLEDGE_UNREGISTERED", "false")
MAIL_POLL_INTERVAL_SECONDS = envint("MAIL_POLL_INTERVAL_SECONDS", "60")
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

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SWEEP_INTERVAL_SECONDS = envint("SWEEP_INTERVAL_SECONDS", "15")
ACCESS_LOG = envbool("ACCESS_LOG", "false")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

import os

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import World, make_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 in production; a cheap hasher keeps tests fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _nothing_kept_between_tests(settings):
    """Rolled-back tests never commit, so nothing tells the kept status answers and rendered
    parts that their rows changed or are gone: none kept unless a test asks for it."""
    from django.core.cache import cache

    from supportdesk.status import cache as status_cache

    settings.STATUS_PUBLIC_CACHE_SECONDS = 0
    cache.clear()
    status_cache.forget()


#: No test asks the outside world's DNS about senders (the desks it starts inherit this);
#: tests of the sender check set a stub resolver.
os.environ["MAIL_DNS_RESOLVER"] = "off"


@pytest.fixture(autouse=True)
def _no_dns(settings):
    settings.MAIL_DNS_RESOLVER = "off"


@pytest.fixture(autouse=True)
def _language_back_to_default():
    """Requests in Polish or Portuguese leave their language active in the thread (Django's
    LocaleMiddleware does not deactivate it): put the default back for the tests after."""
    yield
    translation.activate("en")


@pytest.fixture
def world(db) -> World:
    return make_world()


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}"

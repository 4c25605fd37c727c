import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import World, make_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 in production; a cheap hasher keeps tests fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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

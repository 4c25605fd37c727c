import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_cached_counts():
    """The queue's counts live in the cache for a few seconds: none from another test."""
    cache.clear()
    yield
    cache.clear()

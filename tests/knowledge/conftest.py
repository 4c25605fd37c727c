"""Knowledge-base fixtures: the demo KB and the seed fixture, imported through the services.

The embedding model loads once per test process and every article's vectors stay cached in
memory, so only the first import of a KB pays for embedding (the demo KB ships its vectors).
"""

import json
from pathlib import Path

import pytest

from supportdesk.knowledge import demo, index, services

SEED_KB = Path(__file__).resolve().parents[2].parent / "shared" / "kb" / "kb.json"


@pytest.fixture(autouse=True)
def _fresh_index():
    """Each test builds its index from its own database (the token changes anyway)."""
    index.forget()
    yield
    index.forget()


@pytest.fixture
def demo_kb(db):
    demo.load_demo_kb()
    return index.current()


def seed_records() -> list[dict]:
    if not SEED_KB.exists():
        pytest.skip(f"seed fixture {SEED_KB} not found (it lives beside the repository)")
    return json.loads(SEED_KB.read_text(encoding="utf-8"))


@pytest.fixture
def seed_kb(db):
    services.import_records(seed_records())
    return index.current()

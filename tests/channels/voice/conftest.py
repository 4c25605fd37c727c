# The phone world of test_calls (WebPlug's lines, menus and João's line), for every test here.
from tests.channels.voice.test_calls import lines  # noqa: F401

"""What the channel tests share: the carrier's REST API, faked on a loopback port."""

from tests.channels.fake_carrier import fake_carrier  # noqa: F401 (the fixture)

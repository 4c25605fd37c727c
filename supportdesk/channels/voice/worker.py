"""The phone channel's share of the worker: call backs to place, and carrier requests that a
web process stored but could not act on."""

from supportdesk.channels.voice import callback, calls


def work() -> None:
    callback.place_pending()
    calls.finish_pending()

"""Gunicorn hooks shared by `supportdesk run` and the browser tests' server."""


def on_starting(server) -> None:
    """Warm what every worker needs before the master forks them; they inherit it."""
    from supportdesk.knowledge.search import text

    text.warm()

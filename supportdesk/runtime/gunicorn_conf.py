"""Gunicorn hooks shared by `supportdesk run` and the browser tests' server."""


def on_starting(server) -> None:
    """Warm what every worker needs before the master forks them; they inherit it."""
    from supportdesk.knowledge.search import text
    from supportdesk.runtime import warm

    text.warm()
    warm.warm()


def post_worker_init(worker) -> None:
    """Say when a worker takes requests (benchmarks wait for it rather than send one)."""
    worker.log.info("Worker ready (pid: %s)", worker.pid)

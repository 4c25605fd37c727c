"""Gunicorn's threaded worker, taking a connection only while one of its threads is free.

The stock ``gthread`` worker accepts every connection it is offered, busy or not (gunicorn
issues #908, #3433): eight carrier connections arriving together land on one or two of four
workers and wait behind each other's requests while the other workers idle. Here a worker
stops listening while all its threads are busy, so a new connection goes to a worker that can
serve it now; a connection it already keeps alive is still its own.
"""

from gunicorn.workers.gthread import ThreadWorker


class FreeThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.in_hand = 0  # requests given to the threads and not finished (main thread only)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self.in_hand < self.cfg.threads)

    def enqueue_req(self, conn) -> None:
        self.in_hand += 1
        super().enqueue_req(conn)
        if self.in_hand >= self.cfg.threads:
            self.set_accept_enabled(False)

    def finish_request(self, conn, fs) -> None:
        self.in_hand -= 1
        super().finish_request(conn, fs)

"""A WSGI app that answers with the serving process's id, after ``?wait=S`` seconds."""

import os
import time
from urllib.parse import parse_qs


def app(environ, start_response):
    wait = float(parse_qs(environ.get("QUERY_STRING", "")).get("wait", ["0"])[0])
    time.sleep(wait)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

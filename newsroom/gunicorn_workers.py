"""gunicorn workers whose own error answers are JSON, like every other error of the archive.

gunicorn answers some requests itself, before Django sees them: a request line longer than
`limit_request_line` (414), too many or too large headers (431), a malformed request (400),
and writes a small HTML page. These workers let gunicorn decide the status, log and account for
the error as usual, and only replace the page it writes with
{"status", "detail", "request_id"} (and the same id in `X-Request-ID`).

`JSONLinesLogger` writes gunicorn's own log lines as JSON, like the archive's in production.
"""

from __future__ import annotations

import json
import re
import uuid

from gunicorn import glogging, util
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker
from pythonjsonlogger.json import JsonFormatter

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ([^\r\n]*)")

DETAILS = {
    400: "Bad request: the request could not be parsed.",
    403: "Forbidden.",
    414: "The request line (method, path and query string) is too long.",
    417: "Expectation failed.",
    431: "The request's headers are too many or too large.",
    500: "Server error.",
    501: "Not implemented: unsupported transfer coding.",
}


class _Captured:
    """Stands in for the client socket while gunicorn writes its HTML error."""

    def __init__(self, sock) -> None:
        self._sock = sock
        self.written = b""

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.written += data

    def send(self, data: bytes) -> int:
        self.written += data
        return len(data)


def json_error(status: int, reason: str) -> bytes:
    request_id = uuid.uuid4().hex
    body = json.dumps(
        {"status": status, "detail": DETAILS.get(status, reason), "request_id": request_id}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"X-Request-ID: {request_id}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin1") + body


class JSONErrorsMixin:
    def handle_error(self, req, client, addr, exc):
        captured = _Captured(client)
        super().handle_error(req, captured, addr, exc)
        match = STATUS_LINE.match(captured.written)
        answer = (
            json_error(int(match.group(1)), match.group(2).decode("latin1"))
            if match
            else captured.written
        )
        try:
            util.write_nonblock(client, answer)
        except Exception:
            self.log.debug("Failed to send error message.")


class JSONErrorsSyncWorker(JSONErrorsMixin, SyncWorker):
    pass


class JSONErrorsThreadWorker(JSONErrorsMixin, ThreadWorker):
    pass


class JSONLinesLogger(glogging.Logger):
    """gunicorn's own log lines (start-up, worker restarts, rejected requests, the access log
    when on) as JSON objects, like the archive's, when the archive logs JSON."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

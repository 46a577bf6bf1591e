"""A request id for every request: in the `X-Request-ID` response header, in every JSON error
body and in every log line written while the request is handled, with the client's address
(`newsroom.clients.client_address`).

An incoming `X-Request-ID` is kept only when the request came from a trusted proxy
(`TRUSTED_PROXIES`, the hop that connected to us) and looks like an id, so a balancer's id
follows the request through; otherwise a new one is made, and a client cannot choose the id its
lines are logged under.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished

from newsroom.clients import client_address, is_trusted_proxy

HEADER = "X-Request-ID"
ACCEPTABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

current: ContextVar[str | None] = ContextVar("request_id", default=None)
current_client: ContextVar[str | None] = ContextVar("client", default=None)


def request_id() -> str | None:
    """The id of the request being handled, if any."""
    return current.get()


def incoming_or_new(meta: dict) -> str:
    incoming = meta.get("HTTP_X_REQUEST_ID", "")
    from_proxy = is_trusted_proxy(meta.get("REMOTE_ADDR", ""))
    if incoming and from_proxy and ACCEPTABLE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so errors raised by any later middleware carry the id too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = incoming_or_new(request.META)
        current.set(request.id)
        current_client.set(client_address(request.META))
        response = self.get_response(request)
        response[HEADER] = request.id
        return response


def _forget(**kwargs) -> None:
    # Django logs a 4xx/5xx after the middleware has returned; the id is cleared only when the
    # response is closed, so that line carries it too.
    current.set(None)
    current_client.set(None)


request_finished.connect(_forget, dispatch_uid="newsroom.requestid.forget")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` and `client` (or "-" outside a request) to every record a handler
    writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current.get() or "-"
        if not hasattr(record, "client"):
            record.client = current_client.get() or "-"
        return True

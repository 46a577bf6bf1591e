"""Every error is JSON, whatever raised it: Django's own 400/403/404/500 handlers and the CSRF
failure view answer in the shape the API's errors have, {"status", "detail", "request_id"}.

A Host not in ALLOWED_HOSTS reaches `bad_request` (Django turns `DisallowedHost` into a 400
through handler400), so it is JSON too. gunicorn's own errors, raised before Django sees the
request, are JSON through `newsroom.gunicorn_workers`.
"""

from __future__ import annotations

from django.http import JsonResponse

from newsroom.requestid import request_id


def error_body(status: int, detail: str) -> dict:
    return {"status": status, "detail": detail, "request_id": request_id()}


def error_response(status: int, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status, detail), status=status)


def bad_request(request, exception=None):
    return error_response(400, "Bad request.")


def permission_denied(request, exception=None):
    return error_response(403, "You do not have permission to do this.")


def page_not_found(request, exception=None):
    return error_response(404, "Not found.")


def server_error(request):
    return error_response(500, "Server error: it has been logged with this request id.")


def csrf_failure(request, reason=""):
    return error_response(
        403, "CSRF verification failed: reload the page and submit again (cookies must be on)."
    )

"""Every error is JSON, whatever raised it, and carries the request id of its response header."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from archive.api import TagViewSet

pytestmark = pytest.mark.django_db


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_a_host_not_allowed_gets_a_json_400(settings):
    settings.ALLOWED_HOSTS = ["archive.example.org"]

    response = Client().get("/api/v1/", HTTP_HOST="evil.example")

    assert_json_error(response, 400)


def test_a_path_outside_the_api_gets_a_json_404():
    assert_json_error(Client().get("/no-such-page/"), 404)


def test_an_unexpected_exception_gets_a_json_500(monkeypatch):
    def boom(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(TagViewSet, "list", boom)
    client = APIClient(raise_request_exception=False)

    body = assert_json_error(client.get("/api/v1/tags/"), 500)

    assert "a bug" not in body["detail"]


def test_a_failed_csrf_check_gets_a_json_403():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "a", "password": "b"})

    assert_json_error(response, 403)


def test_api_errors_carry_the_request_id_of_the_response_header():
    response = APIClient().get("/api/v1/articles/?nonsense=1")

    assert_json_error(response, 400)


def test_each_request_gets_its_own_id_and_a_client_cannot_choose_it(settings):
    settings.TRUSTED_PROXIES = []
    client = Client()

    first = client.get("/api/v1/nope/", HTTP_X_REQUEST_ID="chosen-by-client")
    second = client.get("/api/v1/nope/")

    assert first["X-Request-ID"] != "chosen-by-client"
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [("lb-1234-abcd", True), ("bad id with spaces", False), ("x" * 200, False)],
)
def test_a_trusted_proxys_request_id_is_kept_when_it_looks_like_one(settings, incoming, kept):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = Client(REMOTE_ADDR="10.0.0.5").get("/api/v1/nope/", HTTP_X_REQUEST_ID=incoming)

    assert (response["X-Request-ID"] == incoming) is kept
    assert response.json()["request_id"] == response["X-Request-ID"]

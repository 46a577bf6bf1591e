"""Prometheus metrics at /metrics: per-view counters and latencies, database time; guarded."""

import pytest
from django.test import Client, RequestFactory
from prometheus_client.parser import text_string_to_metric_families

from newsroom.metrics import view_label

pytestmark = pytest.mark.django_db


def samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def value(found, name, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def enabled(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.9.0.0/16"]
    settings.TRUSTED_PROXIES = []


def test_a_request_is_counted_timed_and_its_database_time_measured(enabled):
    client = Client()
    before = samples(client)

    assert client.get("/api/v1/tags/").status_code == 200
    assert client.get("/api/v1/nope/").status_code == 404
    after = samples(client)

    for name, labels, delta in [
        ("newsroom_http_requests_total", {"view": "tag-list", "method": "GET", "status": "200"}, 1),
        (
            "newsroom_http_requests_total",
            {"view": "api-not-found", "method": "GET", "status": "404"},
            1,
        ),
        ("newsroom_http_request_duration_seconds_count", {"view": "tag-list", "method": "GET"}, 1),
        ("newsroom_db_duration_seconds_count", {"view": "tag-list"}, 1),
    ]:
        assert value(after, name, **labels) - value(before, name, **labels) == delta, name
    queries = "newsroom_db_queries_total"
    assert value(after, queries, view="tag-list") > value(before, queries, view="tag-list")
    db_time = "newsroom_db_duration_seconds_sum"
    assert value(after, db_time, view="tag-list") > value(before, db_time, view="tag-list")


def test_metrics_are_off_unless_enabled(settings):
    settings.METRICS_ENABLED = False

    response = Client().get("/metrics")

    assert response.status_code == 404
    assert response.json()["status"] == 404


@pytest.mark.parametrize(
    ("remote", "forwarded", "status"),
    [
        ("10.9.3.4", None, 200),
        ("192.0.2.1", None, 404),
        # Relayed by a proxy that is not trusted: its loopback address proves nothing.
        ("127.0.0.1", "192.0.2.1", 404),
        ("127.0.0.1", "127.0.0.1", 404),
    ],
)
def test_metrics_answer_only_scrapers_at_allowed_addresses(enabled, remote, forwarded, status):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}

    response = Client(REMOTE_ADDR=remote).get("/metrics", **headers)

    assert response.status_code == status


def test_behind_a_trusted_proxy_the_forwarded_address_decides(enabled, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    proxy = Client(REMOTE_ADDR="127.0.0.1")

    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 404
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="10.9.0.7").status_code == 200


def test_requests_no_url_pattern_names_share_two_labels_whatever_the_path():
    factory = RequestFactory()

    assert view_label(factory.get("/static/admin/css/base.abc123.css")) == "static"
    assert view_label(factory.get("/some/invented/path/12345")) == "unmatched"

"""Liveness and readiness for load balancers: JSON, never throttled, down when a dependency is."""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from rest_framework.throttling import AnonRateThrottle

pytestmark = pytest.mark.django_db


def test_a_running_archive_is_alive_and_ready():
    client = Client()

    live = client.get("/health/live/")
    ready = client.get("/health/ready/")

    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["checks"].values()) == {"OK"}
    assert any("Database" in name for name in body["checks"])
    assert any("Cache" in name for name in body["checks"])
    assert any("MigrationsApplied" in name for name in body["checks"])


def test_with_the_database_unavailable_it_is_alive_but_not_ready(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    # Every new connection fails, as when the database server is down.
    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    client = Client()

    ready = client.get("/health/ready/")

    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    database = [v for k, v in ready.json()["checks"].items() if k.startswith("Database")]
    assert database and all(v != "OK" for v in database)
    assert client.get("/health/live/").status_code == 200


def test_unapplied_migrations_make_it_not_ready(monkeypatch):
    real_plan = MigrationExecutor.migration_plan

    def plan_with_one_pending(self, targets, clean_start=False):
        graph = self.loader.graph
        leaf = next(node for node in graph.leaf_nodes() if node[0] == "archive")
        return [*real_plan(self, targets, clean_start), (graph.nodes[leaf], False)]

    monkeypatch.setattr(MigrationExecutor, "migration_plan", plan_with_one_pending)

    ready = Client().get("/health/ready/")

    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert [v for k, v in checks.items() if "Migrations" in k] == [
        "Unavailable: 1 migration not applied"
    ]


def test_health_endpoints_are_not_throttled(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})
    client = Client()

    statuses = [client.get(url).status_code for url in ["/health/live/", "/health/ready/"] * 4]

    assert statuses == [200] * 8

import re

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import override_settings

from archive.evidence import OVERRIDE_TABLE
from archive.permissions import ensure_groups
from newsroom.routers import REPLICA_DB_ALIAS
from tests.factories import UserFactory
from tests.seeding import load_seed

# The browser tests' Chromium and log-in (fixtures shared by their modules).
pytest_plugins = ["tests.browser"]


def _flush_past_the_evidence_guard():
    """Let `flush` (the end of every transactional test) empty the article table on SQLite.

    The database refuses to DELETE an article (migration 0013) unless the transaction holds an
    override row (archive.evidence). PostgreSQL's flush is a TRUNCATE, which row triggers do
    not see; SQLite's is DELETE FROM, one statement per table, in one transaction: the row goes
    in first and out last.
    """
    if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
        return
    DatabaseOperations = type(connections[DEFAULT_DB_ALIAS].ops)
    flush = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = flush(self, style, tables, **kwargs)
        if "archive_article" not in tables:
            return statements
        return [
            f"INSERT INTO {OVERRIDE_TABLE} (reason) VALUES ('flush')",
            *statements,
            f"DELETE FROM {OVERRIDE_TABLE}",
        ]

    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture(scope="session", autouse=True)
def _evidence_guard_and_flush():
    _flush_past_the_evidence_guard()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    # Every factory user gets a password: PBKDF2's deliberate slowness made a changelist test
    # of 50 rows (each with its user) take ten seconds. Hashing itself is Django's, not ours.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def seed(db):
    """The curated seed archive (loaddata: no ledger and no history, unlike `bootstrap`),
    copied in as rows after the session's first load (tests/seeding.py)."""
    load_seed()


@pytest.fixture
def groups(db):
    return ensure_groups()


@pytest.fixture
def editor(groups):
    user = UserFactory(username="ed", is_staff=True)
    user.groups.add(groups["editor"])
    return user


@pytest.fixture
def contributor(groups):
    user = UserFactory(username="con", is_staff=True)
    user.groups.add(groups["contributor"])
    return user


@pytest.fixture
def replica(transactional_db):
    """A `replica` alias that reads the (committed) test database through its own connection."""
    connections.settings[REPLICA_DB_ALIAS] = {
        **connections[DEFAULT_DB_ALIAS].settings_dict,
        "TEST": {"MIRROR": DEFAULT_DB_ALIAS},
    }
    connection = connections[REPLICA_DB_ALIAS]
    # Connect explicitly: Django's test case only lets the aliases it was set up with connect on
    # demand, and this alias exists for this test only.
    connection.connect()
    try:
        yield connection
    finally:
        connections[REPLICA_DB_ALIAS].close()
        del connections[REPLICA_DB_ALIAS]
        del connections.settings[REPLICA_DB_ALIAS]


def _fields(form) -> dict:
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [getattr(v, "pk", v) for v in value]
        else:
            data[key] = getattr(value, "pk", value)
    return data


def change_page_data(client, url: str) -> tuple[dict, bytes]:
    """GET an admin form page as a browser would: the data its form (and inlines) would post."""
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    data = _fields(context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_fields(formset.management_form))
        for form in formset.forms:
            data.update(_fields(form))
    return data, response.content


def open_change_page(client, url: str) -> tuple[dict, int]:
    """The change page's data and the version in its hidden field."""
    data, content = change_page_data(client, url)
    version = re.search(rb'<input type="hidden" name="base_version" value="(\d+)"', content)
    assert version, "the change form carries the version it was built from"
    assert int(data["base_version"]) == int(version.group(1))
    return data, int(version.group(1))

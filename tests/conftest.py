import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections

from archive.permissions import ensure_groups
from newsroom.routers import REPLICA_DB_ALIAS
from tests.factories import UserFactory


@pytest.fixture
def seed(db):
    """The curated seed archive (loaddata: no ledger and no history, unlike `bootstrap`)."""
    call_command("loaddata", "archive", verbosity=0)


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

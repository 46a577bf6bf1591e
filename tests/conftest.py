import pytest
from django.core.management import call_command

from archive.permissions import ensure_groups
from tests.factories import UserFactory


@pytest.fixture
def seed(db):
    """The curated seed archive, loaded as `bootstrap` loads it."""
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

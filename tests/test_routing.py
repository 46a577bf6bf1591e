"""Read replicas: newsroom.routers.PrimaryReplicaRouter and its wiring in the settings.

The replica used here is a second connection to the test database (what TEST["MIRROR"] sets
up when DATABASE_REPLICA_URL is configured), so each query can be seen on the connection it
went through.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext

from archive.models import Article, Testimony
from newsroom.routers import REPLICA_DB_ALIAS, PrimaryReplicaRouter
from tests.factories import ArticleFactory

ROOT = Path(__file__).resolve().parent.parent


def test_without_a_replica_reads_and_writes_go_to_the_primary():
    router = PrimaryReplicaRouter()

    assert REPLICA_DB_ALIAS not in connections.settings
    assert router.db_for_read(Article) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Article) == DEFAULT_DB_ALIAS
    assert Article.objects.all().db == DEFAULT_DB_ALIAS


def test_reads_go_to_the_replica(replica):
    article = ArticleFactory()

    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        found = Article.objects.get(pk=article.pk)

    assert found == article
    assert found._state.db == REPLICA_DB_ALIAS
    assert len(on_replica) == 1
    assert len(on_primary) == 0


def test_writes_go_to_the_primary(replica):
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        # As every write of the archive is made: in a transaction (services, admin, loaddata).
        # The history a save records reads the row back; inside the transaction that read is
        # on the primary too, where the row already is.
        transaction.atomic(),
    ):
        article = ArticleFactory()
        Article.objects.filter(pk=article.pk).update(headline="Corrected headline")

    assert PrimaryReplicaRouter().db_for_write(Article) == DEFAULT_DB_ALIAS
    assert article._state.db == DEFAULT_DB_ALIAS
    assert len(on_primary) >= 2
    assert on_replica.captured_queries == []


def test_reads_inside_a_write_transaction_go_to_the_primary(replica):
    article = ArticleFactory()

    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        transaction.atomic(),
    ):
        Article.objects.filter(pk=article.pk).update(headline="Not yet on the replica")
        # Uncommitted: only the primary can see it.
        seen = Article.objects.get(pk=article.pk)
        assert PrimaryReplicaRouter().db_for_read(Article) == DEFAULT_DB_ALIAS

    assert seen.headline == "Not yet on the replica"
    assert seen._state.db == DEFAULT_DB_ALIAS
    assert on_replica.captured_queries == []
    assert any("SELECT" in q["sql"] for q in on_primary.captured_queries)
    # Once the transaction is over, reads go back to the replica.
    assert PrimaryReplicaRouter().db_for_read(Article) == REPLICA_DB_ALIAS


def test_an_object_read_from_the_replica_can_be_related_to_one_written_to_the_primary(replica):
    article = Article.objects.get(pk=ArticleFactory().pk)
    assert article._state.db == REPLICA_DB_ALIAS

    testimony = Testimony(article=article, quote="x", start=0, end=1, speaker_description="a")

    assert testimony.article == article
    assert PrimaryReplicaRouter().allow_relation(article, testimony) is True


def test_only_the_primary_is_migrated():
    router = PrimaryReplicaRouter()

    assert router.allow_migrate(DEFAULT_DB_ALIAS, "archive") is True
    assert router.allow_migrate(REPLICA_DB_ALIAS, "archive") is False


def settings_in_subprocess(**env) -> dict:
    """The database settings a fresh process derives from its environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'databases': {a: {'ENGINE': d['ENGINE'], 'NAME': str(d['NAME']), "
        "'HOST': d.get('HOST', ''), 'TEST': d.get('TEST', {})} "
        "for a, d in settings.DATABASES.items()}, 'routers': settings.DATABASE_ROUTERS}))"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"},
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def test_database_replica_url_configures_a_replica_that_mirrors_the_primary_in_tests():
    configured = settings_in_subprocess(
        DATABASE_URL="postgres://archive@primary.internal:5432/archive",
        DATABASE_REPLICA_URL="postgres://archive@replica.internal:5432/archive",
    )

    replica = configured["databases"]["replica"]
    assert replica["ENGINE"] == "django.db.backends.postgresql"
    assert replica["HOST"] == "replica.internal"
    assert replica["TEST"]["MIRROR"] == "default"
    assert configured["databases"]["default"]["HOST"] == "primary.internal"
    assert configured["routers"] == ["newsroom.routers.PrimaryReplicaRouter"]


def test_without_database_replica_url_there_is_no_replica():
    configured = settings_in_subprocess()

    assert set(configured["databases"]) == {"default"}

"""The synthetic archive generator (`generate_archive`), on a small N, on SQLite and PostgreSQL."""

import os
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from archive.generate import AlreadyGenerated, generate_archive
from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    Person,
    Place,
    PlaceName,
    Status,
    Tag,
    Testimony,
    Visibility,
)
from archive.text import check_anchor
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def snapshot():
    """What a seed determines: the text and the choices, not the database ids."""
    return {
        a.slug: (
            a.headline,
            a.body,
            a.language,
            a.status,
            a.raw_sha256,
            sorted((t.start, t.end, t.quote, t.visibility) for t in a.testimonies.all()),
        )
        for a in Article.objects.prefetch_related("testimonies")
    }


def test_generates_the_requested_articles_with_sensible_ratios():
    counts = generate_archive(articles=60, seed=1, batch_size=7)

    assert Article.objects.count() == counts.articles == 60
    assert 3 * 60 <= Testimony.objects.count() == counts.testimonies <= 9 * 60
    assert Person.objects.count() == counts.people == 20
    assert Place.objects.count() == 200
    assert PlaceName.objects.count() > 200
    assert Tag.objects.filter(parent__isnull=True).exists()
    assert Tag.objects.filter(parent__isnull=False).exists()
    assert 0 < Annotation.objects.count() < 3 * 60
    assert Collection.objects.count() == 1
    assert 10 <= CollectionItem.objects.count() <= 30
    assert Article.objects.filter(places__isnull=True).count() == 0
    assert Article.objects.filter(tags__isnull=True).count() == 0


def test_bodies_are_two_to_six_kilobytes_in_mostly_english():
    generate_archive(articles=200, seed=2)

    sizes = [len(body.encode()) for body in Article.objects.values_list("body", flat=True)]
    assert min(sizes) >= 1200 and max(sizes) <= 9000
    assert 2000 <= sum(sizes) / len(sizes) <= 6000
    languages = Counter(Article.objects.values_list("language", flat=True))
    assert languages["en"] > 100
    assert set(languages) <= {"en", "fr", "uk", "ru"}
    statuses = Counter(Article.objects.values_list("status", flat=True))
    assert statuses[Status.PUBLISHED] > 140
    assert statuses[Status.DRAFT] + statuses[Status.IN_REVIEW] + statuses[Status.WITHDRAWN] > 0


def test_every_quote_and_annotation_is_the_slice_of_its_article_body():
    generate_archive(articles=40, seed=3, batch_size=16)

    for testimony in Testimony.objects.select_related("article"):
        assert testimony.article.body[testimony.start : testimony.end] == testimony.quote
    for annotation in Annotation.objects.select_related("article"):
        check_anchor(
            body=annotation.article.body,
            start=annotation.start,
            end=annotation.end,
            exact=annotation.exact,
            prefix=annotation.prefix,
            suffix=annotation.suffix,
        )


def test_some_testimonies_are_protected_and_never_public():
    generate_archive(articles=150, seed=4)

    visibility = Counter(Testimony.objects.values_list("visibility", flat=True))
    assert visibility[Visibility.PSEUDONYMISED] > 0
    assert visibility[Visibility.RESTRICTED] > 0
    assert not Testimony.objects.filter(visibility__in=["pseudonymised", "restricted"]).filter(
        protection_reason=""
    )
    assert not Testimony.objects.public().filter(visibility=Visibility.RESTRICTED).exists()
    assert Testimony.objects.public().exists()


def test_the_same_seed_generates_the_same_archive():
    with transaction.atomic():
        generate_archive(articles=12, seed=5, batch_size=5)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Article.objects.exists()

    generate_archive(articles=12, seed=5, batch_size=5)

    assert snapshot() == first


def test_another_seed_generates_another_archive_alongside():
    generate_archive(articles=10, seed=6)
    first = snapshot()

    generate_archive(articles=10, seed=7)

    assert Article.objects.count() == 20
    second = {slug: v for slug, v in snapshot().items() if slug not in first}
    assert {v[1] for v in second.values()}.isdisjoint({v[1] for v in first.values()})


def test_generating_the_same_seed_twice_is_refused_before_writing_anything():
    generate_archive(articles=5, seed=8)
    before = (Article.objects.count(), Person.objects.count(), Testimony.objects.count())

    with pytest.raises(AlreadyGenerated):
        generate_archive(articles=5, seed=8)

    assert (Article.objects.count(), Person.objects.count(), Testimony.objects.count()) == before


def test_existing_tags_are_reused_instead_of_a_new_thesaurus():
    tag = TagFactory(name="Shelling", slug="shelling")

    generate_archive(articles=10, seed=9)

    assert list(Tag.objects.all()) == [tag]
    assert Article.objects.filter(tags=tag).count() == 10


def test_the_command_reports_what_it_generated():
    out = StringIO()
    call_command("generate_archive", "--articles", "3", "--seed", "10", verbosity=0, stdout=out)

    assert Article.objects.count() == 3
    assert "3 articles" in out.getvalue()
    assert f"{Testimony.objects.count()} testimonies" in out.getvalue()


def test_progress_is_reported_once_per_article_whatever_the_batch_size():
    steps = []

    generate_archive(articles=5, seed=12, batch_size=2000, progress=steps.append)

    assert steps == [1] * 5


def test_the_command_on_an_unmigrated_database_says_to_migrate_in_one_line(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}

    result = subprocess.run(
        [sys.executable, "manage.py", "generate_archive", "--articles", "1"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "Traceback" not in result.stderr
    assert "unapplied migrations" in result.stderr
    assert "manage.py migrate" in result.stderr


def test_the_command_refuses_a_seed_already_generated():
    call_command("generate_archive", "--articles", "2", "--seed", "11", verbosity=0)

    with pytest.raises(CommandError, match="already generated with seed 11"):
        call_command("generate_archive", "--articles", "2", "--seed", "11", verbosity=0)


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_the_command_refuses_an_article_count_that_is_not_positive(value):
    with pytest.raises(CommandError):
        call_command("generate_archive", "--articles", value, verbosity=0)

    assert not Article.objects.exists()


def test_generating_changes_the_archive_fingerprint_that_etags_come_from():
    from archive.selectors import archive_fingerprint

    generate_archive(articles=2, seed=12)
    before = archive_fingerprint()[1]

    # The second run reuses the reference data: it only bulk-inserts, which writes no history.
    generate_archive(articles=2, seed=13)

    assert archive_fingerprint()[1] != before

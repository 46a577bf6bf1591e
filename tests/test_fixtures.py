"""The curated seed archive (fixtures/archive.json): it loads, loads again without duplicates,
and every anchor, hash and editorial decision in it holds against the text."""

from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from archive.models import (
    Annotation,
    Article,
    Collection,
    Person,
    Place,
    PlaceFact,
    ProtectionLevel,
    Status,
    Tag,
    Testimony,
    Visibility,
)
from archive.text import check_anchor, sha256_hex

DISPATCHES = Path(__file__).resolve().parent.parent / "fixtures" / "dispatches"

# Page furniture of the captures that a cleaned body must not keep (whole lines).
BOILERPLATE_LINES = {
    "Search",
    "Subscribe Our News",
    "Reading time : 1 min.",
    "source site-25",
    "listen",
    "Brought to you by",
    "Article written by",
    "Posted",
}

# Every place the issue names, with the variants the seeds (and the gazetteer) must know.
PLACES = {
    "Bakhmut": {"Bakhmout", "Бахмут", "Artemivsk"},
    "Lysychansk": {"Lyssytchansk", "Лисичанськ"},
    "Severodonetsk": {"Sievierodonetsk", "Сєвєродонецьк"},
    "Kupiansk": {"Kupyansk", "Куп'янськ"},
    "Toretsk": {"Торецьк", "Dzerzhynsk"},
    "Kostiantynivka": {"Konstantinovka"},
    "Kramatorsk": set(),
    "Sloviansk": {"Slovyansk"},
    "Soledar": set(),
    "Borivske": set(),
    "Dvorichna": set(),
    "Kyiv": {"kyiv"},
    "Donetsk Oblast": set(),
    "Luhansk Oblast": {"Lugansk"},
    "Kharkiv Oblast": set(),
    "Siverskyi Donets": {"Donets"},
    "Donbas": {"Donbass"},
    "Ukraine": set(),
}


def archive_row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("archive").get_models()
    }


@pytest.mark.django_db
def test_the_fixture_loads_into_an_empty_database_and_again_without_duplicates():
    assert not any(archive_row_counts().values())
    call_command("loaddata", "archive", verbosity=0)
    first = archive_row_counts()
    assert first["archive.Article"] == 5
    call_command("loaddata", "archive", verbosity=0)
    assert archive_row_counts() == first


def test_every_raw_capture_is_its_seed_file_byte_for_byte_with_its_hash(seed):
    seeds = sorted(DISPATCHES.glob("*.txt"))
    assert len(seeds) == 5
    captures = {article.raw_text: article for article in Article.objects.all()}
    for path in seeds:
        text = path.read_bytes().decode("utf-8")
        assert text in captures, f"{path.name} is not stored as a raw capture"
        article = captures[text]
        assert article.raw_text.encode("utf-8") == path.read_bytes()
        assert article.raw_sha256 == sha256_hex(article.raw_text)


def test_every_testimony_quote_is_its_slice_of_the_body(seed):
    testimonies = list(Testimony.objects.select_related("article"))
    assert len(testimonies) > 30
    for testimony in testimonies:
        assert testimony.article.body[testimony.start : testimony.end] == testimony.quote
        assert testimony.speaker_id or testimony.speaker_description
        assert testimony.language == "en"


def test_every_annotation_selector_agrees_with_the_body(seed):
    annotations = list(Annotation.objects.select_related("article"))
    assert len(annotations) >= 10
    for annotation in annotations:
        check_anchor(
            body=annotation.article.body,
            start=annotation.start,
            end=annotation.end,
            exact=annotation.exact,
            prefix=annotation.prefix,
            suffix=annotation.suffix,
        )
        # The context is the full 32 characters wherever the body has them.
        assert len(annotation.prefix) == min(32, annotation.start)
        assert len(annotation.suffix) == min(32, len(annotation.article.body) - annotation.end)
        assert annotation.author_name == "Archive editors"


def test_annotations_have_several_motivations_and_are_both_public_and_internal(seed):
    motivations = Counter(Annotation.objects.values_list("motivation", flat=True))
    assert len(motivations) >= 4
    assert {"editing", "describing", "assessing", "moderating"} <= set(motivations)
    assert Annotation.objects.filter(is_public=True).exists()
    assert Annotation.objects.filter(is_public=False).exists()


def test_every_inferred_date_has_an_annotation_saying_where_it_comes_from(seed):
    for article in Article.objects.all():
        assert article.published_on is not None
        assert article.date_inferred
        assert article.date_precision in ("month", "year")
        assert article.annotations.filter(
            motivation="describing", body__startswith="Date inferred"
        ).exists(), article.slug


def test_cleaned_bodies_keep_no_boilerplate_line_and_the_repeated_passage_once(seed):
    for article in Article.objects.all():
        lines = {line.strip() for line in article.body.splitlines()}
        assert not lines & BOILERPLATE_LINES, article.slug
        assert article.body == article.body.strip()
        assert "\n\n\n" not in article.body
    kupiansk = Article.objects.get(raw_text__contains="Subscribe Our News")
    assert kupiansk.raw_text.count("The front is now a 15-kilometer") == 2
    assert kupiansk.body.count("The front is now a 15-kilometer") == 1
    assert kupiansk.body.count("Vitaly's neighbour drove him") == 1
    # The removal is recorded where the kept copy stands.
    kept = kupiansk.annotations.get(motivation="editing")
    assert kept.exact.startswith("The front is now a 15-kilometer")


def test_cleaned_bodies_are_the_raw_text_minus_whole_lines(seed):
    """Nothing inside a kept line is rewritten: every body line is a line of the capture."""
    for article in Article.objects.all():
        raw_lines = set(article.raw_text.splitlines())
        for line in article.body.splitlines():
            assert line in raw_lines, (article.slug, line[:60])


def test_sources_are_the_named_outlets_and_the_unnamed_one_is_unattributed(seed):
    by_seed = {
        path.name[:3]: Article.objects.get(raw_sha256=sha256_hex(path.read_text("utf-8")))
        for path in DISPATCHES.glob("*.txt")
    }
    assert by_seed["000"].source is None
    assert "no outlet is named" in by_seed["000"].attribution_note
    assert by_seed["001"].source.name == "Gwara Media"
    assert by_seed["002"].source.slug == "afp"
    assert by_seed["003"].source.name == "Reuters"
    assert by_seed["003"].dateline_place.name == "Toretsk"
    assert by_seed["004"].source.name == "franceinfo"
    credits = set(by_seed["003"].credits.values_list("name", "role"))
    assert credits == {
        ("Anna Voitenko", "author"),
        ("Alina Smutko", "author"),
        ("Mike Collett-White", "writer"),
        ("Gareth Jones", "editor"),
    }
    assert by_seed["001"].credits.filter(name="Oleksandr Babenko", role="photographer").exists()
    assert by_seed["004"].credits.filter(name="Omar Ouahmane").exists()


def test_four_articles_are_published_and_the_unattributed_one_is_not(seed):
    assert Article.objects.published().count() == 4
    unpublished = Article.objects.exclude(status=Status.PUBLISHED).get()
    assert unpublished.source is None
    assert not Article.objects.published().filter(published_at__isnull=True).exists()


def test_every_place_the_issue_names_has_coordinates_and_its_variants(seed):
    for name, variants in PLACES.items():
        place = Place.objects.get(name=name)
        assert place.latitude is not None and place.longitude is not None, name
        assert 44 <= place.latitude <= 53 and 22 <= place.longitude <= 41, name
        assert variants <= set(place.variants.values_list("name", flat=True)), name
        if place.kind in ("city", "town", "village"):
            assert place.parent is not None, name
    assert Place.objects.get(name="Bakhmut").parent.name == "Donetsk Oblast"
    assert Place.objects.get(name="Lysychansk").parent.name == "Luhansk Oblast"
    assert Place.objects.get(name="Kupiansk").parent.name == "Kharkiv Oblast"


def test_pre_war_populations_given_by_the_texts_are_recorded_with_a_source_note(seed):
    for place in ("Bakhmut", "Toretsk", "Lysychansk"):
        facts = PlaceFact.objects.filter(place__name=place, kind="population")
        assert facts.exists(), place
        assert all(fact.source_note for fact in facts)


def test_articles_are_linked_to_the_places_they_name(seed):
    for article in Article.objects.prefetch_related("places__variants"):
        linked = article.places.all()
        assert linked, article.slug
        # Every linked town (not region) is named in the body under one of its names.
        for place in linked:
            if place.kind in ("city", "town", "village"):
                names = {place.name, *(v.name for v in place.variants.all())}
                assert any(name in article.body for name in names), (article.slug, place.name)


def test_the_thesaurus_has_fifteen_described_terms_on_two_levels_and_is_used(seed):
    tags = list(Tag.objects.select_related("parent"))
    assert len(tags) >= 15
    assert all(tag.description.strip() for tag in tags)
    themes = [tag for tag in tags if tag.parent_id is None]
    narrower = [tag for tag in tags if tag.parent_id is not None]
    assert len(themes) >= 5 and len(narrower) >= 5
    assert all(tag.parent.parent_id is None for tag in narrower)
    assert Tag.objects.filter(articles__isnull=False).distinct().count() >= 10
    assert Tag.objects.filter(testimonies__isnull=False).distinct().count() >= 10
    assert not Article.objects.filter(tags__isnull=True).exists()
    assert not Testimony.objects.filter(tags__isnull=True).exists()


def test_speakers_carry_age_role_and_kind_as_published(seed):
    sergiy = Testimony.objects.get(quote__startswith="I worry we will not be able")
    assert (sergiy.speaker.name, sergiy.speaker_age) == ("Sergiy", 65)
    assert (
        Testimony.objects.filter(speaker__name="Valentyna Natyazhko", speaker_age=88).count() == 2
    )
    assert Person.objects.get(name="Dandy").kind == Person.Kind.MILITARY
    assert Person.objects.get(name="Tetyana Nikonova").kind == Person.Kind.OFFICIAL
    assert Testimony.objects.get(quote="Once was more than enough.").speaker_id is None
    kinds = set(Person.objects.values_list("kind", flat=True))
    assert {"civilian", "military", "official"} <= kinds


def test_a_speaker_at_risk_under_occupation_is_protected_with_a_reason(seed):
    guseva = Person.objects.get(name="Natalia Guseva")
    assert guseva.protection_level != ProtectionLevel.PUBLIC
    assert "son" in guseva.protection_reason
    protected = Testimony.objects.exclude(visibility=Visibility.PUBLIC)
    assert protected.exists()
    assert all(t.protection_reason.strip() for t in protected)
    assert guseva.testimonies.exclude(visibility=Visibility.PUBLIC).exists()
    # Her words never reach the public archive; Bardas's do, without his name.
    assert not Testimony.objects.public().filter(speaker=guseva).exists()
    bardas = Person.objects.get(name="Vitaly Bardas")
    assert bardas.protection_level == ProtectionLevel.PSEUDONYMISED
    assert Testimony.objects.public().filter(speaker=bardas).exists()
    assert not Person.objects.public().filter(pk__in=[guseva.pk, bardas.pk]).exists()


def test_published_collections_have_ordered_items_that_the_public_may_see(seed):
    published = Collection.objects.published()
    assert published.count() >= 3
    for collection in published:
        items = list(collection.items.all())
        assert len(items) >= 4, collection.slug
        assert collection.published_at is not None
        assert collection.introduction and collection.curator
        assert [item.position for item in items] == list(range(1, len(items) + 1))
        assert all(item.caption for item in items)
        # Curated for the public: nothing in a published collection is filtered away.
        assert collection.items.public().count() == len(items), collection.slug
    assert Collection.objects.filter(status=Status.DRAFT).count() == 1


def test_the_seed_fixtures_copy_is_what_loaddata_leaves_search_indexes_included(db):
    """tests/seeding.py copies the seed in as rows after a first `loaddata`: every table,
    the trigger-maintained search tables and public copies included, must end up the same."""
    from django.db import connection, transaction
    from rest_framework.test import APIClient

    from tests import seeding

    def state():
        with connection.cursor() as cursor:
            tables = sorted(
                t for t in connection.introspection.table_names() if t.startswith("archive_")
            )
            counts = {}
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
        hits = {
            q: [
                (hit.get("slug"), hit.get("uid"), hit.get("snippet"))
                for hit in APIClient().get(f"/api/v1/search/?q={q}").json()["results"]
            ]
            for q in ("Bakhmut", "evacuation", "drone")
        }
        return counts, hits

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            call_command("loaddata", "archive", verbosity=0)
            loaded = state()
            captured = seeding._capture()
            raise Rollback
    except Rollback:
        pass
    assert not Article.objects.exists()
    seeding._captured[connection.vendor] = captured
    seeding.load_seed()
    assert state() == loaded
    assert loaded[0]["archive_article"] > 0 and any(loaded[1].values())

"""Issue 15: a property-based privacy test.

Hypothesis builds small archives through the services: people (some sharing a first name,
some in Cyrillic), protected or not, renamed through the service or behind its back,
respelt in the bodies, quoted or only mentioned, then protected or unprotected in bulk with a
queryset `update()`. An anonymous crawl of every endpoint and format (JSON, CSV, ninjs, the W3C
annotations), search and its snippets must never show a protected person's name in any
spelling, and must show every public person's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from archive import services
from archive.models import Article, Person, ProtectionLevel, Testimony, Visibility

pytestmark = pytest.mark.django_db

# Made-up names that are no ordinary word and no prefix of one another.
FIRST_NAMES = ("Olenqa", "Ivazko", "Марічка")
SURNAMES = ("Hrytsvak", "Bondqar", "Gusevyx", "Лисенкович", "Tkachuzh", "Melnyqo")
LEVELS = (ProtectionLevel.PUBLIC, ProtectionLevel.PSEUDONYMISED, ProtectionLevel.RESTRICTED)
FORMS = ("full", "surname", "honorific", "variant")


@dataclass
class PersonSpec:
    first: str
    surname: str
    level: str
    respelt: bool  # the bodies also spell the surname another way, recorded as a variant
    rename: str  # "", "service" or "bulk"
    bulk_level: str | None  # a protection change by queryset update, after everything else


@dataclass
class ArticleSpec:
    mentions: list[tuple[int, str]]  # (person index, form)
    quoted: list[int]  # people quoted in the article (the others are only mentioned)
    headline_person: int | None
    quote_names: int | None  # a quote that itself names someone


@dataclass
class World:
    people: list[Person] = field(default_factory=list)
    spellings: dict[int, set[str]] = field(default_factory=dict)
    shown: dict[int, str] = field(default_factory=dict)  # a spelling the public must read


people_specs = st.lists(
    st.builds(
        PersonSpec,
        first=st.sampled_from(FIRST_NAMES),
        surname=st.sampled_from(SURNAMES),
        level=st.sampled_from(LEVELS),
        respelt=st.booleans(),
        rename=st.sampled_from(("", "service", "bulk")),
        bulk_level=st.none() | st.sampled_from(LEVELS),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda p: p.surname,
)


@st.composite
def archives(draw):
    people = draw(people_specs)
    index = st.integers(0, len(people) - 1)
    articles = draw(
        st.lists(
            st.builds(
                ArticleSpec,
                mentions=st.lists(st.tuples(index, st.sampled_from(FORMS)), max_size=5),
                quoted=st.lists(index, max_size=2, unique=True),
                headline_person=st.none() | index,
                quote_names=st.none() | index,
            ),
            min_size=1,
            max_size=3,
        )
    )
    return people, articles


def _variant(surname: str) -> str:
    return surname + ("а" if re.search("[а-я]", surname) else "a")


def _build(people: list[PersonSpec], articles: list[ArticleSpec]) -> World:
    world = World()
    for n, spec in enumerate(people):
        level = spec.level
        person = services.person_create(
            name=f"{spec.first} {spec.surname}",
            slug=f"person-{n}",
            protection_level=level,
            protection_reason="" if level == ProtectionLevel.PUBLIC else "Safety.",
        )
        world.people.append(person)
        world.spellings[n] = {f"{spec.first} {spec.surname}", spec.surname}
        if spec.respelt:
            services.person_name_add(person=person, name=f"{spec.first} {_variant(spec.surname)}")
            world.spellings[n].add(_variant(spec.surname))

    for a, spec in enumerate(articles):
        introduced = sorted({i for i, _ in spec.mentions} | set(spec.quoted) | {a % len(people)})
        sentences = [
            f"{people[i].first} {people[i].surname} lives on the roofer's street."
            for i in introduced
        ]
        # Named in full in a published body: a public one must be readable somewhere.
        world.shown |= {i: f"{people[i].first} {people[i].surname}" for i in introduced}
        for i, form in spec.mentions:
            p = people[i]
            name = {
                "full": f"{p.first} {p.surname}",
                "surname": p.surname,
                "honorific": f"Ms {p.surname}",
                "variant": _variant(p.surname) if p.respelt else p.surname,
            }[form]
            sentences.append(f"Later {name} came back to the roofer.")
        quotes = []
        for i in spec.quoted:
            named = (
                f" and {people[spec.quote_names].surname}" if spec.quote_names is not None else ""
            )
            quote = f"We stay here{named} until the end, day {i}"
            quotes.append((i, quote))
            sentences.append(f"“{quote},” said {people[i].first} {people[i].surname}.")
        body = " ".join(sentences)
        headline = "Dispatch from the street"
        if spec.headline_person is not None and any(
            f"{people[spec.headline_person].surname}" in s for s in sentences
        ):
            headline += f" of {people[spec.headline_person].surname}"
        article = services.article_create(
            raw_text=f"capture {a}: {body}",
            headline=headline,
            slug=f"article-{a}",
            body=body,
            language="en",
            standfirst=f"About {people[a % len(people)].surname}.",
        )
        for i, quote in quotes:
            start = body.index(quote)
            services.testimony_create(
                article=article,
                start=start,
                end=start + len(quote),
                speaker=world.people[i],
                visibility=Visibility.PUBLIC,
            )
        services.annotation_create(
            article=article,
            start=0,
            end=body.index(".") + 1,
            motivation="commenting",
            body="Checked with the neighbours.",
            is_public=True,
        )
        services.article_publish(article=article)
    collection = services.collection_create(title="The street", slug="street")
    for article in Article.objects.all():
        services.collection_item_add(collection=collection, article=article)
    for testimony in Testimony.objects.all():
        services.collection_item_add(collection=collection, testimony=testimony)
    services.collection_publish(collection=collection)

    for n, spec in enumerate(people):
        person = world.people[n]
        new_name = f"{spec.first} {spec.surname}i"
        if spec.rename == "service":
            services.person_update(person=person, name=new_name)
        elif spec.rename == "bulk":
            Person.objects.filter(pk=person.pk).update(name=new_name)
        if spec.rename:
            world.spellings[n] |= {new_name, f"{spec.surname}i"}
    for n, spec in enumerate(people):
        if spec.bulk_level is not None:
            Person.objects.filter(pk=world.people[n].pk).update(
                protection_level=spec.bulk_level,
                protection_reason="" if spec.bulk_level == ProtectionLevel.PUBLIC else "Safety.",
            )
    return world


def _crawl(client: APIClient, queries: list[str]) -> dict[str, str]:
    urls = [
        "/api/v1/articles/?page_size=100",
        "/api/v1/articles/?page_size=100&format=csv",
        "/api/v1/testimonies/?page_size=100",
        "/api/v1/testimonies/?page_size=100&format=csv",
        "/api/v1/people/?page_size=100",
        "/api/v1/collections/",
        "/api/v1/collections/street/",
        "/api/v1/search/?q=roofer",
        "/api/v1/search/?q=stay",
    ]
    for slug in Article.objects.values_list("slug", flat=True):
        urls += [
            f"/api/v1/articles/{slug}/",
            f"/api/v1/articles/{slug}/?format=ninjs",
            f"/api/v1/articles/{slug}/annotations/",
        ]
    urls += [
        f"/api/v1/testimonies/{uid}/" for uid in Testimony.objects.values_list("uid", flat=True)
    ]
    urls += [f"/api/v1/search/?q={q}" for q in queries]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        pages[url] = response.content.decode()
    return pages


def _named(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


@pytest.fixture
def unthrottled(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000000/minute"})


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(archive=archives())
def test_an_anonymous_crawl_never_finds_a_protected_name_and_finds_every_public_one(
    unthrottled, archive
):
    people, articles = archive
    with transaction.atomic():
        cache.clear()
        world = _build(people, articles)
        levels = dict(Person.objects.values_list("pk", "protection_level"))
        protected = {
            n for n, p in enumerate(world.people) if levels[p.pk] != ProtectionLevel.PUBLIC
        }
        public = set(range(len(people))) - protected
        # A first name a public person shares is theirs too: only the rest is forbidden.
        public_words = {w for n in public for s in world.spellings[n] for w in s.split()}
        forbidden = {
            word
            for n in protected
            for spelling in world.spellings[n]
            for word in [spelling, *spelling.split()]
            if word not in public_words
        }
        queries = {people[n].surname for n in range(len(people))}
        queries |= {w for n in protected for s in world.spellings[n] for w in s.split()}
        queries = {people[n].surname for n in public} | (queries - public_words)
        pages = _crawl(APIClient(), queries=sorted(queries))
        for url, text in pages.items():
            for word in forbidden:
                assert not _named(word, text), (url, word)
        for surname in (people[n].surname for n in protected):
            assert '"count":0' in pages[f"/api/v1/search/?q={surname}"].replace(" ", "")
        everything = "\n".join(pages.values())
        for n in public & set(world.shown):
            assert world.shown[n] in everything, world.shown[n]
            assert '"count":0' not in pages[f"/api/v1/search/?q={people[n].surname}"].replace(
                " ", ""
            ), people[n].surname
        transaction.set_rollback(True)

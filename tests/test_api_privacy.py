"""Issue 4: one definition of what the public may see, applied to every endpoint and format.

A world built with factories holds every kind of private material with distinctive strings;
every endpoint, listed and in detail, in every format, is requested anonymously and no body
may contain any of them, nor may a count reveal them. Staff with a token do see them, marked.
The curated seeds get the same sweep.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from archive.models import (
    Annotation,
    Article,
    Collection,
    Person,
    Place,
    ProtectionLevel,
    Source,
    Status,
    Tag,
    Testimony,
    TestimonyStatus,
    Visibility,
)
from archive.querysets import TestimonyQuerySet
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    CollectionFactory,
    CollectionItemFactory,
    PersonFactory,
    PlaceFactory,
    PlaceNameFactory,
    SourceFactory,
    TagFactory,
    TestimonyFactory,
    UserFactory,
)

SECRET_AGE = 117

BODY = (
    "Dispatch from Countville. “We stay because this is home,” said Olena Publicvoice. "
    "“The windows shook all night,” said Zorianaxq Secretname, a 117-year-old pensioner. "
    "“Protected words are spoken here,” said Prothidden Personxq. "
    "“RESTRICTEDQUOTEXQ is what she said,” said Restrictedpersonxq. "
    "“An unconfirmed line,” said a passer-by. "
    "“We will rebuild the school,” Olena Publicvoice added later."
)

FORBIDDEN = (
    "DRAFTHEADLINEXQ",
    "draft-secret-xq",
    "WITHDRAWNHEADLINEXQ",
    "withdrawn-secret-xq",
    "RESTRICTEDQUOTEXQ",
    "Zorianaxq",
    "Secretname",
    "zorianaxq-secret",
    "secret-description-xq",
    "secret-context-xq",
    "Prothidden",
    "Personxq",
    "prothidden-xq",
    "Restrictedpersonxq",
    "restrictedperson-xq",
    "INTERNALNOTEXQ",
    "DRAFTCOLLECTIONXQ",
    "draft-collection-xq",
    "DRAFTQUOTEXQ",
    "Draftonly",
    "draftonly-xq",
)


def _span(body: str, quote: str) -> dict:
    start = body.index(quote)
    return {"start": start, "end": start + len(quote), "quote": quote}


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    # The throttle and the conditional-GET generation live in the cache: start and end clean,
    # and let the sweep make as many requests as it needs.
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    source = SourceFactory(slug="public-outlet", name="Public Outlet")
    countville = PlaceFactory(slug="countville", name="Countville")
    PlaceNameFactory(place=countville, name="Kauntvil")
    theme = TagFactory(slug="war", name="War")
    narrower = TagFactory(slug="shelling-at-night", name="Shelling at night", parent=theme)

    article = ArticleFactory(slug="public-dispatch", headline="Public dispatch", body=BODY)
    article.source = source
    article.save()
    article.places.add(countville)
    article.tags.add(narrower)

    olena = PersonFactory(slug="olena-publicvoice", name="Olena Publicvoice")
    zoriana = PersonFactory(slug="zorianaxq-secret", name="Zorianaxq Secretname")
    protected = PersonFactory(
        slug="prothidden-xq",
        name="Prothidden Personxq",
        protection_level=ProtectionLevel.PSEUDONYMISED,
        protection_reason="At risk.",
    )
    restricted_person = PersonFactory(slug="restrictedperson-xq", name="Restrictedpersonxq")

    public = TestimonyFactory(
        article=article,
        speaker=olena,
        speaker_age=70,
        place=countville,
        **_span(BODY, "We stay because this is home"),
    )
    public.tags.add(narrower)
    pseudonymised = TestimonyFactory(
        article=article,
        speaker=zoriana,
        speaker_age=SECRET_AGE,
        speaker_description="secret-description-xq",
        context="secret-context-xq",
        visibility=Visibility.PSEUDONYMISED,
        protection_reason="Asked not to be named.",
        place=countville,
        **_span(BODY, "The windows shook all night"),
    )
    protected_speaker = TestimonyFactory(
        article=article, speaker=protected, **_span(BODY, "Protected words are spoken here")
    )
    restricted = TestimonyFactory(
        article=article,
        speaker=restricted_person,
        visibility=Visibility.RESTRICTED,
        protection_reason="Editors only.",
        place=countville,
        **_span(BODY, "RESTRICTEDQUOTEXQ is what she said"),
    )
    proposed = TestimonyFactory(
        article=article,
        speaker=None,
        speaker_description="a passer-by",
        status=TestimonyStatus.PROPOSED,
        place=countville,
        **_span(BODY, "An unconfirmed line"),
    )
    # A public person's pseudonymised quote must not be attributable through them.
    pseudonymous_olena = TestimonyFactory(
        article=article,
        speaker=olena,
        visibility=Visibility.PSEUDONYMISED,
        protection_reason="This one, not attributed.",
        **_span(BODY, "We will rebuild the school"),
    )

    draft_body = "Draft. “DRAFTQUOTEXQ words,” said Draftonly Speakerxq."
    draft = ArticleFactory(
        slug="draft-secret-xq",
        headline="DRAFTHEADLINEXQ",
        body=draft_body,
        status=Status.DRAFT,
        published_at=None,
        source=source,
    )
    draft_speaker = PersonFactory(slug="draftonly-xq", name="Draftonly Speakerxq")
    draft_testimony = TestimonyFactory(
        article=draft, speaker=draft_speaker, place=countville, **_span(draft_body, "DRAFTQUOTEXQ")
    )
    withdrawn = ArticleFactory(
        slug="withdrawn-secret-xq",
        headline="WITHDRAWNHEADLINEXQ",
        status=Status.WITHDRAWN,
        source=source,
    )

    AnnotationFactory(article=article, body="INTERNALNOTEXQ", is_public=False)
    pseudonym_passage = _span(BODY, "said Zorianaxq Secretname, a 117-year-old pensioner")
    AnnotationFactory(
        article=article,
        body="Public context note.",
        start=pseudonym_passage["start"],
        end=pseudonym_passage["end"],
        exact=pseudonym_passage["quote"],
        is_public=True,
    )

    collection = CollectionFactory(slug="public-collection", title="Public collection")
    CollectionItemFactory(collection=collection, position=1, article=article)
    CollectionItemFactory(
        collection=collection,
        position=2,
        article=None,
        testimony=pseudonymised,
        caption="Zorianaxq at the window",
    )
    CollectionItemFactory(collection=collection, position=3, article=draft)
    CollectionItemFactory(collection=collection, position=4, article=None, testimony=restricted)
    CollectionItemFactory(
        collection=collection, position=5, article=None, testimony=draft_testimony
    )
    CollectionItemFactory(collection=collection, position=6, article=withdrawn)

    draft_collection = CollectionFactory(
        slug="draft-collection-xq",
        title="DRAFTCOLLECTIONXQ",
        status=Status.DRAFT,
        published_at=None,
    )
    CollectionItemFactory(collection=draft_collection, position=1, article=article)
    CollectionItemFactory(collection=draft_collection, position=2, article=None, testimony=public)

    return {
        "article": article,
        "public": public,
        "pseudonymised": pseudonymised,
        "protected_speaker": protected_speaker,
        "restricted": restricted,
        "proposed": proposed,
        "pseudonymous_olena": pseudonymous_olena,
        "draft_testimony": draft_testimony,
        "countville": countville,
        "olena": olena,
        "collection": collection,
        "private_uids": {str(t.uid) for t in (restricted, proposed, draft_testimony)},
    }


def sweep_urls() -> list[str]:
    """Every endpoint and format, listed and in detail, for every object in the database."""
    urls = [
        "/api/v1/",
        "/api/v1/collections/?page_size=100",
        "/api/v1/articles/?page_size=100",
        "/api/v1/articles/?page_size=100&format=csv",
        "/api/v1/testimonies/?page_size=100",
        "/api/v1/testimonies/?page_size=100&format=csv",
        "/api/v1/people/?page_size=100",
        "/api/v1/places/?page_size=100",
        "/api/v1/sources/?page_size=100",
        "/api/v1/tags/",
    ]
    # The browsable API (HTML) shows the same data: it is swept too.
    urls += [f"{url}{'&' if '?' in url else '?'}format=api" for url in urls if "format" not in url]
    for slug in Collection.objects.values_list("slug", flat=True):
        urls += [
            f"/api/v1/collections/{slug}/",
            f"/api/v1/articles/?collection={slug}&page_size=100",
            f"/api/v1/testimonies/?collection={slug}&page_size=100",
        ]
    for slug in Article.objects.values_list("slug", flat=True):
        urls += [
            f"/api/v1/articles/{slug}/",
            f"/api/v1/articles/{slug}/?format=api",
            f"/api/v1/articles/{slug}/?format=ninjs",
            f"/api/v1/articles/{slug}/annotations/",
            f"/api/v1/testimonies/?article={slug}&page_size=100",
        ]
    urls += [
        f"/api/v1/testimonies/{uid}/" for uid in Testimony.objects.values_list("uid", flat=True)
    ]
    for slug in Person.objects.values_list("slug", flat=True):
        urls += [f"/api/v1/people/{slug}/", f"/api/v1/testimonies/?speaker={slug}"]
    for kind in Person.Kind.values:
        urls.append(f"/api/v1/testimonies/?speaker_kind={kind}&page_size=100")
    for slug in Place.objects.values_list("slug", flat=True):
        urls += [
            f"/api/v1/places/{slug}/",
            f"/api/v1/testimonies/?place={slug}&page_size=100",
            f"/api/v1/articles/?place={slug}&page_size=100",
        ]
    for slug in Source.objects.values_list("slug", flat=True):
        urls += [f"/api/v1/sources/{slug}/", f"/api/v1/articles/?source={slug}&page_size=100"]
    for slug in Tag.objects.values_list("slug", flat=True):
        urls += [f"/api/v1/tags/{slug}/", f"/api/v1/testimonies/?tag={slug}&page_size=100"]
    return urls


def fetch_all(client: APIClient, urls: list[str]) -> dict[str, tuple[int, str]]:
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        bodies[url] = (response.status_code, response.content.decode())
    return bodies


def json_values(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from json_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from json_values(value)
    else:
        yield node


def serialised_testimonies(node):
    """Every serialised testimony (a dict with `uid` and `speaker_age`) inside a JSON body."""
    if isinstance(node, dict):
        if "uid" in node and "speaker_age" in node:
            yield node
        for value in node.values():
            yield from serialised_testimonies(value)
    elif isinstance(node, list):
        for value in node:
            yield from serialised_testimonies(value)


def test_no_private_string_appears_in_any_anonymous_response(world):
    bodies = fetch_all(APIClient(), sweep_urls())
    assert len(bodies) >= 50
    for url, (status, body) in bodies.items():
        if any(secret in url for secret in FORBIDDEN):
            # Asking for a private object by name: the answer may only be a bare 404 / 400.
            assert status in (400, 404), url
            continue
        for secret in FORBIDDEN:
            assert secret not in body, (url, secret)
        for uid in world["private_uids"]:
            assert uid not in body, (url, uid)
        assert not re.search(rf"(?<![\w.]){SECRET_AGE}(?!\w)", body), url


def test_pseudonymised_testimonies_are_shown_without_any_identifying_field(world):
    client = APIClient()
    seen = 0
    for url in sweep_urls():
        response = client.get(url)
        if response.status_code != 200 or "json" not in response["Content-Type"]:
            continue
        for testimony in serialised_testimonies(response.json()):
            if testimony["uid"] in {
                str(world["pseudonymised"].uid),
                str(world["protected_speaker"].uid),
                str(world["pseudonymous_olena"].uid),
            }:
                seen += 1
                assert testimony["identity_withheld"] is True
                assert testimony["speaker"] is None
                assert testimony["speaker_age"] is None
                assert testimony["speaker_description"] is None
                assert testimony["context"] is None
    assert seen >= 6  # list, detail, article detail, collection… each listed them


def test_private_objects_are_not_found_for_the_public(world):
    client = APIClient()
    for url in (
        "/api/v1/articles/draft-secret-xq/",
        "/api/v1/articles/draft-secret-xq/?format=ninjs",
        "/api/v1/articles/draft-secret-xq/annotations/",
        "/api/v1/articles/withdrawn-secret-xq/",
        f"/api/v1/testimonies/{world['restricted'].uid}/",
        f"/api/v1/testimonies/{world['proposed'].uid}/",
        f"/api/v1/testimonies/{world['draft_testimony'].uid}/",
        "/api/v1/collections/draft-collection-xq/",
        "/api/v1/people/zorianaxq-secret/",
        "/api/v1/people/prothidden-xq/",
        "/api/v1/people/draftonly-xq/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {
            "status": 404,
            "detail": "No such object.",
            "request_id": response["X-Request-ID"],
        }, url


def test_a_private_slug_as_a_filter_gets_the_same_answer_as_an_unknown_one(world):
    client = APIClient()
    for parameter, private in (
        ("collection", "draft-collection-xq"),
        ("speaker", "zorianaxq-secret"),
        ("article", "draft-secret-xq"),
    ):
        hidden = client.get("/api/v1/testimonies/", {parameter: private})
        unknown = client.get("/api/v1/testimonies/", {parameter: "no-such-thing-at-all"})
        assert hidden.status_code == unknown.status_code == 400
        assert hidden.json()["detail"].replace(private, "X") == unknown.json()["detail"].replace(
            "no-such-thing-at-all", "X"
        )


def test_counts_cover_only_what_the_public_may_see(world):
    client = APIClient()
    place = client.get("/api/v1/places/countville/").json()
    # The public testimony and the pseudonymised one; not the restricted, draft or proposed.
    assert place["testimony_count"] == 2
    olena = client.get("/api/v1/people/olena-publicvoice/").json()
    assert olena["testimony_count"] == 1  # her pseudonymised quote is not attributed to her
    source = client.get("/api/v1/sources/public-outlet/").json()
    assert source["article_count"] == 1
    collection = client.get("/api/v1/collections/public-collection/").json()
    assert collection["item_count"] == 2
    assert [item["position"] for item in collection["items"]] == [1, 2]
    listed = client.get("/api/v1/collections/").json()
    assert [c["slug"] for c in listed["results"]] == ["public-collection"]
    assert listed["count"] == 1
    by_speaker = client.get("/api/v1/testimonies/", {"speaker": "olena-publicvoice"}).json()
    assert [t["uid"] for t in by_speaker["results"]] == [str(world["public"].uid)]
    civilians = client.get("/api/v1/testimonies/", {"speaker_kind": "civilian"}).json()
    assert {t["uid"] for t in civilians["results"]} == {str(world["public"].uid)}


def test_article_body_masks_withheld_names_ages_and_restricted_passages_keeping_offsets(world):
    client = APIClient()
    body = client.get("/api/v1/articles/public-dispatch/").json()["body"]
    assert len(body) == len(BODY)
    assert body.startswith("Dispatch from Countville. “We stay because this is home,” said ")
    for secret in ("Zorianaxq", "Secretname", "Prothidden", "RESTRICTEDQUOTEXQ", "117"):
        assert secret not in body
    page = client.get("/api/v1/articles/public-dispatch/annotations/").json()
    (annotation,) = page["items"]
    quote, position = annotation["target"]["selector"]
    assert quote["exact"] == body[position["start"] : position["end"]]
    assert "Zorianaxq" not in json.dumps(annotation)


def staff_client(*, need_to_know: bool = True, username: str = "desk-editor") -> APIClient:
    """A staff token; with the need-to-know (the permission to see protected identities)
    unless told otherwise."""
    user = UserFactory(username=username, is_staff=True, need_to_know=need_to_know)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_staff_with_a_token_see_drafts_and_restricted_material_clearly_marked(world):
    client = staff_client()
    articles = client.get("/api/v1/articles/", {"page_size": 100})
    assert articles["Cache-Control"] == "private, no-store"
    statuses = {a["slug"]: a["status"] for a in articles.json()["results"]}
    assert statuses["draft-secret-xq"] == "draft"
    assert statuses["withdrawn-secret-xq"] == "withdrawn"

    restricted = client.get(f"/api/v1/testimonies/{world['restricted'].uid}/").json()
    assert restricted["visibility"] == "restricted"
    pseudonymised = client.get(f"/api/v1/testimonies/{world['pseudonymised'].uid}/").json()
    assert pseudonymised["identity_withheld"] is True
    assert pseudonymised["speaker"]["name"] == "Zorianaxq Secretname"
    assert pseudonymised["speaker_age"] == SECRET_AGE

    body = client.get("/api/v1/articles/public-dispatch/").json()["body"]
    assert body == BODY
    page = client.get("/api/v1/articles/public-dispatch/annotations/").json()
    internal = [a for a in page["items"] if a["body"]["value"] == "INTERNALNOTEXQ"]
    assert internal[0]["audience"]["schema:audienceType"] == "editors"

    draft_collection = client.get("/api/v1/collections/draft-collection-xq/").json()
    assert draft_collection["status"] == "draft"
    assert client.get("/api/v1/places/countville/").json()["testimony_count"] == 5
    assert client.get("/api/v1/people/zorianaxq-secret/").status_code == 200


def test_the_same_sweep_shows_staff_every_private_string(world):
    # The sweep can fail: everything it looks for is there for an editor.
    everything = "\n".join(body for _, body in fetch_all(staff_client(), sweep_urls()).values())
    for secret in (*FORBIDDEN, *world["private_uids"]):
        assert secret in everything, secret


def test_the_curated_seeds_leak_nothing_to_the_public(seed):
    hidden_people = Person.objects.exclude(pk__in=Person.objects.public().values("pk"))
    visible_names = set(Person.objects.public().values_list("name", flat=True))
    forbidden = {
        *Article.objects.exclude(status=Status.PUBLISHED).values_list("headline", flat=True),
        *Article.objects.exclude(status=Status.PUBLISHED).values_list("slug", flat=True),
        *Collection.objects.exclude(status=Status.PUBLISHED).values_list("title", flat=True),
        *Collection.objects.exclude(status=Status.PUBLISHED).values_list("slug", flat=True),
        *(name for name in hidden_people.values_list("name", flat=True) if " " in name),
        *hidden_people.exclude(name__in=visible_names).values_list("slug", flat=True),
        *(
            body
            for body in Annotation.objects.filter(is_public=False).values_list("body", flat=True)
            if len(body) > 20
        ),
    }
    private_testimonies = Testimony.objects.exclude(TestimonyQuerySet.public_q()).exclude(
        status=TestimonyStatus.PROPOSED, article__status=Status.PUBLISHED
    )
    forbidden |= {q for q in private_testimonies.values_list("quote", flat=True) if len(q) > 12}
    private_uids = {str(uid) for uid in private_testimonies.values_list("uid", flat=True)}
    withheld = {
        str(uid)
        for uid in Testimony.objects.public()
        .exclude(TestimonyQuerySet.identified_q())
        .values_list("uid", flat=True)
    }
    assert forbidden and withheld, "the seeds are expected to hold private material"

    bodies = fetch_all(APIClient(), sweep_urls())
    for url, (status, body) in bodies.items():
        if any(secret in url for secret in forbidden | private_uids):
            assert status in (400, 404), url
            continue
        for secret in forbidden | private_uids:
            assert secret not in body, (url, secret[:40])
        if status == 200 and body.startswith(("{", "[")):
            for testimony in serialised_testimonies(json.loads(body)):
                if testimony["uid"] in withheld:
                    assert testimony["speaker"] is None, url
                    assert testimony["speaker_age"] is None, url


def test_staff_sweep_of_the_seeds_never_errors(seed):
    client = staff_client()
    bodies = fetch_all(client, sweep_urls())
    assert {status for status, _ in bodies.values()} == {200}
    assert any('"status":"in_review"' in body for _, body in bodies.values())


@pytest.mark.django_db
def test_a_restricted_proposal_is_masked_in_the_public_body_too():
    """An editor can mark a proposal restricted before confirming it: its passage is masked
    from then on, not only once it is confirmed."""
    article = ArticleFactory(
        slug="proposal-dispatch",
        body="Dispatch. “The cellar key is under the third stone,” she said. Trains left.",
    )
    TestimonyFactory(
        article=article,
        status=TestimonyStatus.PROPOSED,
        visibility=Visibility.RESTRICTED,
        protection_reason="Editors only.",
    )
    body = APIClient().get("/api/v1/articles/proposal-dispatch/").json()["body"]
    assert "cellar" not in body and "Trains left." in body
    assert len(body) == len(article.body)


# --- Issue 15 item 3: need-to-know ----------------------------------------------------------

# What tells who a protected person is: names (every word), slugs, descriptions, contexts.
IDENTITIES = (
    "Zorianaxq",
    "Secretname",
    "zorianaxq-secret",
    "secret-description-xq",
    "secret-context-xq",
    "Prothidden",
    "Personxq",
    "prothidden-xq",
    "Restrictedpersonxq",
    "restrictedperson-xq",
)

SEARCH_URLS = (
    "/api/v1/search/?q=Zorianaxq",
    "/api/v1/search/?q=windows",
    "/api/v1/search/?q=windows&type=testimony",
    "/api/v1/search/?q=Countville",
    "/api/v1/search/?q=Prothidden",
    "/api/v1/search/?q=protected+words",
)


def contributor_client(groups, *, token: bool) -> APIClient:
    """A contributor (staff, in the contributor group): by token or by admin session."""
    user = UserFactory(username=f"contrib-{'token' if token else 'session'}", is_staff=True)
    user.groups.add(groups["contributor"])
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    else:
        client.force_login(user)
    return client


def editor_client(groups) -> APIClient:
    user = UserFactory(username="need-to-know-editor", is_staff=True)
    user.groups.add(groups["editor"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def assert_no_identity(url: str, status: int, body: str) -> None:
    for secret in IDENTITIES:
        assert secret not in body, (url, secret)
    assert not re.search(rf"(?<![\w.]){SECRET_AGE}(?!\w)", body), url


@pytest.mark.parametrize("token", [True, False], ids=["token", "session"])
def test_staff_without_the_need_to_know_read_protected_people_as_the_public_does(
    world, groups, token
):
    client = contributor_client(groups, token=token)
    bodies = fetch_all(client, [*sweep_urls(), *SEARCH_URLS])
    for url, (status, body) in bodies.items():
        if any(secret in url for secret in IDENTITIES):
            if "/search/" in url:
                # Searching a withheld name finds nothing: a hit would confirm who spoke.
                assert json.loads(body)["count"] == 0, url
            else:
                # A protected person asked for by slug: not found, as for the public.
                assert status in (400, 404), url
            continue
        assert_no_identity(url, status, body)
        if status == 200 and body.startswith(("{", "[")):
            for testimony in serialised_testimonies(json.loads(body)):
                if testimony["identity_withheld"]:
                    assert testimony["speaker"] is None, url
                    assert testimony["speaker_description"] is None, url
                    assert testimony["context"] is None, url
    # Only identities are masked: drafts, restricted material and markers stay in view.
    everything = "\n".join(body for _, body in bodies.values())
    for kept in ("DRAFTHEADLINEXQ", "RESTRICTEDQUOTEXQ", "INTERNALNOTEXQ", "Draftonly"):
        assert kept in everything, kept
    assert '"visibility":"restricted"' in everything


def test_an_editor_with_the_need_to_know_reads_every_identity(world, groups):
    bodies = fetch_all(editor_client(groups), [*sweep_urls(), *SEARCH_URLS])
    everything = "\n".join(body for _, body in bodies.values())
    for secret in IDENTITIES:
        assert secret in everything, secret
    assert str(SECRET_AGE) in everything


@pytest.mark.django_db
def test_superusers_and_editors_have_the_need_to_know_staff_and_contributors_do_not(groups):
    from archive.permissions import can_see_protected_identities

    assert can_see_protected_identities(UserFactory(is_superuser=True, is_staff=True))
    editor = UserFactory(is_staff=True)
    editor.groups.add(groups["editor"])
    assert can_see_protected_identities(editor)
    contributor = UserFactory(is_staff=True)
    contributor.groups.add(groups["contributor"])
    assert not can_see_protected_identities(contributor)
    assert not can_see_protected_identities(UserFactory(is_staff=True))
    assert not can_see_protected_identities(UserFactory(is_staff=True, is_active=False))
    assert not can_see_protected_identities(None)


# One row per endpoint and format: a URL and an identity the editor reads there.
NEED_TO_KNOW_ENDPOINTS = {
    "article-list": ("/api/v1/articles/?page_size=100", None),
    "article-list-csv": ("/api/v1/articles/?page_size=100&format=csv", None),
    "article-detail": ("/api/v1/articles/public-dispatch/", "Zorianaxq"),
    "article-ninjs": ("/api/v1/articles/public-dispatch/?format=ninjs", "Zorianaxq"),
    "article-browsable": ("/api/v1/articles/public-dispatch/?format=api", "Zorianaxq"),
    "annotations": ("/api/v1/articles/public-dispatch/annotations/", "Zorianaxq"),
    "testimony-list": ("/api/v1/testimonies/?page_size=100", "Zorianaxq"),
    "testimony-list-csv": ("/api/v1/testimonies/?page_size=100&format=csv", "Zorianaxq"),
    "testimony-detail": ("/api/v1/testimonies/{pseudonymised}/", "secret-context-xq"),
    "testimony-by-place": ("/api/v1/testimonies/?place=countville&page_size=100", "Zorianaxq"),
    "people-list": ("/api/v1/people/?page_size=100", "Prothidden"),
    "collection-list": ("/api/v1/collections/?page_size=100", None),
    "collection-detail": ("/api/v1/collections/public-collection/", "Zorianaxq"),
    "search-by-name": ("/api/v1/search/?q=Zorianaxq", "Zorianaxq"),
    "search-by-word": ("/api/v1/search/?q=windows&type=testimony", "Zorianaxq"),
}


@pytest.mark.parametrize("endpoint", NEED_TO_KNOW_ENDPOINTS)
def test_each_endpoint_masks_protected_people_for_a_contributor_token_not_for_an_editor(
    world, groups, endpoint
):
    template, identity = NEED_TO_KNOW_ENDPOINTS[endpoint]
    url = template.format(pseudonymised=world["pseudonymised"].uid)
    contributor = contributor_client(groups, token=True).get(url)
    assert contributor.status_code == 200, url
    assert_no_identity(url, 200, contributor.content.decode())
    editor = editor_client(groups).get(url)
    assert editor.status_code == 200, url
    if identity is not None:
        assert identity in editor.content.decode(), url
    # Two readings of one URL: never one validator for both, never in a shared cache.
    assert contributor["ETag"] != editor["ETag"]
    assert contributor["Cache-Control"] == editor["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("slug", ["prothidden-xq", "zorianaxq-secret", "restrictedperson-xq"])
def test_a_protected_person_is_not_found_by_a_contributor_but_is_by_an_editor(world, groups, slug):
    assert contributor_client(groups, token=True).get(f"/api/v1/people/{slug}/").status_code == 404
    assert editor_client(groups).get(f"/api/v1/people/{slug}/").status_code == 200
    speaker_filter = f"/api/v1/testimonies/?speaker={slug}"
    assert contributor_client(groups, token=False).get(speaker_filter).status_code == 400


def test_the_etag_a_contributor_holds_is_not_valid_for_an_editor(world, groups):
    url = "/api/v1/articles/public-dispatch/"
    etag = contributor_client(groups, token=True).get(url)["ETag"]
    response = editor_client(groups).get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Zorianaxq" in response.content.decode()

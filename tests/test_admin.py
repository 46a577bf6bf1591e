"""The editors' workplace: changelists, forms through the services, workflow, history, dashboard."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    ProtectionLevel,
    Status,
    Testimony,
    TestimonyStatus,
)
from tests import factories

pytestmark = pytest.mark.django_db

BODY = (
    "Lysychansk 🚀 — Shelling resumed at dawn.\n\n"
    "“We will stay until the end,” said Mykola, 72, a retired miner.\n\n"
    "The town’s water 💧 has been cut since June. “Nobody comes here any more,” said a seller."
)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def contributor_client(client, contributor):
    client.force_login(contributor)
    return client


# --- changelists ---------------------------------------------------------------------------------


def _article_row(**kwargs):
    return factories.ArticleFactory(**kwargs)


def _testimony_row():
    return factories.TestimonyFactory(place=factories.PlaceFactory())


def _annotation_row():
    return factories.AnnotationFactory()


def _collection_item_row():
    return factories.CollectionItemFactory()


def _tag_row():
    return factories.TagFactory(parent=factories.TagFactory())


def _tombstone_row():
    from archive import services

    return services.article_take_down(article=factories.ArticleFactory(), reason="Test.")


def _place_row():
    return factories.PlaceFactory(parent=factories.PlaceFactory(kind="region"))


# One factory per registered model: a new admin must say how to fill its changelist.
ROW_MAKERS = {
    "source": factories.SourceFactory,
    "place": _place_row,
    "placename": factories.PlaceNameFactory,
    "placefact": factories.PlaceFactFactory,
    "tag": _tag_row,
    "person": factories.PersonFactory,
    "personname": factories.PersonNameFactory,
    "article": _article_row,
    "credit": factories.CreditFactory,
    "testimony": _testimony_row,
    "annotation": _annotation_row,
    "mention": factories.MentionFactory,
    "collection": factories.CollectionFactory,
    "collectionitem": _collection_item_row,
    "consentrecord": factories.ConsentRecordFactory,
    "job": factories.JobFactory,
    "tombstone": _tombstone_row,
}

ARCHIVE_ADMINS = sorted(
    model._meta.model_name for model in admin.site._registry if model._meta.app_label == "archive"
)


def test_every_archive_model_has_an_admin():
    assert set(ROW_MAKERS) <= set(ARCHIVE_ADMINS)


def _changelist_queries(client, model_name: str, query: str = "") -> int:
    url = reverse(f"admin:archive_{model_name}_changelist") + query
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("model_name", ARCHIVE_ADMINS)
def test_changelist_queries_do_not_grow_from_5_to_50_rows(admin_client, model_name):
    assert model_name in ROW_MAKERS, f"add a row factory for {model_name} to ROW_MAKERS"
    make = ROW_MAKERS[model_name]
    for _ in range(5):
        make()
    with_5 = _changelist_queries(admin_client, model_name)
    for _ in range(45):
        make()
    with_50 = _changelist_queries(admin_client, model_name)
    assert with_5 == with_50


@pytest.mark.parametrize(
    "model_name, query",
    [
        ("article", "?status__exact=published"),
        ("article", "?q=Dispatch"),
        ("testimony", "?visibility__exact=public"),
        ("testimony", "?q=stay"),
    ],
)
def test_a_filtered_changelist_never_counts_the_whole_table(admin_client, model_name, query):
    factories.TestimonyFactory.create_batch(3)
    table = f"archive_{model_name}"
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(reverse(f"admin:{table}_changelist") + query)
    assert response.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the changelist should count the filtered rows"
    for sql in counts:
        unbounded = re.search(rf'FROM "{table}"\s*$', sql) or re.search(
            rf'FROM "{table}"\s*(GROUP|ORDER|$)', sql
        )
        assert not unbounded, sql
        assert "LIMIT" in sql.upper(), f"count is not bounded: {sql}"


def test_the_article_changelist_filters_by_source_place_tag_and_language(admin_client):
    tag = factories.TagFactory(name="Drones")
    place = factories.PlaceFactory(name="Kupiansk")
    wanted = factories.ArticleFactory(headline="Drones over Kupiansk", language="uk")
    wanted.tags.add(tag)
    wanted.places.add(place)
    other = factories.ArticleFactory(headline="Other news")
    url = reverse("admin:archive_article_changelist")
    for query in (
        f"?tags__id__exact={tag.pk}",
        f"?places__id__exact={place.pk}",
        f"?source__id__exact={wanted.source_id}",
        "?language=uk",
    ):
        content = admin_client.get(url + query).content.decode()
        assert "Drones over Kupiansk" in content, query
        assert other.headline not in content, query


def test_searching_testimonies_finds_speaker_and_place_name_variants(admin_client):
    testimony = factories.TestimonyFactory(place=factories.PlaceFactory(name="Bakhmut"))
    factories.PersonNameFactory(person=testimony.speaker, name="Sossnine")
    factories.PlaceNameFactory(place=testimony.place, name="Bakhmout")
    factories.TestimonyFactory()
    url = reverse("admin:archive_testimony_changelist")
    for term in ("Sossnine", "Bakhmout", "stay"):
        response = admin_client.get(url, {"q": term})
        assert response.context["cl"].result_count >= 1, term
    assert admin_client.get(url, {"q": "Sossnine"}).context["cl"].result_count == 1


# --- the article form ----------------------------------------------------------------------------


def test_the_raw_capture_is_read_only_on_the_article_form(editor_client):
    article = factories.ArticleFactory(status=Status.DRAFT, published_at=None)
    url = reverse("admin:archive_article_change", args=(article.pk,))
    response = editor_client.get(url)
    content = response.content.decode()
    assert 'name="raw_text"' not in content
    assert f'<pre class="raw-capture">{article.raw_text}</pre>' in content  # beside the body
    form_fields = response.context["adminform"].form.fields
    assert "raw_text" not in form_fields and "raw_sha256" not in form_fields


def test_posting_a_raw_capture_to_the_change_form_does_not_change_it(editor_client):
    article = factories.ArticleFactory(status=Status.DRAFT, published_at=None)
    raw_text, digest = article.raw_text, article.raw_sha256
    data = _change_data(article, headline="A better headline", raw_text="forged capture")
    response = editor_client.post(reverse("admin:archive_article_change", args=(article.pk,)), data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "A better headline"
    assert (article.raw_text, article.raw_sha256) == (raw_text, digest)


def test_adding_an_article_keeps_the_capture_and_computes_its_hash(editor_client):
    from archive.text import sha256_hex

    raw = "CAPTURE\n\nBakhmut, 3 June. Text."
    response = editor_client.post(
        reverse("admin:archive_article_add"),
        {
            "headline": "Bakhmut in June",
            "slug": "",
            "language": "en",
            "date_precision": "day",
            "raw_text": raw,
            "body": "Bakhmut, 3 June. Text.",
            **_empty_inlines(),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(headline="Bakhmut in June")
    assert article.raw_text == raw
    assert article.raw_sha256 == sha256_hex(raw)
    assert article.status == Status.DRAFT
    assert article.slug == "bakhmut-in-june"
    assert article.history.first().history_user.username == "ed"


def test_adding_the_same_capture_twice_is_a_form_error(editor_client):
    existing = factories.ArticleFactory()
    response = editor_client.post(
        reverse("admin:archive_article_add"),
        {
            "headline": "Again",
            "language": "en",
            "date_precision": "day",
            "raw_text": existing.raw_text,
            "body": "x",
            **_empty_inlines(),
        },
    )
    assert response.status_code == 200
    assert "already imported" in str(response.context["adminform"].form.errors)
    assert Article.objects.count() == 1


def test_editing_the_body_moves_testimonies_inline_with_it(editor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    testimony = factories.TestimonyFactory(article=article)
    new_body = "Update: " + BODY
    response = editor_client.post(
        reverse("admin:archive_article_change", args=(article.pk,)),
        _change_data(article, body=new_body, testimonies=[testimony]),
    )
    assert response.status_code == 302, _errors(response)
    testimony.refresh_from_db()
    assert new_body[testimony.start : testimony.end] == testimony.quote


def test_an_edit_that_would_detach_a_testimony_is_refused_beside_the_text(editor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    testimony = factories.TestimonyFactory(article=article)
    response = editor_client.post(
        reverse("admin:archive_article_change", args=(article.pk,)),
        _change_data(article, body="Everything rewritten.", testimonies=[testimony]),
    )
    assert response.status_code == 200
    assert "detach" in str(response.context["adminform"].form.errors["body"])
    article.refresh_from_db()
    assert article.body == BODY


# --- workflow and permissions --------------------------------------------------------------------


def test_a_contributor_cannot_publish_with_the_change_form(contributor_client):
    article = factories.ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    url = reverse("admin:archive_article_change", args=(article.pk,))
    assert b'value="publish"' not in contributor_client.get(url).content
    response = contributor_client.post(url, {**_change_data(article), "_workflow": "publish"})
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert any("permission to publish" in m for m in messages_of(response))


def test_a_contributor_cannot_publish_in_bulk(contributor_client):
    article = factories.ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    url = reverse("admin:archive_article_changelist")
    actions = contributor_client.get(url).context["action_form"].fields["action"].choices
    assert "publish_selected" not in dict(actions)
    contributor_client.post(url, {"action": "publish_selected", "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


def test_a_contributor_submits_a_draft_but_cannot_edit_published_material(contributor_client):
    draft = factories.ArticleFactory(status=Status.DRAFT, published_at=None)
    published = factories.ArticleFactory()
    url = reverse("admin:archive_article_change", args=(draft.pk,))
    contributor_client.post(url, {**_change_data(draft), "_workflow": "submit"})
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    published_url = reverse("admin:archive_article_change", args=(published.pk,))
    response = contributor_client.post(published_url, _change_data(published, headline="Hacked"))
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.headline != "Hacked"


def test_an_editor_publishes_in_bulk_and_hears_what_was_refused(editor_client):
    in_review = factories.ArticleFactory.create_batch(2, status=Status.IN_REVIEW, published_at=None)
    url = reverse("admin:archive_article_changelist")
    response = editor_client.post(
        url,
        {"action": "publish_selected", "_selected_action": [a.pk for a in in_review]},
        follow=True,
    )
    assert all(Article.objects.get(pk=a.pk).status == Status.PUBLISHED for a in in_review)
    assert "Published: 2 articles." in messages_of(response)
    draft = factories.ArticleFactory(status=Status.DRAFT, published_at=None)
    response = editor_client.post(
        url,
        {"action": "withdraw_selected", "_selected_action": [draft.pk, in_review[0].pk]},
        follow=True,
    )
    texts = messages_of(response)
    assert "Withdrawn: 1 article." in texts
    assert any(t.startswith(f"Refused “{draft}”") and "Only published" in t for t in texts)


def test_a_withdrawn_article_disappears_from_what_the_public_sees(editor_client):
    article = factories.ArticleFactory()
    assert Article.objects.published().filter(pk=article.pk).exists()
    url = reverse("admin:archive_article_change", args=(article.pk,))
    editor_client.post(url, {**_change_data(article), "_workflow": "withdraw"})
    article.refresh_from_db()
    assert article.status == Status.WITHDRAWN
    assert not Article.objects.published().filter(pk=article.pk).exists()


def test_adding_a_tag_in_bulk_goes_through_an_intermediate_page(editor_client):
    articles = factories.ArticleFactory.create_batch(2)
    tag = factories.TagFactory(name="Displacement")
    url = reverse("admin:archive_article_changelist")
    selection = {"action": "add_tag", "_selected_action": [a.pk for a in articles]}
    page = editor_client.post(url, selection)
    assert page.status_code == 200 and b"Add the tag" in page.content
    response = editor_client.post(url, {**selection, "apply": "1", "tag": tag.pk}, follow=True)
    assert all(tag in a.tags.all() for a in articles)
    assert "Tagged “Displacement”: 2 articles." in messages_of(response)


def test_confirming_a_protected_speaker_needs_the_explicit_tick(editor_client):
    protected = factories.PersonFactory(
        protection_level=ProtectionLevel.PSEUDONYMISED, protection_reason="Lives under occupation"
    )
    open_speaker = factories.TestimonyFactory(status=TestimonyStatus.PROPOSED)
    hidden = factories.TestimonyFactory(status=TestimonyStatus.PROPOSED, speaker=protected)
    changelist = reverse("admin:archive_testimony_changelist")
    response = editor_client.post(
        changelist, {"action": "confirm_selected", "_selected_action": [open_speaker.pk, hidden.pk]}
    )
    confirm_url = response["Location"]
    page = editor_client.get(confirm_url)
    assert f"confirm_{hidden.pk}" in page.context["form"].fields
    response = editor_client.post(confirm_url, {}, follow=True)
    open_speaker.refresh_from_db()
    hidden.refresh_from_db()
    assert open_speaker.status == TestimonyStatus.CONFIRMED
    assert hidden.status == TestimonyStatus.PROPOSED
    assert any("confirm explicitly" in m for m in messages_of(response))
    editor_client.post(confirm_url, {f"confirm_{hidden.pk}": "on"})
    hidden.refresh_from_db()
    assert hidden.status == TestimonyStatus.CONFIRMED
    assert hidden.protection_decided_at is not None


def test_a_contributor_cannot_decide_on_protection(contributor_client):
    testimony = factories.TestimonyFactory(article__status=Status.DRAFT, article__published_at=None)
    url = reverse("admin:archive_testimony_change", args=(testimony.pk,))
    form = contributor_client.get(url).context["adminform"].form
    assert "visibility" not in form.fields and "protection_reason" not in form.fields
    actions = contributor_client.get(reverse("admin:archive_testimony_changelist"))
    assert "confirm_selected" not in dict(actions.context["action_form"].fields["action"].choices)
    assert contributor_client.get(reverse("admin:archive_testimony_confirm")).status_code == 403


# --- annotation tool (server side; the browser test drives the selection) -------------------------


def test_the_article_page_carries_the_text_and_its_anchors(editor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    testimony = factories.TestimonyFactory(article=article)
    response = editor_client.get(reverse("admin:archive_article_change", args=(article.pk,)))
    data = response.context["annotator"]["data"]
    assert data["body"] == BODY
    assert [(a["kind"], a["start"], a["end"]) for a in data["anchors"]] == [
        ("testimony", testimony.start, testimony.end)
    ]
    assert b"archive/annotator.js" in response.content


def test_annotating_a_selection_after_an_astral_character_saves_python_offsets(editor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    exact = "Nobody comes here any more"
    start = BODY.index(exact)
    url = reverse("admin:archive_article_annotate", args=(article.pk,))
    params = {"start": start, "end": start + len(exact), "exact": exact}
    page = editor_client.get(url, params)
    assert page.context["selection"] == exact
    response = editor_client.post(
        url,
        {**params, "prefix": BODY[start - 10 : start], "motivation": "assessing", "body": "Check"},
    )
    assert response.status_code == 302
    annotation = Annotation.objects.get()
    assert BODY[annotation.start : annotation.end] == annotation.exact == exact
    assert annotation.author.username == "ed"


def test_a_selection_that_does_not_match_the_text_is_refused(editor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    exact = "Nobody comes here any more"
    start = BODY.index(exact) + 1  # what UTF-16 counting would send after one emoji
    response = editor_client.post(
        reverse("admin:archive_article_annotate", args=(article.pk,)),
        {
            "start": start,
            "end": start + len(exact),
            "exact": exact,
            "motivation": "commenting",
            "body": "x",
        },
    )
    assert response.status_code == 200
    assert "not the quoted" in str(response.context["form"].errors)
    assert not Annotation.objects.exists()


def test_a_contributors_testimony_waits_for_an_editor(contributor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    quote = "We will stay until the end,"
    start = BODY.index(quote)
    url = reverse("admin:archive_article_record_testimony", args=(article.pk,))
    form = contributor_client.get(url, {"start": start, "end": start + len(quote), "exact": quote})
    assert "visibility" not in form.context["form"].fields
    response = contributor_client.post(
        url,
        {
            "start": start,
            "end": start + len(quote),
            "quote": quote,
            "speaker_description": "Mykola, a retired miner",
        },
    )
    assert response.status_code == 302
    testimony = Testimony.objects.get()
    assert testimony.status == TestimonyStatus.PROPOSED
    assert BODY[testimony.start : testimony.end] == quote


def test_an_editor_records_a_protected_speaker_only_with_the_tick(editor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    person = factories.PersonFactory(
        protection_level=ProtectionLevel.RESTRICTED, protection_reason="Family in occupied area"
    )
    quote = "We will stay until the end,"
    start = BODY.index(quote)
    url = reverse("admin:archive_article_record_testimony", args=(article.pk,))
    data = {
        "start": start,
        "end": start + len(quote),
        "quote": quote,
        "speaker": person.pk,
        "visibility": "restricted",
        "protection_reason": "Safety",
    }
    editor_client.post(url, data)
    assert Testimony.objects.get().status == TestimonyStatus.PROPOSED
    Testimony.objects.all().delete()
    editor_client.post(url, {**data, "protection_confirmed": "on"})
    assert Testimony.objects.get().status == TestimonyStatus.CONFIRMED


# --- collections ---------------------------------------------------------------------------------


def test_collection_items_are_reordered_by_their_order_numbers(editor_client):
    collection = factories.CollectionFactory(status=Status.DRAFT, published_at=None)
    first, second, third = (
        factories.CollectionItemFactory(collection=collection, position=n) for n in (1, 2, 3)
    )
    url = reverse("admin:archive_collection_change", args=(collection.pk,))
    data = {
        "title": collection.title,
        "slug": collection.slug,
        "curator": "",
        "introduction": "",
        "base_version": collection.version,
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "3",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for i, (item, order) in enumerate(((first, 3), (second, 1), (third, 2))):
        data.update(
            {
                f"items-{i}-id": item.pk,
                f"items-{i}-collection": collection.pk,
                f"items-{i}-order": order,
                f"items-{i}-article": item.article_id,
                f"items-{i}-testimony": "",
                f"items-{i}-caption": "",
            }
        )
    response = editor_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    order = list(CollectionItem.objects.filter(collection=collection).values_list("pk", flat=True))
    assert order == [second.pk, third.pk, first.pk]
    assert list(collection.items.values_list("position", flat=True)) == [1, 2, 3]


def test_publishing_collections_in_bulk_refuses_an_empty_one(editor_client):
    empty = factories.CollectionFactory(status=Status.DRAFT, published_at=None)
    full = factories.CollectionItemFactory(
        collection__status=Status.DRAFT, collection__published_at=None
    ).collection
    response = editor_client.post(
        reverse("admin:archive_collection_changelist"),
        {"action": "publish_selected", "_selected_action": [empty.pk, full.pk]},
        follow=True,
    )
    assert Collection.objects.get(pk=full.pk).status == Status.PUBLISHED
    assert Collection.objects.get(pk=empty.pk).status == Status.DRAFT
    assert any("empty collection" in m for m in messages_of(response))


# --- history -------------------------------------------------------------------------------------


def test_an_admin_edit_is_recorded_with_its_author_and_can_be_reverted(editor_client):
    article = factories.ArticleFactory(
        headline="Original headline", status=Status.DRAFT, published_at=None
    )
    url = reverse("admin:archive_article_change", args=(article.pk,))
    editor_client.post(url, _change_data(article, headline="Edited headline"))
    article.refresh_from_db()
    assert article.headline == "Edited headline"
    latest = article.history.first()
    assert latest.history_user.username == "ed"
    assert latest.diff_against(latest.prev_record).changed_fields == ["headline"]
    history_page = editor_client.get(reverse("admin:archive_article_history", args=(article.pk,)))
    history_html = history_page.content.decode()
    assert history_page.status_code == 200
    assert "<strong>Headline:</strong>" in history_html  # what changed, old → new
    assert "Original headline" in history_html and "Edited headline" in history_html

    original = article.history.last()
    revert_url = reverse(
        "admin:archive_article_simple_history", args=(article.pk, original.history_id)
    )
    form = editor_client.get(revert_url).context["adminform"].form
    data = _form_data(form)
    response = editor_client.post(revert_url, data)
    assert response.status_code == 302, _errors(response)
    article.refresh_from_db()
    assert article.headline == "Original headline"
    assert article.history.first().history_user.username == "ed"


def test_a_revert_needs_the_change_permission(contributor_client):
    article = factories.ArticleFactory(headline="Published headline")
    from archive import services

    services.article_update(article=article, headline="Corrected headline")
    original = article.history.last()
    revert_url = reverse(
        "admin:archive_article_simple_history", args=(article.pk, original.history_id)
    )
    response = contributor_client.post(revert_url, {"headline": "Published headline"})
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "Corrected headline"


# --- dashboard -----------------------------------------------------------------------------------


def test_the_dashboard_shows_waiting_drafts_and_testimonies(editor_client):
    factories.ArticleFactory(headline="A draft waiting", status=Status.DRAFT, published_at=None)
    factories.ArticleFactory(headline="Up for review", status=Status.IN_REVIEW, published_at=None)
    factories.ArticleFactory(headline="Already out")
    factories.TestimonyFactory(status=TestimonyStatus.PROPOSED)
    with CaptureQueriesContext(connection) as ctx:
        response = editor_client.get(reverse("admin:index"))
    content = response.content.decode()
    assert "A draft waiting" in content and "Up for review" in content
    assert "Already out" not in content.split('id="dashboard-recent"')[0]
    assert "Testimonies awaiting a decision (1)" in content
    recent = content.split('id="dashboard-recent"')[1]
    assert "added article" in recent and "A draft waiting" in recent
    dashboard_queries = [q["sql"] for q in ctx.captured_queries if "archive_" in q["sql"]]
    assert all("LIMIT" in sql.upper() for sql in dashboard_queries), dashboard_queries


# --- helpers -------------------------------------------------------------------------------------


def _empty_inlines() -> dict:
    data = {}
    for prefix in ("testimonies", "annotations", "credits"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def _change_data(article: Article, *, testimonies=(), **overrides) -> dict:
    data = {
        "headline": article.headline,
        "slug": article.slug,
        "source": article.source_id or "",
        "attribution_note": article.attribution_note,
        "language": article.language,
        "standfirst": article.standfirst,
        "published_on": article.published_on.isoformat() if article.published_on else "",
        "date_precision": article.date_precision,
        "original_url": article.original_url,
        "dateline_place": article.dateline_place_id or "",
        "body": article.body,
        # The version the page was opened at (optimistic concurrency).
        "base_version": article.version,
        **_empty_inlines(),
    }
    if article.date_inferred:
        data["date_inferred"] = "on"
    data["testimonies-TOTAL_FORMS"] = data["testimonies-INITIAL_FORMS"] = str(len(testimonies))
    for i, testimony in enumerate(testimonies):
        data.update(
            {
                f"testimonies-{i}-id": testimony.pk,
                f"testimonies-{i}-article": article.pk,
                f"testimonies-{i}-speaker_description": testimony.speaker_description,
                f"testimonies-{i}-speaker_age": testimony.speaker_age or "",
                f"testimonies-{i}-base_version": testimony.version,
            }
        )
    data.update(overrides)
    return data


def _form_data(form) -> dict:
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    return data


def _errors(response) -> str:
    context = getattr(response, "context", None)
    if not context:
        return ""
    parts = []
    if "adminform" in context:
        parts.append(str(context["adminform"].form.errors))
    for formset in context.get("inline_admin_formsets", []):
        parts.append(str(formset.formset.errors) + str(formset.formset.non_form_errors()))
    return " ".join(parts) + " ".join(messages_of(response))


@pytest.mark.parametrize("model_name", ARCHIVE_ADMINS)
def test_every_change_and_add_page_renders_for_an_editor(editor_client, model_name):
    obj = ROW_MAKERS[model_name]()
    model_admin = next(
        ma for model, ma in admin.site._registry.items() if model._meta.model_name == model_name
    )
    change = editor_client.get(reverse(f"admin:archive_{model_name}_change", args=(obj.pk,)))
    assert change.status_code == 200
    history = editor_client.get(reverse(f"admin:archive_{model_name}_history", args=(obj.pk,)))
    assert history.status_code == 200
    add = editor_client.get(reverse(f"admin:archive_{model_name}_add"))
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)


def test_a_changelist_longer_than_the_count_limit_is_not_counted_to_the_end(
    admin_client, monkeypatch
):
    from archive.admin import base

    monkeypatch.setattr(base, "COUNT_LIMIT", 3)
    factories.SourceFactory.create_batch(5)
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(reverse("admin:archive_source_changelist"))
    assert response.context["cl"].result_count == 3
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 4" in sql.upper() for sql in counts), counts


def test_a_contributor_is_not_offered_the_tool_on_published_material(contributor_client):
    article = factories.ArticleFactory(body=BODY)
    response = contributor_client.get(reverse("admin:archive_article_change", args=(article.pk,)))
    data = response.context["annotator"]["data"]
    assert data["annotateUrl"] is None and data["testimonyUrl"] is None
    assert b">Record testimony<" not in response.content
    url = reverse("admin:archive_article_annotate", args=(article.pk,))
    assert contributor_client.get(url, {"start": 0, "end": 5}).status_code == 403


def test_a_proposed_testimony_links_to_its_confirmation(editor_client):
    testimony = factories.TestimonyFactory(status=TestimonyStatus.PROPOSED)
    url = reverse("admin:archive_testimony_change", args=(testimony.pk,))
    confirm = f"{reverse('admin:archive_testimony_confirm')}?ids={testimony.pk}"
    assert confirm in editor_client.get(url).content.decode()
    editor_client.post(confirm, {})
    testimony.refresh_from_db()
    assert testimony.status == TestimonyStatus.CONFIRMED


def test_only_an_editor_changes_a_persons_protection(contributor_client):
    person = factories.PersonFactory()
    url = reverse("admin:archive_person_change", args=(person.pk,))
    form = contributor_client.get(url).context["adminform"].form
    assert "protection_level" not in form.fields and "name" in form.fields


@pytest.mark.parametrize(
    "params",
    [
        {"start": "abc", "end": "4", "exact": "x"},
        {"start": "-1", "end": "4", "exact": "x"},
        {"start": "5", "end": "99999", "exact": "x"},
        {"start": "5", "end": "3", "exact": "x"},
        {},
    ],
)
def test_garbage_selections_are_form_errors_not_server_errors(editor_client, params):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    for name in ("annotate", "record_testimony"):
        url = reverse(f"admin:archive_article_{name}", args=(article.pk,))
        assert editor_client.get(url, params).status_code == 200
        response = editor_client.post(
            url,
            {
                **params,
                "quote": "x",
                "motivation": "commenting",
                "body": "n",
                "speaker_description": "someone",
            },
        )
        assert response.status_code == 200 and response.context["form"].errors
    assert not Annotation.objects.exists() and not Testimony.objects.exists()


def test_changelists_offer_no_facet_counts(admin_client):
    factories.TestimonyFactory()
    response = admin_client.get(reverse("admin:archive_testimony_changelist"), {"_facets": "1"})
    assert response.status_code == 200
    assert b"Show counts" not in response.content
    titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert "speaker kind" in titles and "speaker protection" in titles


def test_saving_an_unchanged_article_records_no_empty_history(editor_client):
    article = factories.ArticleFactory(status=Status.DRAFT, published_at=None)
    before = article.history.count()
    url = reverse("admin:archive_article_change", args=(article.pk,))
    assert editor_client.post(url, _change_data(article)).status_code == 302
    assert article.history.count() == before


def test_a_persons_testimonies_are_one_click_away_and_filtered(editor_client):
    testimony = factories.TestimonyFactory()
    factories.TestimonyFactory()
    people = editor_client.get(reverse("admin:archive_person_changelist")).content.decode()
    link = f"{reverse('admin:archive_testimony_changelist')}?speaker={testimony.speaker_id}"
    assert link in people
    response = editor_client.get(link)
    assert [t.pk for t in response.context["cl"].result_list] == [testimony.pk]
    assert str(testimony.speaker) in response.content.decode()
    assert editor_client.get(link + "x").status_code == 200


def test_the_article_page_queries_do_not_grow_with_its_testimonies(editor_client):
    def page_queries(article):
        url = reverse("admin:archive_article_change", args=(article.pk,))
        with CaptureQueriesContext(connection) as ctx:
            assert editor_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def article_with(n: int):
        body = " ".join(f"“Quote number {i}.” said someone." for i in range(n))
        article = factories.ArticleFactory(body=body, status=Status.DRAFT, published_at=None)
        start = 0
        for _ in range(n):
            start = body.index("“", start) + 1
            end = body.index("”", start)
            factories.TestimonyFactory(article=article, start=start, end=end)
            factories.AnnotationFactory(article=article, start=start, end=end)
        return article

    assert page_queries(article_with(2)) == page_queries(article_with(12))


def test_a_speaker_age_is_corrected_inline_under_the_article(editor_client):
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    testimony = factories.TestimonyFactory(article=article)
    data = _change_data(article, testimonies=[testimony])
    data["testimonies-0-speaker_age"] = "72"
    response = editor_client.post(reverse("admin:archive_article_change", args=(article.pk,)), data)
    assert response.status_code == 302, _errors(response)
    testimony.refresh_from_db()
    assert testimony.speaker_age == 72
    assert testimony.history.first().history_user.username == "ed"


HISTORY_ADMINS = sorted(
    model._meta.model_name
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "archive" and isinstance(model_admin, SimpleHistoryAdmin)
)


@pytest.mark.parametrize("model_name", HISTORY_ADMINS)
def test_every_recorded_model_opens_a_past_version_to_revert(editor_client, model_name):
    obj = ROW_MAKERS[model_name]()
    record = obj.history.first()
    url = reverse(f"admin:archive_{model_name}_simple_history", args=(obj.pk, record.history_id))
    response = editor_client.get(url)
    assert response.status_code == 200
    if model_name == "consentrecord":
        # A log: a correction is a new record, never a revert.
        assert b"Revert" not in response.content
        return
    assert b"Revert" in response.content or b"revert" in response.content


def test_history_is_kept_for_articles_testimonies_people_annotations_and_collections():
    assert {"article", "testimony", "person", "annotation", "collection"} <= set(HISTORY_ADMINS)


def test_an_editor_publishes_with_the_change_form_button(editor_client):
    article = factories.ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    url = reverse("admin:archive_article_change", args=(article.pk,))
    assert b'value="publish"' in editor_client.get(url).content
    response = editor_client.post(url, {**_change_data(article), "_workflow": "publish"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article.published_at is not None
    assert Article.objects.published().filter(pk=article.pk).exists()
    assert article.history.first().history_user.username == "ed"


def test_an_introduction_naming_a_protected_person_is_refused_in_the_admin(editor_client):
    # Issue 15: editors' own texts have no mentions to mask; they must describe, not name.
    factories.PersonFactory(
        name="Serhiy Lytvyn", protection_level="restricted", protection_reason="Safety."
    )
    collection = factories.CollectionFactory(status=Status.DRAFT, published_at=None)
    url = reverse("admin:archive_collection_change", args=(collection.pk,))
    data = {
        "title": collection.title,
        "slug": collection.slug,
        "curator": "",
        "introduction": "Mr Lytvyn kept the shelter open.",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "names a protected person" in _errors(response)
    collection.refresh_from_db()
    assert collection.introduction == ""


def test_renaming_a_person_in_the_admin_keeps_the_old_spelling(editor_client):
    person = factories.PersonFactory(name="Vitaly Bardas")
    article = factories.ArticleFactory(body="Vitaly Bardas stayed.")
    url = reverse("admin:archive_person_change", args=(person.pk,))
    response = editor_client.post(
        url,
        {
            "name": "Vitalii Bardas",
            "slug": person.slug,
            "role": "",
            "kind": person.kind,
            "protection_level": "public",
            "protection_reason": "",
            "note": "",
            "name_variants-TOTAL_FORMS": "0",
            "name_variants-INITIAL_FORMS": "0",
            "name_variants-MIN_NUM_FORMS": "0",
            "name_variants-MAX_NUM_FORMS": "1000",
            "consent_records-TOTAL_FORMS": "0",
            "consent_records-INITIAL_FORMS": "0",
            "consent_records-MIN_NUM_FORMS": "0",
            "consent_records-MAX_NUM_FORMS": "1000",
            "base_version": person.version,
        },
    )
    assert response.status_code == 302, _errors(response)
    assert list(person.name_variants.values_list("name", flat=True)) == ["Vitaly Bardas"]
    assert article.mentions.filter(person=person, exact="Vitaly Bardas").exists()

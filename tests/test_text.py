"""One normalisation at the boundary: every text enters the archive with LF line breaks, once,
before it is compared or stored; nothing else about it is rewritten."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from archive import services
from archive.models import Annotation, Article, Status, Testimony
from archive.text import normalise
from tests import factories
from tests.test_admin import _change_data, _errors

pytestmark = pytest.mark.django_db

BODY = (
    "Lysychansk — Shelling resumed at dawn.\n\n"
    "“We will stay until the end,” said Mykola, 72.\n\n"
    "The water has been cut since June."
)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def test_line_breaks_become_lf_and_nothing_else_changes():
    assert normalise("a\r\nb\rc\nd") == "a\nb\nc\nd"
    # Quote marks, dashes, non-breaking spaces and decomposed accents are the speaker's words.
    words = '«\u00a0Cafe\u0301\u00a0» — “it’s” ‘here’ "there"\u2028'
    assert normalise(words) == words


def test_saving_an_article_after_editing_its_standfirst_keeps_the_body_byte_identical(
    client, editor
):
    client.force_login(editor)
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    testimony = factories.TestimonyFactory(article=article)
    history = article.history.count()
    # A browser posts every textarea with CRLF line breaks.
    data = _change_data(article, standfirst="A new\r\nstandfirst.")
    data["body"] = crlf(BODY)
    response = client.post(reverse("admin:archive_article_change", args=(article.pk,)), data)
    assert response.status_code == 302, _errors(response)
    article.refresh_from_db()
    assert article.body == BODY
    assert article.standfirst == "A new\nstandfirst."
    # One edit, one record; the anchors did not move.
    assert article.history.count() == history + 1
    latest, previous = article.history.all()[:2]
    assert "body" not in latest.diff_against(previous).changed_fields
    testimony_after = Testimony.objects.get(pk=testimony.pk)
    assert (testimony_after.start, testimony_after.end) == (testimony.start, testimony.end)


def test_services_normalise_what_code_hands_them():
    article = services.article_create(
        raw_text="CAPTURE\r\n" + crlf(BODY),
        headline="Staying\r\nput",
        body=crlf(BODY),
        language="en",
        standfirst="One\rtwo",
    )
    article.refresh_from_db()
    assert article.body == BODY and article.headline == "Staying\nput"
    assert article.standfirst == "One\ntwo"
    # The raw capture is evidence: stored exactly as received.
    assert article.raw_text == "CAPTURE\r\n" + crlf(BODY)

    start = BODY.index("dawn.")
    end = BODY.index("72.") + 3
    quote = crlf(BODY[start:end])
    testimony = services.testimony_create(
        article=article, start=start, end=end, quote=quote, speaker_description="a\r\nminer"
    )
    assert testimony.quote == BODY[start:end]
    assert testimony.speaker_description == "a\nminer"
    annotation = services.annotation_create(
        article=article,
        start=start,
        end=end,
        exact=quote,
        prefix=crlf(BODY[start - 10 : start]),
        suffix=crlf(BODY[end : end + 3]),
        motivation="commenting",
        body="Two\r\nlines",
    )
    assert annotation.exact == BODY[start:end] and annotation.body == "Two\nlines"

    services.article_update(article=article, body=crlf(BODY) + "\r\nMore.")
    assert Article.objects.get(pk=article.pk).body == BODY + "\nMore."


@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
def test_characters_no_database_can_store_are_refused_with_a_message(bad):
    with pytest.raises(ValidationError) as refused:
        services.article_create(raw_text="x", headline="h", body=f"a{bad}b", language="en")
    assert "body" in refused.value.message_dict
    assert not Article.objects.exists()


def _selection(body: str, start: int, end: int) -> dict:
    # What the annotation tool posts: hidden inputs, whose line breaks the browser sends as CRLF.
    return {
        "start": start,
        "end": end,
        "exact": crlf(body[start:end]),
        "prefix": crlf(body[max(0, start - 32) : start]),
        "suffix": crlf(body[end : end + 32]),
    }


@pytest.mark.parametrize(
    "passage",
    ["“We will stay until the end,”", "said Mykola, 72.", "dawn.\n\n“We will stay"],
    ids=["start of a paragraph", "end of a paragraph", "across two paragraphs"],
)
def test_annotating_at_paragraph_edges_and_across_them_is_accepted(client, editor, passage):
    client.force_login(editor)
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    start = BODY.index(passage)
    data = {**_selection(BODY, start, start + len(passage)), "motivation": "commenting"}
    url = reverse("admin:archive_article_annotate", args=(article.pk,))
    response = client.post(url, {**data, "body": "A note"})
    assert response.status_code == 302, response.context["form"].errors
    annotation = Annotation.objects.get()
    assert annotation.exact == passage == BODY[annotation.start : annotation.end]


@pytest.mark.parametrize(
    "passage",
    ["“We will stay until the end,”", "said Mykola, 72.", "dawn.\n\n“We will stay"],
    ids=["start of a paragraph", "end of a paragraph", "across two paragraphs"],
)
def test_recording_a_testimony_at_paragraph_edges_and_across_them_is_accepted(
    client, editor, passage
):
    client.force_login(editor)
    article = factories.ArticleFactory(body=BODY, status=Status.DRAFT, published_at=None)
    start = BODY.index(passage)
    selection = _selection(BODY, start, start + len(passage))
    url = reverse("admin:archive_article_record_testimony", args=(article.pk,))
    response = client.post(
        url,
        {
            "start": selection["start"],
            "end": selection["end"],
            "quote": selection["exact"],
            "speaker_description": "a retired miner",
            "visibility": "public",
            "language": "en",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    testimony = Testimony.objects.get()
    assert testimony.quote == passage == BODY[testimony.start : testimony.end]

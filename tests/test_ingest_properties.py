"""Property-based tests of the importer: whatever comes in is imported or refused cleanly,
and every proposal is anchored exactly on its quote."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.ingest.cleaning import clean
from archive.ingest.quotes import propose
from archive.ingest.service import ImportRefused, dispatch_import
from archive.models import Annotation, Article, Credit, Testimony

# Text that looks like a dispatch often enough to exercise every rule: quote marks of every
# kind, names, speech verbs, ages, credit lines, furniture and paragraph breaks.
FRAGMENTS = st.sampled_from(
    [
        "“",
        "”",
        '"',
        "«",
        "»",
        "„",
        "’",
        " ",
        " ",
        "\n",
        "\n\n",
        ", ",
        ". ",
        "! ",
        "? ",
        "said ",
        "he said",
        "she says",
        "added ",
        "told AFP",
        "continued",
        "Yuri Krassnikov",
        "Valentyna",
        ", 70,",
        "the 70-year-old man",
        "a woman next to her",
        "We will stay",
        "There is no one to help me",
        "Bakhmut",
        "Toretsk",
        "By Anna Voitenko",
        "(Reuters)",
        "(Writing by Mike Collett-White; Editing by Gareth Jones)",
        "Subscribe",
        "listen",
        "TORETSK, Ukraine (Reuters) – ",
        "Search\n",
        "source site-25",
        "é",
        "ї",
        "\t",
        "—",
        "‘",
        "’",
        "\ufeff",
        "\r\n",
    ]
)
DISPATCHISH = st.lists(FRAGMENTS | st.text(max_size=8), max_size=60).map("".join)

# INGEST_PROPERTY_EXAMPLES=2000 for a long hunt; the default keeps the suite quick.
EXAMPLES = int(os.environ.get("INGEST_PROPERTY_EXAMPLES", "60"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _rows() -> tuple[int, int, int, int]:
    return (
        Article.objects.count(),
        Testimony.objects.count(),
        Annotation.objects.count(),
        Credit.objects.count(),
    )


def _import_or_refuse(raw) -> None:
    before = _rows()
    try:
        result = dispatch_import(raw=raw, filename="property")
    except ImportRefused as refused:
        assert refused.reason
        assert _rows() == before, "a refused capture wrote rows"
        return
    if result.status == "already_imported":
        assert _rows() == before
        return
    assert result.status == "created"
    article = Article.objects.get(pk=result.article_id)
    for testimony in article.testimonies.all():
        assert article.body[testimony.start : testimony.end] == testimony.quote
    for note in article.annotations.all():
        assert article.body[note.start : note.end] == note.exact


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(st.text())
def test_any_text_is_imported_or_refused_cleanly(text):
    _import_or_refuse(text)


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(st.binary())
def test_any_bytes_are_imported_or_refused_cleanly(raw):
    _import_or_refuse(raw)


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(DISPATCHISH)
def test_dispatch_like_text_is_imported_or_refused_cleanly(text):
    _import_or_refuse(text)


@settings(max_examples=5 * EXAMPLES, deadline=None)
@given(DISPATCHISH)
def test_proposals_always_slice_to_their_quotes(text):
    cleaned = clean(text)
    body = cleaned.body
    for start, end in cleaned.paragraph_offsets():
        assert 0 <= start <= end <= len(body)
    for proposal in propose(body, cleaned.paragraph_offsets()):
        assert 0 <= proposal.start < proposal.end <= len(body)
        assert body[proposal.start : proposal.end] == proposal.quote
        assert proposal.quote == proposal.quote.strip()


@settings(max_examples=5 * EXAMPLES, deadline=None)
@given(DISPATCHISH)
def test_cleaning_only_removes_never_rewrites(text):
    # Every non-space character of the body comes, in order, from the raw capture.
    raw = iter("".join(text.split()))
    assert all(ch in raw for ch in "".join(clean(text).body.split()))

"""The annotation tool in a real browser: Playwright drives Debian's Chromium (headless).

An editor logs in, selects passages of an article with the mouse, records a testimony and an
annotation from them, and the saved offsets must point at exactly the selected text in Python's
units (code points), with the highlights shown on the page afterwards.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from archive.models import Annotation, Article, Status, Testimony
from tests import factories
from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Multi-paragraph, curly quotes, and characters outside the Basic Multilingual Plane before the
# selections: a tool counting UTF-16 code units would be off by one per emoji.
ASTRAL_BODY = (
    "Lysychansk 🚀 — Shelling resumed at dawn, and the 𝔴ater tower burned.\n\n"
    "“We will stay until the end,” said Mykola, 72, a retired miner.\n\n"
    "The town’s water 💧 has been cut since June. “Nobody comes here any more,” said a seller."
)


@pytest.fixture
def page(browser, live_server, editor):
    context, page = log_in(browser, live_server, editor, width=1400, height=1000)
    yield page
    context.close()


# Finds where code point `offset` of the annotator's text lies on screen. Written for the test,
# independently of annotator.js: walk the text nodes, converting code points to UTF-16 units.
CHAR_BOX_JS = """
([offset, side]) => {
  const holder = document.getElementById("annotator");
  const walker = document.createTreeWalker(holder, NodeFilter.SHOW_TEXT);
  let seen = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const points = Array.from(node.data);
    if (offset < seen + points.length) {
      const units = points.slice(0, offset - seen).join("").length;
      const range = document.createRange();
      range.setStart(node, units);
      range.setEnd(node, units + points[offset - seen].length);
      const box = range.getClientRects()[0];
      return {x: side === "start" ? box.left + 1 : box.right - 1, y: box.top + box.height / 2};
    }
    seen += points.length;
  }
  throw new Error("offset past the end of the text: " + offset);
}
"""


def select_with_mouse(page, start: int, end: int) -> None:
    """Drag the mouse from before character `start` to after character `end - 1`."""
    page.locator("#annotator").scroll_into_view_if_needed()
    # Nothing is offered until there is a selection.
    page.locator("#annotator-toolbar").wait_for(state="hidden")
    first = page.evaluate(CHAR_BOX_JS, [start, "start"])
    last = page.evaluate(CHAR_BOX_JS, [end - 1, "end"])
    page.mouse.move(first["x"], first["y"])
    page.mouse.down()
    page.mouse.move(last["x"], last["y"], steps=12)
    page.mouse.up()
    page.locator("#annotator-toolbar").wait_for(state="visible")


def open_article(page, live_server, article: Article) -> None:
    page.goto(f"{live_server.url}{reverse('admin:archive_article_change', args=(article.pk,))}")
    page.locator("#annotator").wait_for(state="visible")


def record_testimony(page, live_server, article, passage: str, speaker: str) -> Testimony:
    start = article.body.index(passage)
    select_with_mouse(page, start, start + len(passage))
    page.get_by_role("button", name="Record testimony").click()
    page.wait_for_url("**/record-testimony/**")
    assert page.locator("#selection-quote").inner_text() == passage
    page.fill("#id_speaker_description", speaker)
    page.click("input[name=_save]")
    page.wait_for_url(f"**{reverse('admin:archive_article_change', args=(article.pk,))}")
    return Testimony.objects.get(article=article, speaker_description=speaker)


def annotate(page, live_server, article, passage: str, note: str) -> Annotation:
    start = article.body.index(passage)
    select_with_mouse(page, start, start + len(passage))
    page.get_by_role("button", name="Annotate").click()
    page.wait_for_url("**/annotate/**")
    assert page.locator("#selection-quote").inner_text() == passage
    page.select_option("#id_motivation", "assessing")
    page.fill("#id_body", note)
    page.click("input[name=_save]")
    page.wait_for_url(f"**{reverse('admin:archive_article_change', args=(article.pk,))}")
    return Annotation.objects.get(article=article, body=note)


def assert_highlighted(page, kind: str, text: str, title: str) -> None:
    marks = page.locator(f"#annotator mark.anchor.{kind}")
    found = [
        (marks.nth(i).inner_text(), marks.nth(i).get_attribute("title"))
        for i in range(marks.count())
    ]
    assert any(shown == text and title in hover for shown, hover in found), found


def test_an_editor_records_from_mouse_selections_after_astral_characters(page, live_server):
    article = factories.ArticleFactory(body=ASTRAL_BODY, status=Status.DRAFT, published_at=None)
    open_article(page, live_server, article)

    quote = "We will stay until the end,"
    testimony = record_testimony(page, live_server, article, quote, "Mykola, a retired miner")
    assert (testimony.start, testimony.end) == (
        ASTRAL_BODY.index(quote),
        ASTRAL_BODY.index(quote) + len(quote),
    )
    assert ASTRAL_BODY[testimony.start : testimony.end] == testimony.quote == quote
    assert_highlighted(page, "testimony", quote, "Testimony — Mykola, a retired miner")

    passage = "Nobody comes here any more"
    annotation = annotate(page, live_server, article, passage, "Confirmed by a second source.")
    assert ASTRAL_BODY[annotation.start : annotation.end] == annotation.exact == passage
    assert annotation.prefix == ASTRAL_BODY[annotation.start - 32 : annotation.start]
    assert annotation.author.username == "ed"
    assert_highlighted(page, "annotation", passage, "Annotation — Assessing (fact-check)")


def test_an_editor_annotates_a_seed_article_in_the_browser(page, live_server, seed):
    article = Article.objects.get(slug="lysychansk-residents-who-stay-2022")
    existing = article.testimonies.count()
    open_article(page, live_server, article)
    # The seed's own testimonies are highlighted when the page opens.
    assert page.locator("#annotator mark.anchor.testimony").count() >= min(existing, 1)

    quote = "All that remains are the elderly"
    testimony = record_testimony(page, live_server, article, quote, "the narrator")
    assert article.body[testimony.start : testimony.end] == quote
    passage = "separated from Severodonetsk by the Donets River"
    annotation = annotate(page, live_server, article, passage, "Geography checked on the map.")
    assert article.body[annotation.start : annotation.end] == passage
    assert article.testimonies.count() == existing + 1
    assert_highlighted(page, "testimony", quote, "Testimony — the narrator")
    assert_highlighted(page, "annotation", passage, "Annotation — Assessing")


def test_an_editor_reorders_a_collection_by_dragging_its_items(page, live_server):
    from archive.models import CollectionItem

    collection = factories.CollectionFactory(status=Status.DRAFT, published_at=None)
    first, second, third = (
        factories.CollectionItemFactory(collection=collection, position=n) for n in (1, 2, 3)
    )
    page.goto(
        f"{live_server.url}{reverse('admin:archive_collection_change', args=(collection.pk,))}"
    )
    rows = page.locator(".collection-items tr.has_original")
    assert rows.count() == 3
    rows.nth(2).locator(".drag-handle").drag_to(rows.nth(0), target_position={"x": 10, "y": 3})
    orders = page.locator(".collection-items tr.has_original input.collection-order")
    assert [orders.nth(i).input_value() for i in range(3)] == ["1", "2", "3"]
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}{reverse('admin:archive_collection_changelist')}")
    saved = list(
        CollectionItem.objects.filter(collection=collection)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    assert saved == [third.pk, first.pk, second.pk]


# Passages quotes often are: the start of a paragraph, its end, and a run across a paragraph
# break. Their TextQuote context (or the passage itself) holds "\n\n", which the browser posts
# as CRLF from the tool's hidden inputs; the boundary turns it back into the body's LF.
EDGE_PASSAGES = {
    "start of a paragraph": "“We will stay until the end,”",
    "end of a paragraph": "said Mykola, 72, a retired miner.",
    "across two paragraphs": "the 𝔴ater tower burned.\n\n“We will stay",
}


@pytest.mark.parametrize("where", EDGE_PASSAGES)
def test_annotate_works_at_paragraph_edges_and_across_paragraphs(page, live_server, where):
    passage = EDGE_PASSAGES[where]
    article = factories.ArticleFactory(body=ASTRAL_BODY, status=Status.DRAFT, published_at=None)
    open_article(page, live_server, article)
    annotation = annotate(page, live_server, article, passage, f"Checked: {where}.")
    assert ASTRAL_BODY[annotation.start : annotation.end] == annotation.exact == passage
    assert (annotation.prefix, annotation.suffix) == (
        ASTRAL_BODY[max(0, annotation.start - 32) : annotation.start],
        ASTRAL_BODY[annotation.end : annotation.end + 32],
    )
    assert page.locator("#annotator mark.anchor.annotation").count() >= 1


@pytest.mark.parametrize("where", EDGE_PASSAGES)
def test_record_testimony_works_at_paragraph_edges_and_across_paragraphs(page, live_server, where):
    passage = EDGE_PASSAGES[where]
    article = factories.ArticleFactory(body=ASTRAL_BODY, status=Status.DRAFT, published_at=None)
    open_article(page, live_server, article)
    testimony = record_testimony(page, live_server, article, passage, f"speaker ({where})")
    assert ASTRAL_BODY[testimony.start : testimony.end] == testimony.quote == passage
    assert testimony.history.count() == 1
    assert page.locator("#annotator mark.anchor.testimony").count() >= 1

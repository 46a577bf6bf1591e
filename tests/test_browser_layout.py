"""Changelists and change pages fit a 1,366–1,920 px screen without sideways scrolling, and the
text that matters (headline, quote) gets the room. Checked in Chromium; screenshots are written
to $LAYOUT_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from archive.models import Article
from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 1920)


def _pages() -> dict[str, str]:
    article = Article.objects.get(slug="lysychansk-residents-who-stay-2022")
    return {
        "article-changelist": reverse("admin:archive_article_changelist"),
        "testimony-changelist": reverse("admin:archive_testimony_changelist"),
        "annotation-changelist": reverse("admin:archive_annotation_changelist"),
        "article-change": reverse("admin:archive_article_change", args=(article.pk,)),
        "testimony-change": reverse(
            "admin:archive_testimony_change", args=(article.testimonies.first().pk,)
        ),
    }


@pytest.fixture
def logged_in(browser, live_server, editor, seed):
    def open_at(width: int):
        return log_in(browser, live_server, editor, width=width, height=900)

    return open_at


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_pages_fit_the_screen_without_sideways_scrolling(logged_in, live_server, width):
    context, page = logged_in(width)
    shots = os.environ.get("LAYOUT_SCREENSHOTS")
    overflowing = {}
    try:
        for name, path in _pages().items():
            page.goto(f"{live_server.url}{path}")
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
            # The page, and the changelist's own scrolling box, are no wider than the screen.
            scroll_width = page.evaluate(
                """() => Math.max(document.documentElement.scrollWidth, ...Array.from(
                    document.querySelectorAll('#changelist .results, .inline-group .tabular'),
                    box => box.scrollWidth - box.clientWidth + window.innerWidth))"""
            )
            if scroll_width > width:
                overflowing[name] = scroll_width
    finally:
        context.close()
    assert overflowing == {}


def test_the_headline_and_the_quote_get_the_widest_columns(logged_in, live_server):
    context, page = logged_in(1366)
    try:
        for path, column in (
            (reverse("admin:archive_article_changelist"), "headline"),
            (reverse("admin:archive_testimony_changelist"), "quote_excerpt"),
        ):
            page.goto(f"{live_server.url}{path}")
            widths = page.evaluate(
                """() => Array.from(document.querySelectorAll('#result_list thead th'))
                    .map(th => [th.className, th.getBoundingClientRect().width])"""
            )
            main = max(w for cls, w in widths if f"column-{column}" in cls)
            others = [w for cls, w in widths if f"column-{column}" not in cls]
            assert main >= max(others), widths
    finally:
        context.close()

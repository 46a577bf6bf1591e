"""`verify_fixity` recomputes every raw capture's SHA-256 (issue 14, item 7)."""

import importlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from archive.fixity import verify_fixity
from archive.text import sha256_hex
from tests.factories import ArticleFactory

immutable = importlib.import_module("archive.migrations.0002_raw_capture_immutable")


def corrupt_capture(article, raw_text: str) -> None:
    """Change a stored capture the way a disk fault or a hand edit would: beneath the
    immutability trigger, which is dropped and put back inside the test's transaction."""
    create, drop = immutable.SQL[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(drop)
        cursor.execute(
            "UPDATE archive_article SET raw_text = %s WHERE id = %s", [raw_text, article.pk]
        )
        cursor.execute(create)


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_fixity", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_a_clean_archive_passes_with_exit_status_zero():
    ArticleFactory.create_batch(3)
    code, out = run()
    assert code == 0
    assert "3 captures match" in out


@pytest.mark.django_db
def test_a_capture_changed_beneath_the_trigger_fails_with_exit_status_one_and_is_named():
    good, tampered = ArticleFactory.create_batch(2)
    corrupt_capture(tampered, tampered.raw_text + " (altered)")
    code, out = run()
    assert code == 1
    assert f"article {tampered.pk} ({tampered.slug})" in out
    assert f"article {good.pk} " not in out
    assert "1 of 2 captures do not match" in out


@pytest.mark.django_db
def test_the_trigger_is_back_after_the_corruption_helper():
    article = ArticleFactory()
    corrupt_capture(article, "changed")
    with pytest.raises(Exception, match="raw capture"), connection.cursor() as cursor:
        cursor.execute("UPDATE archive_article SET raw_text = 'again' WHERE id = %s", [article.pk])


@pytest.mark.django_db
def test_the_json_summary_lists_each_mismatch_with_both_digests():
    ArticleFactory()
    tampered = ArticleFactory()
    corrupt_capture(tampered, "a different capture")
    code, out = run("--json")
    assert code == 1
    summary = json.loads(out)
    assert summary == {
        "ok": False,
        "checked": 2,
        "mismatched": 1,
        "mismatches": [
            {
                "article_id": tampered.pk,
                "slug": tampered.slug,
                "stored_sha256": tampered.raw_sha256,
                "computed_sha256": sha256_hex("a different capture"),
            }
        ],
    }


@pytest.mark.django_db
def test_the_json_summary_of_a_clean_archive_is_ok():
    ArticleFactory.create_batch(2)
    code, out = run("--json")
    assert code == 0
    assert json.loads(out) == {"ok": True, "checked": 2, "mismatched": 0, "mismatches": []}


@pytest.mark.django_db
def test_progress_is_reported_up_to_the_total():
    ArticleFactory.create_batch(3)
    calls = []
    report = verify_fixity(progress=lambda done, total: calls.append((done, total)))
    assert report.checked == 3
    assert calls[0] == (0, 3)
    assert calls[-1] == (3, 3)


@pytest.mark.django_db
def test_the_captures_are_streamed_not_loaded_as_models(django_assert_max_num_queries):
    ArticleFactory.create_batch(5)
    # One count and the streamed rows: no query per article.
    with django_assert_max_num_queries(3):
        report = verify_fixity()
    assert report.checked == 5

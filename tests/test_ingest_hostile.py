"""The importer under hostile input (issue 14, item 11): bounded work, careful decoding, and
captures with no words refused."""

import re

import pytest

from archive.ingest import quotes
from archive.ingest.cleaning import clean
from archive.ingest.service import ImportRefused, decode_capture, dispatch_import
from archive.models import Article, Testimony

# Made-up text, in the shape of a dispatch: accented letters, Cyrillic, curly quotes.
CAPTURE = (
    "Les habitants de Koupiansk restent malgré les tirs\n\n"
    "KOUPIANSK (Ukraine) — Dans la rue principale, Olena, 61 ans, balaie les éclats de verre "
    "devant sa boutique fermée.\n\n"
    "« Nous n’avons nulle part où aller, et la maison est encore debout », dit-elle.\n\n"
    "Sur la porte, une affiche en ukrainien : «Зачинено до перемоги», fermé jusqu’à la "
    "victoire.\n\n"
    "“We will stay as long as the water runs,” said Petro, a pensioner who lives nearby.\n"
)


def _marks_then_words(n: int) -> str:
    return "A headline for a test\n\n" + " ".join("“" for _ in range(n)) + " and some words."


class CountingWords:
    """Stands in for quotes._WORDS and adds up the characters each call is asked to read."""

    def __init__(self):
        self.pattern = re.compile(r"\w+")
        self.chars = 0

    def finditer(self, text, pos=0, endpos=None):
        end = len(text) if endpos is None else min(endpos, len(text))
        self.chars += max(0, end - pos)
        return self.pattern.finditer(text, pos, end)

    def findall(self, text, pos=0, endpos=None):
        end = len(text) if endpos is None else min(endpos, len(text))
        self.chars += max(0, end - pos)
        return self.pattern.findall(text, pos, end)


def _characters_read_finding_quotes(monkeypatch, n: int) -> int:
    counter = CountingWords()
    monkeypatch.setattr(quotes, "_WORDS", counter)
    cleaned = clean(_marks_then_words(n))
    quotes.find_quotes(cleaned.body, cleaned.paragraph_offsets())
    return counter.chars


def test_finding_quotes_in_a_run_of_marks_reads_each_character_a_bounded_number_of_times(
    monkeypatch,
):
    small = _characters_read_finding_quotes(monkeypatch, 1000)
    large = _characters_read_finding_quotes(monkeypatch, 4000)
    # Four times the marks: four times the reading when linear, sixteen when quadratic.
    assert large <= 5 * small
    assert large <= 4 * len(_marks_then_words(4000))


def test_a_stray_mark_after_a_word_or_two_stays_inside_the_quote():
    body = "“Stop! “Get down,” the soldier shouted at the crowd near the bridge."
    found = quotes.find_quotes(body, [(0, len(body))])
    assert [body[q.start : q.end] for q in found] == ["Stop! “Get down"]


def test_a_speech_verb_among_the_first_words_ends_the_quote_at_a_new_mark():
    body = "“They went on. “Nobody is left here now, nobody at all,” she said."
    found = quotes.find_quotes(body, [(0, len(body))])
    assert len(found) == 2


def test_a_capture_of_ten_thousand_quote_marks_is_refused_by_the_limit(db):
    raw = "A headline\n\n" + "“a” " * 5000
    with pytest.raises(ImportRefused) as refused:
        dispatch_import(raw=raw, filename="marks.txt")
    assert refused.value.reason == "too_many_quotes"
    assert "10,000 quote marks" in refused.value.messages[0]
    assert "INGEST_MAX_QUOTE_MARKS" in refused.value.messages[0]
    assert not Article.objects.exists()


def test_the_quote_mark_limit_is_a_setting_and_apostrophes_do_not_count(db, settings):
    settings.INGEST_MAX_QUOTE_MARKS = 4
    ok = "A headline\n\nIt’s the town’s “last” shop, she’s sure: “we stay”, they’re saying.\n"
    assert dispatch_import(raw=ok, filename="ok.txt", dry_run=True).status == "would_create"
    with pytest.raises(ImportRefused) as refused:
        dispatch_import(raw=ok + "“More”\n", filename="more.txt")
    assert refused.value.reason == "too_many_quotes"


def test_a_capture_proposing_more_testimonies_than_the_limit_is_refused_and_writes_nothing(
    db, settings
):
    settings.INGEST_MAX_PROPOSALS = 2
    # One paragraph: separate ones this alike would be dropped as a capture's repeats.
    raw = "A headline\n\n" + " ".join(
        f"“We will stay here, whatever happens to the town {i},” said Ivan." for i in range(3)
    )
    with pytest.raises(ImportRefused) as refused:
        dispatch_import(raw=raw, filename="many.txt")
    assert refused.value.reason == "too_many_proposals"
    assert "3 proposed testimonies" in refused.value.messages[0]
    assert not Article.objects.exists()
    assert not Testimony.objects.exists()


def test_a_large_capture_within_the_limits_completes(db):
    raw = "A headline for a long capture\n\n" + " ".join(
        f"“We will stay here, whatever happens to the street number {i},” said Ivan."
        for i in range(450)
    )
    result = dispatch_import(raw=raw, filename="long.txt", dry_run=True)
    assert result.status == "would_create"
    assert len(result.testimonies) == 450


# --- Encodings ----------------------------------------------------------------------------------


def test_utf8_with_a_few_bad_bytes_is_read_as_utf8_with_replacements_and_a_warning(db):
    good = CAPTURE.encode("utf-8")
    # Three stray bytes, as a truncated copy or a flipped bit leaves them.
    damaged = good.replace(b"boutique", b"bout\xffique", 1).replace(b"maison", b"mai\x9dson", 1)
    damaged = damaged.replace(b"Petro", b"Pe\xc3tro", 1)
    result = dispatch_import(raw=damaged, filename="damaged.txt")
    assert result.status == "created"
    assert result.encoding == "utf-8"
    assert any("3 byte sequence(s) that are not valid UTF-8" in w for w in result.warnings)
    article = Article.objects.get(pk=result.article_id)
    assert article.raw_text.count("\ufffd") == 3
    assert "Зачинено до перемоги" in article.body
    assert "malgré les tirs" in article.headline
    assert "bout\ufffdique" in article.body


def test_a_text_in_a_single_byte_encoding_is_still_detected_as_such(db):
    text = (
        "A headline about the café\n\n"
        + "Le café de la rue principale était fermé, la boulangère était partie à l’été. " * 4
    )
    result = dispatch_import(raw=text.encode("cp1252"), filename="latin.txt", dry_run=True)
    assert result.encoding.replace("_", "") == "cp1252"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_text(db, codec):
    raw = CAPTURE.encode(codec)
    if codec == "utf-16-be":
        raw = b"\xfe\xff" + raw
    result = dispatch_import(raw=raw, filename=f"{codec}.txt")
    assert result.status == "created"
    article = Article.objects.get(pk=result.article_id)
    assert article.raw_text == CAPTURE
    assert "Зачинено до перемоги" in article.body
    assert not any("detected" in w for w in result.warnings)


def test_random_bytes_behind_a_utf16_mark_are_refused():
    with pytest.raises(ImportRefused) as refused:
        decode_capture(b"\xff\xfe" + bytes(range(0x80, 0xFF)))
    assert refused.value.reason == "unknown_encoding"


@pytest.mark.parametrize(
    "raw",
    [
        '“”“”“”«»„""\n\n“ ” « »\n',
        b'""""""""""""""""',
        "— … !!! ??? — 1914 – 2025 …\n\n“ ” — « »",
        "\u201c \u201d\n".encode("utf-16"),
    ],
)
def test_a_capture_with_no_words_is_refused_with_a_clear_reason(db, raw):
    with pytest.raises(ImportRefused) as refused:
        dispatch_import(raw=raw, filename="nowords.txt")
    assert refused.value.reason == "no_words"
    assert "no words" in refused.value.messages[0]
    assert not Article.objects.exists()

"""Detection of what a capture says about itself: headline, outlet, credits, dateline, language.

Detection reads the capture's paragraphs and reports which of them are credit lines or the
headline, so cleaning can take them out of the body; it never guesses an outlet that the text
does not name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from archive.ingest.cleaning import Paragraph, is_boilerplate

NAME_WORD = r"[A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ][\w'’.-]*"
PERSON_NAME = rf"{NAME_WORD}(?:\s+(?:de\s+|van\s+|von\s+)?{NAME_WORD}){{0,3}}"
_NAMES_LIST = re.compile(rf"^{PERSON_NAME}(?:\s*(?:,|and|&|et)\s*{PERSON_NAME})*$")

BYLINE = re.compile(
    r"^(?:by|par)\s+(?P<names>.{3,160}?)(?:\s*[,|–—-]\s*(?P<outlet>[^,]{2,40}))?$", re.I
)
ROLE_CREDITS = re.compile(
    r"^\(?\s*(?P<all>(?:(?:writing|reporting|additional reporting|editing|compiled|"
    r"translated|translation|photos?|photographs?|graphics|video) by\s+[^;()]+;?\s*)+)\)?\.?$",
    re.I,
)
ROLE_PART = re.compile(r"(?P<role>[a-z ]+?) by\s+(?P<names>[^;]+)", re.I)
REPORT_BY = re.compile(
    r"^(?P<title>.{0,300}?)\s*[–—-]\s*(?:the\s+|a\s+)?(?:report|reportage|story|video|interview|"
    r"photos?)\s+by\s+(?P<names>" + PERSON_NAME + r")\.?$",
    re.I,
)
PHOTO_LINE = re.compile(
    r"^(?:photo|photos|photograph|image|picture)s?\s*(?::|by)\s*(?P<names>[^/]{3,80}?)"
    r"(?:\s*/\s*(?P<outlet>.{2,40}))?\.?$",
    re.I,
)
OUTLET_LINE = re.compile(r"^(?:at|for|with|on)\s+(?P<outlet>[\w][\w .&'’-]{1,38})$", re.I)
CAPTION_CREDIT = re.compile(
    r"\((?P<names>" + PERSON_NAME + r")\s+(?:for|/)\s+(?P<outlet>[^()]{2,40})\)"
)
CAPTION_PHOTO = re.compile(
    r"\((?:photo|photograph|image)\s*:\s*(?P<names>[^/()]{3,60})(?:/(?P<outlet>[^()]{2,40}))?\)",
    re.I,
)
DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ][A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ'’ .-]{2,40}),?"
    r"(?:\s+(?P<country>[A-Z][\w .]{1,30}?))?\s*(?:\((?P<outlet>[^()]{2,30})\))?\s*[–—-]\s+"
)
TOLD_OUTLET = re.compile(
    r"\b(?:told|said to|speaking to|interviewed by|according to)\s+(?P<outlet>(?:the\s+)?"
    r"[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,2})"
)
OUTLET_INTERVIEWED = re.compile(
    r"\b(?P<outlet>[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,2})\s+(?:interviewed|spoke to|"
    r"spoke with|met)\b"
)

ROLE_WORDS = {
    "writing": "writer",
    "reporting": "reporter",
    "additional reporting": "reporter",
    "editing": "editor",
    "compiled": "writer",
    "translated": "translator",
    "translation": "translator",
    "photo": "photographer",
    "photos": "photographer",
    "photograph": "photographer",
    "photographs": "photographer",
    "graphics": "author",
    "video": "reporter",
}

STOPWORDS = {
    "en": "the and of to in is that it was for on with as said he she they we not but are",
    "fr": "le la les et des du un une est que qui dans pour pas sur il elle nous ont au aux",
    "de": "der die das und ist nicht mit sich auf für dem den ein eine zu von sie wir",
    "es": "el la los las y de que en un una es por con para del se no su al",
    "uk": "і в на що не з як та це до за я ми він вона але ще",
    "ru": "и в на что не с как это по но он она мы я из за то же",
}
_STOP = {lang: frozenset(words.split()) for lang, words in STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class CreditInfo:
    name: str
    role: str  # a Credit.Role value


@dataclass
class Detection:
    headline: str = ""
    headline_inferred: bool = False
    headline_line: int | None = None
    credit_lines: set[int] = field(default_factory=set)
    credits: list[CreditInfo] = field(default_factory=list)
    # (name, evidence, strong): strong hints (dateline, credit lines, captions) name the outlet
    # of the capture; weak ones ("told AFP") only count when they match a known source.
    outlet_hints: list[tuple[str, str, bool]] = field(default_factory=list)
    dateline_place: str = ""
    published_on: date | None = None
    published_evidence: str = ""
    language: str = "en"
    warnings: list[str] = field(default_factory=list)

    def add_credit(self, name: str, role: str) -> None:
        # "Olena Harmash in Zaporizhzhia": the place says where the reporter was, not who.
        name = re.split(r"\s+in\s+(?=[A-Z])", name.strip(" .,;:()"))[0]
        if name and all(c.name != name or c.role != role for c in self.credits):
            self.credits.append(CreditInfo(name=name, role=role))


def split_names(text: str) -> list[str]:
    parts = re.split(r"\s*(?:,|;|&|\band\b|\bet\b)\s*", text.strip(" .()"))
    return [p for p in (part.strip() for part in parts) if p]


def _looks_like_names(text: str) -> bool:
    return bool(_NAMES_LIST.match(text.strip(" .()"))) and len(text) <= 160


def detect_language(text: str) -> str:
    words = [w.casefold() for w in _WORD.findall(text[:20000])]
    if not words:
        return "en"
    scores = Counter()
    for word in words:
        for lang, stop in _STOP.items():
            if word in stop:
                scores[lang] += 1
    if not scores:
        cyrillic = sum(1 for w in words if "CYRILLIC" in unicodedata.name(w[0], ""))
        return "uk" if cyrillic > len(words) / 2 else "en"
    lang, _ = scores.most_common(1)[0]
    if lang == "ru" and re.search(r"[іїєґ]", text[:20000], re.I):
        return "uk"
    return lang


MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "janvier"),
            ("february", "feb", "février", "fevrier"),
            ("march", "mar", "mars"),
            ("april", "apr", "avril"),
            ("may", "mai"),
            ("june", "jun", "juin"),
            ("july", "jul", "juillet"),
            ("august", "aug", "août", "aout"),
            ("september", "sep", "sept", "septembre"),
            ("october", "oct", "octobre"),
            ("november", "nov", "novembre"),
            ("december", "dec", "décembre", "decembre"),
        ),
        start=1,
    )
    for name in names
}
DATE_LINE = re.compile(
    r"^(?P<label>published|posted|updated|date|publié le|mis à jour le)\s*:?\s*(?:on\s+)?"
    r"(?P<date>.{6,40}?)(?:\s+(?:at\s+)?\d{1,2}[:.h]\d{2}.*)?$",
    re.I,
)


def parse_date(text: str) -> date | None:
    """A calendar date written as 14 November 2025, November 14, 2025, 2025-11-14 or
    14.11.2025; None when it is not one."""
    text = text.strip().strip(".,")
    patterns = (
        (r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$", None),
        (r"^(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})$", None),
        (r"^(?P<d>\d{1,2})(?:er)?\s+(?P<mn>[^\W\d]+)\.?,?\s+(?P<y>\d{4})$", "mn"),
        (r"^(?P<mn>[^\W\d]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$", "mn"),
    )
    for pattern, month_name in patterns:
        m = re.match(pattern, text, re.I)
        if not m:
            continue
        month = MONTHS.get(m["mn"].casefold()) if month_name else int(m["m"])
        try:
            return date(int(m["y"]), month, int(m["d"])) if month else None
        except ValueError:
            return None
    return None


def _publication_date(found: Detection, paragraphs: list[Paragraph]) -> None:
    # "Published" and "Posted" say when; "Updated" only stands in when nothing else does.
    for p in paragraphs:
        if len(p.text) > 80:
            continue
        m = DATE_LINE.match(p.text)
        when = parse_date(m["date"]) if m else None
        if when is None:
            continue
        if found.published_on is None or (
            m["label"].casefold().startswith(("updated", "mis à jour"))
            and found.published_evidence.casefold().startswith(("updated", "mis à jour"))
        ):
            found.published_on, found.published_evidence = when, p.text
        if not m["label"].casefold().startswith(("updated", "mis à jour")):
            found.published_on, found.published_evidence = when, p.text
            return


def detect(paragraphs: list[Paragraph]) -> Detection:
    found = Detection()
    _publication_date(found, paragraphs)
    content = [p for p in paragraphs if not is_boilerplate(p.text)]
    for p in content:
        _credit_line(found, p)
    # Photo captions keep their text (they describe the pictures) but give their credits.
    for p in content:
        for m in CAPTION_CREDIT.finditer(p.text):
            if _looks_like_names(m["names"]):
                found.add_credit(m["names"], "photographer")
                found.outlet_hints.append((m["outlet"].strip(), m.group(0), True))
        for m in CAPTION_PHOTO.finditer(p.text):
            for name in split_names(m["names"]):
                found.add_credit(name, "photographer")
            if m["outlet"]:
                found.outlet_hints.append((m["outlet"].strip(), m.group(0), True))
    body_paragraphs = [p for p in content if p.line not in found.credit_lines]
    for p in body_paragraphs[:3]:
        m = DATELINE.match(p.text)
        if m and m["place"].strip().upper() == m["place"].strip():
            found.dateline_place = m["place"].strip().title()
            if m["outlet"]:
                # The dateline's "(Reuters)" is the strongest evidence of the outlet.
                found.outlet_hints.insert(0, (m["outlet"].strip(), m.group(0).strip(), True))
            break
    for p in body_paragraphs:
        for m in TOLD_OUTLET.finditer(p.text):
            found.outlet_hints.append((m["outlet"], m.group(0), False))
        for m in OUTLET_INTERVIEWED.finditer(p.text):
            found.outlet_hints.append((m["outlet"], m.group(0), False))
    _headline(found, body_paragraphs)
    found.language = detect_language("\n".join(p.text for p in body_paragraphs))
    return found


def _credit_line(found: Detection, p: Paragraph) -> None:
    text = p.text
    if m := ROLE_CREDITS.match(text):
        for part in ROLE_PART.finditer(m["all"]):
            role = ROLE_WORDS.get(part["role"].strip().casefold(), "author")
            for name in split_names(part["names"]):
                found.add_credit(name, role)
        found.credit_lines.add(p.line)
        return
    if (m := BYLINE.match(text)) and _looks_like_names(m["names"]):
        for name in split_names(m["names"]):
            found.add_credit(name, "author")
        if m["outlet"]:
            found.outlet_hints.append((m["outlet"].strip(), text, True))
        found.credit_lines.add(p.line)
        return
    inner = text[1:-1].strip() if text.startswith("(") and text.endswith(")") else text
    if (m := PHOTO_LINE.match(inner)) and _looks_like_names(m["names"]):
        for name in split_names(m["names"]):
            found.add_credit(name, "photographer")
        if m["outlet"]:
            found.outlet_hints.append((m["outlet"].strip(), text, True))
        found.credit_lines.add(p.line)
        return
    if m := REPORT_BY.match(text):
        found.add_credit(m["names"], "reporter")
        found.credit_lines.add(p.line)
        return
    if (m := OUTLET_LINE.match(text)) and len(m["outlet"].split()) <= 4:
        found.outlet_hints.append((m["outlet"].strip(), text, True))
        found.credit_lines.add(p.line)


_SENTENCE_BREAK = re.compile(r"[.!?…][\"”’»)]?\s+[\"“«(]?[A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ]")
_OPEN_QUOTES = '"“«„'
_CLOSE_QUOTES = '"”»“'


def _headline(found: Detection, paragraphs: list[Paragraph]) -> None:
    if not paragraphs:
        return
    first = paragraphs[0]
    text = first.text
    pure_quote = text[:1] in _OPEN_QUOTES and text[-1:] in _CLOSE_QUOTES
    if (
        len(paragraphs) >= 3
        and len(text) <= 200
        and not _SENTENCE_BREAK.search(text)
        and not DATELINE.match(text)
        and not pure_quote
    ):
        found.headline = text.rstrip()
        found.headline_line = first.line
        return
    found.headline = first_sentence(text)
    found.headline_inferred = True
    found.warnings.append(
        "No headline in the capture: the first sentence stands in for one; write a headline."
    )


def first_sentence(text: str, limit: int = 140) -> str:
    text = DATELINE.sub("", text, count=1) or text
    m = _SENTENCE_BREAK.search(text)
    sentence = text[: m.start() + 1] if m else text
    if len(sentence) > limit:
        cut = sentence[:limit].rsplit(" ", 1)[0]
        sentence = (cut or sentence[:limit]).rstrip(",;: ") + "…"
    return sentence.strip() or "Untitled capture"


def normalise_key(text: str) -> str:
    return re.sub(r"[^\w]", "", unicodedata.normalize("NFKC", text).casefold())


def source_keys(name: str, slug: str) -> set[str]:
    keys = {normalise_key(name), normalise_key(slug)}
    keys.update(normalise_key(a) for a in re.findall(r"\(([^)]+)\)", name))
    words = re.findall(r"[A-Za-z]+", re.sub(r"\([^)]*\)", "", name))
    if len(words) >= 2:
        keys.add("".join(w[0] for w in words).casefold())
    return {k for k in keys if k}


def match_outlet(
    hints: Iterable[tuple[str, str, bool]], sources: Iterable[tuple[int, str, str]]
) -> tuple[int | None, str, list[str]]:
    """The source the hints name: (source id, evidence, names that matched no source)."""
    index: dict[str, int] = {}
    for pk, name, slug in sources:
        for key in source_keys(name, slug):
            index.setdefault(key, pk)
    unknown: list[str] = []
    for hint, evidence, strong in hints:
        cleaned = re.sub(r"^the\s+", "", hint.strip(), flags=re.I)
        key = normalise_key(cleaned)
        if key in index:
            return index[key], evidence, []
        # "Gwara Media" in a caption may stand for the source "Gwara Media (Kharkiv)".
        partial = [pk for k, pk in index.items() if key and len(key) >= 4 and k.startswith(key)]
        if len(set(partial)) == 1:
            return partial[0], evidence, []
        if strong and cleaned not in unknown:
            unknown.append(cleaned)
    return None, "", unknown

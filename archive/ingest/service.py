"""The one ingestion service: a raw capture in, a draft article with proposals out.

`dispatch_import` is used by the `import_dispatches` command and by the admin import page, so
both behave alike. One capture is one transaction: either the article and everything proposed
for it is written, or nothing is.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from charset_normalizer import from_bytes
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from archive.ingest.cleaning import Cleaned, clean, split_paragraphs
from archive.ingest.detection import Detection, detect, match_outlet
from archive.ingest.places import Gazetteer, PlaceLinks
from archive.ingest.quotes import DOUBLE_MARKS, Proposal, normalise_quote, propose
from archive.models import (
    Annotation,
    Article,
    Credit,
    Person,
    PersonName,
    Source,
    Status,
    TestimonyStatus,
)
from archive.services import (
    annotation_create,
    article_create,
    duplicate_capture_message,
    testimony_create,
)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# charset-normalizer's "chaos" (mess) above which a guessed encoding is not trusted.
MAX_CHAOS = 0.1
MIN_COHERENCE = 0.2
MIN_GUESS_BYTES = 64
# Share of control characters above which a text is taken for binary data.
MAX_CONTROL_SHARE = 0.01
# A text is read as damaged UTF-8 when its valid non-ASCII characters outnumber its invalid
# byte sequences by this much; otherwise its encoding is guessed.
UTF8_VALID_PER_BAD = 3
# Bounds on the work one capture may cause: real dispatches have tens of quote marks, a long
# feature a few hundred; thousands are an accident or an attack (settings override them).
DEFAULT_MAX_QUOTE_MARKS = 2000
DEFAULT_MAX_PROPOSALS = 500
IMPORTER_NAME = "importer"


class ImportRefused(ValidationError):
    """The capture cannot be imported; `reason` is a short code, the message says why."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message, code=reason)
        self.reason = reason


@dataclass
class ProposedTestimony:
    start: int
    end: int
    quote: str
    speaker: str
    speaker_id: int | None
    speaker_age: int | None
    role: str


@dataclass
class ImportResult:
    filename: str
    status: str  # created | would_create | already_imported | failed
    sha256: str = ""
    reason: str = ""
    message: str = ""
    article_id: int | None = None
    article_slug: str = ""
    headline: str = ""
    source: str = ""
    language: str = ""
    encoding: str = ""
    credits: list[dict] = field(default_factory=list)
    dateline: str = ""
    published_on: str = ""
    places: list[str] = field(default_factory=list)
    testimonies: list[ProposedTestimony] = field(default_factory=list)
    dropped_paragraphs: int = 0
    boilerplate_lines: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Analysis:
    """Everything the importer would write, computed without writing."""

    text: str
    sha256: str
    encoding: str
    detection: Detection
    cleaned: Cleaned
    body: str
    source_id: int | None
    source_name: str
    attribution_note: str
    dateline_place_id: int | None
    places: PlaceLinks
    place_names: dict[int, str]
    proposals: list[Proposal]
    speakers: dict[str, Person]
    warnings: list[str]


# --- Decoding -----------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(getattr(settings, "INGEST_MAX_BYTES", DEFAULT_MAX_BYTES))


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# Byte-order marks that settle the encoding, longest first (UTF-32's begins like UTF-16's).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Encodings read from the bytes themselves rather than guessed: no "check the letters" warning.
QUOTE_MARKS = DOUBLE_MARKS + "‘"
CERTAIN_ENCODINGS = frozenset({"utf-8", "utf-16", "utf-32"})
# Unassigned, private-use and surrogate code points.
NOT_TEXT_CATEGORIES = frozenset({"Cn", "Co", "Cs"})


def decode_capture(raw: bytes | str) -> tuple[str, str, list[str]]:
    """The capture as text, the encoding it was read in, and warnings about the reading;
    or ImportRefused."""
    limit = max_bytes()
    warnings: list[str] = []
    if isinstance(raw, str):
        try:
            size = len(raw.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise ImportRefused(
                "The text contains characters that are not valid Unicode.", reason="not_text"
            ) from exc
        text, encoding = raw, "utf-8"
    else:
        size = len(raw)
        text = encoding = None
    if size > limit:
        raise ImportRefused(
            f"The capture is {size:,} bytes, over the limit of {limit:,} (INGEST_MAX_BYTES).",
            reason="too_large",
        )
    if text is None:
        text, encoding = _decode_bytes(raw, warnings)
    if "\x00" in text:
        raise ImportRefused("This is binary data (it contains NUL characters).", reason="binary")
    controls = sum(
        1 for c in text if (ord(c) < 32 and c not in "\t\n\r\f") or 0x7F <= ord(c) < 0xA0
    )
    if controls > max(1, len(text) * MAX_CONTROL_SHARE):
        raise ImportRefused(
            "This does not look like text (too many control characters).", reason="binary"
        )
    if not text.strip():
        raise ImportRefused("The capture is empty.", reason="empty")
    if not _LETTER.search(text):
        raise ImportRefused(
            "The capture has no words: only punctuation, quote marks, digits or spaces.",
            reason="no_words",
        )
    return text, encoding, warnings


_LETTER = re.compile(r"[^\W\d_]")


def _decode_bytes(raw: bytes, warnings: list[str]) -> tuple[str, str]:
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            try:
                # The codec reads the mark to learn the byte order and drops it.
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                text = ""
            # Random bytes after two that look like a mark decode to unassigned code points,
            # or to a run of ideographs with no space or line break, as no dispatch reads.
            if not any(c.isspace() for c in text) or any(
                unicodedata.category(c) in NOT_TEXT_CATEGORIES for c in text
            ):
                raise ImportRefused(
                    f"The capture starts with a {encoding.upper()} byte-order mark but does "
                    f"not read as {encoding.upper()} text; convert it to UTF-8.",
                    reason="unknown_encoding",
                )
            return text, encoding
    if b"\x00" in raw:
        raise ImportRefused("This is a binary file (it contains NUL bytes).", reason="binary")
    try:
        # Strict UTF-8, keeping a byte-order mark: the raw capture is stored unchanged.
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mostly_utf8 = _mostly_utf8(raw)
    if mostly_utf8 is not None:
        text, replaced = mostly_utf8
        warnings.append(
            f"{replaced} byte sequence(s) that are not valid UTF-8 were replaced by “\ufffd”: "
            "the rest of the capture is UTF-8; check the marked places against the source."
        )
        return text, "utf-8"
    return _guess_encoding(raw)


def _mostly_utf8(raw: bytes) -> tuple[str, int] | None:
    """UTF-8 with a few damaged bytes, read with replacement characters (and how many were
    replaced), or None.

    A careful reader's rule: a text whose accented letters, curly quotes and Cyrillic are valid
    UTF-8 multi-byte sequences is UTF-8, even with a stray byte or two. One whose non-ASCII
    bytes never form such sequences is in a single-byte encoding (cp1252's 0x92 apostrophe),
    which is for charset-normalizer to tell.
    """
    text = raw.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - raw.count("\ufffd".encode())
    valid = sum(1 for c in text if ord(c) > 0x7F) - text.count("\ufffd")
    if replaced <= 0 or valid < UTF8_VALID_PER_BAD * replaced:
        return None
    return text, replaced


def _guess_encoding(raw: bytes) -> tuple[str, str]:
    best = from_bytes(raw).best()
    # Short or shapeless input yields confident-looking nonsense ("ЂЃъы" for random bytes),
    # so a guess is trusted only with enough text, little mess, and a recognised language.
    if (
        best is None
        or len(raw) < MIN_GUESS_BYTES
        or best.chaos > MAX_CHAOS
        or best.coherence < MIN_COHERENCE
        or best.encoding in ("utf_8", "ascii")
    ):
        raise ImportRefused(
            "The capture is not UTF-8 and its encoding cannot be detected reliably; "
            "convert it to UTF-8 and import it again.",
            reason="unknown_encoding",
        )
    return str(best), best.encoding


# --- Analysis -----------------------------------------------------------------------------------


@dataclass
class Reference:
    """What the importer reads from the archive: sources, the gazetteer, people's names.

    Loaded once per import run (a command importing a thousand files does not rebuild the
    gazetteer a thousand times); it does not change while captures are imported, since the
    importer creates no sources, places or people.
    """

    sources: list[tuple[int, str, str]]
    gazetteer: Gazetteer
    parents: dict[int, int]
    place_names: dict[int, str]
    countries: set[int]
    people_names: dict[str, set[int]]

    @classmethod
    def load(cls) -> Reference:
        from archive.models import Place

        places = list(Place.objects.values_list("pk", "name", "parent_id", "kind"))
        return cls(
            sources=list(Source.objects.values_list("pk", "name", "slug")),
            gazetteer=Gazetteer.from_database(),
            parents={pk: parent for pk, _, parent, _ in places if parent is not None},
            place_names={pk: name for pk, name, _, _ in places},
            countries={pk for pk, _, _, kind in places if kind == Place.Kind.COUNTRY},
            people_names=_people_names(),
        )


def analyse(
    text: str,
    *,
    encoding: str = "utf-8",
    reference: Reference | None = None,
    reading_warnings: Sequence[str] = (),
) -> Analysis:
    """Clean, detect, link and propose, reading the database but writing nothing."""
    _check_quote_marks(text)
    reference = reference or Reference.load()
    # A byte-order mark is part of the raw capture, not of its text.
    readable = text.removeprefix("\ufeff")
    paragraphs = split_paragraphs(readable)
    detection = detect(paragraphs)
    removed = set(detection.credit_lines)
    if detection.headline_line is not None:
        removed.add(detection.headline_line)
    cleaned = clean(readable, extra_removed=frozenset(removed))
    body = cleaned.body
    warnings = [*reading_warnings, *detection.warnings]
    if encoding not in CERTAIN_ENCODINGS:
        warnings.append(f"Read as {encoding} (detected): check accented and Cyrillic letters.")
    if not body.strip():
        raise ImportRefused(
            "Nothing is left once navigation, credit lines and repeats are removed.",
            reason="no_content",
        )

    sources = reference.sources
    source_id, evidence, unknown_outlets = match_outlet(detection.outlet_hints, sources)
    source_name = next((name for pk, name, _ in sources if pk == source_id), "")
    if source_id:
        attribution_note = f"Detected by the importer from “{evidence.strip()[:200]}”."
    else:
        attribution_note = "The capture names no known outlet: unattributed, not guessed."
        for outlet in unknown_outlets:
            warnings.append(f"The capture names the outlet “{outlet}”, which is not a source yet.")

    gazetteer = reference.gazetteer
    people_names = reference.people_names
    source_names = {name for _, name, _ in sources} | {
        name for name, _, strong in detection.outlet_hints if strong
    }
    place_words = set(gazetteer.by_name)
    proposals = propose(
        body,
        cleaned.paragraph_offsets(),
        known_names=set(people_names),
        not_names=place_words | {w for n in source_names for w in n.split()},
        not_people={c.name for c in detection.credits},
    )
    most = _limit("INGEST_MAX_PROPOSALS", DEFAULT_MAX_PROPOSALS)
    if len(proposals) > most:
        raise ImportRefused(
            f"The capture yields {len(proposals):,} proposed testimonies, over the limit of "
            f"{most:,} per capture (INGEST_MAX_PROPOSALS): split it into its dispatches.",
            reason="too_many_proposals",
        )
    speaker_names = {p.speaker.name for p in proposals if p.speaker.name}
    credit_names = {c.name for c in detection.credits}
    person_words = {w for n in speaker_names | credit_names for w in n.split()}
    places = gazetteer.link(
        body, not_places=speaker_names | credit_names | source_names | person_words
    )
    if places.unknown:
        warnings.append(
            "Names that look like places but are not in the gazetteer (not linked): "
            + ", ".join(places.unknown)
            + "."
        )
    dateline_place_id = None
    if detection.dateline_place:
        dateline_place_id = gazetteer.lookup(detection.dateline_place)
        if dateline_place_id is None:
            warnings.append(
                f"The dateline place “{detection.dateline_place}” is not in the gazetteer."
            )
    # Only the places the text names itself, countries aside, can corroborate a person.
    local = {pk for pk, *_ in places.mentions} - reference.countries
    _add_ancestors(places, reference.parents)
    place_names = {pk: reference.place_names[pk] for pk in places.place_ids}
    speakers = _match_people(
        proposals,
        people_names,
        body=body,
        place_names={n for n, pk in gazetteer.by_name.items() if pk in local},
        warnings=warnings,
    )
    return Analysis(
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        encoding=encoding,
        detection=detection,
        cleaned=cleaned,
        body=body,
        source_id=source_id,
        source_name=source_name,
        attribution_note=attribution_note,
        dateline_place_id=dateline_place_id,
        places=places,
        place_names=place_names,
        proposals=proposals,
        speakers=speakers,
        warnings=warnings,
    )


def _check_quote_marks(text: str) -> None:
    # Apostrophes (’) are not counted: an ordinary text has hundreds of them.
    marks = sum(text.count(mark) for mark in QUOTE_MARKS)
    most = _limit("INGEST_MAX_QUOTE_MARKS", DEFAULT_MAX_QUOTE_MARKS)
    if marks > most:
        raise ImportRefused(
            f"The capture holds {marks:,} quote marks, over the limit of {most:,} per capture "
            "(INGEST_MAX_QUOTE_MARKS): split it into its dispatches.",
            reason="too_many_quotes",
        )


def _people_names() -> dict[str, set[int]]:
    """Every person's name and name variants, case-folded, with who bears them."""
    names: dict[str, set[int]] = {}
    for pk, name in Person.objects.values_list("pk", "name"):
        names.setdefault(normalise_quote(name), set()).add(pk)
    for pk, name in PersonName.objects.values_list("person_id", "name"):
        names.setdefault(normalise_quote(name), set()).add(pk)
    return names


def _match_people(
    proposals: list[Proposal],
    people_names: dict[str, set[int]],
    *,
    body: str,
    place_names: set[str],
    warnings: list[str],
) -> dict[str, Person]:
    """The archive's Person for each named speaker, when the name or a variant matches.

    A full name is enough. A first name alone ("Ivan") is common, so it is linked only when
    something corroborates it: the role agrees, the person's record mentions one of this
    dispatch's places, or another of their names appears in the text.
    """
    roles: dict[str, str] = {}
    for p in proposals:
        if p.speaker.name:
            roles[p.speaker.name] = roles.get(p.speaker.name) or p.speaker.role
    candidates: dict[str, set[int]] = {
        name: people_names.get(normalise_quote(name), set()) for name in roles
    }
    people = Person.objects.in_bulk({pk for ids in candidates.values() for pk in ids})
    variants: dict[int, list[str]] = {}
    for pk, name in PersonName.objects.filter(person__in=people).values_list("person_id", "name"):
        variants.setdefault(pk, []).append(name)
    folded_body = body.casefold()
    matched: dict[str, Person] = {}
    for name, ids in sorted(candidates.items()):
        ids = {pk for pk in ids if pk in people}
        if len(ids) > 1:
            warnings.append(f"“{name}” matches {len(ids)} people in the archive: pick one.")
            continue
        if not ids:
            continue
        person = people[next(iter(ids))]
        if len(name.split()) > 1 or _corroborated(
            person,
            role=roles[name],
            variants=variants.get(person.pk, []),
            body=folded_body,
            place_names=place_names,
        ):
            matched[name] = person
        else:
            warnings.append(
                f"“{name}” may be {person} in the archive; not linked, as nothing but the "
                "first name agrees."
            )
    return matched


_ROLE_STOP = frozenset({"a", "an", "the", "of", "in", "and", "for", "at", "on", "local"})


def _corroborated(
    person: Person, *, role: str, variants: list[str], body: str, place_names: set[str]
) -> bool:
    role_words = {w.strip(",.").casefold() for w in role.split()} - _ROLE_STOP
    known_words = {w.strip(",.").casefold() for w in person.role.split()} - _ROLE_STOP
    if role_words & known_words or {w.rstrip("s") for w in role_words} & known_words:
        return True
    record = f"{person.role} {person.note}".casefold()
    if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", record) for n in place_names if n):
        return True
    return any(len(v.split()) > 1 and v.casefold() in body for v in variants)


def _add_ancestors(places: PlaceLinks, parents: dict[int, int]) -> None:
    """A town's region and country belong to the dispatch too, as editors record them."""
    for pk in list(places.place_ids):
        seen = set()
        while pk in parents and pk not in seen:
            seen.add(pk)
            pk = parents[pk]
            if pk not in places.place_ids:
                places.place_ids.append(pk)


def speaker_label(proposal: Proposal, speakers: dict[str, Person]) -> tuple[Person | None, str]:
    """The Person a proposal names, or the description an editor will read."""
    speaker = proposal.speaker
    if speaker.name and speaker.name in speakers:
        return speakers[speaker.name], ""
    if speaker.name:
        # A new name is not made a Person automatically: a person carries a protection
        # decision that only an editor may take. The name waits in the description.
        role = f", {speaker.role}" if speaker.role else ""
        return None, f"{speaker.name}{role} (proposed: not yet in the archive)"[:300]
    return None, speaker.description[:300] or "an unidentified speaker"


# --- The service --------------------------------------------------------------------------------


def dispatch_import(
    *,
    raw: bytes | str,
    filename: str,
    by: AbstractBaseUser | None = None,
    dry_run: bool = False,
    captured_at: datetime | None = None,
    reference: Reference | None = None,
) -> ImportResult:
    """Import one capture as a draft article with proposed testimonies.

    Raises ImportRefused for input that cannot be imported (empty, binary, undecodable, too
    large, nothing left after cleaning); returns "already_imported" for a capture stored before.
    """
    text, encoding, reading_warnings = decode_capture(raw)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = Article.objects.filter(raw_sha256=digest).only("pk", "slug", "headline").first()
    if existing is not None and existing.status == Status.TAKEN_DOWN:
        # Not "already imported, nothing changed": the capture was taken down, on purpose.
        raise ImportRefused(duplicate_capture_message(digest) or "", reason="taken_down")
    if existing is not None:
        return ImportResult(
            filename=filename,
            status="already_imported",
            sha256=digest,
            article_id=existing.pk,
            article_slug=existing.slug,
            headline=existing.headline,
            message="Already imported: this exact capture is stored; nothing changed.",
        )
    analysis = analyse(
        text, encoding=encoding, reference=reference, reading_warnings=reading_warnings
    )
    result = _result(filename, analysis)
    if dry_run:
        result.status = "would_create"
        return result
    try:
        article = _write(analysis, by=by, captured_at=captured_at)
    except IntegrityError:
        # Another import stored the same capture between our check and our write.
        existing = Article.objects.filter(raw_sha256=digest).first()
        if existing is None:
            raise
        result.status, result.article_id, result.article_slug = (
            "already_imported",
            existing.pk,
            existing.slug,
        )
        result.message = "Already imported (by a concurrent import); nothing changed."
        return result
    result.status = "created"
    result.article_id, result.article_slug = article.pk, article.slug
    return result


def _result(filename: str, a: Analysis) -> ImportResult:
    result = ImportResult(
        filename=filename,
        status="would_create",
        sha256=a.sha256,
        headline=a.detection.headline,
        source=a.source_name,
        language=a.detection.language,
        encoding=a.encoding,
        credits=[{"name": c.name, "role": c.role} for c in a.detection.credits],
        dateline=a.detection.dateline_place,
        published_on=a.detection.published_on.isoformat() if a.detection.published_on else "",
        places=[a.place_names[pk] for pk in a.places.place_ids if pk in a.place_names],
        dropped_paragraphs=len(a.cleaned.duplicates),
        boilerplate_lines=len(a.cleaned.boilerplate),
        warnings=list(a.warnings),
    )
    for p in a.proposals:
        person, description = speaker_label(p, a.speakers)
        result.testimonies.append(
            ProposedTestimony(
                start=p.start,
                end=p.end,
                quote=p.quote,
                speaker=person.name if person else description,
                speaker_id=person.pk if person else None,
                speaker_age=p.speaker.age,
                role=p.speaker.role,
            )
        )
    return result


def _slug_words(headline: str, limit: int = 60) -> str:
    cut = headline[:limit]
    return cut.rsplit(" ", 1)[0] if len(headline) > limit and " " in cut else cut


@transaction.atomic
def _write(a: Analysis, *, by: AbstractBaseUser | None, captured_at: datetime | None) -> Article:
    detection = a.detection
    headline = detection.headline[:500]
    article = article_create(
        raw_text=a.text,
        headline=headline,
        # Derived inside article_create, which retries when a concurrent import takes it.
        slug_source=_slug_words(headline),
        body=a.body,
        language=detection.language,
        captured_at=captured_at or timezone.now(),
        by=by,
        source_id=a.source_id,
        attribution_note=a.attribution_note,
        dateline_place_id=a.dateline_place_id,
        published_on=detection.published_on,
        date_precision="day",
        date_inferred=False,
    )
    Credit.objects.bulk_create(
        Credit(article=article, name=c.name[:200], role=c.role, position=i)
        for i, c in enumerate(detection.credits)
    )
    if a.places.place_ids:
        article.places.add(*a.places.place_ids)
    for p in a.proposals:
        person, description = speaker_label(p, a.speakers)
        age = p.speaker.age if p.speaker.age is not None and p.speaker.age < 130 else None
        context = (
            f"Attribution in the text: “{p.speaker.evidence[:200]}”." if p.speaker.evidence else ""
        )
        testimony_create(
            article=article,
            start=p.start,
            end=p.end,
            quote=p.quote,
            speaker=person,
            speaker_description=description,
            speaker_age=age,
            place_id=a.dateline_place_id,
            context=context,
            language=detection.language,
            status=TestimonyStatus.PROPOSED,
            by=by,
        )
    offsets = a.cleaned.paragraph_offsets()
    for dropped in a.cleaned.duplicates:
        start, end = offsets[dropped.kept_index]
        similarity = "verbatim" if dropped.ratio == 1.0 else f"{dropped.ratio:.0%} similar"
        annotation_create(
            article=article,
            start=start,
            end=end,
            motivation=Annotation.Motivation.EDITING,
            body=(
                f"The importer dropped a repeat of this paragraph ({similarity}, line "
                f"{dropped.line} of the raw capture): “{dropped.text}”"
            ),
            is_public=False,
            by=by,
            author_name="" if by is not None else IMPORTER_NAME,
        )
    # article_create proposed a mention for every occurrence of the people it linked (and of
    # anyone else in the archive), for an editor to confirm: masking reads these spans.
    return article

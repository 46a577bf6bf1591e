"""One search API, two engines: PostgreSQL full text and SQLite FTS5, chosen by vendor.

A backend filters a queryset down to the rows whose indexed text matches a parsed query and
annotates each with `search_rank` (higher is better), matches people by name, and builds
highlighted snippets for the few rows of a page. Everything it sends to the database is a
bound parameter built from plain words (see `query.py`); nothing the user typed is ever parsed
as query syntax.
"""

from __future__ import annotations

import html
import re

from django.db import connections
from django.db.models import BooleanField, Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from archive.search.query import WORD_RE, ParsedQuery, normalize, words
from archive.search.schema import PG_CONFIGS, PUBLIC_WEIGHTS

# Highlight markers the database puts around matched words; private-use characters so they
# can be told apart from the text, which is HTML-escaped before they become <mark> tags.
MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_WORDS = 30


def render_snippet(text: str) -> str:
    """Escape the text and turn the markers into <mark>…</mark>."""
    text = text or ""
    if text.count(MARK_START) != text.count(MARK_END):
        text = text.replace(MARK_START, "").replace(MARK_END, "")
    escaped = html.escape(text, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def plain_snippet(text: str) -> str:
    """The start of a text, for a row that matched by its speaker rather than its words."""
    parts = (text or "").split()
    return " ".join(parts[:SNIPPET_WORDS]) + (" …" if len(parts) > SNIPPET_WORDS else "")


# Characters of context kept before the first match of a snippet cut in Python.
SNIPPET_LEAD = 80
SNIPPET_CHARS = 260


def cut_snippet(text: str, parsed: ParsedQuery) -> str:
    """A snippet cut from `text` in Python, with MARK_START/MARK_END around the query's words.

    For text the database cannot be asked about (a body as the public reads it, with passages
    masked). Words match by prefix, case and accents aside ("remember" marks "remembering");
    without any match, the start of the text.
    """
    wanted = {normalize(w) for w in parsed.words}
    wanted |= {
        normalize(w) for term in parsed.terms for alt in term.alternatives for w in words(alt)
    }
    wanted.discard("")
    hits = [
        (m.start(), m.end())
        for m in WORD_RE.finditer(text or "")
        if any(normalize(m.group()).startswith(w) for w in wanted)
    ]
    if not hits:
        return plain_snippet(text)
    start = max(0, hits[0][0] - SNIPPET_LEAD)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < hits[0][0] else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > hits[0][1] else end
    pieces, position = [], start
    for hit_start, hit_end in hits:
        if hit_start < start or hit_end > end:
            continue
        pieces += [text[position:hit_start], MARK_START, text[hit_start:hit_end], MARK_END]
        position = hit_end
    pieces.append(text[position:end])
    return ("… " if start else "") + "".join(pieces) + (" …" if end < len(text) else "")


def _table(queryset: QuerySet) -> str:
    return queryset.model._meta.db_table


class Backend:
    vendor = ""
    # Added to the rank of a testimony whose speaker's name matched (the text may not).
    speaker_bonus = 0.0

    def __init__(self, alias: str = "default"):
        self.alias = alias

    @property
    def connection(self):
        return connections[self.alias]

    # What a backend implements --------------------------------------------------------------
    def prepare(self, parsed: ParsedQuery):
        """A database-ready form of the query, or None when nothing can match."""
        raise NotImplementedError

    def text_match(self, queryset: QuerySet, prepared) -> Q:
        raise NotImplementedError

    def without_context(self, prepared):
        """The query restricted to a testimony's quote and place, leaving out its context,
        which the public may not read for a testimony whose speaker is withheld."""
        raise NotImplementedError

    def text_rank(self, queryset: QuerySet, prepared):
        raise NotImplementedError

    def as_read_by_public(self, prepared):
        """The query restricted to articles as the public reads them: a word that only a
        restricted passage holds does not match."""
        return None if prepared is None else PublicArticleQuery(prepared)

    def name_matches(self, field: str, word: str, *, exact: bool = False) -> Q:
        """Names (in `field`) that contain `word`: as a whole word, or, unless `exact`, a word
        like it where the database can tell (PostgreSQL's pg_trgm)."""
        raise NotImplementedError

    def snippets(self, model, ids: list[int], prepared) -> dict[int, str]:
        """Fragments of the matching rows among `ids`, matched words between the MARK_START
        and MARK_END markers; not yet escaped (see `render_snippet`)."""
        raise NotImplementedError

    # Shared ---------------------------------------------------------------------------------
    def annotate(
        self, queryset: QuerySet, prepared, extra_match: Q | None = None, *, ranked: bool = True
    ) -> QuerySet:
        """Keep the rows that match (or satisfy `extra_match`), ranked as `search_rank` unless
        not `ranked` (to count or pick rows, where a rank would only cost)."""
        condition = self.text_match(queryset, prepared) if prepared is not None else Q(pk__in=[])
        if not ranked:
            return queryset.filter(condition | extra_match if extra_match else condition)
        rank = (
            Coalesce(self.text_rank(queryset, prepared), Value(0.0), output_field=FloatField())
            if prepared is not None
            else Value(0.0, output_field=FloatField())
        )
        if extra_match is not None:
            condition |= extra_match
            rank = rank + Case(
                When(extra_match, then=Value(self.speaker_bonus)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        return queryset.filter(condition).annotate(search_rank=rank)


class PublicArticleQuery(str):
    """A prepared query (its text) that an article must also match as the public reads it,
    with its restricted passages masked (see schema.PG_PUBLIC_ARTICLE_CREATE)."""


class PublicTestimonyQuery(str):
    """A tsquery (its text) to be matched against a testimony's document without its context
    (weights A, quote, and C, place): what the public may match."""


class PostgresBackend(Backend):
    vendor = "postgresql"
    speaker_bonus = 0.5
    headline_options = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=12, "
        'MaxFragments=2, FragmentDelimiter=" … "'
    )

    def prepare(self, parsed: ParsedQuery) -> str | None:
        """The query as tsquery text, an OR over every configuration of an AND over terms.

        A row's words are stemmed with its language's configuration, so the query is too, in
        each; PostgreSQL builds the tsquery from bound parameters and hands back its text.
        """
        per_config, params = [], []
        for config in PG_CONFIGS:
            groups = []
            for term in parsed.terms:
                options = []
                for alternative in term.alternatives:
                    function = (
                        "phraseto_tsquery" if len(words(alternative)) > 1 else "plainto_tsquery"
                    )
                    options.append(f"{function}('{config}'::regconfig, %s)")
                    params.append(alternative)
                groups.append("(" + " || ".join(options) + ")")
            per_config.append("(" + " && ".join(groups) + ")")
        sql = "SELECT (" + " || ".join(per_config) + ")::text"
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            text = cursor.fetchone()[0]
        # Only stop words ("the", "and"): PostgreSQL would match nothing, and says so.
        return text or None

    def without_context(self, prepared: str | None) -> PublicTestimonyQuery | None:
        # Context is weight B: the query runs against the document without it, which has its
        # own GIN index (migration 0008). Limiting the query's lexemes to weights A and C
        # instead gave the same rows, but the index cannot tell weights apart, so every
        # testimony with the word in its context was read and rejected: seconds for a word
        # common in contexts.
        return None if prepared is None else PublicTestimonyQuery(prepared)

    @staticmethod
    def _document(table: str, prepared: str) -> str:
        if isinstance(prepared, PublicTestimonyQuery):
            # Spelled as the index expression is, so that the planner uses the index.
            return f'ts_filter("{table}"."search_document", \'{PUBLIC_WEIGHTS}\')'
        return f'"{table}"."search_document"'

    @staticmethod
    def _public_copy(table: str, expression: str) -> str:
        """`expression` of the row's public copy, looked up by key (NULL when it has none)."""
        return (
            f"(SELECT p.{expression} FROM archive_article_public_search p "
            f'WHERE p.article_id = "{table}"."id")'
        )

    def text_match(self, queryset: QuerySet, prepared: str) -> Q:
        table = _table(queryset)
        document = self._document(table, prepared)
        if isinstance(prepared, PublicArticleQuery):
            # The article index answers first; the public copy (a row only for articles with
            # a restricted passage) is then looked up by key for the rows it returned. A scalar
            # subquery, not NOT EXISTS: PostgreSQL turned that into an anti-join that tested
            # every copy in the table (32k at 100k articles) on every search.
            return Q(
                RawSQL(
                    f"{document} @@ %s::tsquery AND "
                    f"COALESCE({self._public_copy(table, 'document @@ %s::tsquery')}, true)",
                    (str(prepared), str(prepared)),
                    output_field=BooleanField(),
                )
            )
        return Q(
            RawSQL(f"{document} @@ %s::tsquery", (str(prepared),), output_field=BooleanField())
        )

    def text_rank(self, queryset: QuerySet, prepared: str):
        table = _table(queryset)
        document = self._document(table, prepared)
        if isinstance(prepared, PublicArticleQuery):
            # Ranked on what the public reads: hidden words must not move an article up.
            document = f"COALESCE({self._public_copy(table, 'document')}, {document})"
        # Normalisation 1: divide by 1 + log(length), so a long article does not outrank a
        # short quote only by being long.
        return RawSQL(
            f"ts_rank({document}, %s::tsquery, 1)", (str(prepared),), output_field=FloatField()
        )

    def name_matches(self, field: str, word: str, *, exact: bool = False) -> Q:
        from django.contrib.postgres.lookups import TrigramWordSimilar

        if exact:
            # A case-insensitive whole-word regex, which the trigram GIN index also serves.
            return Q(**{f"{field}__iregex": rf"\m{re.escape(word)}\M"})
        # word_similarity(word, name) >= pg_trgm.word_similarity_threshold (0.6), served by
        # the trigram GIN index: "Krasnikov" finds "Yuri Krassnikov".
        return Q(TrigramWordSimilar(F(field), Value(word)))

    def snippets(self, model, ids: list[int], prepared: str | None) -> dict[int, str]:
        if not ids or prepared is None:
            return {}
        table = model._meta.db_table
        if table == "archive_testimony":
            language = "archive_testimony_language(language, article_id)"
            text = "quote"
        else:
            language, text = "language", "body"
        sql = (
            f"SELECT id, ts_headline(archive_search_config({language}), {text}, %s::tsquery, %s) "
            f"FROM {table} WHERE id = ANY(%s)"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [str(prepared), self.headline_options, list(ids)])
            return {
                pk: fragment for pk, fragment in cursor.fetchall() if MARK_START in (fragment or "")
            }


class SqliteBackend(Backend):
    vendor = "sqlite"
    speaker_bonus = 5.0
    # bm25 column weights, as PostgreSQL's A > B > C.
    weights = {"archive_article": (10.0, 4.0, 1.0), "archive_testimony": (10.0, 4.0, 1.0)}
    snippet_column = {"archive_article": 2, "archive_testimony": 0}

    @staticmethod
    def _string(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    def prepare(self, parsed: ParsedQuery) -> str | None:
        """An FTS5 MATCH expression in which every word is a quoted string: no syntax."""
        groups = []
        for term in parsed.terms:
            options = [self._string(" ".join(words(a))) for a in term.alternatives if words(a)]
            groups.append("(" + " OR ".join(options) + ")")
        return " AND ".join(groups) if groups else None

    def without_context(self, prepared: str | None) -> str | None:
        return None if prepared is None else f"{{quote place}} : ({prepared})"

    def text_match(self, queryset: QuerySet, prepared: str) -> Q:
        fts = _table(queryset) + "_fts"
        if isinstance(prepared, PublicArticleQuery):
            # Every match, except the articles whose public copy exists and does not match.
            public = "archive_article_public_fts"
            return Q(
                pk__in=RawSQL(
                    f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s EXCEPT "
                    f"SELECT rowid FROM {public} WHERE rowid NOT IN "
                    f"(SELECT rowid FROM {public} WHERE {public} MATCH %s)",
                    (str(prepared), str(prepared)),
                )
            )
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", (prepared,)))

    def text_rank(self, queryset: QuerySet, prepared: str):
        table = _table(queryset)
        fts = table + "_fts"
        weights = ", ".join(str(w) for w in self.weights[table])
        # bm25 is lower-is-better; negated so that, as on PostgreSQL, higher is better. An
        # article's public copy is not ranked here: bm25 weighs a word by how rare it is in
        # the table, and the public copies are a handful of rows, which ranked every such
        # article last. (PostgreSQL's ts_rank reads the row alone and ranks the public copy.)
        return RawSQL(
            f"(SELECT -bm25({fts}, {weights}) FROM {fts} "
            f'WHERE {fts} MATCH %s AND {fts}.rowid = "{table}"."id")',
            (str(prepared),),
            output_field=FloatField(),
        )

    def name_matches(self, field: str, word: str, *, exact: bool = False) -> Q:
        # A whole word of the name, case-insensitively; no fuzzy matching on SQLite.
        return Q(**{f"{field}__iregex": rf"(^|\W){re.escape(word)}($|\W)"})

    def snippets(self, model, ids: list[int], prepared: str | None) -> dict[int, str]:
        if not ids or prepared is None:
            return {}
        table = model._meta.db_table
        fts = table + "_fts"
        placeholders = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT rowid, snippet({fts}, {self.snippet_column[table]}, %s, %s, ' … ', "
            f"{SNIPPET_WORDS}) FROM {fts} WHERE {fts} MATCH %s AND rowid IN ({placeholders})"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [MARK_START, MARK_END, prepared, *ids])
            return {
                pk: fragment for pk, fragment in cursor.fetchall() if MARK_START in (fragment or "")
            }


BACKENDS: dict[str, type[Backend]] = {
    PostgresBackend.vendor: PostgresBackend,
    SqliteBackend.vendor: SqliteBackend,
}


def backend_for(alias: str = "default") -> Backend:
    vendor = connections[alias].vendor
    try:
        return BACKENDS[vendor](alias)
    except KeyError:
        raise NotImplementedError(f"Search supports PostgreSQL and SQLite, not {vendor}.") from None


def supports_fuzzy_names(alias: str = "default") -> bool:
    return connections[alias].vendor == PostgresBackend.vendor

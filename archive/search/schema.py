"""The database side of search: what the migrations create, per vendor.

Both vendors keep the index in step with DATABASE TRIGGERS rather than in the services, so
rows written by `loaddata`, `bulk_create` (the archive generator) or plain SQL are indexed
too.

PostgreSQL: a `search_document tsvector` column on archive_article and archive_testimony,
filled by a BEFORE trigger, with a GIN index. The column is deliberately not a model field:
the models stay vendor-neutral and no ORM query ever loads it. Text-search configurations
`archive_english`, `archive_french`, `archive_russian` and `archive_simple` (Ukrainian and
everything else: PostgreSQL has no Ukrainian stemmer) run every word through `unaccent` before
stemming, so "Serguiï" and "Serguii" are the same lexeme, and `ts_headline` with the same
configuration still highlights the accented original. pg_trgm indexes on people's and places'
names serve fuzzy name matching ("Krasnikov" finds "Krassnikov").

SQLite: FTS5 tables `archive_article_fts` (headline, standfirst, body) and
`archive_testimony_fts` (quote, context, place) whose rowid is the row's id, with the porter
stemmer over unicode61 (diacritics removed).

Both: the articles that have a restricted testimony's passage also get a public copy of their
text with those passages blanked, which a public query must match too (see
PG_PUBLIC_ARTICLE_CREATE, migration 0010).

The indexed text of a testimony is its quote, context and place name: never its speaker's
name, which is matched separately through the ORM under `TestimonyQuerySet.identified_q`.
The public's queries leave the context out (weight B, through an index on the document
without it / the context column), since the API withholds it for testimonies whose speaker is
withheld.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

# --- PostgreSQL ------------------------------------------------------------------------------

PG_CONFIGS = {
    "archive_english": "english",
    "archive_french": "french",
    "archive_russian": "russian",
    "archive_simple": "simple",
}
# The configuration each language code (its primary subtag) is indexed with.
PG_LANGUAGE_CONFIGS = {"en": "archive_english", "fr": "archive_french", "ru": "archive_russian"}
PG_DEFAULT_CONFIG = "archive_simple"


def _pg_config_sql() -> str:
    statements = []
    for name, base in PG_CONFIGS.items():
        stem = "simple" if base == "simple" else f"{base}_stem"
        statements.append(
            f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base});\n"
            f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR "
            f"hword, hword_part, word, asciihword, hword_asciipart, asciiword "
            f"WITH unaccent, {stem};"
        )
    cases = "\n".join(
        f"        WHEN '{code}' THEN '{cfg}'::regconfig"
        for code, cfg in PG_LANGUAGE_CONFIGS.items()
    )
    statements.append(
        f"""
CREATE FUNCTION archive_search_config(lang text) RETURNS regconfig AS $$
    SELECT CASE lower(split_part(coalesce(lang, ''), '-', 1))
{cases}
        ELSE '{PG_DEFAULT_CONFIG}'::regconfig
    END
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;
"""
    )
    return "\n".join(statements)


PG_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS unaccent;\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
    + _pg_config_sql()
    + """
CREATE FUNCTION archive_article_document(lang text, headline text, standfirst text, body text)
RETURNS tsvector AS $$
    SELECT setweight(to_tsvector(archive_search_config(lang), coalesce(headline, '')), 'A')
        || setweight(to_tsvector(archive_search_config(lang), coalesce(standfirst, '')), 'B')
        || setweight(to_tsvector(archive_search_config(lang), coalesce(body, '')), 'C')
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION archive_testimony_document(lang text, quote text, context text, place text)
RETURNS tsvector AS $$
    SELECT setweight(to_tsvector(archive_search_config(lang), coalesce(quote, '')), 'A')
        || setweight(to_tsvector(archive_search_config(lang), coalesce(context, '')), 'B')
        || setweight(to_tsvector(archive_search_config(lang), coalesce(place, '')), 'C')
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

-- The language a testimony is indexed in: its own, else its article's.
CREATE FUNCTION archive_testimony_language(lang text, article_id bigint) RETURNS text AS $$
    SELECT coalesce(nullif(lang, ''), (SELECT a.language FROM archive_article a
                                       WHERE a.id = article_id))
$$ LANGUAGE sql STABLE;

ALTER TABLE archive_article ADD COLUMN search_document tsvector;
ALTER TABLE archive_testimony ADD COLUMN search_document tsvector;

CREATE FUNCTION archive_article_search_trigger() RETURNS trigger AS $$
BEGIN
    NEW.search_document := archive_article_document(
        NEW.language, NEW.headline, NEW.standfirst, NEW.body);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_article_search
BEFORE INSERT OR UPDATE OF headline, standfirst, body, language ON archive_article
FOR EACH ROW EXECUTE FUNCTION archive_article_search_trigger();

CREATE FUNCTION archive_testimony_search_trigger() RETURNS trigger AS $$
BEGIN
    NEW.search_document := archive_testimony_document(
        archive_testimony_language(NEW.language, NEW.article_id), NEW.quote, NEW.context,
        (SELECT p.name FROM archive_place p WHERE p.id = NEW.place_id));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_testimony_search
BEFORE INSERT OR UPDATE OF quote, context, place_id, language, article_id ON archive_testimony
FOR EACH ROW EXECUTE FUNCTION archive_testimony_search_trigger();

-- A renamed place, or an article whose language changes, re-indexes the testimonies that
-- depend on it (the UPDATE fires the testimony trigger).
CREATE FUNCTION archive_place_search_trigger() RETURNS trigger AS $$
BEGIN
    UPDATE archive_testimony SET place_id = place_id WHERE place_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_place_search
AFTER UPDATE OF name ON archive_place
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION archive_place_search_trigger();

CREATE FUNCTION archive_article_language_trigger() RETURNS trigger AS $$
BEGIN
    UPDATE archive_testimony SET article_id = article_id
    WHERE article_id = NEW.id AND language = '';
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_article_language
AFTER UPDATE OF language ON archive_article
FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language)
EXECUTE FUNCTION archive_article_language_trigger();

CREATE INDEX archive_article_search_gin ON archive_article USING gin (search_document);
CREATE INDEX archive_testimony_search_gin ON archive_testimony USING gin (search_document);
CREATE INDEX archive_person_name_trgm ON archive_person USING gin (name gin_trgm_ops);
CREATE INDEX archive_personname_name_trgm ON archive_personname USING gin (name gin_trgm_ops);
CREATE INDEX archive_place_name_trgm ON archive_place USING gin (name gin_trgm_ops);
CREATE INDEX archive_placename_name_trgm ON archive_placename USING gin (name gin_trgm_ops);
"""
    + "\n"
)

# The weights of a testimony's document the public may match: quote (A) and place (C), not
# the context (B). Queried as `ts_filter(search_document, PUBLIC_WEIGHTS)`, which has its own
# GIN index (migration 0008), so a public query is answered from the index alone.
PUBLIC_WEIGHTS = "{a,c}"
PG_PUBLIC_INDEX_CREATE = (
    "CREATE INDEX IF NOT EXISTS archive_testimony_public_gin ON archive_testimony "
    f"USING gin (ts_filter(search_document, '{PUBLIC_WEIGHTS}'))"
)
PG_PUBLIC_INDEX_DROP = "DROP INDEX IF EXISTS archive_testimony_public_gin"

# --- What the public may match of an article ------------------------------------------------
#
# The public reads an article with the passages of its restricted testimonies masked, so it must
# not find the article by words only those passages hold (a hit would tell what they say). For
# every article with such a passage, a second index holds its text as the public reads it (the
# passages blanked, same length); a public query must match there too. Articles without one, most
# of them, have no row and cost nothing. Restricted is `TestimonyQuerySet.restricted_q`: the
# testimony is, or its speaker's protection level is, whatever the testimony's status. Kept by
# triggers, as the rest of the index, when a testimony is written or deleted, when an article's
# text changes, and when a person's protection level does.

RESTRICTED_SQL = "({t}.visibility = 'restricted' OR {p}.protection_level = 'restricted')"

# Mentions the public may not read (`MentionQuerySet.masked_q`): not rejected, of a person who
# is protected or whose testimony in the same article withholds their identity. Their spans
# are blanked in the public copy too, so a query in any spelling the body uses for a withheld
# person (an old one, a misspelling) does not find the article (migration 0014).
MASKED_MENTION_SQL = """({m}.status <> 'rejected' AND ({p}.protection_level <> 'public'
    OR EXISTS (SELECT 1 FROM archive_testimony tm WHERE tm.article_id = {m}.article_id
               AND tm.speaker_id = {m}.person_id AND tm.visibility <> 'public')))"""


def _restricted(t: str, p: str) -> str:
    return RESTRICTED_SQL.format(t=t, p=p)


def _masked(m: str, p: str) -> str:
    return MASKED_MENTION_SQL.format(m=m, p=p)


def _pg_public_create(mentions: bool) -> str:
    """The public copy's table, functions and triggers; `mentions` as from migration 0014."""
    mention_spans = (
        f"""
        UNION ALL
        SELECT m.start, m."end" FROM archive_mention m JOIN archive_person p ON p.id = m.person_id
        WHERE m.article_id = aid AND {_masked("m", "p")} AND m."end" > m.start"""
        if mentions
        else ""
    )
    has_masked_mention = (
        f"""
        OR EXISTS (SELECT 1 FROM archive_mention m JOIN archive_person p ON p.id = m.person_id
                   WHERE m.article_id = a.id AND {_masked("m", "p")})"""
        if mentions
        else ""
    )
    # A testimony that withholds its speaker's identity decides whether that speaker's
    # mentions in its article are masked: its changes refresh the copy too.
    affects = (
        (lambda r: f"({_restricted(r, 'p')} OR {r}.visibility <> 'public')")
        if mentions
        else (lambda r: _restricted(r, "p"))
    )
    mention_triggers = (
        """
CREATE FUNCTION archive_mention_public_trigger() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM archive_refresh_public_search(ARRAY(SELECT DISTINCT article_id FROM new_rows));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM archive_refresh_public_search(ARRAY(SELECT DISTINCT article_id FROM old_rows));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_mention_public_insert AFTER INSERT ON archive_mention
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION archive_mention_public_trigger();
CREATE TRIGGER archive_mention_public_update AFTER UPDATE ON archive_mention
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION archive_mention_public_trigger();
CREATE TRIGGER archive_mention_public_delete AFTER DELETE ON archive_mention
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION archive_mention_public_trigger();
"""
        if mentions
        else ""
    )
    person_mentions = (
        """
        UNION SELECT m.article_id FROM archive_mention m
        JOIN new_rows n ON n.id = m.person_id JOIN old_rows o ON o.id = n.id
        WHERE o.protection_level IS DISTINCT FROM n.protection_level"""
        if mentions
        else ""
    )
    return f"""
CREATE TABLE archive_article_public_search (
    article_id bigint PRIMARY KEY,
    document tsvector NOT NULL
);
CREATE INDEX archive_article_public_search_gin
    ON archive_article_public_search USING gin (document);

-- The body with every restricted passage blanked (offsets are in characters, as in Python).
CREATE FUNCTION archive_public_body(aid bigint, body text) RETURNS text AS $$
DECLARE
    span record;
    result text := body;
BEGIN
    FOR span IN
        SELECT t.start, t."end" FROM archive_testimony t
        LEFT JOIN archive_person p ON p.id = t.speaker_id
        WHERE t.article_id = aid AND {_restricted("t", "p")} AND t."end" > t.start{mention_spans}
    LOOP
        result := overlay(result PLACING repeat(' ', span."end" - span.start)
                          FROM span.start + 1 FOR span."end" - span.start);
    END LOOP;
    RETURN result;
END;
$$ LANGUAGE plpgsql STABLE;

CREATE FUNCTION archive_refresh_public_search(ids bigint[]) RETURNS void AS $$
    DELETE FROM archive_article_public_search WHERE article_id = ANY(ids);
    INSERT INTO archive_article_public_search (article_id, document)
    SELECT a.id, archive_article_document(
        a.language, a.headline, a.standfirst, archive_public_body(a.id, a.body))
    FROM archive_article a
    WHERE a.id = ANY(ids) AND (EXISTS (
        SELECT 1 FROM archive_testimony t LEFT JOIN archive_person p ON p.id = t.speaker_id
        WHERE t.article_id = a.id AND {_restricted("t", "p")}){has_masked_mention});
$$ LANGUAGE sql;

-- Statement-level, with transition tables: a bulk insert of testimonies refreshes each
-- affected article once, and only articles with a restricted passage among the rows.
CREATE FUNCTION archive_testimony_public_trigger() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM archive_refresh_public_search(ARRAY(
            SELECT DISTINCT n.article_id FROM new_rows n
            LEFT JOIN archive_person p ON p.id = n.speaker_id WHERE {affects("n")}));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM archive_refresh_public_search(ARRAY(
            SELECT DISTINCT o.article_id FROM old_rows o
            LEFT JOIN archive_person p ON p.id = o.speaker_id WHERE {affects("o")}));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_testimony_public_insert AFTER INSERT ON archive_testimony
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION archive_testimony_public_trigger();
CREATE TRIGGER archive_testimony_public_update AFTER UPDATE ON archive_testimony
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION archive_testimony_public_trigger();
CREATE TRIGGER archive_testimony_public_delete AFTER DELETE ON archive_testimony
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION archive_testimony_public_trigger();
{mention_triggers}
CREATE FUNCTION archive_article_public_trigger() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM archive_article_public_search WHERE article_id = OLD.id;
    ELSE
        PERFORM archive_refresh_public_search(ARRAY[NEW.id]);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_article_public_update
AFTER UPDATE OF headline, standfirst, body, language ON archive_article
FOR EACH ROW WHEN (OLD.headline IS DISTINCT FROM NEW.headline
                   OR OLD.standfirst IS DISTINCT FROM NEW.standfirst
                   OR OLD.body IS DISTINCT FROM NEW.body
                   OR OLD.language IS DISTINCT FROM NEW.language)
EXECUTE FUNCTION archive_article_public_trigger();
CREATE TRIGGER archive_article_public_delete AFTER DELETE ON archive_article
FOR EACH ROW EXECUTE FUNCTION archive_article_public_trigger();

-- Not a foreign key: Django's test flush truncates archive_article without CASCADE.
CREATE FUNCTION archive_article_public_truncate() RETURNS trigger AS $$
BEGIN
    TRUNCATE archive_article_public_search;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_article_public_truncate AFTER TRUNCATE ON archive_article
FOR EACH STATEMENT EXECUTE FUNCTION archive_article_public_truncate();

CREATE FUNCTION archive_person_public_trigger() RETURNS trigger AS $$
BEGIN
    PERFORM archive_refresh_public_search(ARRAY(
        SELECT DISTINCT t.article_id FROM archive_testimony t
        JOIN new_rows n ON n.id = t.speaker_id JOIN old_rows o ON o.id = n.id
        WHERE o.protection_level IS DISTINCT FROM n.protection_level{person_mentions}));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_person_public_update AFTER UPDATE ON archive_person
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION archive_person_public_trigger();
"""


def _pg_public_rebuild(mentions: bool) -> str:
    masked = (
        f"""
    UNION SELECT m.article_id FROM archive_mention m JOIN archive_person p ON p.id = m.person_id
    WHERE {_masked("m", "p")}"""
        if mentions
        else ""
    )
    return f"""
SELECT archive_refresh_public_search(ARRAY(
    SELECT t.article_id FROM archive_testimony t LEFT JOIN archive_person p ON p.id = t.speaker_id
    WHERE {_restricted("t", "p")}{masked}
    UNION SELECT article_id FROM archive_article_public_search));
"""


PG_PUBLIC_ARTICLE_CREATE = _pg_public_create(mentions=True)
PG_PUBLIC_ARTICLE_REBUILD = _pg_public_rebuild(mentions=True)

PG_PUBLIC_ARTICLE_DROP = """
DROP FUNCTION IF EXISTS archive_mention_public_trigger() CASCADE;
DROP TRIGGER IF EXISTS archive_person_public_update ON archive_person;
DROP FUNCTION IF EXISTS archive_person_public_trigger();
DROP TRIGGER IF EXISTS archive_article_public_truncate ON archive_article;
DROP FUNCTION IF EXISTS archive_article_public_truncate();
DROP TRIGGER IF EXISTS archive_article_public_delete ON archive_article;
DROP TRIGGER IF EXISTS archive_article_public_update ON archive_article;
DROP FUNCTION IF EXISTS archive_article_public_trigger();
DROP TRIGGER IF EXISTS archive_testimony_public_delete ON archive_testimony;
DROP TRIGGER IF EXISTS archive_testimony_public_update ON archive_testimony;
DROP TRIGGER IF EXISTS archive_testimony_public_insert ON archive_testimony;
DROP FUNCTION IF EXISTS archive_testimony_public_trigger();
DROP FUNCTION IF EXISTS archive_refresh_public_search(bigint[]);
DROP FUNCTION IF EXISTS archive_public_body(bigint, text);
DROP TABLE IF EXISTS archive_article_public_search;
"""

PG_REBUILD = """
UPDATE archive_article
SET search_document = archive_article_document(language, headline, standfirst, body);
UPDATE archive_testimony t
SET search_document = archive_testimony_document(
    archive_testimony_language(t.language, t.article_id), t.quote, t.context,
    (SELECT p.name FROM archive_place p WHERE p.id = t.place_id));
"""

PG_DROP = (
    """
DROP INDEX IF EXISTS archive_placename_name_trgm;
DROP INDEX IF EXISTS archive_place_name_trgm;
DROP INDEX IF EXISTS archive_personname_name_trgm;
DROP INDEX IF EXISTS archive_person_name_trgm;
DROP TRIGGER IF EXISTS archive_article_language ON archive_article;
DROP FUNCTION IF EXISTS archive_article_language_trigger();
DROP TRIGGER IF EXISTS archive_place_search ON archive_place;
DROP FUNCTION IF EXISTS archive_place_search_trigger();
DROP TRIGGER IF EXISTS archive_testimony_search ON archive_testimony;
DROP FUNCTION IF EXISTS archive_testimony_search_trigger();
DROP TRIGGER IF EXISTS archive_article_search ON archive_article;
DROP FUNCTION IF EXISTS archive_article_search_trigger();
ALTER TABLE archive_testimony DROP COLUMN IF EXISTS search_document;
ALTER TABLE archive_article DROP COLUMN IF EXISTS search_document;
DROP FUNCTION IF EXISTS archive_testimony_language(text, bigint);
DROP FUNCTION IF EXISTS archive_testimony_document(text, text, text, text);
DROP FUNCTION IF EXISTS archive_article_document(text, text, text, text);
DROP FUNCTION IF EXISTS archive_search_config(text);
"""
    + "\n".join(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name};" for name in PG_CONFIGS)
    + "\n"
)

# --- SQLite ----------------------------------------------------------------------------------

SQLITE_TOKENIZE = "porter unicode61 remove_diacritics 2"

SQLITE_TABLES = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS archive_article_fts"
    f" USING fts5(headline, standfirst, body, tokenize = '{SQLITE_TOKENIZE}')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS archive_testimony_fts"
    f" USING fts5(quote, context, place, tokenize = '{SQLITE_TOKENIZE}')",
]

_SQLITE_TESTIMONY_ROW = """
    INSERT INTO archive_testimony_fts(rowid, quote, context, place)
    VALUES (new.id, new.quote, new.context,
            coalesce((SELECT p.name FROM archive_place p WHERE p.id = new.place_id), ''));
"""

# name -> body. Created with IF NOT EXISTS so `ensure_sqlite_triggers` can restore those lost
# when a later migration rebuilds a table (SQLite's ALTER drops the old table's triggers).
SQLITE_TRIGGERS = {
    "archive_article_fts_insert": """
AFTER INSERT ON archive_article BEGIN
    INSERT INTO archive_article_fts(rowid, headline, standfirst, body)
    VALUES (new.id, new.headline, new.standfirst, new.body);
END""",
    "archive_article_fts_update": """
AFTER UPDATE OF headline, standfirst, body ON archive_article BEGIN
    DELETE FROM archive_article_fts WHERE rowid = old.id;
    INSERT INTO archive_article_fts(rowid, headline, standfirst, body)
    VALUES (new.id, new.headline, new.standfirst, new.body);
END""",
    "archive_article_fts_delete": """
AFTER DELETE ON archive_article BEGIN
    DELETE FROM archive_article_fts WHERE rowid = old.id;
END""",
    "archive_testimony_fts_insert": f"""
AFTER INSERT ON archive_testimony BEGIN
{_SQLITE_TESTIMONY_ROW}
END""",
    "archive_testimony_fts_update": f"""
AFTER UPDATE OF quote, context, place_id ON archive_testimony BEGIN
    DELETE FROM archive_testimony_fts WHERE rowid = old.id;
{_SQLITE_TESTIMONY_ROW}
END""",
    "archive_testimony_fts_delete": """
AFTER DELETE ON archive_testimony BEGIN
    DELETE FROM archive_testimony_fts WHERE rowid = old.id;
END""",
    "archive_place_fts_rename": """
AFTER UPDATE OF name ON archive_place WHEN old.name IS NOT new.name BEGIN
    UPDATE archive_testimony_fts SET place = new.name
    WHERE rowid IN (SELECT id FROM archive_testimony WHERE place_id = new.id);
END""",
}

SQLITE_REBUILD = [
    "DELETE FROM archive_article_fts",
    "INSERT INTO archive_article_fts(rowid, headline, standfirst, body)"
    " SELECT id, headline, standfirst, body FROM archive_article",
    "DELETE FROM archive_testimony_fts",
    "INSERT INTO archive_testimony_fts(rowid, quote, context, place)"
    " SELECT t.id, t.quote, t.context, coalesce(p.name, '')"
    " FROM archive_testimony t LEFT JOIN archive_place p ON p.id = t.place_id",
]

SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    "DROP TABLE IF EXISTS archive_testimony_fts",
    "DROP TABLE IF EXISTS archive_article_fts",
]


# The public copy (see PG_PUBLIC_ARTICLE_CREATE): an FTS5 table with a row for each article
# that has a restricted passage. SQLite's triggers cannot loop over the passages, so the
# blanking is a function registered on every connection (`register_sqlite_functions`).
SQLITE_PUBLIC_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS archive_article_public_fts"
    f" USING fts5(headline, standfirst, body, tokenize = '{SQLITE_TOKENIZE}')"
)


def _sqlite_has_public_copy(mentions: bool) -> str:
    masked = (
        f"""
    OR EXISTS (SELECT 1 FROM archive_mention m JOIN archive_person p ON p.id = m.person_id
               WHERE m.article_id = a.id AND {_masked("m", "p")})"""
        if mentions
        else ""
    )
    return f"""(EXISTS (
        SELECT 1 FROM archive_testimony t LEFT JOIN archive_person p ON p.id = t.speaker_id
        WHERE t.article_id = a.id AND {_restricted("t", "p")}){masked})"""


def _sqlite_insert_public(ids: str, mentions: bool = True) -> str:
    """An INSERT of the public copy of the articles, among those `ids` selects, that have a
    restricted passage (or a masked mention)."""
    mention_spans = (
        f""", (
        SELECT json_group_array(json_array(m.start, m."end")) FROM archive_mention m
        JOIN archive_person p ON p.id = m.person_id
        WHERE m.article_id = a.id AND {_masked("m", "p")})"""
        if mentions
        else ""
    )
    return f"""INSERT INTO archive_article_public_fts(rowid, headline, standfirst, body)
    SELECT a.id, a.headline, a.standfirst, archive_public_body(a.body, (
        SELECT json_group_array(json_array(t.start, t."end")) FROM archive_testimony t
        LEFT JOIN archive_person p ON p.id = t.speaker_id
        WHERE t.article_id = a.id AND {_restricted("t", "p")}){mention_spans})
    FROM archive_article a
    WHERE a.id IN {ids} AND {_sqlite_has_public_copy(mentions)}"""


def _sqlite_refresh_public(ids: str, mentions: bool = True) -> str:
    """Statements that recompute the public copy of the articles whose ids `ids` selects."""
    return f"""
    DELETE FROM archive_article_public_fts WHERE rowid IN {ids};
    {_sqlite_insert_public(ids, mentions)};"""


def _sqlite_is_restricted(row: str) -> str:
    return (
        f"({row}.visibility = 'restricted' OR (SELECT protection_level FROM archive_person "
        f"WHERE id = {row}.speaker_id) = 'restricted')"
    )


def _sqlite_public_triggers(mentions: bool) -> dict[str, str]:
    """name -> body of the public copy's triggers; `mentions` as from migration 0014."""

    def affects(row: str) -> str:
        # See _pg_public_create: a testimony withholding its speaker decides their mentions.
        extra = f" OR {row}.visibility <> 'public'" if mentions else ""
        return f"({_sqlite_is_restricted(row)}{extra})"

    def refresh(ids: str) -> str:
        return _sqlite_refresh_public(ids, mentions)

    person_articles = "SELECT article_id FROM archive_testimony WHERE speaker_id = new.id"
    if mentions:
        person_articles += " UNION SELECT article_id FROM archive_mention WHERE person_id = new.id"
    triggers = {
        "archive_testimony_public_insert": f"""
AFTER INSERT ON archive_testimony WHEN {affects("new")} BEGIN
{refresh("(new.article_id)")}
END""",
        "archive_testimony_public_update": f"""
AFTER UPDATE ON archive_testimony
WHEN {affects("old")} OR {affects("new")} BEGIN
{refresh("(old.article_id, new.article_id)")}
END""",
        "archive_testimony_public_delete": f"""
AFTER DELETE ON archive_testimony WHEN {affects("old")} BEGIN
{refresh("(old.article_id)")}
END""",
        "archive_article_public_update": f"""
AFTER UPDATE OF headline, standfirst, body, language ON archive_article BEGIN
{refresh("(new.id)")}
END""",
        "archive_article_public_delete": """
AFTER DELETE ON archive_article BEGIN
    DELETE FROM archive_article_public_fts WHERE rowid = old.id;
END""",
        "archive_person_public_update": f"""
AFTER UPDATE OF protection_level ON archive_person
WHEN old.protection_level IS NOT new.protection_level BEGIN
{refresh(f"({person_articles})")}
END""",
    }
    if mentions:
        triggers |= {
            "archive_mention_public_insert": f"""
AFTER INSERT ON archive_mention BEGIN
{refresh("(new.article_id)")}
END""",
            "archive_mention_public_update": f"""
AFTER UPDATE ON archive_mention BEGIN
{refresh("(old.article_id, new.article_id)")}
END""",
            "archive_mention_public_delete": f"""
AFTER DELETE ON archive_mention BEGIN
{refresh("(old.article_id)")}
END""",
        }
    return triggers


SQLITE_PUBLIC_TRIGGERS = _sqlite_public_triggers(mentions=True)


def _sqlite_public_rebuild(mentions: bool) -> list[str]:
    return [
        "DELETE FROM archive_article_public_fts",
        _sqlite_insert_public("(SELECT id FROM archive_article)", mentions),
    ]


SQLITE_PUBLIC_REBUILD = _sqlite_public_rebuild(mentions=True)

SQLITE_PUBLIC_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_PUBLIC_TRIGGERS),
    "DROP TABLE IF EXISTS archive_article_public_fts",
]


def public_body(body: str | None, *lists: str | None) -> str | None:
    """`body` with each (start, end) span of the JSON lists of spans blanked, same length."""
    if not body or not any(lists):
        return body
    chars = list(body)
    for spans in lists:
        for start, end in json.loads(spans or "[]"):
            start, end = max(0, int(start)), min(len(chars), int(end))
            chars[start:end] = " " * max(0, end - start)
    return "".join(chars)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the functions the SQLite triggers call."""
    if connection.vendor == "sqlite":
        for arity in (2, 3):  # restricted passages, and masked mentions (migration 0014)
            connection.connection.create_function(
                "archive_public_body", arity, public_body, deterministic=True
            )


def _execute(connection, *, postgresql: str, sqlite: Iterable[str]) -> None:
    """Run the vendor's script: one multi-statement string on PostgreSQL (no parameters, so
    no `%` is interpreted), statement by statement on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(postgresql)
        elif connection.vendor == "sqlite":
            for statement in sqlite:
                cursor.execute(statement)


def create_public_article_index(connection, *, mentions: bool | None = None) -> None:
    """Create the public copy; `mentions` (default: whether the mention table exists) blanks
    masked mentions too (migration 0014; 0010 runs before there are mentions)."""
    if mentions is None:
        mentions = _has_mentions(connection)
    triggers = _sqlite_public_triggers(mentions)
    _execute(
        connection,
        postgresql=_pg_public_create(mentions),
        sqlite=[
            SQLITE_PUBLIC_TABLE,
            *(f"CREATE TRIGGER IF NOT EXISTS {name}{body};" for name, body in triggers.items()),
        ],
    )
    rebuild_public_article_index(connection)


def _has_mentions(connection) -> bool:
    return "archive_mention" in connection.introspection.table_names()


def drop_public_article_index(connection) -> None:
    _execute(connection, postgresql=PG_PUBLIC_ARTICLE_DROP, sqlite=SQLITE_PUBLIC_DROP)


def _has_public_article_index(cursor, vendor: str) -> bool:
    if vendor == "postgresql":
        cursor.execute("SELECT to_regclass('archive_article_public_search') IS NOT NULL")
    else:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s",
            ["archive_article_public_fts"],
        )
    return bool(cursor.fetchone()[0])


def rebuild_public_article_index(connection) -> None:
    with connection.cursor() as cursor:
        if not _has_public_article_index(cursor, connection.vendor):
            return  # its migration has not run (yet)
    mentions = _has_mentions(connection)
    _execute(
        connection,
        postgresql=_pg_public_rebuild(mentions),
        sqlite=_sqlite_public_rebuild(mentions),
    )


def sqlite_trigger_sql(name: str) -> str:
    body = SQLITE_TRIGGERS.get(name) or SQLITE_PUBLIC_TRIGGERS[name]
    return f"CREATE TRIGGER IF NOT EXISTS {name}{body};"


def create(connection) -> None:
    _execute(
        connection,
        postgresql=PG_CREATE,
        sqlite=[*SQLITE_TABLES, *map(sqlite_trigger_sql, SQLITE_TRIGGERS)],
    )
    rebuild(connection)


def drop(connection) -> None:
    _execute(connection, postgresql=PG_DROP, sqlite=SQLITE_DROP)


def missing_sqlite_triggers(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    present = {row[0] for row in cursor.fetchall()}
    expected = list(SQLITE_TRIGGERS)
    if _has_public_article_index(cursor, "sqlite"):
        expected += [
            name
            for name in SQLITE_PUBLIC_TRIGGERS
            if "mention" not in name or _has_mentions(cursor.db)
        ]
    return [name for name in expected if name not in present]


def ensure_sqlite_triggers(connection) -> list[str]:
    """Re-create index triggers a table rebuild dropped; rebuild the index if any were lost."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s",
            ["archive_article_fts"],
        )
        if not cursor.fetchone()[0]:
            return []  # the search migration has not run (yet)
        missing = missing_sqlite_triggers(cursor)
        for name in missing:
            cursor.execute(sqlite_trigger_sql(name))
    if missing:
        rebuild(connection)
    return missing


def rebuild(connection) -> None:
    """Recompute every row's index entry from the data (the triggers' job, done in bulk)."""
    _execute(connection, postgresql=PG_REBUILD, sqlite=SQLITE_REBUILD)
    rebuild_public_article_index(connection)


@dataclass(frozen=True)
class RebuildReport:
    articles: int
    testimonies: int
    restored_triggers: list[str]


def rebuild_everything(connection) -> RebuildReport:
    """What `rebuild_search_index` (the command and the job) does: put back missing SQLite
    triggers (which rebuilds) or rebuild, in one transaction, and count what is indexed."""
    with transaction.atomic(using=connection.alias):
        restored = ensure_sqlite_triggers(connection)
        if not restored:
            rebuild(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM archive_article")
        articles = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM archive_testimony")
        testimonies = cursor.fetchone()[0]
    return RebuildReport(articles, testimonies, restored)

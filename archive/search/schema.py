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

The indexed text of a testimony is its quote, context and place name: never its speaker's
name, which is matched separately through the ORM under `TestimonyQuerySet.identified_q`.
The public's queries leave the context out (weight B, through an index on the document
without it / the context column), since the API withholds it for testimonies whose speaker is
withheld.
"""

from __future__ import annotations

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


def sqlite_trigger_sql(name: str) -> str:
    return f"CREATE TRIGGER IF NOT EXISTS {name}{SQLITE_TRIGGERS[name]};"


def create(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No parameters: the scripts contain several statements and literal `%`-free SQL.
            cursor.execute(PG_CREATE)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_TABLES:
                cursor.execute(statement)
            for name in SQLITE_TRIGGERS:
                cursor.execute(sqlite_trigger_sql(name))
    rebuild(connection)


def drop(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_DROP)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_DROP:
                cursor.execute(statement)


def missing_sqlite_triggers(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    present = {row[0] for row in cursor.fetchall()}
    return [name for name in SQLITE_TRIGGERS if name not in present]


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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_REBUILD)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_REBUILD:
                cursor.execute(statement)

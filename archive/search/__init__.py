"""Full-text search over articles and testimonies (issue 5).

Entry points (all respect `visible_to(user)`; all raise `SearchQueryError` — answer 400 — when
the query has nothing to search for):

- `search(q=, user=, kinds=, filters=, offset=, limit=)`: one ranked page of hits over both
  kinds, with highlighted snippets and the total count (the `/api/v1/search/` endpoint).
- `filter_queryset(queryset, q, user)`: `q=` on the article and testimony lists; returns the
  matching rows annotated with `search_rank`, best first.
- `search_ids(model, q, user, limit=1000)`: ordered primary keys, for the admin's
  `get_search_results`.

The backend (PostgreSQL full text or SQLite FTS5) is chosen by the connection's vendor; see
`schema.py` for what each keeps in the database and `backends.py` for how each queries it.
"""

from archive.search.query import SearchQueryError

__all__ = ["SearchQueryError", "filter_queryset", "search", "search_ids"]


def search(**kwargs):
    from archive.search.engine import search as _search

    return _search(**kwargs)


def filter_queryset(queryset, q, user):
    from archive.search.engine import filter_queryset as _filter_queryset

    return _filter_queryset(queryset, q, user)


def search_ids(model, q, user, *, limit=1000):
    from archive.search.engine import search_ids as _search_ids

    return _search_ids(model, q, user, limit=limit)

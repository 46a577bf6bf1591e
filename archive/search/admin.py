"""The admin's search boxes on the search engine: a mixin for the Article and Testimony admins.

    class ArticleAdmin(FullTextSearchMixin, admin.ModelAdmin):
        search_fields = ("headline", "slug")   # still searched, as before

The box then finds what `search_fields` finds *or* what full text finds (place-name variants,
stemming, speaker names), for the editor's own visibility (`visible_to(request.user)`).
"""

from __future__ import annotations

from archive.search.engine import search_ids
from archive.search.query import SearchQueryError

# The admin shows a page of results; more full-text matches than this add nothing.
ADMIN_SEARCH_LIMIT = 1000


class FullTextSearchMixin:
    def get_search_results(self, request, queryset, search_term):
        queryset_by_fields, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if not search_term.strip():
            return queryset_by_fields, may_have_duplicates
        try:
            ids = search_ids(self.model, search_term, request.user, limit=ADMIN_SEARCH_LIMIT)
        except SearchQueryError:
            # Only punctuation, or too long: the field search alone answers.
            return queryset_by_fields, may_have_duplicates
        return queryset_by_fields | queryset.filter(pk__in=ids), may_have_duplicates

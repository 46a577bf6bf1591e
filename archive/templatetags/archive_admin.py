"""The editors' dashboard on the admin index: what waits for them, and what changed lately.

Every query is bounded by a LIMIT, so the index stays instant on a million articles.
"""

from __future__ import annotations

from heapq import nlargest

from django import template
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from archive.admin.base import WITHHELD_LABEL, identity_withheld_column
from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    Person,
    Status,
    Testimony,
    TestimonyStatus,
)
from archive.permissions import can_see_protected_identities
from archive.querysets import TestimonyQuerySet
from archive.selectors import consent_due_for_review

register = template.Library()

ROWS = 10
# Consent decisions are listed from this many days before their review-by date.
REVIEW_WINDOW_DAYS = 14
# Counts stop here ("50+"): counting every draft of a large archive is not worth a full scan.
COUNT_CAP = 50

# How each recorded model is labelled in "recent changes", without touching its relations.
HISTORY_LABELS = (
    (Article, lambda h: h.headline),
    (Testimony, lambda h: f"“{h.quote[:60]}”"),
    (Annotation, lambda h: f"{h.get_motivation_display()}: {h.body[:60]}"),
    (Person, lambda h: h.name),
    (Collection, lambda h: h.title),
    (CollectionItem, lambda h: f"item {h.position} of collection #{h.collection_id}"),
)
HISTORY_TYPES = {"+": "added", "~": "changed", "-": "deleted"}


def _capped_count(queryset) -> str:
    n = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


def waiting_testimonies_q() -> Q:
    return Q(protection_decided_at__isnull=True) | Q(status=TestimonyStatus.PROPOSED)


@register.simple_tag(takes_context=True)
def editorial_dashboard(context) -> dict | None:
    user = context["request"].user
    if not user.has_perm("archive.view_article"):
        return None
    waiting_articles = Article.objects.filter(status__in=(Status.DRAFT, Status.IN_REVIEW))
    waiting_testimonies = Testimony.objects.filter(waiting_testimonies_q())
    return {
        "in_review": waiting_articles.filter(status=Status.IN_REVIEW)
        .select_related("source")
        .order_by("-updated_at")[:ROWS],
        "drafts": waiting_articles.filter(status=Status.DRAFT)
        .select_related("source")
        .order_by("-updated_at")[:ROWS],
        "in_review_count": _capped_count(waiting_articles.filter(status=Status.IN_REVIEW)),
        "drafts_count": _capped_count(waiting_articles.filter(status=Status.DRAFT)),
        # Newest first by primary key: walks the pk index instead of sorting every match.
        "testimonies": _with_speakers_shown(
            waiting_testimonies.select_related("speaker", "article").order_by("-pk")[:ROWS],
            withhold=not can_see_protected_identities(user),
        ),
        "testimonies_count": _capped_count(waiting_testimonies),
        "recent": recent_changes(limit=15, withhold=not can_see_protected_identities(user)),
        # Consent names and assesses people: only for those with the need-to-know.
        "consent_due": consent_due_for_review(within_days=REVIEW_WINDOW_DAYS, limit=ROWS)
        if can_see_protected_identities(user)
        else None,
        "review_window": REVIEW_WINDOW_DAYS,
        "today": timezone.localdate(),
    }


def _with_speakers_shown(testimonies, *, withhold: bool) -> list[Testimony]:
    """The testimonies, each with `speaker_shown`: its speaker, or the withheld label for a
    reader without the need-to-know where the public may not learn who spoke."""
    testimonies = list(
        testimonies.annotate(
            identity_withheld=identity_withheld_column(~TestimonyQuerySet.identified_q())
        )
    )
    for testimony in testimonies:
        masked = withhold and testimony.identity_withheld and testimony.speaker_label
        testimony.speaker_shown = WITHHELD_LABEL if masked else testimony.speaker_label
    return testimonies


def recent_changes(*, limit: int, withhold: bool = False) -> list[dict]:
    """The latest recorded changes across the audited models: `limit` rows from each history
    table, merged by date. With `withhold`, protected people's names are masked (by the
    person's protection now, not then: a past name is still their name)."""
    rows = []
    withheld_people: set[int] = set()
    if withhold:
        recent = set(Person.history.order_by("-history_date").values_list("id", flat=True)[:limit])
        # A deleted person's protection is unknown: withheld too.
        withheld_people = recent - set(
            Person.objects.nameable().filter(pk__in=recent).values_list("pk", flat=True)
        )
    for model, label in HISTORY_LABELS:
        opts = model._meta
        for record in model.history.select_related("history_user").order_by("-history_date")[
            :limit
        ]:
            rows.append(
                {
                    "when": record.history_date,
                    "who": record.history_user.get_username() if record.history_user else "system",
                    "what": HISTORY_TYPES.get(record.history_type, record.history_type),
                    "model": opts.verbose_name,
                    "label": WITHHELD_LABEL
                    if model is Person and record.id in withheld_people
                    else label(record),
                    "url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_history", args=(record.id,)
                    ),
                    "reason": record.history_change_reason or "",
                }
            )
    return nlargest(limit, rows, key=lambda row: row["when"])

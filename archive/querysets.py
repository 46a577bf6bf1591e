"""Reusable filters. "What the public may see" is defined here, once.

Every view, export, search, feed and cache goes through these methods; nothing else decides
visibility. The `_q` twins return the same condition as a `Q` for use across relations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q

from archive.permissions import can_see_protected_identities
from archive.precompiled import Ids, InIds

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def can_see_unpublished(user: User | None) -> bool:
    """Staff see drafts and restricted material; everybody else sees the public archive.

    Who protected people are is a separate question (`can_see_protected_identities`): staff
    without that permission read them masked, as the public does.
    """
    return bool(user is not None and user.is_authenticated and user.is_staff)


class NaturalKeySlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


class ArticleQuerySet(NaturalKeySlugQuerySet):
    @staticmethod
    def published_q(prefix: str = "") -> Q:
        return Q(**{f"{prefix}status": "published"})

    def published(self) -> ArticleQuerySet:
        return self.filter(self.published_q())

    def visible_to(self, user: User | None) -> ArticleQuerySet:
        return self.all() if can_see_unpublished(user) else self.published()


class PersonQuerySet(NaturalKeySlugQuerySet):
    def public(self) -> PersonQuerySet:
        """People the public may know by name: not protected, and quoted in public material."""
        from archive.models import ProtectionLevel, Testimony

        return self.filter(protection_level=ProtectionLevel.PUBLIC).filter(
            pk__in=Testimony.objects.public()
            .filter(TestimonyQuerySet.identified_q())
            .values("speaker")
        )

    def nameable(self) -> PersonQuerySet:
        """People whom staff without the need-to-know may see: not protected, and not known
        only through testimonies that withhold their identity (listing them would tell who
        spoke there). People not yet quoted at all are nameable, so contributors can work."""
        from archive.models import ProtectionLevel, Testimony

        quoted = Testimony.objects.filter(speaker__isnull=False).values("speaker")
        named = Testimony.objects.filter(TestimonyQuerySet.identified_q()).values("speaker")
        return self.filter(protection_level=ProtectionLevel.PUBLIC).filter(
            Q(pk__in=named) | ~Q(pk__in=quoted)
        )

    def visible_to(self, user: User | None) -> PersonQuerySet:
        if can_see_protected_identities(user):
            return self.all()
        return self.nameable() if can_see_unpublished(user) else self.public()


class TestimonyQuerySet(models.QuerySet):
    __test__ = False  # not a pytest test class, despite its name

    def get_by_natural_key(self, uid: str):
        return self.get(uid=uid)

    @staticmethod
    def public_q(prefix: str = "") -> Q:
        """Confirmed testimonies of published articles that are not restricted.

        A testimony is restricted if it says so or if its speaker's protection level does: the
        stricter of the two always wins.
        """
        from archive.models import ProtectionLevel, TestimonyStatus, Visibility

        return (
            Q(**{f"{prefix}status": TestimonyStatus.CONFIRMED})
            & ArticleQuerySet.published_q(f"{prefix}article__")
            & ~Q(**{f"{prefix}visibility": Visibility.RESTRICTED})
            & ~Q(**{f"{prefix}speaker__protection_level": ProtectionLevel.RESTRICTED})
        )

    @staticmethod
    def identified_q(prefix: str = "") -> Q:
        """Public testimonies whose speaker may be named (neither side asks to withhold it)."""
        from archive.models import ProtectionLevel, Visibility

        return Q(**{f"{prefix}visibility": Visibility.PUBLIC}) & (
            Q(**{f"{prefix}speaker__isnull": True})
            | Q(**{f"{prefix}speaker__protection_level": ProtectionLevel.PUBLIC})
        )

    @staticmethod
    def restricted_q(prefix: str = "") -> Q:
        """Testimonies whose passage no reader outside the newsroom may read, whatever their
        status: restricted themselves or by their speaker's protection level (the two
        conditions `public_q` excludes)."""
        from archive.models import ProtectionLevel, Visibility

        return Q(**{f"{prefix}visibility": Visibility.RESTRICTED}) | Q(
            **{f"{prefix}speaker__protection_level": ProtectionLevel.RESTRICTED}
        )

    def public(self) -> TestimonyQuerySet:
        return self.filter(self.public_q())

    def visible_to(self, user: User | None) -> TestimonyQuerySet:
        return self.all() if can_see_unpublished(user) else self.public()


class AnnotationQuerySet(models.QuerySet):
    def get_by_natural_key(self, uid: str):
        return self.get(uid=uid)

    def public(self) -> AnnotationQuerySet:
        return self.filter(is_public=True).filter(ArticleQuerySet.published_q("article__"))

    def visible_to(self, user: User | None) -> AnnotationQuerySet:
        return self.all() if can_see_unpublished(user) else self.public()


class MentionQuerySet(models.QuerySet):
    @staticmethod
    def masked_q(prefix: str = "") -> Q:
        """Mentions the public may not read, whatever the person is called today: not rejected
        (a proposal is masked too, conservatively), of a person whose identity is withheld by
        their protection level or by a testimony of theirs in the same article that does not
        identify them (`TestimonyQuerySet.identified_q`)."""
        from archive.models import MentionStatus, ProtectionLevel, Testimony

        return ~Q(**{f"{prefix}status": MentionStatus.REJECTED}) & (
            ~Q(**{f"{prefix}person__protection_level": ProtectionLevel.PUBLIC})
            | Q(
                models.Exists(
                    Testimony.objects.filter(
                        article_id=models.OuterRef(f"{prefix}article_id"),
                        speaker_id=models.OuterRef(f"{prefix}person_id"),
                    ).exclude(TestimonyQuerySet.identified_q())
                )
            )
        )

    def masked(self) -> MentionQuerySet:
        return self.filter(self.masked_q())

    def visible_to(self, user: User | None) -> MentionQuerySet:
        """Mentions are editorial data: only those who may see protected identities list
        them (a mention names its person)."""
        from archive.permissions import can_see_protected_identities

        return self.all() if can_see_protected_identities(user) else self.none()


class CollectionQuerySet(NaturalKeySlugQuerySet):
    def published(self) -> CollectionQuerySet:
        return self.filter(status="published")

    def visible_to(self, user: User | None) -> CollectionQuerySet:
        return self.all() if can_see_unpublished(user) else self.published()


class CollectionItemQuerySet(models.QuerySet):
    def get_by_natural_key(self, position: int, *collection_key: str):
        return self.get(position=position, collection__slug=collection_key[0])

    def public(self) -> CollectionItemQuerySet:
        """Items whose target the public may see; the others are left out, not emptied."""
        return self.filter(
            (Q(article__isnull=False) & ArticleQuerySet.published_q("article__"))
            | (Q(testimony__isnull=False) & TestimonyQuerySet.public_q("testimony__"))
        )

    def visible_to(self, user: User | None) -> CollectionItemQuerySet:
        return self.all() if can_see_unpublished(user) else self.public()


# --- Names the public must not read -------------------------------------------------------------

# Each character of a withheld name becomes this mask, so every offset into the text (testimony
# start/end, W3C TextPosition selectors) stays valid in the redacted text.
WITHHELD_MASK = "█"
# Words of a name shorter than this are not masked on their own ("de", "Al").
MIN_WITHHELD_WORD = 3


def withheld_names(article_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """For each article, the names the public must not read in its text.

    Those are the names, with their variants and each word of them (so "Guseva is tired" is
    covered too), of every speaker quoted in the article whose identity is withheld, by the
    testimony's visibility or by the person's protection level. One query, whatever the number
    of articles, and bounded by the speakers of these articles: a protected person's name is
    not looked for in articles that do not quote them.
    """
    article_ids = list(article_ids)
    rows = withheld_speakers(article_ids).values_list(*WITHHELD_SPEAKER_COLUMNS)
    return withheld_names_from_rows(article_ids, rows)


def withheld_names_from_rows(
    article_ids: Iterable[int | None], rows: Iterable[tuple[int, str, str | None]]
) -> dict[int | None, frozenset[str]]:
    """`withheld_names` of these articles from the rows of `withheld_speakers`: (article id,
    speaker name, one of its variants or None)."""
    quoted: dict[int | None, set[str]] = {article_id: set() for article_id in article_ids}
    for article_id, name, variant in rows:
        quoted[article_id].add(name)
        if variant is not None:
            quoted[article_id].add(variant)
    return {article_id: with_words(names) for article_id, names in quoted.items()}


def withheld_speakers(articles: Ids | Iterable[int]) -> models.QuerySet:
    """Testimonies of these articles whose speaker's name is withheld, joined to each of the
    speaker's name variants (a LEFT JOIN: a speaker without variants still gives a row)."""
    from archive.models import Testimony

    return Testimony.objects.filter(
        InIds(F("article_id"), articles),
        Q(speaker__isnull=False) & ~TestimonyQuerySet.identified_q(),
    ).order_by()


# What `withheld_names_from_rows` reads of `withheld_speakers`.
WITHHELD_SPEAKER_COLUMNS = ("article_id", "speaker__name", "speaker__name_variants__name")


def with_words(names: set[str]) -> frozenset[str]:
    """The names and each word of them long enough to mask on its own."""
    words = {w for name in names for w in re.split(r"[\s\-]+", name) if len(w) >= MIN_WITHHELD_WORD}
    return frozenset(n for n in names | words if n.strip())


def redact(text: str, names: frozenset[str], keep: frozenset[str] = frozenset()) -> str:
    """`text` with every withheld name masked, character for character (an honorific before
    it too: "Ms Guseva" tells a gender). A name in `keep` (a public namesake's, in the
    article that mentions them) is left alone where it is the longest form at its position, so
    "Olena Petrova" stays readable while "Olena" alone, shared with a withheld Olena, does not.
    """
    from archive import names as name_forms

    if not names or not text:
        return text
    forms: dict[str, frozenset[int]] = {n.casefold(): _KEEP for n in keep}
    for n in names:
        forms[n.casefold()] = forms.get(n.casefold(), frozenset()) | _MASK
    chars = None
    for found in name_forms.find(text, forms):
        if 1 in found.people:
            chars = chars if chars is not None else list(text)
            chars[found.start : found.end] = WITHHELD_MASK * (found.end - found.start)
    return text if chars is None else "".join(chars)


_KEEP, _MASK = frozenset({0}), frozenset({1})

"""Reusable filters. "What the public may see" is defined here, once.

Every view, export, search, feed and cache goes through these methods; nothing else decides
visibility. The `_q` twins return the same condition as a `Q` for use across relations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def can_see_unpublished(user: User | None) -> bool:
    """Staff see drafts and restricted material; everybody else sees the public archive."""
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

    def visible_to(self, user: User | None) -> PersonQuerySet:
        return self.all() if can_see_unpublished(user) else self.public()


class TestimonyQuerySet(models.QuerySet):
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

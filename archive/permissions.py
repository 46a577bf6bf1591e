"""The editorial roles, as Django groups: who may do what in the workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission

if TYPE_CHECKING:
    from archive.querysets import User


def can_see_protected_identities(user: User | None) -> bool:
    """Who reads protected people's names unmasked: the ONE place this is decided (bodies,
    headlines, captions, search, snippets, exports and the admin all ask here)."""
    from archive.querysets import can_see_unpublished

    return can_see_unpublished(user)


ARCHIVE_MODELS = (
    "source",
    "place",
    "placename",
    "placefact",
    "tag",
    "person",
    "personname",
    "mention",
    "article",
    "credit",
    "testimony",
    "annotation",
    "collection",
    "collectionitem",
)

# Contributors draft and submit; they never publish, withdraw or delete.
CONTRIBUTOR_PERMISSIONS = (
    *(f"view_{model}" for model in ARCHIVE_MODELS),
    *(
        f"{action}_{model}"
        for model in ("article", "credit", "testimony", "annotation", "person", "personname")
        for action in ("add", "change")
    ),
    "submit_article",
)

# Editors do everything the archive allows, including publishing and protection decisions.
EDITOR_PERMISSIONS = (
    *(
        f"{action}_{model}"
        for model in ARCHIVE_MODELS
        for action in ("view", "add", "change", "delete")
    ),
    "submit_article",
    "publish_article",
    "publish_collection",
    "confirm_testimony",
    "confirm_mention",
)

GROUPS = {"contributor": CONTRIBUTOR_PERMISSIONS, "editor": EDITOR_PERMISSIONS}


def ensure_groups() -> dict[str, Group]:
    """Create or update the editorial groups so they hold exactly their permissions."""
    groups = {}
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="archive", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.set(permissions)
        groups[name] = group
    return groups

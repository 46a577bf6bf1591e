"""The editorial roles, as Django groups: who may do what in the workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Need-to-know: who may learn who a protected person is (see can_see_protected_identities).
VIEW_PROTECTED_IDENTITY = "archive.view_protected_identity"

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
    "tombstone",
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
    "view_job",
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
    # Need-to-know: who protected people are, and what they consented to.
    "view_protected_identity",
    "view_consentrecord",
    "add_consentrecord",
    "view_job",
    "run_maintenance_job",
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


def can_see_protected_identities(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """May this user (or API token, which acts as its user) learn who a protected person is?

    The one decision behind every unmasking, in the API and in the admin. Being staff is not
    enough: contributors and tokens without the permission read protected people exactly as
    the public does, while still seeing drafts and workflow markers (`can_see_unpublished`).
    Superusers hold every permission.
    """
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(VIEW_PROTECTED_IDENTITY)
    )

"""Every write to the archive goes through here: the admin, the API, the importer and the
fixtures loader (through `bootstrap`) behave alike.

Services are keyword-only, typed, atomic, and raise `django.core.exceptions.ValidationError`
with a message an editor can act on.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.text import slugify

from archive.anchor_guard import open_reanchoring
from archive.history import one_record_per_action
from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    Person,
    ProtectionLevel,
    Status,
    Tag,
    Testimony,
    TestimonyStatus,
    Visibility,
)
from archive.text import (
    check_anchor,
    normalise,
    normalise_fields,
    quote_context,
    refuse_unstorable,
    sha256_hex,
)


def _check_editable(fields: dict, editable: frozenset[str]) -> None:
    unknown = set(fields) - editable
    if unknown:
        raise ValidationError(f"Not editable here: {', '.join(sorted(unknown))}.")


def _save_changes(instance, fields: dict):
    """Set the (already checked) fields, validate the whole object and save it."""
    for name, value in normalise_fields(fields).items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


def _require(user: AbstractBaseUser | None, perm: str, action: str) -> None:
    # `by=None` is a trusted system actor (the bootstrap loader, the importer run by an
    # operator); a user acting through the admin or the API is always passed in.
    if user is not None and not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to {action}.")


def _unique_slug(model, text: str, *, max_length: int = 100) -> str:
    base = slugify(text, allow_unicode=False)[: max_length - 6].strip("-") or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- Articles ---------------------------------------------------------------------------------


@transaction.atomic
def article_create(
    *,
    raw_text: str,
    headline: str,
    body: str,
    language: str,
    captured_at: datetime | None = None,
    slug: str = "",
    by: AbstractBaseUser | None = None,
    **fields,
) -> Article:
    """Create a draft article from a raw capture; a capture can be stored only once."""
    _require(by, "archive.add_article", "create articles")
    # The raw capture is stored exactly as received; everything derived from it is normalised.
    headline, body, fields = normalise(headline), normalise(body), normalise_fields(fields)
    refuse_unstorable(raw_text=raw_text, headline=headline, body=body, **_texts(fields))
    digest = sha256_hex(raw_text)
    if Article.objects.filter(raw_sha256=digest).exists():
        raise ValidationError(
            {"raw_text": "This capture is already imported (same SHA-256)."}, code="duplicate"
        )
    article = Article(
        raw_text=raw_text,
        raw_sha256=digest,
        captured_at=captured_at or timezone.now(),
        headline=headline,
        slug=slug or _unique_slug(Article, headline, max_length=200),
        body=body,
        language=language,
        status=Status.DRAFT,
        **fields,
    )
    article.full_clean()
    article.save()
    return article


EDITABLE_ARTICLE_FIELDS = frozenset(
    {
        "headline",
        "slug",
        "standfirst",
        "language",
        "published_on",
        "date_precision",
        "date_inferred",
        "original_url",
        "dateline_place",
        "source",
        "attribution_note",
    }
)


@transaction.atomic
def article_update(
    *, article: Article, by: AbstractBaseUser | None = None, body: str | None = None, **fields
) -> Article:
    """Edit an article's metadata and, optionally, its body (re-anchoring what points into it).

    The raw capture is not among the editable fields: it can never be changed.
    """
    if "raw_text" in fields or "raw_sha256" in fields:
        raise ValidationError({"raw_text": "The raw capture cannot be changed."})
    _check_editable(fields, EDITABLE_ARTICLE_FIELDS)
    _check_may_edit(article=article, by=by)
    fields = normalise_fields(fields)
    body = normalise(body) if body is not None else None
    refuse_unstorable(body=body, **_texts(fields))
    for name, value in fields.items():
        setattr(article, name, value)
    if body is not None and body != article.body:
        _reanchor(article=article, new_body=body)
        article.body = body
    article.full_clean()
    article.save()
    return article


def _texts(fields: dict) -> dict[str, str]:
    return {name: value for name, value in fields.items() if isinstance(value, str)}


def article_may_edit(*, article: Article, by: AbstractBaseUser | None) -> bool:
    """Whether `by` may edit this article now (the admin asks before offering a form)."""
    try:
        _check_may_edit(article=article, by=by)
    except PermissionDenied:
        return False
    return True


def _check_may_edit(*, article: Article, by: AbstractBaseUser | None) -> None:
    _require(by, "archive.change_article", "edit articles")
    if article.status in (Status.PUBLISHED, Status.WITHDRAWN):
        _require(by, "archive.publish_article", "edit published or withdrawn articles")


def _map_offset(opcodes: Sequence[tuple[str, int, int, int, int]], pos: int) -> int | None:
    """Where position `pos` of the old text lands in the new text, if it survived unchanged."""
    for tag, i1, i2, j1, _j2 in opcodes:
        if i1 <= pos <= i2 and tag == "equal":
            return j1 + (pos - i1)
    return None


def _relocate(*, old_body: str, new_body: str, opcodes, start: int, end: int) -> tuple[int, int]:
    """New offsets of old_body[start:end] in new_body, or raise if it cannot be found surely."""
    text = old_body[start:end]
    new_start = _map_offset(opcodes, start)
    if new_start is not None and new_body[new_start : new_start + len(text)] == text:
        return new_start, new_start + len(text)
    occurrences = _occurrences(new_body, text)
    if len(occurrences) == 1:
        return occurrences[0], occurrences[0] + len(text)
    reason = "no longer appears" if not occurrences else "appears several times"
    raise ValidationError(f"“{text[:60]}” {reason} in the new body.")


def _occurrences(haystack: str, needle: str) -> list[int]:
    found, i = [], haystack.find(needle)
    while i != -1:
        found.append(i)
        i = haystack.find(needle, i + 1)
    return found


def article_check_body(*, article: Article, body: str) -> None:
    """Raise the ValidationError `article_update` would raise for this new body, writing nothing.

    Forms call it while validating, so an editor sees which anchors an edit would detach beside
    the text they typed instead of losing the edit to a refused save.
    """
    if article.pk is not None and body != article.body:
        _plan_reanchor(article=article, new_body=body)


def _reanchor(*, article: Article, new_body: str) -> None:
    """Move every testimony and annotation to its passage in the new body, or refuse."""
    moved_testimonies, moved_annotations = _plan_reanchor(article=article, new_body=new_body)
    # The database checks every anchor against the body (archive/anchor_guard.py); the spans
    # move first and match the new body once it is saved, in this same transaction.
    open_reanchoring(connections[article._state.db or DEFAULT_DB_ALIAS], article.pk)
    for testimony in moved_testimonies:
        testimony.save(update_fields=("start", "end", "updated_at"))
    for annotation in moved_annotations:
        annotation.save(update_fields=("start", "end", "prefix", "suffix", "updated_at"))


def _plan_reanchor(*, article: Article, new_body: str) -> tuple[list[Testimony], list[Annotation]]:
    """Where every testimony and annotation lands in the new body, or raise.

    Refusal lists every anchor that would break, so the editor can fix the text (or detach the
    testimony) in one go instead of discovering them one by one.
    """
    old_body = article.body
    opcodes = difflib.SequenceMatcher(None, old_body, new_body, autojunk=False).get_opcodes()
    problems: list[str] = []
    moved_testimonies, moved_annotations = [], []
    for testimony in article.testimonies.all():
        try:
            start, end = _relocate(
                old_body=old_body,
                new_body=new_body,
                opcodes=opcodes,
                start=testimony.start,
                end=testimony.end,
            )
        except ValidationError as exc:
            problems.append(f"testimony {exc.messages[0]}")
            continue
        testimony.start, testimony.end = start, end
        moved_testimonies.append(testimony)
    for annotation in article.annotations.all():
        try:
            start, end = _relocate(
                old_body=old_body,
                new_body=new_body,
                opcodes=opcodes,
                start=annotation.start,
                end=annotation.end,
            )
        except ValidationError as exc:
            problems.append(f"annotation {exc.messages[0]}")
            continue
        annotation.start, annotation.end = start, end
        annotation.prefix, annotation.suffix = quote_context(body=new_body, start=start, end=end)
        moved_annotations.append(annotation)
    if problems:
        raise ValidationError(
            {
                "body": [
                    "This edit would detach passages that are anchored in the text; "
                    "change the text around them or edit those first.",
                    *problems,
                ]
            }
        )
    return moved_testimonies, moved_annotations


@transaction.atomic
def article_submit(*, article: Article, by: AbstractBaseUser | None = None) -> Article:
    _require(by, "archive.submit_article", "submit articles for review")
    if article.status != Status.DRAFT:
        raise ValidationError(f"Only drafts can be submitted (this one is {article.status}).")
    article.status = Status.IN_REVIEW
    article.save(update_fields=("status", "updated_at"))
    return article


@transaction.atomic
def article_publish(*, article: Article, by: AbstractBaseUser | None = None) -> Article:
    _require(by, "archive.publish_article", "publish articles")
    if article.status == Status.PUBLISHED:
        return article
    article.status = Status.PUBLISHED
    article.published_at = article.published_at or timezone.now()
    article.save(update_fields=("status", "published_at", "updated_at"))
    return article


@transaction.atomic
def article_withdraw(*, article: Article, by: AbstractBaseUser | None = None) -> Article:
    _require(by, "archive.publish_article", "withdraw articles")
    if article.status != Status.PUBLISHED:
        raise ValidationError("Only published articles can be withdrawn.")
    article.status = Status.WITHDRAWN
    article.save(update_fields=("status", "updated_at"))
    return article


@transaction.atomic
def article_add_tags(
    *, article: Article, tags: Iterable[Tag], by: AbstractBaseUser | None = None
) -> Article:
    _check_may_edit(article=article, by=by)
    article.tags.add(*tags)
    return article


# --- Testimonies --------------------------------------------------------------------------------


@transaction.atomic
def testimony_create(
    *,
    article: Article,
    start: int,
    end: int,
    quote: str | None = None,
    speaker: Person | None = None,
    speaker_description: str = "",
    by: AbstractBaseUser | None = None,
    tags: Iterable[Tag] = (),
    status: str = TestimonyStatus.CONFIRMED,
    **fields,
) -> Testimony:
    """Record a testimony at body[start:end]; `quote`, when given, must equal that slice."""
    _require(by, "archive.add_testimony", "record testimonies")
    quote = article.body[start:end] if quote is None else normalise(quote)
    speaker_description, fields = normalise(speaker_description), normalise_fields(fields)
    refuse_unstorable(speaker_description=speaker_description, **_texts(fields))
    check_anchor(body=article.body, start=start, end=end, exact=quote)
    testimony = Testimony(
        article=article,
        start=start,
        end=end,
        quote=quote,
        speaker=speaker,
        speaker_description=speaker_description,
        status=status,
        **fields,
    )
    _validate_protection(testimony)
    testimony.full_clean()
    with one_record_per_action():  # its tags are part of its first record
        testimony.save()
        if tags:
            testimony.tags.add(*tags)
    return testimony


def _validate_protection(testimony: Testimony) -> None:
    if testimony.visibility != Visibility.PUBLIC and not testimony.protection_reason.strip():
        raise ValidationError(
            {"protection_reason": "Say why this testimony is pseudonymised or restricted."}
        )


@transaction.atomic
def testimony_update(
    *, testimony: Testimony, by: AbstractBaseUser | None = None, **fields
) -> Testimony:
    _require(by, "archive.change_testimony", "edit testimonies")
    fields = normalise_fields(fields)
    refuse_unstorable(**_texts(fields))
    if {"start", "end", "quote"} & set(fields):
        start = fields.pop("start", testimony.start)
        end = fields.pop("end", testimony.end)
        quote = fields.pop("quote", testimony.article.body[start:end])
        check_anchor(body=testimony.article.body, start=start, end=end, exact=quote)
        testimony.start, testimony.end, testimony.quote = start, end, quote
    if "visibility" in fields or "protection_reason" in fields:
        _require(by, "archive.confirm_testimony", "decide on protection")
        testimony.protection_decided_at = timezone.now()
    for name, value in fields.items():
        setattr(testimony, name, value)
    _validate_protection(testimony)
    testimony.full_clean()
    testimony.save()
    return testimony


def testimony_needs_protection_confirmation(testimony: Testimony) -> bool:
    """Publishing this testimony exposes a protected speaker: an editor must confirm it."""
    return bool(
        testimony.speaker_id and testimony.speaker.protection_level != ProtectionLevel.PUBLIC
    )


@transaction.atomic
def testimony_confirm(
    *,
    testimony: Testimony,
    by: AbstractBaseUser | None = None,
    protection_confirmed: bool = False,
) -> Testimony:
    """Turn a proposal into a confirmed testimony; protected speakers need explicit consent."""
    _require(by, "archive.confirm_testimony", "confirm testimonies")
    if testimony_needs_protection_confirmation(testimony) and not protection_confirmed:
        raise ValidationError(
            f"{testimony.speaker.name} is protected ({testimony.speaker.protection_level}): "
            "confirm explicitly that this testimony may be published."
        )
    testimony.status = TestimonyStatus.CONFIRMED
    testimony.protection_decided_at = testimony.protection_decided_at or timezone.now()
    testimony.save(update_fields=("status", "protection_decided_at", "updated_at"))
    return testimony


@transaction.atomic
def testimony_add_tags(
    *, testimony: Testimony, tags: Iterable[Tag], by: AbstractBaseUser | None = None
) -> Testimony:
    _require(by, "archive.change_testimony", "edit testimonies")
    testimony.tags.add(*tags)
    return testimony


@transaction.atomic
def testimony_delete(*, testimony: Testimony, by: AbstractBaseUser | None = None) -> None:
    """Delete a testimony unless a collection still presents it (remove it there first)."""
    _require(by, "archive.delete_testimony", "delete testimonies")
    if testimony.collection_items.exists():
        raise ValidationError(
            f"{testimony} is part of a collection: remove it from the collection first."
        )
    testimony.delete()


# --- Annotations -------------------------------------------------------------------------------


@transaction.atomic
def annotation_create(
    *,
    article: Article,
    start: int,
    end: int,
    motivation: str,
    body: str,
    exact: str | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
    is_public: bool = False,
    by: AbstractBaseUser | None = None,
    author_name: str = "",
) -> Annotation:
    """Annotate body[start:end]; any selector given must agree with the text."""
    _require(by, "archive.add_annotation", "annotate articles")
    exact = article.body[start:end] if exact is None else normalise(exact)
    prefix = normalise(prefix) if prefix else prefix
    suffix = normalise(suffix) if suffix else suffix
    body, author_name = normalise(body), normalise(author_name)
    refuse_unstorable(body=body, author_name=author_name)
    check_anchor(body=article.body, start=start, end=end, exact=exact, prefix=prefix, suffix=suffix)
    own_prefix, own_suffix = quote_context(body=article.body, start=start, end=end)
    annotation = Annotation(
        article=article,
        start=start,
        end=end,
        exact=exact,
        prefix=own_prefix,
        suffix=own_suffix,
        motivation=motivation,
        body=body,
        is_public=is_public,
        author=by if by is not None and by.is_authenticated else None,
        author_name=author_name or (by.get_full_name() or by.get_username() if by else ""),
    )
    annotation.full_clean()
    annotation.save()
    return annotation


EDITABLE_ANNOTATION_FIELDS = frozenset({"motivation", "body", "is_public"})


@transaction.atomic
def annotation_update(
    *, annotation: Annotation, by: AbstractBaseUser | None = None, **fields
) -> Annotation:
    """Edit an annotation's note; its selectors move only with the text (see article_update)."""
    _require(by, "archive.change_annotation", "edit annotations")
    _check_editable(fields, EDITABLE_ANNOTATION_FIELDS)
    return _save_changes(annotation, fields)


@transaction.atomic
def annotation_delete(*, annotation: Annotation, by: AbstractBaseUser | None = None) -> None:
    _require(by, "archive.delete_annotation", "delete annotations")
    annotation.delete()


# --- Collections -------------------------------------------------------------------------------


@transaction.atomic
def collection_publish(*, collection: Collection, by: AbstractBaseUser | None = None) -> Collection:
    _require(by, "archive.publish_collection", "publish collections")
    if not collection.items.exists():
        raise ValidationError("An empty collection cannot be published.")
    collection.status = Status.PUBLISHED
    collection.published_at = collection.published_at or timezone.now()
    collection.save(update_fields=("status", "published_at", "updated_at"))
    return collection


@transaction.atomic
def collection_item_add(
    *,
    collection: Collection,
    article: Article | None = None,
    testimony: Testimony | None = None,
    caption: str = "",
    by: AbstractBaseUser | None = None,
) -> CollectionItem:
    _require(by, "archive.change_collection", "edit collections")
    if (article is None) == (testimony is None):
        raise ValidationError("A collection item points at exactly one article or one testimony.")
    last = collection.items.order_by("-position").values_list("position", flat=True).first()
    item = CollectionItem(
        collection=collection,
        position=(last or 0) + 1,
        article=article,
        testimony=testimony,
        caption=normalise(caption),
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def collection_reorder(
    *, collection: Collection, item_ids: Sequence[int], by: AbstractBaseUser | None = None
) -> None:
    """Give the collection's items positions 1..n in the order of `item_ids`."""
    _require(by, "archive.change_collection", "edit collections")
    items = {item.pk: item for item in collection.items.select_for_update()}
    if sorted(items) != sorted(item_ids):
        raise ValidationError("The new order must list every item of the collection once.")
    # Two passes so the unique (collection, position) constraint holds after every UPDATE.
    offset = max(len(items), max((i.position for i in items.values()), default=0)) + 1
    for item in items.values():
        item.position += offset
        item.save(update_fields=("position",))
    for position, pk in enumerate(item_ids, start=1):
        items[pk].position = position
        items[pk].save(update_fields=("position",))


EDITABLE_COLLECTION_FIELDS = frozenset({"title", "slug", "introduction", "curator"})


@transaction.atomic
def collection_create(
    *,
    title: str,
    slug: str = "",
    introduction: str = "",
    curator: str = "",
    by: AbstractBaseUser | None = None,
) -> Collection:
    _require(by, "archive.add_collection", "create collections")
    title, introduction, curator = normalise(title), normalise(introduction), normalise(curator)
    collection = Collection(
        title=title,
        slug=slug or _unique_slug(Collection, title),
        introduction=introduction,
        curator=curator,
        status=Status.DRAFT,
    )
    collection.full_clean()
    collection.save()
    return collection


@transaction.atomic
def collection_update(
    *, collection: Collection, by: AbstractBaseUser | None = None, **fields
) -> Collection:
    _require(by, "archive.change_collection", "edit collections")
    if collection.status == Status.PUBLISHED:
        _require(by, "archive.publish_collection", "edit published collections")
    _check_editable(fields, EDITABLE_COLLECTION_FIELDS)
    return _save_changes(collection, fields)


@transaction.atomic
def collection_withdraw(
    *, collection: Collection, by: AbstractBaseUser | None = None
) -> Collection:
    _require(by, "archive.publish_collection", "withdraw collections")
    if collection.status != Status.PUBLISHED:
        raise ValidationError("Only published collections can be withdrawn.")
    collection.status = Status.WITHDRAWN
    collection.save(update_fields=("status", "updated_at"))
    return collection


@transaction.atomic
def collection_item_update(
    *,
    item: CollectionItem,
    caption: str,
    article: Article | None = None,
    testimony: Testimony | None = None,
    by: AbstractBaseUser | None = None,
) -> CollectionItem:
    """Change what an item shows and its caption; its place in the order moves by reordering."""
    _require(by, "archive.change_collection", "edit collections")
    if (article is None) == (testimony is None):
        raise ValidationError("A collection item points at exactly one article or one testimony.")
    item.article, item.testimony, item.caption = article, testimony, normalise(caption)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def collection_item_remove(*, item: CollectionItem, by: AbstractBaseUser | None = None) -> None:
    """Remove an item and close the gap, so positions stay 1..n."""
    _require(by, "archive.change_collection", "edit collections")
    collection = item.collection
    item.delete()
    remaining = list(collection.items.order_by("position").values_list("pk", flat=True))
    collection_reorder(collection=collection, item_ids=remaining, by=by)

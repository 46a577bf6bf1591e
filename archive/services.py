"""Every write to the archive goes through here: the admin, the API, the importer and the
fixtures loader (through `bootstrap`) behave alike.

Services are keyword-only, typed, atomic, and raise `django.core.exceptions.ValidationError`
with a message an editor can act on.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import F, Model, Q
from django.utils import timezone
from django.utils.text import slugify

from archive import names
from archive.anchor_guard import open_reanchoring
from archive.history import one_record_per_action
from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    ConsentRecord,
    ConsentStatus,
    Mention,
    MentionStatus,
    Person,
    PersonName,
    ProtectionLevel,
    Status,
    Tag,
    Testimony,
    TestimonyStatus,
    Tombstone,
    Visibility,
)
from archive.permissions import VIEW_PROTECTED_IDENTITY
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


def _save_changes(instance, fields: dict, *, expected_version: int | None = None):
    """Set the (already checked) fields, validate the whole object and save it."""
    for name, value in normalise_fields(fields).items():
        setattr(instance, name, value)
    instance.full_clean()
    if not instance._state.adding and _is_versioned(instance):
        claim_version(instance, expected_version=expected_version)
    instance.save()
    return instance


def _is_versioned(instance: Model) -> bool:
    return any(field.name == "version" for field in instance._meta.concrete_fields)


# --- Optimistic concurrency --------------------------------------------------------------------

# Never named in "what changed since": they change with every save.
_UNTOLD_FIELDS = frozenset({"version", "updated_at", "created_at"})


def claim_version(instance: Model, *, expected_version: int | None = None) -> None:
    """Move the row from `expected_version` (default: the version `instance` was read at) to
    the next one, or refuse the save because someone else saved it in between.

    One conditional UPDATE: on PostgreSQL a concurrent save of the same row waits for ours to
    commit and then finds the version moved on; SQLite serialises writers. Call it inside the
    service's transaction, just before saving.
    """
    expected = instance.version if expected_version is None else int(expected_version)
    claimed = (
        type(instance)
        ._default_manager.filter(pk=instance.pk, version=expected)
        .update(version=F("version") + 1)
    )
    if not claimed:
        raise ValidationError(version_conflict_message(instance, expected), code="stale")
    instance.version = expected + 1


def _bump_version(instance: Model) -> None:
    """Record a change to what belongs to `instance` (a collection's items): a form opened
    before it is refused, while this change itself expects no particular version."""
    rows = type(instance)._default_manager.filter(pk=instance.pk)
    rows.update(version=F("version") + 1)
    instance.version = rows.values_list("version", flat=True).get()


def check_version(instance: Model, *, expected_version: int) -> None:
    """Raise the ValidationError claim_version would raise, writing nothing (for forms)."""
    stored = (
        type(instance)._default_manager.filter(pk=instance.pk).values_list("version", flat=True)
    )
    if stored and stored[0] != expected_version:
        raise ValidationError(version_conflict_message(instance, expected_version), code="stale")


def version_conflict_message(instance: Model, expected_version: int) -> str:
    """Who changed what since `expected_version`, read from the object's history."""
    what = f"“{instance}”"
    changes = []
    history = getattr(instance, "history", None)
    if history is not None:
        records = list(
            history.filter(version__gt=expected_version)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        for record in records:
            changes.append(_describe_change(record))
    if not changes:
        return (
            f"{what} was changed by someone else since you opened it. "
            "Reload the page to see the current version, then make your change again."
        )
    return (
        f"{what} was changed since you opened it: {'; '.join(changes)}. "
        "Your changes were not saved: reload the page to see the current version, "
        "then make your change again."
    )


def _describe_change(record) -> str:
    user = record.history_user
    who = (user.get_full_name() or user.get_username()) if user else "the system"
    when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    previous = record.prev_record
    fields = [
        field
        for field in record.instance_type._meta.concrete_fields
        if field.attname not in _UNTOLD_FIELDS
        and hasattr(record, field.attname)
        and (
            previous is None
            or getattr(record, field.attname) != getattr(previous, field.attname, None)
        )
    ]
    if previous is None or not fields:
        return f"by {who} at {when}"
    names = ", ".join(str(field.verbose_name) for field in fields)
    return f"{names} by {who} at {when}"


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


# How often a derived slug is tried again when another writer took it first.
SLUG_ATTEMPTS = 5


def _insert_with_slug(instance, *, slug_source: str | None, max_length: int) -> None:
    """Validate and INSERT `instance`; with `slug_source`, derive its slug from it and, when a
    concurrent writer takes that slug between our check and our INSERT, derive the next one
    (two captures with the same headline imported at the same moment both get stored)."""
    for _attempt in range(SLUG_ATTEMPTS):
        if slug_source is None:
            instance.full_clean()
        else:
            instance.slug = _unique_slug(type(instance), slug_source, max_length=max_length)
            # A derived slug's uniqueness is settled by the INSERT itself (below).
            instance.full_clean(exclude=["slug"])
        try:
            with transaction.atomic():
                instance.save()
            return
        except IntegrityError:
            taken = type(instance).objects.filter(slug=instance.slug).exists()
            if slug_source is None or not taken:
                raise
    raise ValidationError({"slug": "Could not find a free slug; give one explicitly."})


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
    slug_source: str = "",
    by: AbstractBaseUser | None = None,
    **fields,
) -> Article:
    """Create a draft article from a raw capture; a capture can be stored only once.

    Without a `slug`, one is derived from `slug_source` (default: the headline).
    """
    _require(by, "archive.add_article", "create articles")
    # The raw capture is stored exactly as received; everything derived from it is normalised.
    headline, body, fields = normalise(headline), normalise(body), normalise_fields(fields)
    refuse_unstorable(raw_text=raw_text, headline=headline, body=body, **_texts(fields))
    digest = sha256_hex(raw_text)
    duplicate = duplicate_capture_message(digest)
    if duplicate:
        raise ValidationError({"raw_text": duplicate}, code="duplicate")
    article = Article(
        raw_text=raw_text,
        raw_sha256=digest,
        captured_at=captured_at or timezone.now(),
        headline=headline,
        slug=slug,
        body=body,
        language=language,
        status=Status.DRAFT,
        **fields,
    )
    try:
        _insert_with_slug(
            article, slug_source=None if slug else (slug_source or headline), max_length=200
        )
    except IntegrityError:
        # The same capture stored by a concurrent import between our check and our INSERT.
        duplicate = duplicate_capture_message(digest)
        if duplicate:
            raise ValidationError({"raw_text": duplicate}, code="duplicate") from None
        raise
    mentions_rescan(article=article)
    return article


def duplicate_capture_message(digest: str) -> str | None:
    """Why a capture with this SHA-256 cannot be imported, or None when it is new.

    A capture taken down is named by its tombstone: importing it again would bring back what
    an editor took down.
    """
    tombstone = Tombstone.objects.filter(raw_sha256=digest).first()
    if tombstone is not None:
        return (
            f"This capture was taken down: {tombstone} on "
            f"{timezone.localtime(tombstone.taken_down_at):%Y-%m-%d} by "
            f"{tombstone.taken_down_by_name or 'the system'} ({tombstone.reason}). "
            "It cannot be imported again."
        )
    if Article.objects.filter(raw_sha256=digest).exists():
        return "This capture is already imported (same SHA-256)."
    return None


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
    *,
    article: Article,
    by: AbstractBaseUser | None = None,
    body: str | None = None,
    expected_version: int | None = None,
    **fields,
) -> Article:
    """Edit an article's metadata and, optionally, its body (re-anchoring what points into it).

    The raw capture is not among the editable fields: it can never be changed. With
    `expected_version` (the version the editor's form was built from), a save based on an
    older version is refused, saying who changed what since.
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
    rescan = body is not None and body != article.body
    if rescan:
        _reanchor(article=article, new_body=body)
        article.body = body
    article.full_clean()
    claim_version(article, expected_version=expected_version)
    article.save()
    if rescan:
        mentions_rescan(article=article)
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
    if article.status == Status.TAKEN_DOWN:
        raise PermissionDenied("A taken-down article cannot be edited (see its tombstone).")
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
    """Move every testimony, annotation and mention to its passage in the new body, or refuse."""
    moved_testimonies, moved_annotations, moved_mentions, lost_mentions = _plan_reanchor(
        article=article, new_body=new_body
    )
    # The database checks every anchor against the body (archive/anchor_guard.py); the spans
    # move first and match the new body once it is saved, in this same transaction.
    open_reanchoring(connections[article._state.db or DEFAULT_DB_ALIAS], article.pk)
    for testimony in moved_testimonies:
        claim_version(testimony)
        testimony.save(update_fields=("start", "end", "version", "updated_at"))
    for annotation in moved_annotations:
        claim_version(annotation)
        annotation.save(update_fields=("start", "end", "prefix", "suffix", "version", "updated_at"))
    # Proposals and rejections whose text is gone are only the scanner's work: the rescan
    # after the edit proposes afresh (a confirmed mention refuses the edit instead).
    Mention.objects.filter(pk__in=[m.pk for m in lost_mentions]).delete()
    for mention in moved_mentions:
        mention.save(update_fields=("start", "end", "updated_at"))


def _plan_reanchor(
    *, article: Article, new_body: str
) -> tuple[list[Testimony], list[Annotation], list[Mention], list[Mention]]:
    """Where every testimony, annotation and mention lands in the new body, or raise; and
    which unconfirmed mentions no longer find their text.

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
    moved_mentions, lost_mentions = [], []
    for mention in article.mentions.select_related("person"):
        try:
            start, end = _relocate(
                old_body=old_body,
                new_body=new_body,
                opcodes=opcodes,
                start=mention.start,
                end=mention.end,
            )
        except ValidationError as exc:
            if mention.status == MentionStatus.CONFIRMED:
                problems.append(f"confirmed mention of {mention.person.name}: {exc.messages[0]}")
            else:
                lost_mentions.append(mention)
            continue
        if (start, end) != (mention.start, mention.end):
            mention.start, mention.end = start, end
            moved_mentions.append(mention)
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
    return moved_testimonies, moved_annotations, moved_mentions, lost_mentions


@transaction.atomic
def article_submit(*, article: Article, by: AbstractBaseUser | None = None) -> Article:
    _require(by, "archive.submit_article", "submit articles for review")
    if article.status != Status.DRAFT:
        raise ValidationError(f"Only drafts can be submitted (this one is {article.status}).")
    claim_version(article)
    article.status = Status.IN_REVIEW
    article.save(update_fields=("status", "version", "updated_at"))
    return article


@transaction.atomic
def article_publish(*, article: Article, by: AbstractBaseUser | None = None) -> Article:
    _require(by, "archive.publish_article", "publish articles")
    if article.status == Status.PUBLISHED:
        return article
    if article.status == Status.TAKEN_DOWN:
        raise ValidationError("A taken-down article cannot be published again.")
    claim_version(article)
    article.status = Status.PUBLISHED
    article.published_at = article.published_at or timezone.now()
    article.save(update_fields=("status", "published_at", "version", "updated_at"))
    return article


@transaction.atomic
def article_withdraw(*, article: Article, by: AbstractBaseUser | None = None) -> Article:
    _require(by, "archive.publish_article", "withdraw articles")
    if article.status != Status.PUBLISHED:
        raise ValidationError("Only published articles can be withdrawn.")
    claim_version(article)
    article.status = Status.WITHDRAWN
    article.save(update_fields=("status", "version", "updated_at"))
    return article


# simple-history keeps a change reason in 100 characters: a longer one is refused, not cut.
MAX_REASON_CHARS = 100


def _reason(reason: str, *, what: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": f"Say why the article is {what}."})
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError(
            {
                "reason": f"Keep the reason within {MAX_REASON_CHARS} characters (it goes into "
                "the history)."
            }
        )
    refuse_unstorable(reason=reason)
    return reason


@transaction.atomic
def article_return_to_draft(
    *, article: Article, by: AbstractBaseUser | None = None, reason: str
) -> Article:
    """Send an article in review, published or withdrawn back to its authors as a draft; the
    reason is recorded in its history."""
    _require(by, "archive.publish_article", "send articles back to draft")
    reason = _reason(reason, what="sent back to draft")
    if article.status == Status.DRAFT:
        raise ValidationError("The article is already a draft.")
    if article.status == Status.TAKEN_DOWN:
        raise ValidationError("A taken-down article stays down (see its tombstone).")
    claim_version(article)
    article.status = Status.DRAFT
    # The status change beside it in the history says what was done; this says why.
    article._change_reason = reason
    article.save(update_fields=("status", "version", "updated_at"))
    return article


def _actor_name(user: AbstractBaseUser | None) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


@transaction.atomic
def article_take_down(
    *, article: Article, by: AbstractBaseUser | None = None, reason: str
) -> Tombstone:
    """Take an article down: it leaves the public archive for good, and a tombstone records
    the capture (SHA-256, capture time, source) and the act (who, when, why).

    The article and its history stay (the database refuses to delete it); its API address and
    its testimonies' answer 410 Gone with the reason, and its capture cannot be imported again.
    """
    _require(by, "archive.publish_article", "take articles down")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the article is taken down."})
    refuse_unstorable(reason=reason)
    if Tombstone.objects.filter(article=article).exists():
        raise ValidationError(f"“{article}” is already taken down.")
    claim_version(article)
    article.status = Status.TAKEN_DOWN
    article._change_reason = "Taken down (the reason is on its tombstone)."
    article.save(update_fields=("status", "version", "updated_at"))
    source = article.source
    return Tombstone.objects.create(
        article=article,
        raw_sha256=article.raw_sha256,
        captured_at=article.captured_at,
        source=source,
        source_name=source.name if source else "",
        slug=article.slug,
        taken_down_at=timezone.now(),
        taken_down_by=by if by is not None and by.is_authenticated else None,
        taken_down_by_name=_actor_name(by),
        reason=reason,
    )


@transaction.atomic
def article_purge_capture(*, article: Article, by: AbstractBaseUser, reason: str) -> Tombstone:
    """Blank a taken-down article's text by court order: the raw capture and the body, the
    testimonies and annotations anchored in it, and the text kept in their history. The
    tombstone (with the capture's SHA-256) stays, recording the purge.

    Only a superuser, by name: the one write that gets past the raw capture's immutability
    (archive.evidence), so no system actor does it unnamed.
    """
    from archive.evidence import evidence_override

    if by is None or not by.is_superuser:
        raise PermissionDenied("Only a superuser may purge the text of a capture.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Name the court order."})
    refuse_unstorable(reason=reason)
    tombstone = Tombstone.objects.select_for_update().filter(article=article).first()
    if tombstone is None:
        raise ValidationError("Take the article down first: a purge keeps its tombstone.")
    if tombstone.purged_at is not None:
        raise ValidationError(f"{tombstone} was purged already.")
    items = CollectionItem.objects.filter(Q(article=article) | Q(testimony__article=article))
    for item in items.select_related("collection"):
        collection_item_remove(item=item, by=by)
    # Deleted, not re-anchored: they quote the text being purged.
    article.annotations.all().delete()
    article.testimonies.all().delete()
    article.mentions.all().delete()
    with evidence_override(reason=reason):
        Article.objects.filter(pk=article.pk).update(
            raw_text="", body="", standfirst="", version=F("version") + 1
        )
    # The history holds the text too (every version of the body, every quote).
    Article.history.model.objects.filter(id=article.pk).update(body="", standfirst="")
    Testimony.history.model.objects.filter(article_id=article.pk).update(
        quote="", context="", translation_note=""
    )
    Annotation.history.model.objects.filter(article_id=article.pk).update(
        exact="", prefix="", suffix=""
    )
    Mention.history.model.objects.filter(article_id=article.pk).update(exact="")
    tombstone.purged_at = timezone.now()
    tombstone.purged_by = by
    tombstone.purged_by_name = _actor_name(by)
    tombstone.purge_reason = reason
    tombstone.full_clean()
    tombstone.save()
    article.refresh_from_db()
    return tombstone


@transaction.atomic
def article_add_tags(
    *, article: Article, tags: Iterable[Tag], by: AbstractBaseUser | None = None
) -> Article:
    _check_may_edit(article=article, by=by)
    # A change to the article: a form opened before it must not save the old tags back.
    claim_version(article)
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
    _check_may_edit(article=article, by=by)
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
    *,
    testimony: Testimony,
    by: AbstractBaseUser | None = None,
    expected_version: int | None = None,
    **fields,
) -> Testimony:
    _require(by, "archive.change_testimony", "edit testimonies")
    _check_may_edit(article=testimony.article, by=by)
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
    claim_version(testimony, expected_version=expected_version)
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
    claim_version(testimony)
    testimony.status = TestimonyStatus.CONFIRMED
    testimony.protection_decided_at = testimony.protection_decided_at or timezone.now()
    testimony.save(update_fields=("status", "protection_decided_at", "version", "updated_at"))
    return testimony


@transaction.atomic
def testimony_add_tags(
    *, testimony: Testimony, tags: Iterable[Tag], by: AbstractBaseUser | None = None
) -> Testimony:
    _require(by, "archive.change_testimony", "edit testimonies")
    _check_may_edit(article=testimony.article, by=by)
    claim_version(testimony)
    testimony.tags.add(*tags)
    return testimony


@transaction.atomic
def testimony_delete(*, testimony: Testimony, by: AbstractBaseUser | None = None) -> None:
    """Delete a testimony unless a collection still presents it (remove it there first)."""
    _require(by, "archive.delete_testimony", "delete testimonies")
    _check_may_edit(article=testimony.article, by=by)
    if testimony.collection_items.exists():
        raise ValidationError(
            f"{testimony} is part of a collection: remove it from the collection first."
        )
    testimony.delete()


# --- People ------------------------------------------------------------------------------------

EDITABLE_PERSON_FIELDS = frozenset(
    {"name", "slug", "role", "kind", "protection_level", "protection_reason", "note"}
)


@transaction.atomic
def person_update(
    *,
    person: Person,
    by: AbstractBaseUser | None = None,
    expected_version: int | None = None,
    **fields,
) -> Person:
    """Edit a person; who is protected is an editor's decision."""
    _check_may_edit_person(person=person, by=by)
    _check_editable(fields, EDITABLE_PERSON_FIELDS)
    if {"protection_level", "protection_reason"} & set(fields):
        _require(by, "archive.confirm_testimony", "decide on a person's protection")
    refuse_unstorable(**_texts(fields))
    old_name = Person.objects.filter(pk=person.pk).values_list("name", flat=True).get()
    person = _save_changes(person, fields, expected_version=expected_version)
    # A rename keeps the old spelling as a variant, so every text that still spells it the old
    # way keeps naming (and, if protected, masking) them.
    if person.name != old_name:
        _keep_variant(person, old_name)
    if "name" in fields:
        mentions_rescan_person(person=person)
    return person


def person_may_edit(*, person: Person, by: AbstractBaseUser | None) -> bool:
    """Whether `by` may edit this person now (the admin asks before offering a form)."""
    try:
        _check_may_edit_person(person=person, by=by)
    except PermissionDenied:
        return False
    return True


def _check_may_edit_person(*, person: Person, by: AbstractBaseUser | None) -> None:
    _require(by, "archive.change_person", "edit people")
    # A person quoted in published material is published material: their name is printed there.
    if by is not None and not by.has_perm("archive.publish_article"):
        quoted = person.testimonies.filter(
            article__status__in=(Status.PUBLISHED, Status.WITHDRAWN)
        ).exists()
        if quoted:
            raise PermissionDenied(
                "You do not have permission to edit a person quoted in published articles."
            )


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
    _check_may_edit(article=article, by=by)
    exact = article.body[start:end] if exact is None else normalise(exact)
    prefix = normalise(prefix) if prefix else prefix
    suffix = normalise(suffix) if suffix else suffix
    body, author_name = normalise(body), normalise(author_name)
    refuse_unstorable(body=body, author_name=author_name)
    if is_public:
        check_no_protected_names(body=body)
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
    *,
    annotation: Annotation,
    by: AbstractBaseUser | None = None,
    expected_version: int | None = None,
    **fields,
) -> Annotation:
    """Edit an annotation's note; its selectors move only with the text (see article_update)."""
    _require(by, "archive.change_annotation", "edit annotations")
    # A note on a published article is published material (making it public publishes it).
    _check_may_edit(article=annotation.article, by=by)
    _check_editable(fields, EDITABLE_ANNOTATION_FIELDS)
    if fields.get("is_public", annotation.is_public):
        check_no_protected_names(body=fields.get("body", annotation.body))
    return _save_changes(annotation, fields, expected_version=expected_version)


@transaction.atomic
def annotation_delete(*, annotation: Annotation, by: AbstractBaseUser | None = None) -> None:
    _require(by, "archive.delete_annotation", "delete annotations")
    _check_may_edit(article=annotation.article, by=by)
    annotation.delete()


# --- Collections -------------------------------------------------------------------------------


@transaction.atomic
def collection_publish(*, collection: Collection, by: AbstractBaseUser | None = None) -> Collection:
    _require(by, "archive.publish_collection", "publish collections")
    if not collection.items.exists():
        raise ValidationError("An empty collection cannot be published.")
    claim_version(collection)
    collection.status = Status.PUBLISHED
    collection.published_at = collection.published_at or timezone.now()
    collection.save(update_fields=("status", "published_at", "version", "updated_at"))
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
    check_no_protected_names(caption=caption)
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
    _bump_version(collection)
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
    _bump_version(collection)


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
    check_no_protected_names(title=title, introduction=introduction)
    collection = Collection(
        title=title,
        slug=slug,
        introduction=introduction,
        curator=curator,
        status=Status.DRAFT,
    )
    _insert_with_slug(collection, slug_source=None if slug else title, max_length=100)
    return collection


@transaction.atomic
def collection_update(
    *,
    collection: Collection,
    by: AbstractBaseUser | None = None,
    expected_version: int | None = None,
    **fields,
) -> Collection:
    _require(by, "archive.change_collection", "edit collections")
    if collection.status == Status.PUBLISHED:
        _require(by, "archive.publish_collection", "edit published collections")
    _check_editable(fields, EDITABLE_COLLECTION_FIELDS)
    check_no_protected_names(title=fields.get("title"), introduction=fields.get("introduction"))
    return _save_changes(collection, fields, expected_version=expected_version)


@transaction.atomic
def collection_withdraw(
    *, collection: Collection, by: AbstractBaseUser | None = None
) -> Collection:
    _require(by, "archive.publish_collection", "withdraw collections")
    if collection.status != Status.PUBLISHED:
        raise ValidationError("Only published collections can be withdrawn.")
    claim_version(collection)
    collection.status = Status.WITHDRAWN
    collection.save(update_fields=("status", "version", "updated_at"))
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
    caption = normalise(caption)
    check_no_protected_names(caption=caption)
    item.article, item.testimony, item.caption = article, testimony, caption
    item.full_clean()
    item.save()
    _bump_version(item.collection)
    return item


@transaction.atomic
def collection_item_remove(*, item: CollectionItem, by: AbstractBaseUser | None = None) -> None:
    """Remove an item and close the gap, so positions stay 1..n."""
    _require(by, "archive.change_collection", "edit collections")
    collection = item.collection
    item.delete()
    remaining = list(collection.items.order_by("position").values_list("pk", flat=True))
    collection_reorder(collection=collection, item_ids=remaining, by=by)


# --- Protection and consent --------------------------------------------------------------------

# Consent decisions after which nothing may identify the person until an editor decides again.
CONSENT_RESTRICTS = frozenset({ConsentStatus.WITHDRAWN, ConsentStatus.REFUSED})


@transaction.atomic
def person_set_protection(
    *, person: Person, level: str, reason: str, by: AbstractBaseUser | None = None
) -> Person:
    """Set how much the public may learn about a person, and why (required unless public)."""
    _require(by, "archive.confirm_testimony", "decide on protection")
    if level not in ProtectionLevel.values:
        raise ValidationError({"protection_level": f"Unknown protection level {level!r}."})
    refuse_unstorable(protection_reason=reason)
    return _save_changes(person, {"protection_level": level, "protection_reason": reason})


@transaction.atomic
def person_record_consent(
    *,
    person: Person,
    status: str,
    method: str = "",
    scope: Iterable[str] = (),
    risk_note: str = "",
    review_by: date | None = None,
    by: AbstractBaseUser | None = None,
) -> ConsentRecord:
    """Record a consent decision about `person` (a new record; the newest one is current).

    Withdrawn or refused consent restricts at once: the person becomes restricted (the most
    protective level) and so does each of their testimonies, each change in the history with
    the consent as its reason. Giving consent never lowers protection by itself: that stays an
    editor's decision.
    """
    _require(by, VIEW_PROTECTED_IDENTITY, "see or record consent")
    _require(by, "archive.add_consentrecord", "record consent")
    scope = set(scope)
    unknown = scope - set(ConsentRecord.SCOPE_FIELDS)
    if unknown:
        known = ", ".join(ConsentRecord.SCOPE_FIELDS)
        raise ValidationError({"scope": f"Unknown scope {sorted(unknown)}; choose from {known}."})
    refuse_unstorable(risk_note=risk_note)
    record = ConsentRecord(
        person=person,
        status=status,
        method=method,
        risk_note=risk_note,
        review_by=review_by,
        recorded_by=by if by is not None and by.is_authenticated else None,
        recorded_at=timezone.now(),
        **{field: name in scope for name, field in ConsentRecord.SCOPE_FIELDS.items()},
    )
    record.full_clean()
    record.save()
    if status in CONSENT_RESTRICTS:
        _restrict_after_consent(person=person, record=record)
    return record


def _restrict_after_consent(*, person: Person, record: ConsentRecord) -> None:
    # A consequence of the consent decision, not a new editorial one: made as the system
    # (by=None) whoever recorded the consent, with the decision as the reason in the history.
    why = f"Consent {record.get_status_display().lower()} ({record.recorded_at:%Y-%m-%d})."
    if person.protection_level != ProtectionLevel.RESTRICTED:
        reason = f"{person.protection_reason} {why}".strip()
        person._change_reason = why
        person_set_protection(
            person=person, level=ProtectionLevel.RESTRICTED, reason=reason, by=None
        )
    for testimony in person.testimonies.exclude(visibility=Visibility.RESTRICTED):
        testimony._change_reason = why
        testimony_update(
            testimony=testimony,
            visibility=Visibility.RESTRICTED,
            protection_reason=f"{testimony.protection_reason} {why}".strip(),
            by=None,
        )


# --- People and their mentions -----------------------------------------------------------------


def people_lexicon(people: Iterable[int] | None = None) -> dict[str, frozenset[int]]:
    """Every form of every person's names (or of these people's) → who it names."""
    persons = Person.objects.all() if people is None else Person.objects.filter(pk__in=people)
    variants = (
        PersonName.objects.all() if people is None else PersonName.objects.filter(person__in=people)
    )
    rows = [*persons.values_list("pk", "name"), *variants.values_list("person_id", "name")]
    return names.lexicon(rows)


def mentions_rescan(
    *, article: Article, lexicon: dict[str, frozenset[int]] | None = None
) -> tuple[int, int]:
    """Propose a mention for every occurrence of anyone's name in the article body; drop the
    proposals the body no longer supports (their text is gone, or a longer form covers it).
    Returns (proposed, dropped).

    Confirmed and rejected mentions are an editor's decision and stay as they are: nothing is
    proposed over a confirmed span, nor again for a person rejected at that span. A form that
    names several people (a shared first name) is proposed for each of them; the longest form
    wins at each position, so a namesake's full name is theirs alone.
    """
    lexicon = people_lexicon() if lexicon is None else lexicon
    found = {
        (f.start, f.end, person_id): f.exact[:300]
        for f in names.find(article.body, lexicon, proper=True)
        for person_id in f.people
    }
    existing = list(article.mentions.all())
    confirmed = [(m.start, m.end) for m in existing if m.status == MentionStatus.CONFIRMED]
    known = {(m.start, m.end, m.person_id) for m in existing}
    spans = {(start, end) for start, end, _ in found}

    def superseded(m: Mention) -> bool:
        # The body no longer reads the proposal's text there, or a longer form now covers
        # it (a namesake's full name, recorded since). A person renamed behind the services'
        # back keeps their proposals: the text still names them.
        if article.body[m.start : m.end] != m.exact:
            return True
        return any(s <= m.start and m.end <= e and (s, e) != (m.start, m.end) for s, e in spans)

    stale = [
        m.pk
        for m in existing
        if m.status == MentionStatus.PROPOSED
        and (m.start, m.end, m.person_id) not in found
        and superseded(m)
    ]
    new = [
        Mention(article=article, person_id=person_id, start=start, end=end, exact=exact)
        for (start, end, person_id), exact in sorted(found.items())
        if (start, end, person_id) not in known
        and not any(s < end and start < e for s, e in confirmed)
    ]
    if stale:
        Mention.objects.filter(pk__in=stale).delete()
    if new:
        Mention.objects.bulk_create(new)
    if stale or new:
        from archive.selectors import bump_generation

        bump_generation()  # bulk writes leave no history row for the fingerprint to see
    return len(new), len(stale)


def mentions_rescan_person(*, person: Person) -> int:
    """Rescan every article whose body may mention this person (any form of any name)."""
    forms = names.forms_of([person.name, *person.name_variants.values_list("name", flat=True)])
    if not forms:
        return 0
    candidates = Q()
    for form in forms:
        candidates |= Q(body__icontains=form)
    lexicon = people_lexicon()
    proposed = 0
    for article in Article.objects.filter(candidates).only("pk", "body").iterator():
        proposed += mentions_rescan(article=article, lexicon=lexicon)[0]
    # A person's forms may have lost an article (a variant removed): drop those proposals too.
    for article in Article.objects.filter(
        pk__in=person.mentions.filter(status=MentionStatus.PROPOSED).values("article_id")
    ).exclude(candidates):
        mentions_rescan(article=article, lexicon=lexicon)
    return proposed


def mentions_rescan_all() -> int:
    """Rescan every article (bootstrap, after loading the seeds)."""
    lexicon = people_lexicon()
    return sum(
        mentions_rescan(article=article, lexicon=lexicon)[0]
        for article in Article.objects.only("pk", "body").iterator()
    )


@transaction.atomic
def mention_create(
    *,
    article: Article,
    person: Person,
    start: int,
    end: int,
    exact: str | None = None,
    by: AbstractBaseUser | None = None,
) -> Mention:
    """An editor marks body[start:end] as naming `person` (a confirmed mention): for a name the
    scanner cannot know, such as a nickname or a misspelling."""
    _require(by, "archive.confirm_mention", "record mentions of people")
    exact = article.body[start:end] if exact is None else exact
    check_anchor(body=article.body, start=start, end=end, exact=exact)
    mention, _ = Mention.objects.update_or_create(
        article=article,
        person=person,
        start=start,
        end=end,
        defaults={
            "exact": exact,
            "status": MentionStatus.CONFIRMED,
            "created_by": by if by is not None and by.is_authenticated else None,
        },
    )
    return mention


def _decide_mention(mention: Mention, status: str, by: AbstractBaseUser | None) -> Mention:
    _require(by, "archive.confirm_mention", "confirm or reject mentions")
    mention.status = status
    mention.full_clean()
    mention.save(update_fields=("status", "updated_at"))
    return mention


@transaction.atomic
def mention_confirm(*, mention: Mention, by: AbstractBaseUser | None = None) -> Mention:
    """This span names this person. Another person's proposal at the same span is rejected:
    the span names one person."""
    mention = _decide_mention(mention, MentionStatus.CONFIRMED, by)
    for other in Mention.objects.filter(
        article_id=mention.article_id,
        start__lt=mention.end,
        end__gt=mention.start,
        status=MentionStatus.PROPOSED,
    ).exclude(pk=mention.pk):
        _decide_mention(other, MentionStatus.REJECTED, by)
    return mention


@transaction.atomic
def mention_decide(*, mention: Mention, status: str, by: AbstractBaseUser | None = None) -> Mention:
    """Set a mention's status (the admin's form; a history revert)."""
    if status == MentionStatus.CONFIRMED:
        return mention_confirm(mention=mention, by=by)
    if status not in MentionStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    return _decide_mention(mention, status, by)


@transaction.atomic
def mention_reject(*, mention: Mention, by: AbstractBaseUser | None = None) -> Mention:
    """This span does not name this person (a namesake, a common word)."""
    return _decide_mention(mention, MentionStatus.REJECTED, by)


PROTECTION_FIELDS = frozenset({"protection_level", "protection_reason"})


@transaction.atomic
def person_create(*, name: str, by: AbstractBaseUser | None = None, **fields) -> Person:
    _require(by, "archive.add_person", "record people")
    _check_editable(fields, EDITABLE_PERSON_FIELDS)
    if PROTECTION_FIELDS & set(fields):
        _require(by, "archive.confirm_testimony", "decide on protection")
    refuse_unstorable(name=name, **_texts(fields))
    fields.setdefault("slug", _unique_slug(Person, name))
    person = _save_changes(Person(), {"name": name, **fields})
    mentions_rescan_person(person=person)
    return person


def person_saved(*, person: Person, old_name: str | None) -> None:
    """After the admin saved a person and their variants in its form: keep a renamed person's
    old spelling and rescan (the admin's form writes the row itself)."""
    if old_name and old_name != person.name:
        _keep_variant(person, old_name)
    mentions_rescan_person(person=person)


def _keep_variant(person: Person, name: str) -> None:
    PersonName.objects.get_or_create(
        person=person,
        name=name,
        defaults={"note": f"Former spelling, kept on renaming ({timezone.now():%Y-%m-%d})."},
    )


@transaction.atomic
def person_name_add(
    *, person: Person, name: str, note: str = "", by: AbstractBaseUser | None = None
) -> PersonName:
    _require(by, "archive.add_personname", "add name variants")
    refuse_unstorable(name=name, note=note)
    variant = _save_changes(PersonName(person=person), {"name": name, "note": note})
    mentions_rescan_person(person=person)
    return variant


# --- Protected names in editors' own texts -----------------------------------------------------


def check_no_protected_names(**texts: str | None) -> None:
    """Refuse editors' own texts (introductions, captions, public notes) that name a protected
    person in any spelling: these texts have no anchors for masking to follow, so they must
    describe, not name. A namesake's full name is fine; a form shared with a protected person
    (a first name alone) is not."""
    texts = {field: text for field, text in texts.items() if text}
    if not texts:
        return
    protected = set(
        Person.objects.exclude(protection_level=ProtectionLevel.PUBLIC).values_list("pk", flat=True)
    )
    if not protected:
        return
    lexicon = people_lexicon()
    errors: dict[str, list[str]] = {}
    for field, text in texts.items():
        for found in names.find(text, lexicon):
            if found.people & protected:
                errors.setdefault(field, []).append(
                    f"“{found.exact}” names a protected person: describe them instead "
                    "(e.g. “a resident”), as the public must not learn who they are."
                )
    if errors:
        raise ValidationError(errors)

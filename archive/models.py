"""The content model of the archive.

Integrity lives in the database (named unique and check constraints, deliberate on_delete) as
well as in the services, which check what a constraint cannot express (a quote equals its slice
of the body; a raw capture never changes).
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from archive.history import ArchiveHistory
from archive.querysets import (
    AnnotationQuerySet,
    ArticleQuerySet,
    CollectionItemQuerySet,
    CollectionQuerySet,
    MentionQuerySet,
    NaturalKeySlugQuerySet,
    PersonQuerySet,
    TestimonyQuerySet,
)
from archive.text import check_anchor

# Where undated articles sort: after every dated one, newest first (the API's cursor order).
UNDATED = date(1, 1, 1)


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"
    # Articles only: a recorded take-down (see Tombstone); never published again.
    TAKEN_DOWN = "taken_down", "Taken down"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    PSEUDONYMISED = "pseudonymised", "Pseudonymised (quote public, identity withheld)"
    RESTRICTED = "restricted", "Restricted (editors only)"


class ProtectionLevel(models.TextChoices):
    PUBLIC = "public", "Public: may be named"
    PSEUDONYMISED = "pseudonymised", "Pseudonymised: quotes public, identity withheld"
    RESTRICTED = "restricted", "Restricted: editors only"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class SlugNaturalKeyMixin:
    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Source(SlugNaturalKeyMixin, models.Model):
    class Kind(models.TextChoices):
        WIRE_AGENCY = "wire_agency", "Wire agency"
        NEWSPAPER = "newspaper", "Newspaper"
        BROADCASTER = "broadcaster", "Broadcaster"
        LOCAL_OUTLET = "local_outlet", "Local / independent outlet"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    website = models.URLField(blank=True)
    language = models.CharField(max_length=8, blank=True, help_text="BCP 47 language code.")
    rights_note = models.TextField(blank=True)

    objects = NaturalKeySlugQuerySet.as_manager()

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Place(SlugNaturalKeyMixin, models.Model):
    class Kind(models.TextChoices):
        COUNTRY = "country", "Country"
        REGION = "region", "Region (oblast)"
        CITY = "city", "City"
        TOWN = "town", "Town"
        VILLAGE = "village", "Village"
        RIVER = "river", "River"

    name = models.CharField(max_length=200, help_text="Canonical English name.")
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The region (oblast) this place lies in.",
    )
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)

    objects = NaturalKeySlugQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        constraints = (
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="place_coordinates_both_or_neither",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="place_not_own_parent"),
        )

    def __str__(self) -> str:
        return self.name


class PlaceNameQuerySet(models.QuerySet):
    def get_by_natural_key(self, name: str, place_slug: str):
        return self.get(name=name, place__slug=place_slug)


class PlaceName(models.Model):
    """Another name of a place: a transliteration, a name in another script, a former name."""

    class Kind(models.TextChoices):
        TRANSLITERATION = "transliteration", "Transliteration"
        NATIVE = "native", "Native script"
        FORMER = "former", "Former name"
        OTHER = "other", "Other"

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=200)
    language = models.CharField(max_length=8, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRANSLITERATION)
    note = models.CharField(max_length=300, blank=True)

    objects = PlaceNameQuerySet.as_manager()

    class Meta:
        ordering = ("place", "name")
        verbose_name = "place name variant"
        constraints = (
            models.UniqueConstraint(fields=("place", "name"), name="placename_unique_per_place"),
        )

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str, ...]:
        return (self.name, *self.place.natural_key())

    natural_key.dependencies = ["archive.place"]


class PlaceFactQuerySet(models.QuerySet):
    def get_by_natural_key(self, kind: str, as_of: str, place_slug: str):
        return self.get(kind=kind, as_of=as_of, place__slug=place_slug)


class PlaceFact(models.Model):
    """A dated fact about a place, such as its pre-war population, with where it comes from."""

    class Kind(models.TextChoices):
        POPULATION = "population", "Population"
        OTHER = "other", "Other"

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=200)
    as_of = models.DateField()
    source_note = models.CharField(max_length=300, blank=True)

    objects = PlaceFactQuerySet.as_manager()

    class Meta:
        ordering = ("place", "kind", "as_of")
        constraints = (
            models.UniqueConstraint(
                fields=("place", "kind", "as_of"), name="placefact_unique_per_date"
            ),
        )

    def __str__(self) -> str:
        return f"{self.place}: {self.get_kind_display()} {self.value} ({self.as_of:%Y})"

    def natural_key(self) -> tuple[str, ...]:
        return (self.kind, self.as_of.isoformat(), *self.place.natural_key())

    natural_key.dependencies = ["archive.place"]


class Tag(SlugNaturalKeyMixin, models.Model):
    """A term of the controlled vocabulary: a theme (no parent) or a narrower term under one."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField()
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The broader theme; empty for a top-level theme.",
    )

    objects = NaturalKeySlugQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        constraints = (
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="tag_not_own_parent"),
            models.CheckConstraint(condition=~Q(description=""), name="tag_has_description"),
        )

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        # The thesaurus has two levels: a narrower term's parent must itself be a theme, and a
        # theme with narrower terms stays a theme (they would fall to a third level, out of the
        # API's list). A database trigger (migration 0014_tag_two_levels) holds the same rule.
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": "The vocabulary has two levels: pick a top theme."})
        if self.parent_id and self.pk and (narrower := list(self.children.all()[:6])):
            names = ", ".join(tag.name for tag in narrower[:5]) + ("…" if len(narrower) > 5 else "")
            raise ValidationError(
                {
                    "parent": f"“{self.name}” is a theme with narrower terms ({names}): move "
                    "them to another theme first, or keep it a top theme."
                }
            )


class Person(SlugNaturalKeyMixin, models.Model):
    class Kind(models.TextChoices):
        CIVILIAN = "civilian", "Civilian"
        MILITARY = "military", "Military"
        OFFICIAL = "official", "Official"
        VOLUNTEER = "volunteer", "Volunteer"

    name = models.CharField(max_length=200, help_text="As published; often a first name only.")
    slug = models.SlugField(max_length=100, unique=True)
    role = models.CharField(
        max_length=200, blank=True, help_text="E.g. retired, police officer, drone unit commander."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CIVILIAN)
    protection_level = models.CharField(
        max_length=20, choices=ProtectionLevel.choices, default=ProtectionLevel.PUBLIC
    )
    protection_reason = models.TextField(
        blank=True, help_text="Why this person is protected; required unless public."
    )
    note = models.TextField(blank=True)
    # Optimistic concurrency: the services bump it on every save and refuse a save based on an
    # older one (services.claim_version), so two editors cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()
    history = ArchiveHistory()

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "people"
        permissions = (
            (
                "view_protected_identity",
                "Can see who protected people are (names, ages, descriptions, consent)",
            ),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(protection_level=ProtectionLevel.PUBLIC) | ~Q(protection_reason=""),
                name="person_protection_has_reason",
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


class ConsentStatus(models.TextChoices):
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"
    NOT_ASKED = "not_asked", "Not asked"


class ConsentMethod(models.TextChoices):
    ORAL = "oral", "Oral"
    WRITTEN = "written", "Written"
    INTERMEDIARY = "intermediary", "Through an intermediary"


class ConsentRecord(models.Model):
    """One decision about what a person agreed to: a log, newest first. The newest record is
    the person's current consent; a correction is a new record, so the log keeps who knew
    what when. Only readers with the need-to-know see these (they name and assess people)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consent_records")
    status = models.CharField(max_length=20, choices=ConsentStatus.choices)
    # Blank only when consent was never asked.
    method = models.CharField(max_length=20, choices=ConsentMethod.choices, blank=True)
    # The scope: what the consent (or its refusal) covers.
    covers_quote = models.BooleanField("quote", default=False)
    covers_name = models.BooleanField("name", default=False)
    covers_age = models.BooleanField("age", default=False)
    covers_image = models.BooleanField("image", default=False)
    risk_note = models.TextField(blank=True, help_text="What the person risks if identified.")
    review_by = models.DateField(
        null=True, blank=True, help_text="When this decision must be looked at again."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for a record made by the system (an import, the loader).",
    )
    recorded_at = models.DateTimeField()

    history = ArchiveHistory()

    class Meta:
        ordering = ("-recorded_at", "-pk")
        indexes = (models.Index(fields=("person", "-recorded_at"), name="consent_person_latest"),)
        constraints = (
            models.CheckConstraint(
                condition=Q(status=ConsentStatus.NOT_ASKED) | ~Q(method=""),
                name="consent_asked_has_method",
            ),
        )

    SCOPE_FIELDS = {
        "quote": "covers_quote",
        "name": "covers_name",
        "age": "covers_age",
        "image": "covers_image",
    }

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.recorded_at:%Y-%m-%d})"

    @property
    def scope(self) -> tuple[str, ...]:
        return tuple(name for name, field in self.SCOPE_FIELDS.items() if getattr(self, field))


class PersonNameQuerySet(models.QuerySet):
    def get_by_natural_key(self, name: str, person_slug: str):
        return self.get(name=name, person__slug=person_slug)


class PersonName(models.Model):
    """Another spelling of a person's name (Sossnine / Sosnin, Chvets / Shvets)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_variants")
    name = models.CharField(max_length=200)
    note = models.CharField(max_length=300, blank=True)

    objects = PersonNameQuerySet.as_manager()

    class Meta:
        ordering = ("person", "name")
        verbose_name = "person name variant"
        constraints = (
            models.UniqueConstraint(fields=("person", "name"), name="personname_unique_per_person"),
        )

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str, ...]:
        return (self.name, *self.person.natural_key())

    natural_key.dependencies = ["archive.person"]


class Article(SlugNaturalKeyMixin, models.Model):
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        help_text="Empty when the capture does not name its outlet: unattributed, never guessed.",
    )
    attribution_note = models.TextField(
        blank=True, help_text="How the source was established, or why it could not be."
    )
    headline = models.CharField(max_length=500)
    slug = models.SlugField(max_length=200, unique=True)
    standfirst = models.TextField(blank=True)
    language = models.CharField(max_length=8, help_text="BCP 47 code of the body text.")
    published_on = models.DateField(
        null=True, blank=True, help_text="Read together with its precision."
    )
    date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    date_inferred = models.BooleanField(
        default=False, help_text="True when the date is inferred from the text, not stated."
    )
    original_url = models.URLField(max_length=1000, blank=True)
    dateline_place = models.ForeignKey(
        Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="datelined_articles"
    )
    # The capture exactly as received. Immutable: the services never change it, model
    # validation refuses a change, and a database trigger refuses an UPDATE that alters it.
    raw_text = models.TextField()
    raw_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    captured_at = models.DateTimeField()
    body = models.TextField(help_text="The cleaned, editor-corrected text; offsets point here.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    places = models.ManyToManyField(Place, blank=True, related_name="articles")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    # Optimistic concurrency: the services bump it on every save and refuse a save based on an
    # older one (services.claim_version), so two editors cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()
    # Tag and place changes are changes to the article: recorded too.
    history = ArchiveHistory(excluded_fields=("raw_text",), m2m_fields=("tags", "places"))

    class Meta:
        ordering = ("-published_on", "-id")
        permissions = (
            ("publish_article", "Can publish, withdraw and edit published articles"),
            ("submit_article", "Can submit a draft article for review"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(raw_sha256__regex=r"^[0-9a-f]{64}$"), name="article_sha256_is_hex"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="article_published_has_timestamp",
            ),
        )
        indexes = (
            models.Index(fields=("status", "-published_on", "-id"), name="article_status_date"),
            # The API's cursor order (selectors.UNDATED must equal UNDATED). Without an index on
            # this very expression every page, first or deep, sorts the whole archive.
            models.Index(
                Coalesce("published_on", Value(UNDATED)).desc(),
                F("id").desc(),
                name="article_date_sort",
            ),
            # The default ordering (the admin's changelist): a page of a million articles
            # without sorting them all.
            models.Index(fields=("-published_on", "-id"), name="article_date"),
        )

    def __str__(self) -> str:
        return self.headline

    def clean(self) -> None:
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values_list("raw_text", flat=True)
            if stored and stored[0] != self.raw_text:
                raise ValidationError({"raw_text": "The raw capture cannot be changed."})


class Tombstone(models.Model):
    """What stays of an article taken down: the evidence that it existed, and the act.

    The article row stays too (the database refuses to delete an article, migration 0013), so
    the capture can never be imported again as new; a court-ordered purge blanks its text, and
    this record remains.
    """

    article = models.OneToOneField(Article, on_delete=models.PROTECT, related_name="tombstone")
    # Copies of the capture's identity, so the record reads alone.
    raw_sha256 = models.CharField(max_length=64, unique=True)
    captured_at = models.DateTimeField()
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_name = models.CharField(max_length=200, blank=True)
    slug = models.SlugField(max_length=200)
    taken_down_at = models.DateTimeField()
    taken_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept beside the account so the record survives the account's deletion.
    taken_down_by_name = models.CharField(max_length=200, blank=True)
    reason = models.TextField(help_text="Why it was taken down; the API gives it with the 410.")
    purged_at = models.DateTimeField(null=True, blank=True)
    purged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    purged_by_name = models.CharField(max_length=200, blank=True)
    purge_reason = models.TextField(blank=True, help_text="The court order, by reference.")

    history = ArchiveHistory()

    class Meta:
        ordering = ("-taken_down_at",)
        constraints = (
            models.CheckConstraint(condition=~Q(reason=""), name="tombstone_has_reason"),
            models.CheckConstraint(
                condition=Q(purged_at__isnull=True) | ~Q(purge_reason=""),
                name="tombstone_purge_has_reason",
            ),
        )

    def __str__(self) -> str:
        return f"Tombstone #{self.pk} of “{self.slug}” ({self.raw_sha256[:12]}…)"


class CreditQuerySet(models.QuerySet):
    def get_by_natural_key(self, name: str, role: str, article_slug: str):
        return self.get(name=name, role=role, article__slug=article_slug)


class Credit(models.Model):
    class Role(models.TextChoices):
        AUTHOR = "author", "Author"
        REPORTER = "reporter", "Reporter"
        PHOTOGRAPHER = "photographer", "Photographer"
        WRITER = "writer", "Writing"
        EDITOR = "editor", "Editing"
        TRANSLATOR = "translator", "Translator"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="credits")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)

    # Declared in the class so it is the default manager: loaddata looks natural keys up there
    # (a manager added after class creation is shadowed by the automatic one).
    objects = CreditQuerySet.as_manager()

    class Meta:
        ordering = ("article", "position")
        constraints = (
            models.UniqueConstraint(
                fields=("article", "name", "role"), name="credit_unique_per_article"
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def natural_key(self) -> tuple[str, ...]:
        return (self.name, self.role, *self.article.natural_key())

    natural_key.dependencies = ["archive.article"]


class TestimonyStatus(models.TextChoices):
    __test__ = False  # not a pytest test class, despite its name

    PROPOSED = "proposed", "Proposed (awaiting an editor)"
    CONFIRMED = "confirmed", "Confirmed"


class Testimony(models.Model):
    """What one person said in one article, anchored by offsets: body[start:end] == quote."""

    __test__ = False  # not a pytest test class, despite its name

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="testimonies")
    quote = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    speaker = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="testimonies"
    )
    speaker_description = models.CharField(
        max_length=300, blank=True, help_text='Who spoke, when unnamed: "a street-stall seller".'
    )
    speaker_age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Age at the time, as published."
    )
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, null=True, blank=True, related_name="testimonies"
    )
    context = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    translation_note = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="testimonies")
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    protection_reason = models.TextField(
        blank=True, help_text="Why the quote or its speaker is protected; required unless public."
    )
    # Null until an editor has decided on protection: the dashboard lists those waiting.
    protection_decided_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=TestimonyStatus.choices, default=TestimonyStatus.CONFIRMED
    )
    # Optimistic concurrency: the services bump it on every save and refuse a save based on an
    # older one (services.claim_version), so two editors cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TestimonyQuerySet.as_manager()
    history = ArchiveHistory(m2m_fields=("tags",))

    class Meta:
        ordering = ("article", "start")
        verbose_name_plural = "testimonies"
        permissions = (
            ("confirm_testimony", "Can confirm proposed testimonies and decide on protection"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(end__gt=F("start")), name="testimony_offsets_ordered"
            ),
            models.CheckConstraint(
                condition=Q(speaker__isnull=False) | ~Q(speaker_description=""),
                name="testimony_has_speaker_or_description",
            ),
            models.CheckConstraint(
                condition=Q(visibility=Visibility.PUBLIC) | ~Q(protection_reason=""),
                name="testimony_protection_has_reason",
            ),
            models.UniqueConstraint(
                fields=("article", "start", "end"), name="testimony_unique_span"
            ),
        )
        indexes = (
            # The place filter asks for ids only (archive.filters), which this index answers
            # without reading the table; intersected with a tag's ids (migration 0009 indexes
            # the tag links the same way) before any row is read.
            models.Index(fields=("place", "id"), name="testimony_place_id"),
        )

    def __str__(self) -> str:
        quote = self.quote if len(self.quote) <= 60 else self.quote[:59] + "…"
        return f"“{quote}”"

    def natural_key(self) -> tuple[str]:
        return (str(self.uid),)

    @property
    def speaker_label(self) -> str:
        return self.speaker.name if self.speaker_id else self.speaker_description

    def clean(self) -> None:
        if self.article_id:
            check_anchor(body=self.article.body, start=self.start, end=self.end, exact=self.quote)


class Annotation(models.Model):
    """An editor's note on a passage: a W3C Web Annotation with TextQuote + TextPosition."""

    class Motivation(models.TextChoices):
        ASSESSING = "assessing", "Assessing (fact-check)"
        BOOKMARKING = "bookmarking", "Bookmarking"
        CLASSIFYING = "classifying", "Classifying"
        COMMENTING = "commenting", "Commenting"
        DESCRIBING = "describing", "Describing"
        EDITING = "editing", "Editing"
        HIGHLIGHTING = "highlighting", "Highlighting"
        IDENTIFYING = "identifying", "Identifying"
        LINKING = "linking", "Linking"
        MODERATING = "moderating", "Moderating (sensitivity)"
        QUESTIONING = "questioning", "Questioning"
        REPLYING = "replying", "Replying"
        TAGGING = "tagging", "Tagging"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="annotations")
    motivation = models.CharField(max_length=20, choices=Motivation.choices)
    body = models.TextField(help_text="The note itself.")
    # TextQuoteSelector
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    # TextPositionSelector, in characters of the article body
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="annotations",
    )
    # Kept beside the account so the credit survives an account's deletion and fixtures
    # need no user rows.
    author_name = models.CharField(max_length=200, blank=True)
    is_public = models.BooleanField(default=False, help_text="Internal notes are never published.")
    # Optimistic concurrency: the services bump it on every save and refuse a save based on an
    # older one (services.claim_version), so two editors cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnnotationQuerySet.as_manager()
    history = ArchiveHistory()

    class Meta:
        ordering = ("article", "start", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(end__gt=F("start")),
                name="annotation_offsets_ordered",
            ),
            models.CheckConstraint(condition=~Q(exact=""), name="annotation_exact_not_empty"),
        )

    def __str__(self) -> str:
        return f"{self.get_motivation_display()}: {self.body[:60]}"

    def natural_key(self) -> tuple[str]:
        return (str(self.uid),)

    def clean(self) -> None:
        if self.article_id:
            check_anchor(
                body=self.article.body,
                start=self.start,
                end=self.end,
                exact=self.exact,
                prefix=self.prefix,
                suffix=self.suffix,
            )


class Collection(SlugNaturalKeyMixin, models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=100, unique=True)
    introduction = models.TextField(blank=True)
    curator = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: the services bump it on every save and refuse a save based on an
    # older one (services.claim_version), so two editors cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CollectionQuerySet.as_manager()
    history = ArchiveHistory()

    class Meta:
        ordering = ("-published_at", "title")
        permissions = (("publish_collection", "Can publish and withdraw collections"),)
        constraints = (
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="collection_published_has_timestamp",
            ),
        )

    def __str__(self) -> str:
        return self.title


class CollectionItem(models.Model):
    """One article or one testimony in a collection, at a position."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    # PROTECT: removing a curated piece must be a decision about the collection too.
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="collection_items"
    )
    testimony = models.ForeignKey(
        Testimony,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collection_items",
    )
    caption = models.TextField(blank=True)

    objects = CollectionItemQuerySet.as_manager()
    history = ArchiveHistory()

    class Meta:
        ordering = ("collection", "position")
        constraints = (
            models.CheckConstraint(
                condition=Q(article__isnull=False, testimony__isnull=True)
                | Q(article__isnull=True, testimony__isnull=False),
                name="collectionitem_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=("collection", "position"), name="collectionitem_unique_position"
            ),
        )

    def __str__(self) -> str:
        return f"{self.position}. {self.article or self.testimony}"

    def natural_key(self) -> tuple:
        return (self.position, *self.collection.natural_key())

    natural_key.dependencies = ["archive.collection"]


class Job(models.Model):
    """Long work run outside the request (on an RQ worker, or in process without Redis), with
    the progress and outcome an editor reads in the admin."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Batch import"
        REBUILD_SEARCH_INDEX = "rebuild_search_index", "Rebuild the search index"
        VERIFY_FIXITY = "verify_fixity", "Verify fixity"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # Steps done out of total (files imported, captures checked); total is 0 until known.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # What the job found or did, for people and for scripts (counts, mismatches).
    result = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    # Null: started by the system (a command, a schedule).
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="archive_jobs",
    )
    # The RQ job id, when it went through the queue.
    queue_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = "background job"
        permissions = (("run_maintenance_job", "Can start maintenance jobs (index, fixity)"),)
        constraints = (
            models.CheckConstraint(
                condition=Q(kind__in=["import", "rebuild_search_index", "verify_fixity"]),
                name="job_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="job_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(total=0) | Q(done__lte=F("total")), name="job_done_within_total"
            ),
        )
        indexes = (models.Index(fields=("status", "-created_at"), name="job_status_created"),)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display().lower()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class JobFile(models.Model):
    """One capture of a batch import: its bytes, kept until a worker (on any machine) imports
    them, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CREATED = "created", "Created"
        WOULD_CREATE = "would_create", "Would be created (dry run)"
        ALREADY_IMPORTED = "already_imported", "Already imported"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=500)
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # The importer's reason code when refused (too_large, no_words …).
    reason = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    testimonies_proposed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("job", "position")
        verbose_name = "imported file"
        constraints = (
            models.UniqueConstraint(fields=("job", "position"), name="jobfile_unique_position"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["pending", "created", "would_create", "already_imported", "failed"]
                ),
                name="jobfile_status_valid",
            ),
        )

    def __str__(self) -> str:
        return self.name


class MentionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (found by the scanner)"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected (not this person)"


class Mention(models.Model):
    """One occurrence of a person in an article body, anchored as a testimony is:
    body[start:end] == exact, always.

    Masking reads these spans, not name strings: a mention stays linked to its person whatever
    the person is called today, and a namesake's mention is linked to the namesake. The scanner
    proposes them (`archive.services.mentions_rescan`); an editor confirms or rejects them.
    Rejected mentions are kept so that a rescan does not propose the same span again.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="mentions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="mentions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    exact = models.CharField(max_length=300)
    status = models.CharField(
        max_length=20, choices=MentionStatus.choices, default=MentionStatus.PROPOSED
    )
    # Null for the scanner (the system actor) and for mentions whose author was deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mentions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MentionQuerySet.as_manager()
    history = ArchiveHistory()

    class Meta:
        ordering = ("article", "start", "person")
        permissions = (("confirm_mention", "Can confirm and reject mentions of people"),)
        constraints = (
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(end__gt=F("start")), name="mention_offsets_ordered"
            ),
            models.CheckConstraint(condition=~Q(exact=""), name="mention_exact_not_empty"),
            models.UniqueConstraint(
                fields=("article", "person", "start", "end"), name="mention_unique_span"
            ),
        )
        indexes = (models.Index(fields=("person", "status"), name="mention_person_status"),)

    def __str__(self) -> str:
        return f"{self.exact} → {self.person.name} ({self.status})"

    def clean(self) -> None:
        if self.article_id:
            check_anchor(body=self.article.body, start=self.start, end=self.end, exact=self.exact)


class SeedRow(models.Model):
    """A row that `bootstrap` loaded from the seed archive, by its natural key in the seed.

    The ledger makes a seed row load once in the archive's life: the next deploy neither
    overwrites an editor's edit of it nor brings it back after an editor deleted it or renamed
    its slug (its natural key).
    """

    model = models.CharField(max_length=100, help_text='Model label, e.g. "archive.article".')
    natural_key = models.CharField(max_length=500, help_text="The seed's natural key, as JSON.")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("model", "natural_key")
        constraints = (
            models.UniqueConstraint(fields=("model", "natural_key"), name="seedrow_unique_key"),
        )

    def __str__(self) -> str:
        return f"{self.model} {self.natural_key}"

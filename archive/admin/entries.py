"""Testimonies, annotations, people, places, sources, tags and the small tables around them."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from archive import selectors, services
from archive.admin.articles import add_tag_action
from archive.admin.base import (
    WITHHELD_LABEL,
    ArchiveAdminMixin,
    NeedToKnowAdminMixin,
    RegionListFilter,
    TagListFilter,
    ThemeListFilter,
    call_service,
    changed_values,
    run_bulk,
    titled,
    withheld_person_q,
    withholds_identities,
)
from archive.forms import ConfirmTestimoniesForm, VersionedForm
from archive.models import (
    Annotation,
    ConsentRecord,
    Credit,
    Mention,
    Person,
    PersonName,
    Place,
    PlaceFact,
    PlaceName,
    Source,
    Tag,
    Testimony,
    TestimonyStatus,
)
from archive.permissions import can_see_protected_identities
from archive.querysets import TestimonyQuerySet
from archive.search.admin import ADMIN_SEARCH_LIMIT, FullTextSearchMixin
from archive.search.engine import search_ids
from archive.search.query import SearchQueryError


def short(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# --- Testimonies ---------------------------------------------------------------------------------

TESTIMONY_EDITABLE = (
    "speaker",
    "speaker_description",
    "speaker_age",
    "place",
    "context",
    "language",
    "translation_note",
    "visibility",
    "protection_reason",
)


class ProtectionDecisionFilter(admin.SimpleListFilter):
    title = "protection decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return (("waiting", "Awaiting a decision"), ("decided", "Decided"))

    def queryset(self, request, queryset):
        waiting = Q(protection_decided_at__isnull=True) | Q(status=TestimonyStatus.PROPOSED)
        if self.value() == "waiting":
            return queryset.filter(waiting)
        if self.value() == "decided":
            return queryset.exclude(waiting)
        return queryset


class SpeakerListFilter(admin.SimpleListFilter):
    """Testimonies of one speaker, reached from the person's page or row.

    Listing every person as a filter choice would render tens of thousands of links on each
    page load; the filter shows only the speaker chosen, so it can be cleared.
    """

    title = "speaker"
    parameter_name = "speaker"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return ()
        person = Person.objects.filter(pk=value).only("name", "role").first()
        if person is None:
            return ()
        if withholds_identities(request) and (
            Person.objects.filter(pk=person.pk).filter(withheld_person_q()).exists()
        ):
            return ((value, WITHHELD_LABEL),)
        return ((value, str(person)),)

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(speaker_id=int(value))


@admin.register(Testimony)
class TestimonyAdmin(
    NeedToKnowAdminMixin, FullTextSearchMixin, ArchiveAdminMixin, SimpleHistoryAdmin
):
    list_display = (
        "quote_excerpt",
        "speaker_column",
        "article",
        "place",
        "visibility",
        "status",
        "protection_decided_at",
    )
    list_select_related = ("speaker", "article", "place")
    list_filter = (
        "status",
        ProtectionDecisionFilter,
        "visibility",
        ("speaker__kind", titled("speaker kind")),
        ("speaker__protection_level", titled("speaker protection")),
        SpeakerListFilter,
        "place",
        ("tags", TagListFilter),
    )
    # Quotes, speaker names and their variants, places under any of their names go to the
    # search engine (FullTextSearchMixin); unnamed speakers are found by their description.
    search_fields = ("speaker_description",)
    autocomplete_fields = ("speaker", "place", "tags")
    actions = ("confirm_selected", "add_tag")
    form = VersionedForm
    fieldsets = (
        (None, {"fields": ("article", "passage", ("start", "end"), "base_version")}),
        (
            "Speaker",
            {"fields": ("speaker", "speaker_description", "speaker_age", "place", "tags")},
        ),
        ("Context", {"fields": ("context", "language", "translation_note")}),
        (
            "Protection and status",
            {
                "fields": (
                    "visibility",
                    "protection_reason",
                    ("status", "protection_decided_at"),
                )
            },
        ),
    )

    @admin.display(description="Quote", ordering="quote")
    def quote_excerpt(self, obj: Testimony) -> str:
        return short(obj.quote)

    def withheld_q(self) -> Q:
        return ~TestimonyQuerySet.identified_q()

    @admin.display(description="Speaker")
    def speaker_column(self, obj: Testimony) -> str:
        if getattr(obj, "identity_withheld", False) and obj.speaker_label:
            return WITHHELD_LABEL
        return obj.speaker_label

    @admin.display(description="Speaker")
    def withheld_speaker(self, obj: Testimony) -> str:
        return WITHHELD_LABEL

    @admin.display(description="Context")
    def withheld_context(self, obj: Testimony) -> str:
        return WITHHELD_LABEL if obj.context else ""

    @admin.display(description="Article")
    def masked_article(self, obj: Testimony) -> str:
        return selectors.Redactor(active=True).text(obj.article.headline, article_id=obj.article_id)

    @admin.display(description="Passage in the article")
    def masked_passage(self, obj: Testimony) -> str:
        quote = selectors.Redactor(active=True).text(obj.quote, article_id=obj.article_id)
        url = reverse("admin:archive_article_change", args=(obj.article_id,))
        return format_html('<q>{}</q> — <a href="{}">open the article’s text</a>', quote, url)

    def get_list_display(self, request):
        if not withholds_identities(request):
            return super().get_list_display(request)
        redactor = selectors.Redactor(active=True)

        # Bound to this request's redactor: the ModelAdmin is shared between requests.
        @admin.display(description="Quote")
        def quote(obj: Testimony) -> str:
            return short(redactor.text(obj.quote, article_id=obj.article_id) or "")

        @admin.display(description="Article")
        def article(obj: Testimony) -> str:
            return redactor.text(obj.article.headline, article_id=obj.article_id) or ""

        columns = {"quote_excerpt": quote, "article": article}
        return tuple(columns.get(f, f) for f in super().get_list_display(request))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not withholds_identities(request):
            return fieldsets
        # Headlines and quotes can name someone: read as this reader may.
        masked = {None: ("masked_article", "masked_passage", ("start", "end"))}
        if self.identity_withheld(request, obj):
            # Who spoke, their age and description, and the context that could tell who.
            masked |= {
                "Speaker": ("withheld_speaker", "place", "tags"),
                "Context": ("withheld_context", "language", "translation_note"),
            }
        return tuple(
            (name, {**options, "fields": masked.get(name, options["fields"])})
            for name, options in fieldsets
        )

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if withholds_identities(request) and search_term.strip():
            # The description field search would confirm a withheld speaker's description;
            # the full-text search already answers for this reader.
            try:
                ids = search_ids(self.model, search_term, request.user, limit=ADMIN_SEARCH_LIMIT)
            except SearchQueryError:
                ids = []
            results = results.exclude(self.withheld_q() & ~Q(pk__in=ids))
        return results, duplicates

    @admin.display(description="Passage in the article")
    def passage(self, obj: Testimony) -> str:
        url = reverse("admin:archive_article_change", args=(obj.article_id,))
        return format_html('<q>{}</q> — <a href="{}">open the article’s text</a>', obj.quote, url)

    def get_readonly_fields(self, request, obj=None):
        fixed = ("article", "passage", "start", "end", "status", "protection_decided_at")
        if withholds_identities(request):
            fixed = (*fixed, "masked_article", "masked_passage")
        if self.identity_withheld(request, obj):
            fixed = (*fixed, "withheld_speaker", "withheld_context")
        if not request.user.has_perm("archive.confirm_testimony"):
            # Protection is an editor's decision (testimony_update refuses it otherwise).
            return (*fixed, "visibility", "protection_reason")
        return fixed

    def has_add_permission(self, request):
        # A testimony is recorded from a selection in its article's text (annotation tool).
        return False

    # A testimony of a published article is published material: editors only (as the
    # services say); a contributor sees it read-only.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and article_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and article_editable(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        testimony = self.get_object(request, object_id)
        waiting = testimony is not None and (
            testimony.status == TestimonyStatus.PROPOSED or testimony.protection_decided_at is None
        )
        if waiting and self.has_confirm_permission(request):
            extra_context["confirm_url"] = (
                f"{reverse('admin:archive_testimony_confirm')}?ids={testimony.pk}"
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_confirm_permission(self, request):
        return request.user.has_perm("archive.confirm_testimony")

    def save_model(self, request, obj, form, change):
        stored = Testimony.objects.select_related("article", "speaker").get(pk=obj.pk)
        values = changed_values(stored, form.cleaned_data, TESTIMONY_EDITABLE)
        if values:
            call_service(
                services.testimony_update,
                testimony=stored,
                by=request.user,
                expected_version=form.cleaned_data.get("base_version"),
                **values,
            )

    def delete_model(self, request, obj):
        call_service(services.testimony_delete, testimony=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for testimony in queryset:
            call_service(services.testimony_delete, testimony=testimony, by=request.user)

    def get_urls(self):
        return [
            path(
                "confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="archive_testimony_confirm",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Confirm selected testimonies", permissions=("confirm",))
    def confirm_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True)[:500])
        return HttpResponseRedirect(f"{reverse('admin:archive_testimony_confirm')}?ids={ids}")

    @admin.action(description="Add a tag to selected testimonies", permissions=("change",))
    def add_tag(self, request, queryset):
        return add_tag_action(
            self,
            request,
            queryset,
            lambda testimony, tag: services.testimony_add_tags(
                testimony=testimony, tags=[tag], by=request.user
            ),
        )

    def confirm_view(self, request):
        """Confirm testimonies; each protected speaker needs its own explicit tick."""
        if not self.has_confirm_permission(request):
            raise PermissionDenied
        raw_ids = request.GET.get("ids", "")
        ids = [int(part) for part in raw_ids.split(",") if part.strip().isdigit()]
        testimonies = list(
            Testimony.objects.filter(pk__in=ids).select_related("speaker", "article")
        )
        protected = [t for t in testimonies if services.testimony_needs_protection_confirmation(t)]
        if request.method == "POST":
            form = ConfirmTestimoniesForm(request.POST, protected=protected)
            if form.is_valid():
                ticked = form.confirmed_ids()
                run_bulk(
                    self,
                    request,
                    testimonies,
                    lambda t: services.testimony_confirm(
                        testimony=t, by=request.user, protection_confirmed=t.pk in ticked
                    ),
                    done="confirmed",
                )
                return HttpResponseRedirect(reverse("admin:archive_testimony_changelist"))
        else:
            form = ConfirmTestimoniesForm(protected=protected)
        context = {
            **self.admin_site.each_context(request),
            "title": "Confirm testimonies",
            "opts": self.opts,
            "form": form,
            "testimonies": testimonies,
            "protected": protected,
        }
        return TemplateResponse(request, "admin/archive/testimony/confirm.html", context)


# --- Annotations ---------------------------------------------------------------------------------


@admin.register(Annotation)
class AnnotationAdmin(ArchiveAdminMixin, SimpleHistoryAdmin):
    list_display = ("note", "motivation", "article", "passage", "is_public", "author_name")
    list_select_related = ("article",)
    list_filter = ("motivation", "is_public")
    search_fields = ("exact", "body", "author_name", "article__headline")
    form = VersionedForm
    fields = (
        "base_version",
        "article",
        "exact",
        ("start", "end"),
        ("prefix", "suffix"),
        "motivation",
        "body",
        "is_public",
        ("author_name", "created_at", "updated_at"),
    )
    readonly_fields = (
        "article",
        "exact",
        "start",
        "end",
        "prefix",
        "suffix",
        "author_name",
        "created_at",
        "updated_at",
    )

    @admin.display(description="Note")
    def note(self, obj: Annotation) -> str:
        return short(obj.body, 60)

    @admin.display(description="Passage")
    def passage(self, obj: Annotation) -> str:
        return short(obj.exact, 60)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and article_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and article_editable(request, obj)

    def save_model(self, request, obj, form, change):
        stored = Annotation.objects.get(pk=obj.pk)
        values = changed_values(stored, form.cleaned_data, services.EDITABLE_ANNOTATION_FIELDS)
        if values:
            call_service(
                services.annotation_update,
                annotation=stored,
                by=request.user,
                expected_version=form.cleaned_data.get("base_version"),
                **values,
            )

    def delete_model(self, request, obj):
        call_service(services.annotation_delete, annotation=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for annotation in queryset:
            call_service(services.annotation_delete, annotation=annotation, by=request.user)


# --- People --------------------------------------------------------------------------------------


def article_editable(request, obj) -> bool:
    """Whether the user may edit `obj`'s article now (any object with an `article`)."""
    return obj is None or services.article_may_edit(article=obj.article, by=request.user)


def person_editable(request, person: Person | None) -> bool:
    return person is None or services.person_may_edit(person=person, by=request.user)


class PersonNameInline(admin.TabularInline):
    model = PersonName
    extra = 1

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and person_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and person_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and person_editable(request, obj)


class NeedToKnowMixin:
    """Only readers with the need-to-know (`can_see_protected_identities`) see these at all."""

    def has_view_permission(self, request, obj=None):
        return can_see_protected_identities(request.user) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request, *args):
        return can_see_protected_identities(request.user) and super().has_add_permission(
            request, *args
        )

    def has_module_permission(self, request):
        return can_see_protected_identities(request.user) and super().has_module_permission(request)

    # Consent records are a log: a correction is a new record, never an edit or a deletion.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


CONSENT_FIELDS = (
    "status",
    "method",
    ("covers_quote", "covers_name", "covers_age", "covers_image"),
    "risk_note",
    "review_by",
    ("recorded_by", "recorded_at"),
)


class ConsentRecordInline(NeedToKnowMixin, admin.TabularInline):
    """The person's consent log, newest first; new records are added on their own page, so
    that the service applies what a withdrawal entails."""

    model = ConsentRecord
    extra = 0
    fields = ("status", "method", "scope", "risk_note", "review_by", "recorded_by", "recorded_at")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description="Scope")
    def scope(self, obj: ConsentRecord) -> str:
        return ", ".join(obj.scope) or "—"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(NeedToKnowMixin, ArchiveAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "person",
        "status",
        "method",
        "scope",
        "review_by",
        "recorded_by",
        "recorded_at",
    )
    list_select_related = ("person", "recorded_by")
    list_filter = ("status", "method", "review_by")
    search_fields = ("person__name", "person__name_variants__name", "risk_note")
    autocomplete_fields = ("person",)
    fields = ("person", *CONSENT_FIELDS)
    readonly_fields = ("recorded_by", "recorded_at")
    date_hierarchy = "recorded_at"

    @admin.display(description="Scope")
    def scope(self, obj: ConsentRecord) -> str:
        return ", ".join(obj.scope) or "—"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        record = call_service(
            services.person_record_consent,
            person=data["person"],
            status=data["status"],
            method=data["method"],
            scope=[name for name, field in ConsentRecord.SCOPE_FIELDS.items() if data[field]],
            risk_note=data["risk_note"],
            review_by=data["review_by"],
            by=request.user,
        )
        # The admin goes on with `obj` (its log entry, its redirect): make it the saved record.
        obj.pk, obj.recorded_at, obj.recorded_by = record.pk, record.recorded_at, record.recorded_by


@admin.register(Person)
class PersonAdmin(NeedToKnowAdminMixin, ArchiveAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "name_column",
        "role_column",
        "kind",
        "protection_level",
        "testimonies_link",
        "updated_at",
    )
    list_filter = ("kind", "protection_level")
    search_fields = ("name", "name_variants__name", "role", "=slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (PersonNameInline, ConsentRecordInline)
    form = VersionedForm
    # What a protected person's page shows to staff without the need-to-know.
    withheld_fields = ("withheld_identity", "kind", "protection_level")

    def withheld_q(self) -> Q:
        return withheld_person_q()

    @admin.display(description="Name")
    def name_column(self, obj: Person) -> str:
        return WITHHELD_LABEL if getattr(obj, "identity_withheld", False) else obj.name

    @admin.display(description="Role")
    def role_column(self, obj: Person) -> str:
        # A role ("drone unit commander in Toretsk") can name someone as surely as a name.
        return "" if getattr(obj, "identity_withheld", False) else obj.role

    @admin.display(description="Identity")
    def withheld_identity(self, obj: Person) -> str:
        return WITHHELD_LABEL

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        stored = Person.objects.get(pk=obj.pk)
        values = changed_values(stored, form.cleaned_data, services.EDITABLE_PERSON_FIELDS)
        if values:
            saved = call_service(
                services.person_update,
                person=stored,
                by=request.user,
                expected_version=form.cleaned_data.get("base_version"),
                **values,
            )
            for field in saved._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))
        return None

    @admin.display(description="Testimonies")
    def testimonies_link(self, obj: Person) -> str:
        url = reverse("admin:archive_testimony_changelist")
        return format_html('<a href="{}?speaker={}">their testimonies</a>', url, obj.pk)

    def get_ordering(self, request):
        # Alphabetical order would tell where a withheld name sorts.
        return ("pk",) if withholds_identities(request) else super().get_ordering(request)

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if withholds_identities(request) and (search_term or "autocomplete" in request.path):
            # Finding a protected person by a name would confirm the name; an autocomplete
            # shows each person's name (str), so it never offers them either.
            queryset = queryset.exclude(withheld_person_q())
        return queryset, duplicates

    def has_change_permission(self, request, obj=None):
        if self.identity_withheld(request, obj):
            return False
        return super().has_change_permission(request, obj) and person_editable(request, obj)

    def get_fields(self, request, obj=None):
        if self.identity_withheld(request, obj):
            return self.withheld_fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if self.identity_withheld(request, obj):
            return self.withheld_fields
        # Deciding who is protected is an editor's call; a contributor records people as found.
        if obj is not None and not request.user.has_perm("archive.confirm_testimony"):
            return ("protection_level", "protection_reason")
        return ()

    def get_prepopulated_fields(self, request, obj=None):
        return (
            {}
            if self.identity_withheld(request, obj)
            else super().get_prepopulated_fields(request, obj)
        )

    def get_inline_instances(self, request, obj=None):
        if self.identity_withheld(request, obj):
            return []
        return super().get_inline_instances(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Variants added in the same form count too: rescan once they are saved (a rename's
        # old spelling was kept by services.person_update).
        services.person_saved(person=form.instance, old_name=None)


# --- Mentions ------------------------------------------------------------------------------------


@admin.register(Mention)
class MentionAdmin(ArchiveAdminMixin, SimpleHistoryAdmin):
    """Where the scanner found people in article bodies: editors confirm or reject."""

    list_display = ("exact", "person", "article", "start", "end", "status", "created_by")
    list_select_related = ("person", "article", "created_by")
    list_filter = ("status", "person__protection_level")
    search_fields = ("exact", "person__name", "=article__slug")
    autocomplete_fields = ("person", "article")
    fields = ("article", "person", "exact", "start", "end", "status", "created_by")
    readonly_fields = ("article", "person", "exact", "start", "end", "created_by")
    actions = ("confirm_selected", "reject_selected")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if withholds_identities(request):
            # A mention names its person: those of people withheld from this reader stay out of
            # their lists, searches and pages (a 404, as for any object they may not see).
            queryset = queryset.exclude(withheld_person_q("person__"))
        return queryset

    def has_add_permission(self, request):
        return False  # found by the scanner or marked in the annotation tool

    def get_readonly_fields(self, request, obj=None):
        if not self.has_confirm_permission(request):
            return self.fields
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        stored = Mention.objects.select_related("article").get(pk=obj.pk)
        if form.cleaned_data.get("status", stored.status) != stored.status:
            call_service(
                services.mention_decide,
                mention=stored,
                status=form.cleaned_data["status"],
                by=request.user,
            )

    def has_confirm_permission(self, request):
        return request.user.has_perm("archive.confirm_mention")

    @admin.action(description="Confirm: the span names this person", permissions=("confirm",))
    def confirm_selected(self, request, queryset):
        run_bulk(
            self,
            request,
            queryset.select_related("article"),
            lambda mention: services.mention_confirm(mention=mention, by=request.user),
            done="confirmed",
        )

    @admin.action(description="Reject: the span names someone else", permissions=("confirm",))
    def reject_selected(self, request, queryset):
        run_bulk(
            self,
            request,
            queryset.select_related("article"),
            lambda mention: services.mention_reject(mention=mention, by=request.user),
            done="rejected",
        )


@admin.register(PersonName)
class PersonNameAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    list_display = ("name", "person", "note")
    list_select_related = ("person",)
    search_fields = ("name", "person__name")
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if withholds_identities(request):
            # Another spelling of a protected person's name is their name.
            queryset = queryset.exclude(withheld_person_q("person__"))
        return queryset

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and person_editable(
            request, obj.person if obj else None
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and person_editable(
            request, obj.person if obj else None
        )

    def save_model(self, request, obj, form, change):
        # A new variant of a published person's name is an edit of published material too.
        if not person_editable(request, obj.person):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


# --- Places --------------------------------------------------------------------------------------


class PlaceNameInline(admin.TabularInline):
    model = PlaceName
    extra = 1


class PlaceFactInline(admin.TabularInline):
    model = PlaceFact
    extra = 0


@admin.register(Place)
class PlaceAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "latitude", "longitude")
    list_select_related = ("parent",)
    list_filter = ("kind", ("parent", RegionListFilter))
    search_fields = ("name", "variants__name", "=slug")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (PlaceNameInline, PlaceFactInline)


@admin.register(PlaceName)
class PlaceNameAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    list_display = ("name", "place", "language", "kind")
    list_select_related = ("place",)
    list_filter = ("kind", "language")
    search_fields = ("name", "place__name")
    autocomplete_fields = ("place",)


@admin.register(PlaceFact)
class PlaceFactAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    list_display = ("place", "kind", "value", "as_of", "source_note")
    list_select_related = ("place",)
    list_filter = ("kind",)
    search_fields = ("place__name", "value")
    autocomplete_fields = ("place",)


# --- Sources, tags, credits ----------------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "country", "language", "website")
    list_filter = ("kind", "country", "language")
    search_fields = ("name", "=slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Tag)
class TagAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    list_display = ("name", "parent", "slug")
    list_select_related = ("parent",)
    list_filter = (("parent", ThemeListFilter),)
    search_fields = ("name", "parent__name", "=slug")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        # Labels read "Theme › term" (autocomplete too): fetch the theme with the term.
        return super().get_queryset(request).select_related("parent")


@admin.register(Credit)
class CreditAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    list_display = ("name", "role", "article", "position")
    list_select_related = ("article",)
    list_filter = ("role",)
    search_fields = ("name", "article__headline")
    autocomplete_fields = ("article",)

    # Credits are printed with the article: published ones are an editor's to change.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and article_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and article_editable(request, obj)

    def save_model(self, request, obj, form, change):
        if not article_editable(request, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

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

from archive import services
from archive.admin.articles import add_tag_action
from archive.admin.base import (
    ArchiveAdminMixin,
    RegionListFilter,
    TagListFilter,
    ThemeListFilter,
    call_service,
    changed_values,
    run_bulk,
    titled,
)
from archive.forms import ConfirmTestimoniesForm
from archive.models import (
    Annotation,
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
from archive.search.admin import FullTextSearchMixin


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
        return ((value, str(person)),) if person else ()

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(speaker_id=int(value))


@admin.register(Testimony)
class TestimonyAdmin(FullTextSearchMixin, ArchiveAdminMixin, SimpleHistoryAdmin):
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
    fieldsets = (
        (None, {"fields": ("article", "passage", ("start", "end"))}),
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

    @admin.display(description="Speaker", ordering="speaker__name")
    def speaker_column(self, obj: Testimony) -> str:
        return obj.speaker_label

    @admin.display(description="Passage in the article")
    def passage(self, obj: Testimony) -> str:
        url = reverse("admin:archive_article_change", args=(obj.article_id,))
        return format_html('<q>{}</q> — <a href="{}">open the article’s text</a>', obj.quote, url)

    def get_readonly_fields(self, request, obj=None):
        fixed = ("article", "passage", "start", "end", "status", "protection_decided_at")
        if not request.user.has_perm("archive.confirm_testimony"):
            # Protection is an editor's decision (testimony_update refuses it otherwise).
            return (*fixed, "visibility", "protection_reason")
        return fixed

    def has_add_permission(self, request):
        # A testimony is recorded from a selection in its article's text (annotation tool).
        return False

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
            call_service(services.testimony_update, testimony=stored, by=request.user, **values)

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
    fields = (
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

    def save_model(self, request, obj, form, change):
        stored = Annotation.objects.get(pk=obj.pk)
        values = changed_values(stored, form.cleaned_data, services.EDITABLE_ANNOTATION_FIELDS)
        if values:
            call_service(services.annotation_update, annotation=stored, by=request.user, **values)

    def delete_model(self, request, obj):
        call_service(services.annotation_delete, annotation=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for annotation in queryset:
            call_service(services.annotation_delete, annotation=annotation, by=request.user)


# --- People --------------------------------------------------------------------------------------


class PersonNameInline(admin.TabularInline):
    model = PersonName
    extra = 1


@admin.register(Person)
class PersonAdmin(ArchiveAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "role", "kind", "protection_level", "testimonies_link", "updated_at")
    list_filter = ("kind", "protection_level")
    search_fields = ("name", "name_variants__name", "role", "=slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (PersonNameInline,)

    @admin.display(description="Testimonies")
    def testimonies_link(self, obj: Person) -> str:
        url = reverse("admin:archive_testimony_changelist")
        return format_html('<a href="{}?speaker={}">their testimonies</a>', url, obj.pk)

    def get_readonly_fields(self, request, obj=None):
        # Deciding who is protected is an editor's call; a contributor records people as found.
        if obj is not None and not request.user.has_perm("archive.confirm_testimony"):
            return ("protection_level", "protection_reason")
        return ()

    def save_model(self, request, obj, form, change):
        # The form writes the row; a rename's old spelling is kept (after the variants
        # formset is saved, see save_related) and every article rescanned.
        request._person_old_name = (
            Person.objects.filter(pk=obj.pk).values_list("name", flat=True).first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.person_saved(
            person=form.instance, old_name=getattr(request, "_person_old_name", None)
        )


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

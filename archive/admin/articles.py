"""Articles: the change page with its annotation tool, inlines, workflow buttons and actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from archive import selectors, services
from archive.admin.base import (
    WITHHELD_LABEL,
    ArchiveAdminMixin,
    CheckboxLabelMixin,
    Masked,
    TagListFilter,
    call_service,
    changed_values,
    error_messages,
    identity_withheld_column,
    mask_action_checkboxes,
    run_bulk,
    withheld_person_q,
    withholds_identities,
)
from archive.forms import (
    AddTagForm,
    AnchoredInlineForm,
    AnnotateForm,
    ArticleAdminForm,
    RecordTestimonyForm,
)
from archive.history import one_record_per_action
from archive.models import (
    Annotation,
    Article,
    Credit,
    Source,
    Status,
    Testimony,
    TestimonyStatus,
)
from archive.querysets import TestimonyQuerySet
from archive.search.admin import FullTextSearchMixin


def may_edit(request, article: Article | None) -> bool:
    return article is None or services.article_may_edit(article=article, by=request.user)


def reader_redactor(request) -> selectors.Redactor | None:
    """The redactor for a reader without the need-to-know (None for one with it), one per
    request: the names it loads per article are reused by every row and field."""
    if not withholds_identities(request):
        return None
    if not hasattr(request, "_archive_redactor"):
        request._archive_redactor = selectors.Redactor(active=True)
    return request._archive_redactor


def masked_article(request, article: Article | None) -> Article | None:
    """`article` with `masked_body`, `masked_headline`… as this reader may read them, or None
    when nothing in it is withheld from them (then it is shown and edited as usual)."""
    redactor = reader_redactor(request)
    if redactor is None or article is None:
        return None
    if not hasattr(article, "masked_body"):
        selectors.with_withheld_passages(article, user=request.user)
        article.masked_body = redactor.body(article)
        for field in ("headline", "standfirst", "slug", "raw_text"):
            value = getattr(article, field)
            setattr(article, f"masked_{field}", redactor.text(value, article_id=article.pk))
        article.identity_withheld = any(
            getattr(article, f"masked_{field}") != getattr(article, field)
            for field in ("body", "headline", "standfirst", "slug", "raw_text")
        )
    return article if article.identity_withheld else None


class ArticleChildInline(admin.TabularInline):
    """Rows anchored in the article: edited here, created from a selection in the text."""

    form = AnchoredInlineForm
    extra = 0
    show_change_link = True
    # Collapsed: the annotation tool above shows them in the text; a long list of rows would
    # make the page thousands of pixels long.
    classes = ("collapse",)

    def has_add_permission(self, request, obj=None):
        # A new anchor needs a selection: the annotation tool above the form makes it.
        return False

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and may_edit(request, obj)


class TestimonyInline(ArticleChildInline):
    model = Testimony
    fields = (
        "quote",
        "start",
        "end",
        "speaker",
        "speaker_description",
        "speaker_age",
        "visibility",
        "status",
        "base_version",
    )
    # The speaker is changed on the testimony's own page: an autocomplete widget per row would
    # cost a query per testimony on every article page.
    readonly_fields = ("quote", "start", "end", "speaker", "visibility", "status")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("speaker")
        if withholds_identities(request):
            queryset = queryset.annotate(
                identity_withheld=identity_withheld_column(~TestimonyQuerySet.identified_q())
            )
        return queryset

    # Staff without the need-to-know read who spoke, and how old they were, only where the
    # public may: elsewhere the columns are masked and read-only.
    def get_fields(self, request, obj=None):
        if withholds_identities(request):
            return ("quote", "start", "end", "speaker_shown", "age_shown", "visibility", "status")
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if withholds_identities(request):
            return (*self.readonly_fields, "speaker_shown", "age_shown")
        return super().get_readonly_fields(request, obj)

    @admin.display(description="Speaker")
    def speaker_shown(self, obj: Testimony) -> str:
        if getattr(obj, "identity_withheld", True) and obj.speaker_label:
            return WITHHELD_LABEL
        return obj.speaker_label

    @admin.display(description="Speaker age")
    def age_shown(self, obj: Testimony):
        withheld = getattr(obj, "identity_withheld", True)
        return "" if withheld or obj.speaker_age is None else obj.speaker_age


class AnnotationInline(ArticleChildInline):
    model = Annotation
    fields = (
        "exact",
        "start",
        "end",
        "motivation",
        "body",
        "is_public",
        "author_name",
        "base_version",
    )
    readonly_fields = ("exact", "start", "end", "author_name")

    def get_fields(self, request, obj=None):
        if masked_article(request, obj) is not None:
            return ("exact_shown", *self.fields[1:])
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if masked_article(request, obj) is not None:
            return (*self.readonly_fields, "exact_shown")
        return super().get_readonly_fields(request, obj)

    @admin.display(description="Exact")
    def exact_shown(self, obj: Annotation) -> str:
        redactor = selectors.Redactor(active=True)
        return redactor.text(obj.exact, article_id=obj.article_id) or ""


class CreditInline(admin.TabularInline):
    model = Credit
    extra = 0
    fields = ("position", "name", "role")

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and may_edit(request, obj)


class LanguageListFilter(admin.SimpleListFilter):
    """Languages offered are those of the sources: a DISTINCT over a million articles would
    scan them all on every page load."""

    title = "language"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        languages = set(
            Source.objects.exclude(language="").values_list("language", flat=True).distinct()
        )
        if self.value():
            languages.add(self.value())
        return [(code, code) for code in sorted(languages)]

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


ARTICLE_TEXT_FIELDS = ("headline", "slug", "source", "attribution_note", "language", "standfirst")
ARTICLE_DATE_FIELDS = (
    ("published_on", "date_precision", "date_inferred"),
    "original_url",
    "dateline_place",
)


# For staff without the need-to-know, in an article that names someone protected: the texts
# shown masked and read-only in place of the fields.
MASKED_ARTICLE_FIELDS = {
    "headline": "masked_headline",
    "slug": "masked_slug",
    "standfirst": "masked_standfirst",
    "body": "masked_body",
}


@admin.register(Article)
class ArticleAdmin(CheckboxLabelMixin, FullTextSearchMixin, ArchiveAdminMixin, SimpleHistoryAdmin):
    form = ArticleAdminForm
    change_form_template = "admin/archive/article/change_form.html"
    list_display = (
        "headline",
        "source",
        "status",
        "published_on",
        "language",
        "dateline_place",
        "updated_at",
    )
    list_select_related = ("source", "dateline_place")
    list_filter = (
        "status",
        "source",
        "places",
        ("tags", TagListFilter),
        LanguageListFilter,
        "published_on",
        "date_inferred",
    )
    # What editors type (words of a headline or body, a place under any of its names) goes to
    # the search engine (FullTextSearchMixin); an exact slug is matched here too.
    search_fields = ("=slug",)
    autocomplete_fields = ("source", "dateline_place", "places", "tags")
    prepopulated_fields = {"slug": ("headline",)}
    inlines = (TestimonyInline, AnnotationInline, CreditInline)
    actions = ("submit_selected", "publish_selected", "withdraw_selected", "add_tag")

    # --- form layout -------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (None, {"fields": ARTICLE_TEXT_FIELDS}),
                ("Date and origin", {"fields": ARTICLE_DATE_FIELDS}),
                (
                    "Text",
                    {
                        "fields": ("raw_text", "captured_at", "body"),
                        "description": "Paste the capture exactly as received: it is kept "
                        "unchanged, with its SHA-256. The body is the cleaned text.",
                    },
                ),
                ("Classification", {"fields": ("places", "tags")}),
            )
        masked = MASKED_ARTICLE_FIELDS if masked_article(request, obj) is not None else {}
        return (
            ("Workflow", {"fields": (("status", "published_at"), "base_version")}),
            (None, {"fields": tuple(masked.get(f, f) for f in ARTICLE_TEXT_FIELDS)}),
            ("Date and origin", {"fields": ARTICLE_DATE_FIELDS}),
            (
                "Text",
                {
                    "fields": (
                        (masked.get("body", "body"), "raw_capture"),
                        ("raw_sha256", "captured_at"),
                    ),
                    "description": "The cleaned body (offsets point here) beside the raw "
                    "capture, which never changes.",
                },
            ),
            ("Classification", {"fields": ("places", "tags")}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ("status", "published_at", "raw_capture", "raw_sha256", "captured_at")
        if masked_article(request, obj) is not None:
            return (*fixed, *MASKED_ARTICLE_FIELDS.values())
        return fixed

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        redactor = reader_redactor(request)
        if redactor is not None:
            mask_action_checkboxes(
                self, changelist, lambda obj: redactor.text(obj.headline, article_id=obj.pk)
            )
        return changelist

    def get_prepopulated_fields(self, request, obj=None):
        if masked_article(request, obj) is not None:
            return {}
        return super().get_prepopulated_fields(request, obj)

    def get_list_display(self, request):
        redactor = reader_redactor(request)
        if redactor is None:
            return super().get_list_display(request)

        # Staff without the need-to-know read headlines with withheld names masked (bound to
        # this request's redactor: the ModelAdmin instance is shared between requests).
        @admin.display(description="Headline")
        def headline(obj: Article) -> str:
            return redactor.text(obj.headline, article_id=obj.pk)

        return tuple(headline if f == "headline" else f for f in super().get_list_display(request))

    @admin.display(description="Headline")
    def masked_headline(self, obj: Article) -> str:
        return obj.masked_headline

    @admin.display(description="Slug")
    def masked_slug(self, obj: Article) -> str:
        return obj.masked_slug

    @admin.display(description="Standfirst")
    def masked_standfirst(self, obj: Article) -> str:
        return obj.masked_standfirst

    @admin.display(description="Body (read-only: it names someone protected)")
    def masked_body(self, obj: Article) -> str:
        return format_html('<pre class="raw-capture">{}</pre>', obj.masked_body)

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_masked(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_masked(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _refuse_masked(self, request, object_id) -> None:
        # Past versions hold the names as they were: closed to readers who would see them
        # masked today.
        if masked_article(request, self.get_object(request, unquote(object_id))) is not None:
            raise PermissionDenied

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if masked_article(request, obj) is not None:
            context["original"] = Masked(obj, obj.masked_headline)
            context["subtitle"] = obj.masked_headline
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Raw capture (read-only)")
    def raw_capture(self, obj: Article) -> str:
        raw = obj.masked_raw_text if getattr(obj, "identity_withheld", False) else obj.raw_text
        return format_html('<pre class="raw-capture">{}</pre>', raw)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source", "dateline_place")

    # --- permissions -------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_edit(request, obj)

    def has_publish_permission(self, request):
        return request.user.has_perm("archive.publish_article")

    def has_delete_permission(self, request, obj=None):
        # An article holds a raw capture: the database refuses to delete it. Take it down.
        return False

    def has_submit_permission(self, request):
        return request.user.has_perm("archive.submit_article")

    # --- saving through the services -----------------------------------------------------------

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = {
                name: data[name]
                for name in services.EDITABLE_ARTICLE_FIELDS
                if name in data and name not in ("headline", "slug", "language")
            }
            created = call_service(
                services.article_create,
                raw_text=data["raw_text"],
                headline=data["headline"],
                body=data["body"],
                language=data["language"],
                captured_at=data.get("captured_at"),
                slug=data.get("slug") or "",
                by=request.user,
                **fields,
            )
        else:
            stored = Article.objects.get(pk=obj.pk)
            values = changed_values(stored, data, services.EDITABLE_ARTICLE_FIELDS)
            body = data["body"] if data.get("body", stored.body) != stored.body else None
            if not values and body is None:
                # Nothing of the article itself changed (perhaps only its tags or inlines):
                # no save, so its history holds no empty entries.
                _adopt(obj, stored)
                return
            created = call_service(
                services.article_update,
                article=stored,
                by=request.user,
                body=body,
                expected_version=data.get("base_version"),
                **values,
            )
        _adopt(obj, created)

    def save_formset(self, request, form, formset, change):
        if formset.model is Testimony:
            self._save_children(
                request,
                formset,
                update=services.testimony_update,
                delete=services.testimony_delete,
                key="testimony",
                fields=("speaker_description", "speaker_age"),
            )
        elif formset.model is Annotation:
            self._save_children(
                request,
                formset,
                update=services.annotation_update,
                delete=services.annotation_delete,
                key="annotation",
                fields=("motivation", "body", "is_public"),
            )
        else:
            super().save_formset(request, form, formset, change)

    def _save_children(self, request, formset, *, update, delete, key, fields):
        model = formset.model
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.initial_forms:
            stored = model.objects.get(pk=form.instance.pk)
            if form in formset.deleted_forms:
                call_service(delete, **{key: stored}, by=request.user)
                formset.deleted_objects.append(stored)
                continue
            values = changed_values(stored, form.cleaned_data, fields)
            if values:
                call_service(
                    update,
                    **{key: stored},
                    by=request.user,
                    expected_version=form.cleaned_data.get("base_version"),
                    **values,
                )
                formset.changed_objects.append((stored, list(values)))

    # --- workflow buttons on the change page ---------------------------------------------------

    WORKFLOW = {
        "submit": (services.article_submit, "submitted for review"),
        "publish": (services.article_publish, "published"),
        "withdraw": (services.article_withdraw, "withdrawn"),
    }

    def response_change(self, request, obj):
        step = request.POST.get("_workflow")
        reasoned = {
            # These need a reason, typed beside the buttons: it goes into the history (or the
            # tombstone).
            "draft": (services.article_return_to_draft, "sent back to draft"),
            "take_down": (services.article_take_down, "taken down"),
        }
        if step in reasoned:
            function, done = reasoned[step]
            extra = {"reason": request.POST.get("_workflow_reason", "")}
        elif step in self.WORKFLOW:
            (function, done), extra = self.WORKFLOW[step], {}
        if step in reasoned or step in self.WORKFLOW:
            try:
                with transaction.atomic():
                    function(article=Article.objects.get(pk=obj.pk), by=request.user, **extra)
            except (ValidationError, PermissionDenied) as exc:
                for text in error_messages(exc):
                    self.message_user(request, f"Saved, but not {done}: {text}", messages.ERROR)
            else:
                self.message_user(request, f"“{obj}” {done}.", messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def workflow_steps(self, request, article: Article) -> list[tuple[str, str]]:
        user = request.user
        steps = []
        if article.status == Status.DRAFT and user.has_perm("archive.submit_article"):
            steps.append(("submit", "Save and submit for review"))
        if article.status != Status.PUBLISHED and user.has_perm("archive.publish_article"):
            steps.append(("publish", "Save and publish"))
        if article.status == Status.PUBLISHED and user.has_perm("archive.publish_article"):
            steps.append(("withdraw", "Save and withdraw"))
        if article.status != Status.DRAFT and user.has_perm("archive.publish_article"):
            steps.append(("draft", "Save and send back to draft"))
        if user.has_perm("archive.publish_article"):
            steps.append(("take_down", "Save and take down"))
        return steps

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        article = self.get_object(request, unquote(object_id))
        if article is not None:
            extra_context["annotator"] = self.annotator_context(request, article)
            if self.has_change_permission(request, article):
                steps = self.workflow_steps(request, article)
                extra_context["workflow_steps"] = steps
                extra_context["workflow_reason"] = any(
                    step in ("draft", "take_down") for step, _label in steps
                )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- bulk actions ----------------------------------------------------------------------------

    @admin.action(description="Submit selected drafts for review", permissions=("submit",))
    def submit_selected(self, request, queryset):
        run_bulk(
            self,
            request,
            queryset,
            lambda a: services.article_submit(article=a, by=request.user),
            done="submitted for review",
        )

    @admin.action(description="Publish selected articles", permissions=("publish",))
    def publish_selected(self, request, queryset):
        run_bulk(
            self,
            request,
            queryset,
            lambda a: services.article_publish(article=a, by=request.user),
            done="published",
        )

    @admin.action(description="Withdraw selected articles", permissions=("publish",))
    def withdraw_selected(self, request, queryset):
        run_bulk(
            self,
            request,
            queryset,
            lambda a: services.article_withdraw(article=a, by=request.user),
            done="withdrawn",
        )

    @admin.action(description="Add a tag to selected articles", permissions=("change",))
    def add_tag(self, request, queryset):
        return add_tag_action(
            self,
            request,
            queryset,
            lambda article, tag: services.article_add_tags(
                article=article, tags=[tag], by=request.user
            ),
        )

    # --- the annotation tool ------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/annotate/",
                self.admin_site.admin_view(self.annotate_view),
                name="{}_{}_annotate".format(*info),
            ),
            path(
                "<path:object_id>/record-testimony/",
                self.admin_site.admin_view(self.record_testimony_view),
                name="{}_{}_record_testimony".format(*info),
            ),
            *super().get_urls(),
        ]

    def annotator_context(self, request, article: Article) -> dict:
        anchors = []
        withhold = withholds_identities(request)
        testimonies = article.testimonies.select_related("speaker").annotate(
            identity_withheld=identity_withheld_column(~TestimonyQuerySet.identified_q())
        )
        for testimony in testimonies:
            speaker = testimony.speaker_label
            if withhold and testimony.identity_withheld and speaker:
                speaker = WITHHELD_LABEL
            anchors.append(
                {
                    "kind": "testimony",
                    "start": testimony.start,
                    "end": testimony.end,
                    "title": f"Testimony — {speaker} "
                    f"({testimony.get_visibility_display()}, {testimony.get_status_display()})",
                    "url": reverse("admin:archive_testimony_change", args=(testimony.pk,)),
                }
            )
        for annotation in article.annotations.all():
            anchors.append(
                {
                    "kind": "annotation",
                    "start": annotation.start,
                    "end": annotation.end,
                    "title": f"Annotation — {annotation.get_motivation_display()}: "
                    f"{annotation.body[:120]}",
                    "url": reverse("admin:archive_annotation_change", args=(annotation.pk,)),
                }
            )
        mentions = article.mentions.select_related("person")
        if withhold:
            # Who a withheld person is stays out of the tool for this reader: no highlight, no
            # title naming them, no link to a page they may not open.
            mentions = mentions.exclude(withheld_person_q("person__"))
        for mention in mentions:
            # Their own colour per decision: an editor sees at once what is still to confirm.
            anchors.append(
                {
                    "kind": f"mention-{mention.status}",
                    "start": mention.start,
                    "end": mention.end,
                    "title": f"Mention — {mention.person.name} "
                    f"({mention.person.get_protection_level_display()}, "
                    f"{mention.get_status_display()})",
                    "url": reverse("admin:archive_mention_change", args=(mention.pk,)),
                }
            )
        user = request.user
        masked = masked_article(request, article)
        # A masked text cannot be annotated: a selection would anchor on the masks.
        editable = may_edit(request, article) and masked is None
        return {
            "data": {
                "body": article.body if masked is None else masked.masked_body,
                "anchors": anchors,
                # Offered only where the views would accept the selection.
                "annotateUrl": reverse("admin:archive_article_annotate", args=(article.pk,))
                if editable and user.has_perm("archive.add_annotation")
                else None,
                "testimonyUrl": reverse(
                    "admin:archive_article_record_testimony", args=(article.pk,)
                )
                if editable and user.has_perm("archive.add_testimony")
                else None,
            },
        }

    def _article_for_tool(self, request, object_id, perm: str) -> Article:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such article.")
        if not request.user.has_perm(perm) or not may_edit(request, article):
            raise PermissionDenied
        return article

    def _selection_initial(self, request, names) -> dict:
        return {name: request.GET[name] for name in names if name in request.GET}

    def annotate_view(self, request, object_id):
        article = self._article_for_tool(request, object_id, "archive.add_annotation")
        if request.method == "POST":
            form = AnnotateForm(request.POST, article=article)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    annotation = services.annotation_create(
                        article=article,
                        start=data["start"],
                        end=data["end"],
                        exact=data["exact"],
                        prefix=data["prefix"] or None,
                        suffix=data["suffix"] or None,
                        motivation=data["motivation"],
                        body=data["body"],
                        is_public=data["is_public"],
                        by=request.user,
                    )
                except (ValidationError, PermissionDenied) as exc:
                    form.add_error(None, error_messages(exc))
                else:
                    self.log_addition(request, annotation, [{"added": {}}])
                    self.message_user(request, f"Annotated “{annotation.exact[:60]}”.")
                    return self._back_to_article(article)
        else:
            form = AnnotateForm(
                initial=self._selection_initial(
                    request, ("start", "end", "exact", "prefix", "suffix")
                ),
                article=article,
            )
        return self._render_tool(request, article, form, "Annotate a passage")

    def record_testimony_view(self, request, object_id):
        article = self._article_for_tool(request, object_id, "archive.add_testimony")
        may_confirm = request.user.has_perm("archive.confirm_testimony")
        kwargs = {"article": article, "admin_site": self.admin_site, "may_confirm": may_confirm}
        if request.method == "POST":
            form = RecordTestimonyForm(request.POST, **kwargs)
            if form.is_valid():
                try:
                    testimony, note = self._record(request, article, form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    form.add_error(None, error_messages(exc))
                else:
                    self.log_addition(request, testimony, [{"added": {}}])
                    self.message_user(request, f"Recorded testimony {testimony}. {note}")
                    return self._back_to_article(article)
        else:
            initial = self._selection_initial(request, ("start", "end"))
            if "exact" in request.GET:
                initial["quote"] = request.GET["exact"]
            form = RecordTestimonyForm(initial=initial, **kwargs)
        return self._render_tool(request, article, form, "Record a testimony")

    @transaction.atomic
    def _record(self, request, article: Article, data: dict) -> tuple[Testimony, str]:
        """Record as a proposal, then confirm through the same service as the bulk action:
        a protected speaker is confirmed only with the explicit tick. One editor action: one
        history record, "added", holding the testimony as it ends up."""
        with one_record_per_action():
            return self._record_and_confirm(request, article, data)

    def _record_and_confirm(self, request, article: Article, data: dict) -> tuple[Testimony, str]:
        testimony = services.testimony_create(
            article=article,
            start=data["start"],
            end=data["end"],
            quote=data["quote"],
            speaker=data.get("speaker"),
            speaker_description=data.get("speaker_description", ""),
            speaker_age=data.get("speaker_age"),
            place=data.get("place"),
            context=data.get("context", ""),
            language=data.get("language", ""),
            translation_note=data.get("translation_note", ""),
            visibility=data.get("visibility", "public"),
            protection_reason=data.get("protection_reason", ""),
            tags=data.get("tags") or (),
            status=TestimonyStatus.PROPOSED,
            by=request.user,
        )
        if not request.user.has_perm("archive.confirm_testimony"):
            return testimony, "It awaits an editor's confirmation."
        confirmed = bool(data.get("protection_confirmed"))
        if services.testimony_needs_protection_confirmation(testimony) and not confirmed:
            return testimony, "The speaker is protected: it stays proposed until confirmed."
        services.testimony_confirm(testimony=testimony, by=request.user, protection_confirmed=True)
        return testimony, "Confirmed."

    def _back_to_article(self, article: Article):
        return HttpResponseRedirect(reverse("admin:archive_article_change", args=(article.pk,)))

    def _render_tool(self, request, article: Article, form, title: str):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "original": article,
            "article": article,
            "form": form,
            "selection": form.selection_text(),
            "media": self.media + form.media,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/archive/article/selection_form.html", context)


def _adopt(target, source) -> None:
    """Make the admin's in-memory object the row the service saved (pk, derived fields)."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def add_tag_action(modeladmin, request, queryset, apply):
    """The "add a tag" bulk action: an intermediate page to pick the tag, then the service."""
    if "apply" in request.POST:
        form = AddTagForm(request.POST)
        if form.is_valid():
            tag = form.cleaned_data["tag"]
            run_bulk(
                modeladmin, request, queryset, lambda obj: apply(obj, tag), done=f"tagged “{tag}”"
            )
            return None
    else:
        form = AddTagForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Add a tag",
        "opts": modeladmin.opts,
        "form": form,
        "objects": queryset,
        "action": request.POST.get("action", "add_tag"),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/archive/add_tag.html", context)

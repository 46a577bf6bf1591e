"""What every admin of the archive shares: bounded counting, service errors as messages,
bulk actions that report what they did and what they refused."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.filters import ChoicesFieldListFilter, RelatedFieldListFilter
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.text import capfirst

from archive.history import one_record_per_action
from archive.models import Person, Place, Tag
from archive.permissions import can_see_protected_identities
from archive.querysets import with_words

# Up to this many rows a changelist says exactly how many match; beyond, it estimates.
COUNT_LIMIT = 10_000


class BoundedCountPaginator(Paginator):
    """Counts no further than COUNT_LIMIT rows, so a changelist over a million articles never
    runs an unbounded COUNT(*). Past the limit, an unfiltered PostgreSQL table reports the
    planner's estimate; otherwise the count is reported as the limit (pages beyond it are still
    reachable by the search and filters that narrow the list)."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        bounded = queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()
        if bounded <= COUNT_LIMIT:
            return bounded
        return max(_estimated_rows(queryset) or 0, COUNT_LIMIT)


def _estimated_rows(queryset) -> int | None:
    if queryset.query.where or queryset.query.distinct:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] and row[0] > 0 else None


class ServiceRefused(Exception):
    """A service refused a save the form had accepted (a race, or a rule forms cannot see)."""

    def __init__(self, error: ValidationError | PermissionDenied):
        super().__init__(str(error))
        self.error = error


def error_messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error) or "You do not have permission to do that."]


def call_service(function: Callable, /, **kwargs):
    """Call a service from save_model and friends, turning refusals into ServiceRefused."""
    try:
        return function(**kwargs)
    except (ValidationError, PermissionDenied) as exc:
        raise ServiceRefused(exc) from exc


def changed_values(instance, cleaned_data: dict, names: Iterable[str]) -> dict:
    """The form values that differ from the stored row (not form.changed_data: a history
    revert posts the old values as the form's initial data, so nothing looks "changed")."""
    return {
        name: cleaned_data[name]
        for name in names
        if name in cleaned_data and cleaned_data[name] != getattr(instance, name)
    }


class ArchiveAdminMixin:
    """Shared behaviour of every archive ModelAdmin."""

    paginator = BoundedCountPaginator
    # The unfiltered total would be a second COUNT(*) over the whole table on every filtered page.
    show_full_result_count = False
    # Facet counts are one COUNT per filter choice over the filtered table: far too heavy for a
    # million articles, so the "Show counts" toggle is not offered.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    # simple_history's list, saying nothing (not "None") where a record has no change reason.
    object_history_list_template = "admin/archive/object_history_list.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            # One save of the form is one editor action: one history record per object, not one
            # for its fields and another for its tags.
            with transaction.atomic(using=self.model._default_manager.db), one_record_per_action():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The atomic block of changeform_view has rolled everything back: nothing is
            # half-written. Say why, and return to the form.
            for text in error_messages(refused.error):
                messages.error(request, f"Not saved: {text}")
            return HttpResponseRedirect(request.get_full_path())

    def history_view(self, request, object_id, extra_context=None):
        _check_key(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _check_key(self.model, object_id)
        _check_key(self.model.history.model, version_id)
        # django-simple-history lets anyone who may *view* history post a revert; a revert is
        # an edit, so it needs the change permission on the object as it stands.
        if request.method == "POST":
            obj = self.get_object(request, object_id)
            if obj is None or not self.has_change_permission(request, obj):
                raise PermissionDenied
        # Read by get_form: the revert form starts from this version's links as well.
        request.archive_history_version = version_id
        try:
            with transaction.atomic(using=self.model._default_manager.db), one_record_per_action():
                return super().history_form_view(request, object_id, version_id, extra_context)
        except ServiceRefused as refused:
            for text in error_messages(refused.error):
                messages.error(request, f"Not reverted: {text}")
            return HttpResponseRedirect(request.get_full_path())

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        version_id = getattr(request, "archive_history_version", None)
        if version_id is None or obj is None:
            return form_class
        return _with_version_links(form_class, obj, version_id)


def _check_key(model, value: str) -> None:
    """Raise Http404 unless `value` (from a URL) is a possible primary key of `model`.

    A mistyped URL such as .../4/change/history/ reaches the history views with an object id
    of "4/change", which the database lookup would turn into a ValueError (a 500).
    """
    try:
        model._meta.pk.to_python(unquote(value))
    except (ValidationError, ValueError, TypeError):
        raise Http404(f"No {model._meta.verbose_name} with the key “{value}”.") from None


def _with_version_links(form_class, obj, version_id):
    """The form, its many-to-many fields (tags, places) starting from a past version's links.

    django-simple-history records those links but its revert form reads the current ones, so a
    revert would keep today's tags; the recorded ones are put in the form instead. Its
    `base_version` is the row's current version, not the past record's (a revert is an edit of
    the object as it stands).
    """
    record = type(obj).history.get(**{obj._meta.pk.attname: obj.pk}, history_id=version_id)
    initial = {
        field.name: list(
            getattr(record, field.name).values_list(field.m2m_reverse_field_name(), flat=True)
        )
        for field in getattr(record, "_history_m2m_fields", ())
    }
    if hasattr(obj, "version"):
        # The revert is an edit of the row as it stands now (optimistic concurrency).
        initial["base_version"] = (
            type(obj)._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        )
    if not initial:
        return form_class

    class VersionForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name, ids in initial.items():
                if name in self.fields:
                    self.initial[name] = ids

    return VersionForm


def run_bulk(
    modeladmin: admin.ModelAdmin,
    request,
    objects: Iterable,
    action: Callable[[object], object],
    *,
    done: str,
) -> tuple[int, int]:
    """Apply `action` to each object, each in its own service transaction, and report.

    One refusal does not stop the others; every refusal is listed with its reason.
    """
    succeeded, refused = [], []
    for obj in objects:
        try:
            action(obj)
        except (ValidationError, PermissionDenied) as exc:
            refused.append((obj, "; ".join(error_messages(exc))))
        else:
            succeeded.append(obj)
    opts = modeladmin.model._meta
    if succeeded:
        noun = opts.verbose_name if len(succeeded) == 1 else opts.verbose_name_plural
        modeladmin.message_user(
            request, f"{capfirst(done)}: {len(succeeded)} {noun}.", messages.SUCCESS
        )
    for obj, reason in refused:
        modeladmin.message_user(request, f"Refused “{obj}”: {reason}", messages.ERROR)
    if not succeeded and not refused:
        modeladmin.message_user(request, "Nothing to do.", messages.INFO)
    return len(succeeded), len(refused)


class TagListFilter(RelatedFieldListFilter):
    """Tags by their full label ("Theme › term") in one query, not one per narrower term."""

    def field_choices(self, field, request, model_admin):
        return [(tag.pk, str(tag)) for tag in Tag.objects.select_related("parent")]


class RegionListFilter(RelatedFieldListFilter):
    """Only regions (and countries) are offered as the parent of a place."""

    def field_choices(self, field, request, model_admin):
        regions = Place.objects.filter(kind__in=(Place.Kind.REGION, Place.Kind.COUNTRY))
        return [(place.pk, place.name) for place in regions]


class ThemeListFilter(RelatedFieldListFilter):
    """Only top-level themes are offered as the broader term of a tag."""

    def field_choices(self, field, request, model_admin):
        return [(tag.pk, tag.name) for tag in Tag.objects.filter(parent__isnull=True)]


def titled(title: str, base: type = ChoicesFieldListFilter) -> type:
    """A field filter under a clearer title ("speaker kind" rather than "kind")."""

    class TitledFilter(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledFilter


# --- Need-to-know ------------------------------------------------------------------------------

# What staff without the need-to-know read in place of a protected person's identity. Fixed, not
# character for character: in the admin nothing anchors on it, and a length is a clue.
WITHHELD_LABEL = "█████ (identity withheld)"


def withholds_identities(request) -> bool:
    """Must this admin page mask protected people (`can_see_protected_identities`)?"""
    return not can_see_protected_identities(request.user)


def withheld_person_q(prefix: str = "") -> Q:
    """People whose identity staff without the need-to-know may not learn (see
    `PersonQuerySet.nameable`), as a condition on `prefix`-related people."""
    return ~Q(**{f"{prefix}pk__in": Person.objects.nameable().values("pk")})


def withheld_names_for_staff() -> frozenset[str]:
    """Every name (variants and words of them too) of the people staff without the
    need-to-know may not learn about: for texts that belong to no one article."""
    rows = Person.objects.filter(withheld_person_q()).values_list("name", "name_variants__name")
    return with_words({name for row in rows for name in row if name})


def identity_withheld_column(q: Q) -> ExpressionWrapper:
    return ExpressionWrapper(q, output_field=BooleanField())


class Masked:
    """An object shown under a withheld identity: `str()` gives the label, the rest is the
    object's (the admin templates read `original.pk`, `original.get_absolute_url`…)."""

    def __init__(self, obj, label: str = WITHHELD_LABEL) -> None:
        self._obj, self._label = obj, label

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._label


def mask_action_checkboxes(model_admin, changelist, label_of: Callable) -> None:
    """The row checkboxes' labels name each object (`str(obj)`): label this changelist's rows
    with `label_of(obj)` instead (read by `CheckboxLabelMixin.action_checkbox`)."""
    changelist.result_list = list(changelist.result_list)
    for obj in changelist.result_list:
        obj.checkbox_label = label_of(obj)


class CheckboxLabelMixin:
    def action_checkbox(self, obj):
        label = getattr(obj, "checkbox_label", None)
        if label is None:
            return super().action_checkbox(obj)
        attrs = {
            "class": "action-select",
            "aria-label": format_html("Select this object for an action - {}", label),
        }
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))


class NeedToKnowAdminMixin(CheckboxLabelMixin):
    """A ModelAdmin whose objects may carry a protected identity (`identity_withheld`,
    annotated by `get_queryset` for readers without the need-to-know). For them such an object
    is read-only, shown under a label, and its history is closed (it shows the old values)."""

    def identity_withheld(self, request, obj) -> bool:
        return obj is not None and bool(getattr(obj, "identity_withheld", False))

    def withheld_q(self) -> Q:
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if withholds_identities(request):
            queryset = queryset.annotate(
                identity_withheld=identity_withheld_column(self.withheld_q())
            )
        return queryset

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if withholds_identities(request):
            mask_action_checkboxes(
                self,
                changelist,
                lambda obj: WITHHELD_LABEL if getattr(obj, "identity_withheld", False) else obj,
            )
        return changelist

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if self.identity_withheld(request, obj):
            context["original"] = Masked(obj)
            context["title"] = f"View {self.opts.verbose_name}"
            context["subtitle"] = WITHHELD_LABEL
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_withheld(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_withheld(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _refuse_withheld(self, request, object_id) -> None:
        if withholds_identities(request) and self.identity_withheld(
            request, self.get_object(request, object_id)
        ):
            raise PermissionDenied

"""What every admin of the archive shares: bounded counting, service errors as messages,
bulk actions that report what they did and what they refused."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property

from django.contrib import admin, messages
from django.contrib.admin.filters import ChoicesFieldListFilter, RelatedFieldListFilter
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.http import Http404, HttpResponseRedirect
from django.utils.text import capfirst

from archive.history import one_record_per_action
from archive.models import Place, Tag

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
    revert would keep today's tags; the recorded ones are put in the form instead.
    """
    record = type(obj).history.get(**{obj._meta.pk.attname: obj.pk}, history_id=version_id)
    initial = {
        field.name: list(
            getattr(record, field.name).values_list(field.m2m_reverse_field_name(), flat=True)
        )
        for field in getattr(record, "_history_m2m_fields", ())
    }
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

"""Curated collections: their items inline, in order, renumbered through the services."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from archive import selectors, services
from archive.admin.base import (
    ArchiveAdminMixin,
    call_service,
    changed_values,
    run_bulk,
    withheld_names_for_staff,
    withholds_identities,
)
from archive.forms import CollectionForm, CollectionItemInlineForm
from archive.models import Collection, CollectionItem
from archive.querysets import redact


def _masked(text: str, *, article_id: int | None = None) -> str:
    """`text` with every name withheld from staff without the need-to-know masked: those
    withheld in the item's article, and every protected person's (a collection's texts belong
    to no one article). Computed per text: collection pages are short, and read-only for them."""
    names = withheld_names_for_staff()
    if article_id is not None:
        names = names | selectors.Redactor(active=True).names(article_id)
    return redact(text, names)


def _item_article_id(item: CollectionItem) -> int | None:
    return item.article_id or (item.testimony.article_id if item.testimony_id else None)


class MaskedCollectionTextsMixin:
    """For staff without the need-to-know, collections' own texts (titles, introductions,
    captions) and what their items show are read with withheld names masked, read-only, and
    not searched (a hit on a caption would confirm the name in it)."""

    masked_fields: tuple[str, ...] = ()

    def get_fields(self, request, obj=None):
        if withholds_identities(request):
            return self.masked_fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if withholds_identities(request):
            return self.masked_fields
        return super().get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return not withholds_identities(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return not withholds_identities(request) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return not withholds_identities(request) and super().has_delete_permission(request, obj)

    def get_search_fields(self, request):
        if withholds_identities(request):
            return ("=slug",) if self.model is Collection else ("=collection__slug",)
        return super().get_search_fields(request)

    def get_prepopulated_fields(self, request, obj=None):
        return (
            {} if withholds_identities(request) else super().get_prepopulated_fields(request, obj)
        )


def _masked_item_display(model_admin_class):
    """Display methods for an item's target and caption, masked (used where a reader without
    the need-to-know reads items)."""

    @admin.display(description="Item")
    def masked_target(self, item: CollectionItem) -> str:
        text = item.article.headline if item.article_id else item.testimony.quote
        return selectors.Redactor(active=True).text(text, article_id=_item_article_id(item))

    @admin.display(description="Caption")
    def masked_caption(self, item: CollectionItem) -> str:
        return selectors.Redactor(active=True).text(item.caption, article_id=_item_article_id(item))

    model_admin_class.masked_target = masked_target
    model_admin_class.masked_caption = masked_caption
    return model_admin_class


@_masked_item_display
class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    form = CollectionItemInlineForm
    fields = ("order", "article", "testimony", "caption")
    autocomplete_fields = ("article", "testimony")
    ordering = ("position",)
    extra = 1
    classes = ("collection-items",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article", "testimony")

    def get_fields(self, request, obj=None):
        if withholds_identities(request):
            return ("masked_target", "masked_caption")
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if withholds_identities(request):
            return ("masked_target", "masked_caption")
        return super().get_readonly_fields(request, obj)


@admin.register(Collection)
class CollectionAdmin(MaskedCollectionTextsMixin, ArchiveAdminMixin, SimpleHistoryAdmin):
    form = CollectionForm
    list_display = ("title", "status", "curator", "published_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("title", "introduction", "curator", "=slug")
    prepopulated_fields = {"slug": ("title",)}
    fields = (
        "title",
        "slug",
        "curator",
        "introduction",
        ("status", "published_at"),
        "base_version",
    )
    readonly_fields = ("status", "published_at")
    masked_fields = ("masked_title", "masked_introduction", "status", "published_at")
    inlines = (CollectionItemInline,)

    # A collection's own texts belong to no article: the names withheld everywhere apply.
    @admin.display(description="Title")
    def masked_title(self, collection: Collection) -> str:
        return _masked(collection.title)

    @admin.display(description="Introduction")
    def masked_introduction(self, collection: Collection) -> str:
        return _masked(collection.introduction)

    def get_list_display(self, request):
        if withholds_identities(request):
            return ("masked_title", "status", "curator", "published_at", "updated_at")
        return super().get_list_display(request)

    actions = ("publish_selected", "withdraw_selected")

    class Media:
        js = ("archive/collection_order.js",)
        css = {"all": ("archive/annotator.css",)}

    def has_publish_permission(self, request):
        return request.user.has_perm("archive.publish_collection")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is not None and obj.status == "published":
            return allowed and self.has_publish_permission(request)
        return allowed

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = call_service(
                services.collection_create,
                title=data["title"],
                slug=data.get("slug", ""),
                introduction=data.get("introduction", ""),
                curator=data.get("curator", ""),
                by=request.user,
            )
        else:
            stored = Collection.objects.get(pk=obj.pk)
            values = changed_values(stored, data, services.EDITABLE_COLLECTION_FIELDS)
            saved = call_service(
                services.collection_update,
                collection=stored,
                by=request.user,
                expected_version=data.get("base_version"),
                **values,
            )
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not CollectionItem:
            return super().save_formset(request, form, formset, change)
        collection = Collection.objects.get(pk=form.instance.pk)
        user = request.user
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for item_form in formset.deleted_forms:
            if item_form.instance.pk is not None:
                stored = CollectionItem.objects.get(pk=item_form.instance.pk)
                call_service(services.collection_item_remove, item=stored, by=user)
                formset.deleted_objects.append(stored)
        wanted = []  # (order typed, row on the page, item id)
        for row, item_form in enumerate(formset.forms):
            data = getattr(item_form, "cleaned_data", None)
            if not data or item_form in formset.deleted_forms:
                continue
            if item_form.instance.pk is None:
                item = call_service(
                    services.collection_item_add,
                    collection=collection,
                    article=data.get("article"),
                    testimony=data.get("testimony"),
                    caption=data.get("caption", ""),
                    by=user,
                )
                formset.new_objects.append(item)
            else:
                item = CollectionItem.objects.get(pk=item_form.instance.pk)
                values = changed_values(item, data, ("article", "testimony", "caption"))
                if values:
                    call_service(
                        services.collection_item_update,
                        item=item,
                        article=data.get("article"),
                        testimony=data.get("testimony"),
                        caption=data.get("caption", ""),
                        by=user,
                    )
                    formset.changed_objects.append((item, list(values)))
            order = data.get("order")
            wanted.append((order if order is not None else float("inf"), row, item.pk))
        current = list(collection.items.order_by("position").values_list("pk", flat=True))
        listed = [pk for _order, _row, pk in sorted(wanted)]
        new_order = listed + [pk for pk in current if pk not in listed]
        if new_order != current:
            call_service(
                services.collection_reorder, collection=collection, item_ids=new_order, by=user
            )
        return None

    @admin.action(description="Publish selected collections", permissions=("publish",))
    def publish_selected(self, request, queryset):
        run_bulk(
            self,
            request,
            queryset,
            lambda c: services.collection_publish(collection=c, by=request.user),
            done="published",
        )

    @admin.action(description="Withdraw selected collections", permissions=("publish",))
    def withdraw_selected(self, request, queryset):
        run_bulk(
            self,
            request,
            queryset,
            lambda c: services.collection_withdraw(collection=c, by=request.user),
            done="withdrawn",
        )


@admin.register(CollectionItem)
@_masked_item_display
class CollectionItemAdmin(MaskedCollectionTextsMixin, ArchiveAdminMixin, SimpleHistoryAdmin):
    list_display = ("collection", "position", "article", "testimony", "caption")
    list_select_related = ("collection", "article", "testimony")
    list_filter = ("collection__status",)
    search_fields = ("collection__title", "caption", "article__headline", "testimony__quote")
    autocomplete_fields = ("collection", "article", "testimony")
    fields = ("collection", "position", "article", "testimony", "caption")
    readonly_fields = ("position",)
    masked_fields = ("collection_slug", "position", "masked_target", "masked_caption")

    @admin.display(description="Collection")
    def collection_slug(self, item: CollectionItem) -> str:
        return item.collection.slug

    def get_list_display(self, request):
        if withholds_identities(request):
            return ("collection_slug", "position", "masked_target", "masked_caption")
        return super().get_list_display(request)

    def get_readonly_fields(self, request, obj=None):
        if withholds_identities(request):
            return self.masked_fields
        return ("collection", "position") if obj is not None else ("position",)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = call_service(
                services.collection_item_add,
                collection=data["collection"],
                article=data.get("article"),
                testimony=data.get("testimony"),
                caption=data.get("caption", ""),
                by=request.user,
            )
        else:
            saved = call_service(
                services.collection_item_update,
                item=CollectionItem.objects.get(pk=obj.pk),
                article=data.get("article"),
                testimony=data.get("testimony"),
                caption=data.get("caption", ""),
                by=request.user,
            )
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def delete_model(self, request, obj):
        call_service(services.collection_item_remove, item=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for item in queryset:
            call_service(services.collection_item_remove, item=item, by=request.user)

"""Curated collections: their items inline, in order, renumbered through the services."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from archive import services
from archive.admin.base import ArchiveAdminMixin, call_service, changed_values, run_bulk
from archive.forms import CollectionForm, CollectionItemInlineForm
from archive.models import Collection, CollectionItem


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


@admin.register(Collection)
class CollectionAdmin(ArchiveAdminMixin, SimpleHistoryAdmin):
    form = CollectionForm
    list_display = ("title", "status", "curator", "published_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("title", "introduction", "curator", "=slug")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("title", "slug", "curator", "introduction", ("status", "published_at"))
    readonly_fields = ("status", "published_at")
    inlines = (CollectionItemInline,)
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
                services.collection_update, collection=stored, by=request.user, **values
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
class CollectionItemAdmin(ArchiveAdminMixin, SimpleHistoryAdmin):
    list_display = ("collection", "position", "article", "testimony", "caption")
    list_select_related = ("collection", "article", "testimony")
    list_filter = ("collection__status",)
    search_fields = ("collection__title", "caption", "article__headline", "testimony__quote")
    autocomplete_fields = ("collection", "article", "testimony")
    fields = ("collection", "position", "article", "testimony", "caption")
    readonly_fields = ("position",)

    def get_readonly_fields(self, request, obj=None):
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

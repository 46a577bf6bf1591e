"""Tombstones: the record of articles taken down, read-only; a superuser purges from here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from archive import services
from archive.admin.base import ArchiveAdminMixin, run_bulk
from archive.models import Tombstone


class PurgeForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label="Court order",
        help_text="The order, by reference. The capture's text, body, testimonies and "
        "annotations are blanked everywhere, history included; the tombstone stays.",
    )


@admin.register(Tombstone)
class TombstoneAdmin(ArchiveAdminMixin, admin.ModelAdmin):
    # Not a SimpleHistoryAdmin: a tombstone is never reverted (its history is kept, read here
    # through the model's `history`).
    list_display = ("slug", "taken_down_at", "taken_down_by_name", "reason", "purged_at")
    list_filter = ("purged_at",)
    search_fields = ("=slug", "=raw_sha256", "reason")
    readonly_fields = (
        "article_link",
        "slug",
        "raw_sha256",
        "captured_at",
        "source_name",
        "taken_down_at",
        "taken_down_by_name",
        "reason",
        "purged_at",
        "purged_by_name",
        "purge_reason",
    )
    fields = readonly_fields
    actions = ("purge_selected",)

    @admin.display(description="Article")
    def article_link(self, obj: Tombstone) -> str:
        url = reverse("admin:archive_article_change", args=(obj.article_id,))
        return format_html('<a href="{}">{}</a>', url, obj.article)

    # Written only by the services (article_take_down, article_purge_capture).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_purge_permission(self, request):
        return request.user.is_superuser

    @admin.action(description="Purge the captures' text (court order)", permissions=("purge",))
    def purge_selected(self, request, queryset):
        if "apply" in request.POST:
            form = PurgeForm(request.POST)
            if form.is_valid():
                run_bulk(
                    self,
                    request,
                    queryset.select_related("article"),
                    lambda tombstone: services.article_purge_capture(
                        article=tombstone.article,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    ),
                    done="purged",
                )
                return None
        else:
            form = PurgeForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Purge the text of these captures",
            "opts": self.opts,
            "form": form,
            "objects": queryset,
            "action": "purge_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "submit_label": "Purge",
        }
        return TemplateResponse(request, "admin/archive/confirm_action.html", context)

"""Background jobs in the admin: a read-only record of each job's progress and outcome, and
buttons that start the maintenance jobs (rebuild the search index, verify fixity)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from archive.jobs import job_start, uses_queue
from archive.models import Job, JobFile

MAINTENANCE_PERMISSION = "archive.run_maintenance_job"
MAINTENANCE_KINDS = (Job.Kind.REBUILD_SEARCH_INDEX, Job.Kind.VERIFY_FIXITY)


def progress_bar(job: Job) -> str:
    if not job.total:
        return format_html("<span>{}</span>", "—" if job.finished else "starting")
    percent = round(100 * job.done / job.total)
    return format_html(
        '<progress value="{}" max="{}" title="{}%"></progress> {} / {}',
        job.done,
        job.total,
        percent,
        job.done,
        job.total,
    )


class JobFileInline(admin.TabularInline):
    model = JobFile
    fields = ("position", "name", "size", "status", "reason", "message", "article_link")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("archive.view_job")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="article")
    def article_link(self, jobfile: JobFile):
        if jobfile.article_id is None:
            return ""
        url = reverse("admin:archive_article_change", args=[jobfile.article_id])
        return format_html('<a href="{}">article {}</a>', url, jobfile.article_id)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    change_list_template = "admin/archive/job/change_list.html"
    change_form_template = "admin/archive/job/change_form.html"
    list_display = (
        "__str__",
        "kind",
        "status",
        "progress",
        "message",
        "started_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "status")
    list_select_related = ("started_by",)
    fields = (
        "kind",
        "status",
        "progress",
        "message",
        "started_by",
        "created_at",
        "started_at",
        "finished_at",
        "options",
        "result",
        "queue_id",
    )
    readonly_fields = fields
    inlines = (JobFileInline,)

    @admin.display(description="progress")
    def progress(self, job: Job):
        return progress_bar(job)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A job is a record of what was done to the archive: only a superuser clears them.
        return request.user.is_superuser

    def get_urls(self):
        return [
            path(
                "start/<str:kind>/",
                self.admin_site.admin_view(self.start_view),
                name="archive_job_start",
            ),
            *super().get_urls(),
        ]

    def may_start_maintenance(self, request) -> bool:
        return request.user.has_perm(MAINTENANCE_PERMISSION)

    def start_view(self, request, kind: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.may_start_maintenance(request):
            raise PermissionDenied("You may not start maintenance jobs.")
        if kind not in MAINTENANCE_KINDS:
            raise PermissionDenied(f"“{kind}” is not a job that can be started here.")
        try:
            job = job_start(kind=kind, by=request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:archive_job_changelist"))
        self.message_user(request, started_message(job), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:archive_job_change", args=[job.pk]))

    def changelist_view(self, request, extra_context=None):
        running = Job.objects.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).exists()
        extra_context = {
            **(extra_context or {}),
            "refresh_seconds": 5 if running else None,
            "maintenance_jobs": [(kind, Job.Kind(kind).label) for kind in MAINTENANCE_KINDS]
            if self.may_start_maintenance(request)
            else [],
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "refresh_seconds": 3 if job is not None and not job.finished else None,
        }
        return super().change_view(request, object_id, form_url, extra_context)


def started_message(job: Job) -> str:
    if job.finished:
        return f"{job}: {job.message}"
    where = "a worker will take it" if uses_queue() else "it is running"
    return f"{job} queued; {where}. This page shows its progress."

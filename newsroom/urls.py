from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from archive.ingest.views import import_view
from newsroom import health
from newsroom.metrics import metrics_view

urlpatterns = [
    path("health/live/", health.liveness, name="health-live"),
    path("health/ready/", health.readiness, name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
    path("", RedirectView.as_view(pattern_name="api-root", permanent=False)),
    # The capture importer lives under the admin (its own view, the admin's login and look).
    path("admin/archive/import/", admin.site.admin_view(import_view), name="archive-import"),
    path("admin/", admin.site.urls),
    path("api/", include("archive.urls")),
]

handler400 = "newsroom.errors.bad_request"
handler403 = "newsroom.errors.permission_denied"
handler404 = "newsroom.errors.page_not_found"
handler500 = "newsroom.errors.server_error"

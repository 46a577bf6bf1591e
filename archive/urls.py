"""The public API. Routes are added by `archive.api`; this module only mounts them."""

from django.urls import NoReverseMatch, include, path, re_path
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter

from archive import api
from archive.search.api import SearchView

router = SimpleRouter()
router.register("collections", api.CollectionViewSet, basename="collection")
router.register("articles", api.ArticleViewSet, basename="article")
router.register("testimonies", api.TestimonyViewSet, basename="testimony")
router.register("people", api.PersonViewSet, basename="person")
router.register("places", api.PlaceViewSet, basename="place")
router.register("sources", api.SourceViewSet, basename="source")
router.register("tags", api.TagViewSet, basename="tag")

# The root links to every endpoint; routes registered by other modules appear when present.
ROOT_LINKS = (
    *((prefix, f"{basename}-list") for prefix, _, basename in router.registry),
    ("search", "search"),
    ("schema", "schema"),
    ("docs", "swagger-ui"),
    ("admin", "admin:index"),
)


@extend_schema(
    summary="What the API offers and where",
    responses={
        (200, "application/json"): inline_serializer(
            "ApiRoot", {name: serializers.URLField() for name, _ in ROOT_LINKS}
        ),
        (429, "application/json"): api.ERRORS[(429, "application/json")],
    },
)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """The archive's public API: what it offers and where."""
    links = {}
    for name, view_name in ROOT_LINKS:
        try:
            links[name] = reverse(view_name, request=request)
        except NoReverseMatch:
            continue
    return Response(links)


urlpatterns = [
    path("v1/", api_root, name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("v1/search/", SearchView.as_view(), name="search"),
]

# The viewsets, then a JSON 404 for any other path under /api/ (kept last).
urlpatterns += [
    path("v1/", include(router.urls)),
    re_path(r"^.*$", api.NotFoundView.as_view(), name="api-not-found"),
]

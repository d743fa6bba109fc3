"""Root URLs: pages, the admin, and the versioned API."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from trust_portal.api.exceptions import api_not_found
from trust_portal.health import healthz

api_v1: list[URLPattern | URLResolver] = [
    path("", include("reputation.api.urls")),  # first: access decisions are the API's hot path (bench/decision.py)
    path("", include("accounts.api.urls")),
    path("", include("pacts.api.urls")),
    path("", include("evidence.api.urls")),
    path("", include("transparency.api.urls")),
    path("", include("verdicts.api.urls")),
    path("", include("reputation.api.compare_urls")),
    path("", include("reputation.api.report_urls")),
    path("", include("disputes.api.urls")),
    path("", include("incidents.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # The API first: its paths never clash with a page's, and the hot ones (decisions) resolve in a few steps.
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", api_not_found),
    path("accounts/", include("accounts.urls")),
    path("", include("pacts.urls")),
    path("", include("evidence.urls")),
    path("", include("transparency.urls")),
    path("", include("verdicts.urls")),
    path("", include("reputation.urls")),
    path("", include("reputation.compare_urls")),
    path("", include("reputation.report_urls")),
    path("", include("disputes.urls")),
    path("", include("incidents.urls")),
    path("admin/", admin.site.urls),
]

# Under DEBUG=0 Django answers errors raised outside DRF's handler with these: problem+json under /api/, pages
# elsewhere (templates/400.html … 500.html).
handler400 = "trust_portal.web.bad_request"
handler403 = "trust_portal.web.permission_denied"
handler404 = "trust_portal.web.page_not_found"
handler500 = "trust_portal.web.server_error"

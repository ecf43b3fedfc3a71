from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from loyalty.api import oauth_views
from loyalty.api.docs import RedocView, SchemaView, SwaggerView
from loyalty.backoffice.dashboard_view import dashboard_export, dashboard_view
from loyalty.media import media_urlpatterns

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("", include("loyalty.ops.urls")),  # /healthz, /readyz, /metrics
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="admin-dashboard"),
    path(
        "admin/dashboard/export/<slug:table>.csv",
        admin.site.admin_view(dashboard_export),
        name="admin-dashboard-export",
    ),
    path("admin/", admin.site.urls),
    path("oauth/token/", oauth_views.TokenView.as_view(), name="oauth-token"),
    path("oauth/revoke_token/", oauth_views.RevokeTokenView.as_view(), name="oauth-revoke"),
    path("oauth/introspect/", oauth_views.IntrospectTokenView.as_view(), name="oauth-introspect"),
    path("api/v1/", include("loyalty.api.urls")),
    path("shop/", include("loyalty.shop.urls")),
    path("api/schema", SchemaView.as_view(), name="schema"),
    path("api/docs", SwaggerView.as_view(), name="docs"),
    path("api/redoc", RedocView.as_view(), name="redoc"),
] + media_urlpatterns()  # /media/ from MEDIA_ROOT, DEBUG on or off (none with DJANGO_STORAGE=s3)

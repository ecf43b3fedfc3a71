from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from oauth2_provider import views as oauth_views

from loyalty.api.docs import RedocView, SchemaView, SwaggerView
from loyalty.backoffice.dashboard_view import dashboard_view

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("oauth/token/", oauth_views.TokenView.as_view(), name="oauth-token"),
    path("oauth/revoke_token/", oauth_views.RevokeTokenView.as_view(), name="oauth-revoke"),
    path("oauth/introspect/", oauth_views.IntrospectTokenView.as_view(), name="oauth-introspect"),
    path("api/v1/", include("loyalty.api.urls")),
    path("shop/", include("loyalty.shop.urls")),
    path("api/schema", SchemaView.as_view(), name="schema"),
    path("api/docs", SwaggerView.as_view(), name="docs"),
    path("api/redoc", RedocView.as_view(), name="redoc"),
] + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

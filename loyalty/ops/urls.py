"""Operations routes, at the root of the site: `/healthz`, `/readyz`, `/metrics` (see loyalty/ops/__init__.py)."""

from django.urls import path

from loyalty.ops import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
]

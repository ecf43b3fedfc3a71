"""The partner API's OpenAPI schema and its two readers, served by the app itself (no CDN).

`/api/schema` is YAML, or JSON with `?format=json`; `/api/docs` is Swagger UI and `/api/redoc` ReDoc, both from
drf-spectacular-sidecar's static files. All three are public: the schema holds no secret.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

SCHEMA_FILENAME = "loyalty-api"


class SchemaView(SpectacularAPIView):
    authentication_classes = []
    permission_classes = []

    def _get_filename(self, request, version) -> str:
        # drf-spectacular names the file after the title, whose dash Django then encodes as RFC 2047, which is
        # not valid in Content-Disposition: a plain ASCII name instead.
        return f"{SCHEMA_FILENAME}.{self.perform_content_negotiation(request, force=True)[0].format}"


class SwaggerView(SpectacularSwaggerView):
    authentication_classes = []
    permission_classes = []
    url_name = "schema"


class RedocView(SpectacularRedocView):
    authentication_classes = []
    permission_classes = []
    url_name = "schema"
    # drf-spectacular's page also loads Google Fonts; ours does not (ReDoc falls back to the system fonts).
    template_name = "api/redoc.html"

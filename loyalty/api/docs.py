"""The partner API's OpenAPI schema and its two readers, served by the app itself (no CDN).

`/api/schema` is YAML, or JSON with `?format=json`; `/api/docs` is Swagger UI and `/api/redoc` ReDoc, both from
drf-spectacular-sidecar's static files. All three are public: the schema holds no secret.

The readers run under a Content Security Policy of their own, the site's (settings.CONTENT_SECURITY_POLICY)
widened only where they need it: Swagger UI's start-up script is a file too (`/api/docs?script=`, the "split"
view), so scripts stay `'self'` only; both write `<style>` elements as they render (ReDoc through
styled-components), so styles allow inline; their icons are `data:` images; ReDoc's search runs in a `blob:`
worker. Images from other hosts stay refused (ReDoc's bundle would show the Redocly logo from its CDN).
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

SCHEMA_FILENAME = "loyalty-api"

DOCS_POLICY = {
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "worker-src": [SELF, "blob:"],
}


class SchemaView(SpectacularAPIView):
    authentication_classes = []
    permission_classes = []

    def _get_filename(self, request, version) -> str:
        # drf-spectacular names the file after the title, whose dash Django then encodes as RFC 2047, which is
        # not valid in Content-Disposition: a plain ASCII name instead.
        return f"{SCHEMA_FILENAME}.{self.perform_content_negotiation(request, force=True)[0].format}"


@method_decorator(csp_replace(DOCS_POLICY), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    authentication_classes = []
    permission_classes = []
    url_name = "schema"


@method_decorator(csp_replace(DOCS_POLICY), name="dispatch")
class RedocView(SpectacularRedocView):
    authentication_classes = []
    permission_classes = []
    url_name = "schema"
    # drf-spectacular's page also loads Google Fonts; ours does not (ReDoc falls back to the system fonts).
    template_name = "api/redoc.html"

"""Uploaded files under MEDIA_ROOT, served at MEDIA_URL by the app itself, with DEBUG on or off.

Why a view rather than whitenoise: whitenoise indexes its directories when the process starts, so a picture
uploaded afterwards would be missing until a restart (or would cost a disk scan per request with its autorefresh,
which is for development). Why not Django's `static()` helper: it serves nothing with DEBUG off. This view
answers from the disk on each request:

- only regular files inside MEDIA_ROOT: the path is joined safely and resolved (symbolic links included) before
  it is compared with the root, so `..`, absolute paths and links that leave the root are 404s, as are
  directories (no listing) and hidden names;
- the pictures the back office accepts (PNG, JPEG, GIF, WebP) inline with their type; anything else as an
  `application/octet-stream` attachment, never rendered by the browser;
- under a `default-src 'none'; sandbox` policy and `nosniff`, so that even a file crafted to look like a page
  runs nothing on this origin;
- `Last-Modified` and `If-Modified-Since` (304), and an hour of caching.

It streams the file from a gunicorn worker, which is fine for gift pictures; at larger volumes put the files in a
bucket (DJANGO_STORAGE=s3, then this view is not mounted) or let the reverse proxy serve MEDIA_ROOT.
"""

import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, HttpResponseNotModified
from django.urls import URLPattern, re_path
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
MAX_AGE = 3600
POLICY = "default-src 'none'; sandbox"


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponseBase:
    root = Path(settings.MEDIA_ROOT).resolve()
    if any(part.startswith(".") for part in path.split("/")):
        raise Http404("No such file.")
    try:
        full = Path(safe_join(root, path)).resolve()
    except (SuspiciousFileOperation, ValueError, OSError):
        raise Http404("No such file.") from None
    if not full.is_relative_to(root) or not full.is_file():
        raise Http404("No such file.")
    stat = full.stat()
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), stat.st_mtime):
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        content_type, encoding = mimetypes.guess_type(full.name)
        inline = content_type in INLINE_TYPES and encoding is None
        response = FileResponse(
            full.open("rb"),
            content_type=content_type if inline else "application/octet-stream",
            as_attachment=not inline,
            filename=full.name,
        )
        response["Last-Modified"] = http_date(stat.st_mtime)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Content-Security-Policy"] = POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response


def media_urlpatterns() -> list[URLPattern]:
    """The /media/ route when uploads are on the local disk; none when a bucket serves them."""
    if not isinstance(storages["default"], FileSystemStorage) or not settings.MEDIA_URL:
        return []
    prefix = settings.MEDIA_URL
    if "://" in prefix:  # MEDIA_URL on another host: that host serves the files
        return []
    return [re_path(rf"^{re.escape(prefix.lstrip('/'))}(?P<path>.+)$", serve_media, name="media")]

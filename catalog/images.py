"""Uploaded gift images: accepted by their content, not by the name or the type the browser claims.

A FileField with this check rather than an ImageField: the catalog only stores and links pictures
(browsers scale them), so decoding them with Pillow would add a native dependency for no use. The
file's first bytes must be the signature of a web raster format; SVG is refused (it can carry script).
"""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 5 * 1024 * 1024
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    # (signature, offset, format)
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
    (b"WEBP", 8, "webp"),  # RIFF....WEBP
)
EXTENSIONS = {"png": {".png"}, "jpeg": {".jpg", ".jpeg"}, "gif": {".gif"}, "webp": {".webp"}}


def image_format(head: bytes) -> str | None:
    """The format whose signature starts `head` (the file's first 16 bytes), else None."""
    for signature, offset, name in SIGNATURES:
        if head[offset : offset + len(signature)] == signature and (name != "webp" or head[:4] == b"RIFF"):
            return name
    return None


def validate_gift_image(file: UploadedFile) -> None:
    """Raises ValidationError unless the upload is a PNG, JPEG, GIF or WebP of at most 5 MB,
    named with an extension of its real format."""
    if file.size is not None and file.size > MAX_BYTES:
        raise ValidationError(f"The image is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    found = image_format(head)
    if found is None:
        raise ValidationError("Not a PNG, JPEG, GIF or WebP image.")
    name = (file.name or "").lower()
    if not any(name.endswith(ext) for ext in EXTENSIONS[found]):
        raise ValidationError(
            f"The file is a {found.upper()} image: name it with {' or '.join(sorted(EXTENSIONS[found]))}."
        )

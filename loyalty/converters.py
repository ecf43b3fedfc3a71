"""The path converter of every API path parameter (ids, codes, references).

Like Django's `str` it stops at '/', and it also refuses control characters: PostgreSQL cannot
compare text holding NUL, so such a path would reach the database and fail with a 500 instead of
answering the envelope's 404.
"""

from django.urls import register_converter


class KeyConverter:
    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KeyConverter, "key")

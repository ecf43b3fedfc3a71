"""Path converters of the API and the shop.

`key` (ids, codes, references) stops at '/' like Django's `str` and takes printable ASCII only: an id
that is not plain ASCII is simply not found, and nothing that PostgreSQL refuses in a query (NUL,
control characters) reaches it. `id` is a database id: ASCII digits (`²` or `١` are not), short enough
for a 64-bit column.
"""

from django.urls import register_converter


class KeyConverter:
    regex = r"[!-.0-~]+"  # printable ASCII (0x21-0x7E) but '/'

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    regex = r"[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(KeyConverter, "key")
register_converter(IdConverter, "id")

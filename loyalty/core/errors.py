"""The base of every domain error.

A domain error is a request that the state of things refuses (not enough points, a blocked member, a
move a redemption cannot make). It carries a stable `code`, which the partner API answers with, and a
message for people. The domain raises them; only the delivery layers turn them into HTTP answers,
admin messages or shop pages.
"""


class DomainError(Exception):
    code = "conflict"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    """The object named does not exist (in the caller's program)."""

    code = "not_found"


class InvalidInput(DomainError):
    """Input that only the domain can judge wrong (a returned line the earn never had): a 400, not a 409."""

    code = "invalid_request"

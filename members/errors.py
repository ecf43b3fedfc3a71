"""Errors of the members domain (the API answers their `code` with a 409)."""

from loyalty.core.errors import DomainError, NotFound


class MemberExists(DomainError):
    code = "member_exists"


class MemberBlocked(DomainError):
    """The member is blocked: no points move for them and they cannot log into the webshop."""

    code = "member_blocked"


class MemberStatusFixed(DomainError):
    """A merged member's status cannot change (API.md, Member merge)."""

    code = "invalid_transition"


class MemberNotFound(NotFound):
    """No such member in the program (`fields` names the request field that gave the id)."""

"""Errors of the rewards services; the API answers each with its `code` (409, or 400 for InvalidReturn)."""

from loyalty.core.errors import DomainError, InvalidInput, NotFound


class InsufficientPoints(DomainError):
    code = "insufficient_points"


class AlreadyReversed(DomainError):
    code = "already_reversed"


class ReversalExceedsEarn(DomainError):
    code = "reversal_exceeds_earn"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class OutOfStock(DomainError):
    code = "out_of_stock"


class GiftUnavailable(DomainError):
    code = "gift_unavailable"


class LimitReached(DomainError):
    code = "limit_reached"


class InvalidReturn(InvalidInput):
    """A return naming an unknown line or more units than the line had."""


class LockNotFound(NotFound):
    pass


class CaptureExceedsLock(InvalidInput):
    """More points to capture than the lock holds."""


class EarnNotFound(NotFound):
    pass


class PointsLimit(DomainError):
    """A movement over 1,000,000,000 points, or one that would take a balance over 1,000,000,000,000."""

    code = "points_limit"

"""Business errors raised by the rewards services; the API maps each to its 409/404 code."""


class RewardsError(Exception):
    code = "conflict"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InsufficientPoints(RewardsError):
    code = "insufficient_points"


class MemberBlocked(RewardsError):
    code = "member_blocked"


class AlreadyReversed(RewardsError):
    code = "already_reversed"


class ReversalExceedsEarn(RewardsError):
    code = "reversal_exceeds_earn"


class InvalidTransition(RewardsError):
    code = "invalid_transition"


class OutOfStock(RewardsError):
    code = "out_of_stock"


class GiftUnavailable(RewardsError):
    code = "gift_unavailable"


class LimitReached(RewardsError):
    code = "limit_reached"


class InvalidReturn(RewardsError):
    """A return naming an unknown line or more units than the line had: a 400, not a 409."""

    code = "invalid_request"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.fields = fields or {}

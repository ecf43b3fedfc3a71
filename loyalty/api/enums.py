"""The closed sets of values the partner API accepts and answers, one constant each.

The serializers take their choices from here and the OpenAPI schema names its enum components after
them (`SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]` points at these constants), so a set cannot differ
between what the server does and what the schema says.
"""

from catalog.models import Gift
from members.models import Member
from programs import webhooks
from rewards.engine import model as engine
from rewards.models import EventStatus, LockStatus, RedemptionStatus
from rewards.selectors import HISTORY_KINDS

MEMBER_STATUSES = tuple(value for value, _ in Member.STATUSES)
EARN_STATUSES = ("posted", "pending")
EVENT_STATUSES = tuple(EventStatus.values)
EVENT_ACCEPTED_STATUSES = (EventStatus.ACCEPTED.value,)
LOCK_STATUSES = tuple(LockStatus.values)
REDEMPTION_STATUSES = tuple(RedemptionStatus.values)
VOUCHER_STATUSES = ("pending", "issued", "used", "void", "expired")
GIFT_TYPES = tuple(value for value, _ in Gift.TYPES)
PROMOTION_KINDS = ("spend", "quantity", "basket", "multiplier")
HISTORY_TYPES = tuple(HISTORY_KINDS)
# A history row's status: the redemption's status on redemption rows, else posted or pending.
HISTORY_STATUSES = (*EARN_STATUSES, *REDEMPTION_STATUSES)
NOT_APPLIED_REASONS = (
    engine.REASON_STATUS,
    engine.REASON_DATES,
    engine.REASON_CHANNEL,
    engine.REASON_SEGMENT,
    engine.REASON_TIER,
    engine.REASON_NO_ELIGIBLE_LINES,
    engine.REASON_MIN_AMOUNT,
)

WEBHOOK_EVENT_TYPES = webhooks.EVENT_TYPES
WEBHOOK_STATUSES = ("active", "disabled")
WEBHOOK_DELIVERY_STATUSES = ("pending", "delivered", "failed")

from django.urls import path

import loyalty.api.converters  # noqa: F401 - registers the <key:...> converter
from rewards.api import event_views, points_views, promotion_views, redemption_views, views

urlpatterns = [
    path("baskets/evaluate", views.BasketEvaluateView.as_view(), name="basket-evaluate"),
    path("transactions/earn", views.EarnView.as_view(), name="earn"),
    path("transactions/<key:reference>/reversal", views.ReversalView.as_view(), name="reversal"),
    path("members/<key:member_id>/transactions", views.TransactionHistoryView.as_view(), name="member-transactions"),
    path(
        "members/<key:member_id>/promotions", promotion_views.MemberPromotionsView.as_view(), name="member-promotions"
    ),
    path("events", event_views.EventCreateView.as_view(), name="events"),
    path("events/<key:reference>", event_views.EventDetailView.as_view(), name="event"),
    path("redemptions", redemption_views.RedeemView.as_view(), name="redemptions"),
    path("redemptions/<key:redemption_id>", redemption_views.RedemptionDetailView.as_view(), name="redemption"),
    path(
        "redemptions/<key:redemption_id>/cancel",
        redemption_views.RedemptionCancelView.as_view(),
        name="redemption-cancel",
    ),
    path(
        "redemptions/<key:redemption_id>/status",
        redemption_views.RedemptionStatusView.as_view(),
        name="redemption-status",
    ),
    path("vouchers/<key:code>", redemption_views.VoucherView.as_view(), name="voucher"),
    path("vouchers/<key:code>/use", redemption_views.VoucherUseView.as_view(), name="voucher-use"),
    path("points/locks", points_views.LockCreateView.as_view(), name="points-locks"),
    path("points/locks/<key:reference>/capture", points_views.LockCaptureView.as_view(), name="points-lock-capture"),
    path("points/locks/<key:reference>/release", points_views.LockReleaseView.as_view(), name="points-lock-release"),
    path("points/transfers", points_views.TransferView.as_view(), name="points-transfers"),
    path("members/<key:member_id>/adjustments", points_views.AdjustmentView.as_view(), name="member-adjustments"),
    path("members/<key:member_id>/expiring", points_views.ExpiringView.as_view(), name="member-expiring"),
    path("promotions", promotion_views.LivePromotionsView.as_view(), name="promotions"),
    path(
        "promotions/<key:code>/segments/<key:segment_code>",
        promotion_views.PromotionSegmentView.as_view(),
        name="promotion-segment",
    ),
]

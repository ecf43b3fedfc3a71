"""The partner API's routes (`/api/v1/...`); the project's urls register the `<key:...>` converter first."""

from django.urls import path

from loyalty.api import (
    catalog,
    data_rights,
    earning,
    events,
    identification,
    members,
    points,
    program,
    promotions,
    redemptions,
    segments,
    webhooks,
)

urlpatterns = [
    path("program", program.ProgramView.as_view(), name="program"),
    path("languages", program.LanguagesView.as_view(), name="languages"),
    path("tiers", program.TiersView.as_view(), name="tiers"),
    path("members", members.MemberCreateView.as_view(), name="members"),
    path("members/<key:member_id>", members.MemberDetailView.as_view(), name="member"),
    path(
        "members/<key:member_id>/identification",
        identification.IdentificationView.as_view(),
        name="member-identification",
    ),
    path("me", identification.MeView.as_view(), name="me"),
    path("segments", segments.SegmentListView.as_view(), name="segments"),
    path("segments/<key:code>/members", segments.SegmentBulkView.as_view(), name="segment-bulk"),
    path("segments/<key:code>/members/<key:member_id>", segments.SegmentMemberView.as_view(), name="segment-member"),
    path("baskets/evaluate", earning.BasketEvaluateView.as_view(), name="basket-evaluate"),
    path("transactions/earn", earning.EarnView.as_view(), name="earn"),
    path("transactions/<key:reference>/reversal", earning.ReversalView.as_view(), name="reversal"),
    path("members/<key:member_id>/transactions", earning.TransactionHistoryView.as_view(), name="member-transactions"),
    path("members/<key:member_id>/export", data_rights.MemberExportView.as_view(), name="member-export"),
    path("members/<key:member_id>/promotions", promotions.MemberPromotionsView.as_view(), name="member-promotions"),
    path("events", events.EventCreateView.as_view(), name="events"),
    path("events/<key:reference>", events.EventDetailView.as_view(), name="event"),
    path("redemptions", redemptions.RedeemView.as_view(), name="redemptions"),
    path("redemptions/<id:redemption_id>", redemptions.RedemptionDetailView.as_view(), name="redemption"),
    path("redemptions/<id:redemption_id>/cancel", redemptions.RedemptionCancelView.as_view(), name="redemption-cancel"),
    path("redemptions/<id:redemption_id>/status", redemptions.RedemptionStatusView.as_view(), name="redemption-status"),
    path("vouchers/<key:code>", redemptions.VoucherView.as_view(), name="voucher"),
    path("vouchers/<key:code>/use", redemptions.VoucherUseView.as_view(), name="voucher-use"),
    path("points/locks", points.LockCreateView.as_view(), name="points-locks"),
    path("points/locks/<key:reference>/capture", points.LockCaptureView.as_view(), name="points-lock-capture"),
    path("points/locks/<key:reference>/release", points.LockReleaseView.as_view(), name="points-lock-release"),
    path("points/transfers", points.TransferView.as_view(), name="points-transfers"),
    path("members/<key:member_id>/adjustments", points.AdjustmentView.as_view(), name="member-adjustments"),
    path("members/<key:member_id>/expiring", points.ExpiringView.as_view(), name="member-expiring"),
    path("promotions", promotions.LivePromotionsView.as_view(), name="promotions"),
    path(
        "promotions/<key:code>/segments/<key:segment_code>",
        promotions.PromotionSegmentView.as_view(),
        name="promotion-segment",
    ),
    path("categories", catalog.CategoryListView.as_view(), name="categories"),
    path("gifts", catalog.GiftListView.as_view(), name="gifts"),
    path("gifts/<key:sku>", catalog.GiftDetailView.as_view(), name="gift"),
    path("webhooks", webhooks.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<id:subscription_id>", webhooks.WebhookDetailView.as_view(), name="webhook"),
    path(
        "webhooks/<id:subscription_id>/deliveries", webhooks.WebhookDeliveriesView.as_view(), name="webhook-deliveries"
    ),
]

from django.urls import path

from rewards.api import promotion_views, views

urlpatterns = [
    path("baskets/evaluate", views.BasketEvaluateView.as_view(), name="basket-evaluate"),
    path("transactions/earn", views.EarnView.as_view(), name="earn"),
    path("transactions/<str:reference>/reversal", views.ReversalView.as_view(), name="reversal"),
    path("members/<str:member_id>/transactions", views.TransactionHistoryView.as_view(), name="member-transactions"),
    path(
        "members/<str:member_id>/promotions", promotion_views.MemberPromotionsView.as_view(), name="member-promotions"
    ),
    path("promotions", promotion_views.LivePromotionsView.as_view(), name="promotions"),
    path(
        "promotions/<str:code>/segments/<str:segment_code>",
        promotion_views.PromotionSegmentView.as_view(),
        name="promotion-segment",
    ),
]

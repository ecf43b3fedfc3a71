from django.urls import path

from rewards.api import views

urlpatterns = [
    path("baskets/evaluate", views.BasketEvaluateView.as_view(), name="basket-evaluate"),
    path("transactions/earn", views.EarnView.as_view(), name="earn"),
    path("transactions/<str:reference>/reversal", views.ReversalView.as_view(), name="reversal"),
    path("members/<str:member_id>/transactions", views.TransactionHistoryView.as_view(), name="member-transactions"),
]

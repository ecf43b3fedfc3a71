from django.urls import path

from catalog.api import views

urlpatterns = [
    path("categories", views.CategoryListView.as_view(), name="categories"),
    path("gifts", views.GiftListView.as_view(), name="gifts"),
    path("gifts/<str:sku>", views.GiftDetailView.as_view(), name="gift"),
]

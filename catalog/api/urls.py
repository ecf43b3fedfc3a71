from django.urls import path

import loyalty.api.converters  # noqa: F401 - registers the <key:...> converter
from catalog.api import views

urlpatterns = [
    path("categories", views.CategoryListView.as_view(), name="categories"),
    path("gifts", views.GiftListView.as_view(), name="gifts"),
    path("gifts/<key:sku>", views.GiftDetailView.as_view(), name="gift"),
]

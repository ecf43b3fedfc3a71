from django.urls import path

from members.api import views

urlpatterns = [
    path("members", views.MemberCreateView.as_view(), name="members"),
    path("members/<str:member_id>", views.MemberDetailView.as_view(), name="member"),
]

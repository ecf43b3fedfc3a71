from django.urls import path

from members.api import identification_views, segment_views, views

urlpatterns = [
    path("members", views.MemberCreateView.as_view(), name="members"),
    path("members/<str:member_id>", views.MemberDetailView.as_view(), name="member"),
    path(
        "members/<str:member_id>/identification",
        identification_views.IdentificationView.as_view(),
        name="member-identification",
    ),
    path("me", identification_views.MeView.as_view(), name="me"),
    path("segments", segment_views.SegmentListView.as_view(), name="segments"),
    path("segments/<str:code>/members", segment_views.SegmentBulkView.as_view(), name="segment-bulk"),
    path(
        "segments/<str:code>/members/<str:member_id>", segment_views.SegmentMemberView.as_view(), name="segment-member"
    ),
]

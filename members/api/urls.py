from django.urls import path

import loyalty.api.converters  # noqa: F401 - registers the <key:...> converter
from members.api import identification_views, segment_views, views

urlpatterns = [
    path("members", views.MemberCreateView.as_view(), name="members"),
    path("members/<key:member_id>", views.MemberDetailView.as_view(), name="member"),
    path(
        "members/<key:member_id>/identification",
        identification_views.IdentificationView.as_view(),
        name="member-identification",
    ),
    path("me", identification_views.MeView.as_view(), name="me"),
    path("segments", segment_views.SegmentListView.as_view(), name="segments"),
    path("segments/<key:code>/members", segment_views.SegmentBulkView.as_view(), name="segment-bulk"),
    path(
        "segments/<key:code>/members/<key:member_id>", segment_views.SegmentMemberView.as_view(), name="segment-member"
    ),
]

"""Segmentation endpoints: segments and Segment Member Mapping."""

from django.db.models import Count
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.errors import invalid, not_found
from loyalty.api.fields import ClosedSerializer
from loyalty.api.member_serializers import MemberIdField
from loyalty.api.members import get_member_or_404
from loyalty.api.pagination import PAGE_PARAMETERS, page_response_data, page_schema, paginate_queryset
from members import services
from members.models import MEMBER_ID_RE, Segment

MAX_BULK = 10_000

SEGMENT = inline_serializer(
    name="Segment",
    fields={
        "code": serializers.CharField(help_text="The segment's code."),
        "name": serializers.CharField(help_text="In the requested language, else the program's default language."),
        "member_count": serializers.IntegerField(min_value=0, help_text="Members in the segment."),
    },
)
MAPPING = inline_serializer(
    name="SegmentMembership",
    fields={
        "segment": serializers.CharField(help_text="The segment's code."),
        "member_id": serializers.CharField(help_text="The member's id."),
        "added": serializers.BooleanField(help_text="False when the member already was in the segment."),
    },
)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": MEMBER_ID_RE.pattern, "maxLength": 64},
        "maxItems": MAX_BULK,
    }
)
class MemberIdListField(serializers.ListField):
    """Member ids; `add` and `remove` of one call hold at most MAX_BULK of them together."""


class BulkInput(ClosedSerializer):
    add = MemberIdListField(
        child=MemberIdField(),
        required=False,
        default=list,
        help_text=f"Member ids to add to the segment; `add` and `remove` hold at most {MAX_BULK:,} ids together.",
    )
    remove = MemberIdListField(
        child=MemberIdField(),
        required=False,
        default=list,
        help_text="Member ids to remove from the segment; an id may not be in both lists.",
    )

    def validate(self, attrs):
        if not isinstance(self.initial_data, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        if len(attrs["add"]) + len(attrs["remove"]) > MAX_BULK:
            raise serializers.ValidationError({"add": [f"add and remove hold at most {MAX_BULK} ids together."]})
        both = set(attrs["add"]) & set(attrs["remove"])
        if both:
            raise serializers.ValidationError({"remove": [f"Ids in both lists: {', '.join(sorted(both)[:10])}."]})
        return attrs


BULK_OUTPUT = inline_serializer(
    name="SegmentBulkResult",
    fields={
        "added": serializers.IntegerField(min_value=0, help_text="Memberships actually created."),
        "removed": serializers.IntegerField(min_value=0, help_text="Memberships actually deleted."),
        "unknown_members": serializers.ListField(
            child=serializers.CharField(),
            help_text="Ids of either list that are not members of the program (skipped).",
        ),
    },
)


def get_segment_or_404(program, code: str) -> Segment:
    segment = Segment.objects.filter(program=program, code=code).first()
    if segment is None:
        raise not_found(f"Segment {code} not found.")
    return segment


class SegmentListView(ProgramAPIView):
    required_scope = "segments:write"

    @extend_schema(
        operation_id="segments_list",
        summary="Segments",
        description="The program's segments with their member counts, by code.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_schema("SegmentPage", SEGMENT), **error_responses(400)},
    )
    def get(self, request):
        queryset = Segment.objects.filter(program=self.program).annotate(member_count=Count("memberships"))
        segments, next_cursor = paginate_queryset(request, queryset, ["code", "id"])
        language = self.get_language()
        results = [
            {"code": s.code, "name": self.program.text(s.name, language), "member_count": s.member_count}
            for s in segments
        ]
        return Response(page_response_data(results, next_cursor))


class SegmentMemberView(ProgramAPIView):
    takes_body = False
    required_scope = "segments:write"

    @extend_schema(
        operation_id="segments_members_add",
        summary="Segment Member Mapping: add",
        description="Adds the member to the segment; 200 whether it was already there or not (`added` says which).",
        request=None,
        responses={200: MAPPING, **error_responses(404)},
    )
    def put(self, request, code: str, member_id: str):
        segment = get_segment_or_404(self.program, code)
        member = get_member_or_404(self.program, member_id, related=False)
        added = services.segment_add_member(segment=segment, member=member)
        return Response({"segment": segment.code, "member_id": member.member_id, "added": added})

    @extend_schema(
        operation_id="segments_members_remove",
        summary="Segment Member Mapping: remove",
        description="Removes the member; 204 whether it was there or not; 404 for an unknown member or segment.",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, code: str, member_id: str):
        segment = get_segment_or_404(self.program, code)
        member = get_member_or_404(self.program, member_id, related=False)
        services.segment_remove_member(segment=segment, member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentBulkView(ProgramAPIView):
    required_scope = "segments:write"

    @extend_schema(
        operation_id="segments_members_bulk_update",
        summary="Segment Member Mapping: bulk",
        description=f"Adds and removes up to {MAX_BULK} member ids (both lists together) in one transaction. Unknown "
        "ids are listed in `unknown_members` and skipped; `added`/`removed` count memberships actually created and "
        "deleted. An id in both lists is a 400.",
        request=BulkInput,
        responses={200: BULK_OUTPUT, **error_responses(400, 404)},
    )
    def post(self, request, code: str):
        segment = get_segment_or_404(self.program, code)
        if not isinstance(request.data, dict):
            raise invalid("Expected a JSON object with `add` and/or `remove` lists.")
        data = BulkInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.segment_bulk_update(
            segment=segment, add=data.validated_data["add"], remove=data.validated_data["remove"]
        )
        return Response({"added": result.added, "removed": result.removed, "unknown_members": result.unknown_members})

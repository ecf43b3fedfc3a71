from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.errors import not_found
from loyalty.api.fields import ClosedSerializer, ReferenceField
from loyalty.api.member_serializers import (
    BalanceOutput,
    MemberCreateInput,
    MemberIdField,
    MemberOutput,
    MemberUpdateInput,
    member_data,
)
from loyalty.core.logging import bind_log_context
from members import selectors, services
from members.models import Member
from rewards import selectors as rewards_selectors
from rewards.idempotency import Answer
from rewards.services.enrolment import member_enrol
from rewards.services.erasure import member_erase
from rewards.services.merge import member_merge


def member_for_evaluation_or_404(view, member_id: str, field: str) -> Member:
    """The member with its segment codes and tier id, as a basket evaluation needs it, or a 404 naming `field`.
    One statement: it reads the program's row too when the request has not read it yet (`view.program` is then
    the joined row)."""
    caller = view.caller
    member = rewards_selectors.member_for_evaluation(
        program_id=caller.program_id, member_id=member_id, program=caller.program_if_read
    )
    if member is None:
        raise not_found(f"Member {member_id} not found.", field)
    caller.program = member.program
    bind_log_context(member_id=member.member_id)
    return member


def get_member_or_404(
    program,
    member_id: str,
    field: str | None = None,
    related: bool = True,
    segments: bool = True,
) -> Member:
    """The member or a 404 naming `field`."""
    member = selectors.member_get(program=program, member_id=member_id, related=related, segments=segments)
    if member is None:
        raise not_found(f"Member {member_id} not found.", field)
    bind_log_context(member_id=member.member_id)
    return member


class MemberCreateView(ProgramAPIView):
    required_scope = "members:write"

    @extend_schema(
        operation_id="members_create",
        summary="Enrol a member",
        request=MemberCreateInput,
        responses={201: MemberOutput, **error_responses(400, 409)},
        description="Creates a member with an empty balance. A `member_id` already used in the program is `409 member_exists`.",
    )
    def post(self, request):
        data = MemberCreateInput(data=request.data, context={"program": self.program})
        data.is_valid(raise_exception=True)
        enrolled = member_enrol(program=self.program, **data.validated_data)
        return Response(
            member_data(get_member_or_404(self.program, enrolled.member_id), self.get_language()),
            status=status.HTTP_201_CREATED,
        )


class MemberDetailView(ProgramAPIView):
    required_scopes = {"GET": "members:read", "PATCH": "members:write", "DELETE": "members:write"}

    @extend_schema(
        operation_id="members_retrieve",
        summary="Get a member",
        description="The member's profile, status, segments and balance as of now.",
        responses={200: MemberOutput, **error_responses(404)},
    )
    def get(self, request, member_id: str):
        return Response(member_data(get_member_or_404(self.program, member_id), self.get_language()))

    @extend_schema(
        operation_id="members_partial_update",
        summary="Update a member's profile",
        request=MemberUpdateInput,
        responses={200: MemberOutput, **error_responses(400, 404)},
        description="Changes `email`, `first_name`, `last_name`, `language`, `birth_date`, `address`, "
        "`notifications` and `status`. "
        "`member_id`, `balance` and `segments` are read-only: sending them is a 400.",
    )
    def patch(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id)
        data = MemberUpdateInput(data=request.data, context={"program": self.program}, partial=True)
        data.is_valid(raise_exception=True)
        services.member_update(member=member, changes=data.validated_data)
        return Response(member_data(get_member_or_404(self.program, member_id), self.get_language()))

    @extend_schema(
        operation_id="members_destroy",
        summary="Erase a member's personal data",
        description="Erasure (right to be forgotten): the e-mail, names, birth date and language, the delivery "
        "addresses of past redemptions, webshop sessions and login links, segment memberships and the events' "
        "attributes are deleted for good; the `member_id` is replaced by an opaque pseudonym, so the id can be "
        "enrolled again as a new member. Points movements, lots and redemptions stay as anonymous figures. "
        "Afterwards the old id answers 404 everywhere; the redemptions stay readable by id with `delivery` null. "
        "A physical redemption not yet delivered (`exchanged`, `in_preparation`, `in_delivery`) is "
        "`409 invalid_transition` until it is delivered or cancelled. Subscribers get `member.erased` with the "
        "pseudonym only.",
        request=None,
        responses={204: None, **error_responses(404, 409)},
    )
    def delete(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id, related=False)
        member_erase(member=member, actor=f"api-client:{self.caller.client.client_id}")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MergeInput(ClosedSerializer):
    reference = ReferenceField(help_text="Your id for this merge: the same reference again answers the first result.")
    from_member_id = MemberIdField(help_text="The duplicate whose points, lots, tier and segments move here.")


MERGE = inline_serializer(
    name="Merge",
    fields={
        "reference": serializers.CharField(help_text="The merge's reference."),
        "member_id": serializers.CharField(help_text="The member merged into (it keeps its id)."),
        "from_member_id": serializers.CharField(help_text="The duplicate, now `merged`."),
        "points": inline_serializer(
            name="MergedPoints",
            fields={
                "available": serializers.IntegerField(help_text="Available points moved (negative: a debt)."),
                "pending": serializers.IntegerField(help_text="Pending points moved, still pending."),
            },
            help_text="What moved.",
        ),
        "balance": BalanceOutput(help_text="The target's balance after the merge."),
    },
)


class MemberMergeView(ProgramAPIView):
    required_scope = "members:write"

    @extend_schema(
        operation_id="members_merge_create",
        summary="Merge a duplicate into this member",
        description="The duplicate's available and pending points move here with their own expiry and "
        "availability dates (one `merge_out` row on its history, one `merge_in` row on this member's); its "
        "qualifying points count here from now on, this member keeps the higher tier, segment memberships are "
        "united. The duplicate ends `merged` (`merged_into` names this member): any later points movement or "
        "identification for it is `409 member_blocked`. A duplicate with open locks, a merge into itself, or into a "
        "blocked or merged member, is `409 invalid_transition`. Idempotent by `reference` (another target with "
        "the same reference is `409 idempotency_mismatch`).",
        request=MergeInput,
        responses={201: MERGE, 200: MERGE, **error_responses(400, 404, 409)},
    )
    def post(self, request, member_id: str):
        from loyalty.api.earning import run_write  # earning imports this module

        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        target = get_member_or_404(self.program, member_id, related=False)
        source = get_member_or_404(self.program, v["from_member_id"], "from_member_id", related=False)

        def perform() -> Answer:
            outcome = member_merge(program=self.program, target=target, source=source, reference=v["reference"])
            body = {
                "reference": v["reference"],
                "member_id": target.member_id,
                "from_member_id": source.member_id,
                "points": {"available": outcome.available, "pending": outcome.pending},
                "balance": outcome.balance.as_dict(),
            }
            return Answer(status=201, body=body)

        return run_write(self, operation="merge", reference=v["reference"], perform=perform, extra=member_id)

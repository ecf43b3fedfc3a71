"""Event Rewarding: 202 at once, the reward follows from a worker."""

import json

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from loyalty.api import enums
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.earning import run_write
from loyalty.api.errors import not_found
from loyalty.api.fields import ClosedSerializer, OccurredAtField, ReferenceField, StrictCharField
from loyalty.api.member_serializers import MemberIdField
from loyalty.api.members import get_member_or_404
from programs.models import EventType
from rewards.idempotency import Answer
from rewards.models import Event
from rewards.services.events import event_accept

MAX_ATTRIBUTES_BYTES = 16 * 1024


class EventInput(ClosedSerializer):
    reference = ReferenceField(help_text="The partner's unique id of this event; idempotent by it.")
    member_id = MemberIdField(help_text="The member who did it.")
    event_type = StrictCharField(
        max_length=64, help_text="The code of one of the program's active event types; another code is a 400."
    )
    occurred_at = OccurredAtField(
        required=False,
        help_text="When it happened, ISO 8601 with offset, from 2000-01-01 to 24 h after now (default: now); "
        "per-day limits count the calendar day of this moment in the program's time zone.",
    )
    attributes = serializers.DictField(
        required=False,
        default=dict,
        help_text=f"Free data about the event, kept with it: a JSON object of at most {MAX_ATTRIBUTES_BYTES // 1024} "
        "KiB once serialized.",
    )

    def validate_event_type(self, value):
        event_type = EventType.objects.filter(program=self.context["program"], code=value, active=True).first()
        if event_type is None:
            raise serializers.ValidationError(f"Unknown event type {value}.")
        return event_type

    def validate_attributes(self, value):
        if len(json.dumps(value)) > MAX_ATTRIBUTES_BYTES:
            raise serializers.ValidationError(f"At most {MAX_ATTRIBUTES_BYTES} bytes of JSON.")
        return value


ACCEPTED = inline_serializer(
    name="EventAccepted",
    fields={
        "reference": serializers.CharField(help_text="The event's reference."),
        "status": serializers.ChoiceField(
            choices=enums.EVENT_ACCEPTED_STATUSES,
            help_text="Always `accepted`: stored, to be processed (`GET /events/{reference}` follows it).",
        ),
    },
)
EVENT = inline_serializer(
    name="EventState",
    fields={
        "reference": serializers.CharField(help_text="The event's reference."),
        "status": serializers.ChoiceField(
            choices=enums.EVENT_STATUSES,
            help_text="`accepted` until processed, then `rewarded` or `rejected`.",
        ),
        "points": serializers.IntegerField(
            allow_null=True, min_value=0, help_text="The points rewarded: null until processed; 0 when rejected."
        ),
        "reason": serializers.CharField(
            allow_null=True,
            help_text="Why it was rejected (`limit_reached`, `member_blocked`, `event_type_inactive`, `points_limit`: "
            "the reward would take the balance over the ceiling); null otherwise.",
        ),
    },
)


class EventCreateView(ProgramAPIView):
    required_scope = "points:write"

    @extend_schema(
        operation_id="events_create",
        summary="Event Rewarding",
        description="Stores the event and answers 202 at once; a worker rewards it (exactly once) per the event "
        "type's points and limits (per member per day in the program's timezone, and lifetime). Over a limit the "
        "event ends `rejected` with reason `limit_reached`. An unknown event type is a 400, a blocked member "
        "`409 member_blocked`. The same reference and body again answers 200 with the original answer.",
        request=EventInput,
        responses={202: ACCEPTED, 200: ACCEPTED, **error_responses(400, 404, 409)},
    )
    def post(self, request):
        data = EventInput(data=request.data, context={"program": self.program})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        member = get_member_or_404(self.program, v["member_id"], "member_id", related=False)

        def perform() -> Answer:
            event = event_accept(
                program=self.program,
                member=member,
                event_type=v["event_type"],
                reference=v["reference"],
                occurred_at=v.get("occurred_at") or timezone.now(),
                attributes=v["attributes"],
            )
            return Answer(status=202, body={"reference": event.reference, "status": event.status})

        return run_write(self, operation="event", reference=v["reference"], perform=perform)


class EventDetailView(ProgramAPIView):
    required_scope = "points:read"

    @extend_schema(
        operation_id="events_retrieve",
        summary="An event's state",
        description="Whether the event was rewarded (and with how many points) or rejected (and why).",
        responses={200: EVENT, **error_responses(404)},
    )
    def get(self, request, reference: str):
        event = Event.objects.filter(program=self.program, reference=reference).first()
        if event is None:
            raise not_found(f"Event {reference} not found.")
        return Response(event_data(event))


def event_data(event: Event) -> dict:
    """The event's state as `GET /events/{reference}` answers it."""
    return {
        "reference": event.reference,
        "status": event.status,
        "points": event.points,
        "reason": event.reason or None,
    }

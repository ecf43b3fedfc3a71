"""Webhook subscriptions of the calling client, and their deliveries (API.md, Webhooks)."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from loyalty.api import enums
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.errors import invalid, not_found
from loyalty.api.fields import ClosedSerializer, StrictCharField
from loyalty.api.pagination import PAGE_PARAMETERS, page_response_data, page_schema, paginate_queryset
from programs import webhook_services, webhooks
from programs.models import ApiClient, WebhookDelivery, WebhookSubscription

EVENT_TYPE_HELP = "One of: " + ", ".join(f"`{t}`" for t in webhooks.EVENT_TYPES) + "."


class SubscriptionInput(ClosedSerializer):
    url = StrictCharField(
        max_length=2000,
        validators=[RegexValidator(r"^https?://", "Must be an https:// URL.")],
        help_text="Your endpoint: `https://`, on a public address (loopback, private, link-local and reserved "
        "addresses are refused, also when a name resolves to one at delivery time).",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=enums.WEBHOOK_EVENT_TYPES),
        allow_empty=False,
        min_length=1,
        max_length=len(webhooks.EVENT_TYPES),
        help_text=f"The event types to deliver. {EVENT_TYPE_HELP}",
    )
    description = StrictCharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Your note about the endpoint."
    )


SUBSCRIPTION_FIELDS: dict[str, serializers.Field] = {
    "id": serializers.IntegerField(help_text="The subscription's id."),
    "url": serializers.CharField(help_text="The endpoint deliveries are posted to."),
    "events": serializers.ListField(
        child=serializers.ChoiceField(choices=enums.WEBHOOK_EVENT_TYPES), help_text="The event types delivered."
    ),
    "description": serializers.CharField(help_text="Your note about the endpoint."),
    "status": serializers.ChoiceField(
        choices=enums.WEBHOOK_STATUSES,
        help_text="`disabled` after three days in which every delivery failed, or by the program's team.",
    ),
    "created_at": serializers.DateTimeField(help_text="When it was subscribed."),
}
SUBSCRIPTION = inline_serializer(name="WebhookSubscription", fields=SUBSCRIPTION_FIELDS)
CREATED = inline_serializer(
    name="WebhookSubscriptionCreated",
    fields={
        **SUBSCRIPTION_FIELDS,
        "secret": serializers.CharField(
            help_text="`whsec_…`: verifies the `webhook-signature` header (Standard Webhooks). Shown only here."
        ),
    },
)
DELIVERY = inline_serializer(
    name="WebhookDelivery",
    fields={
        "id": serializers.IntegerField(help_text="The delivery's id."),
        "event_id": serializers.CharField(help_text="The event's id: the payload's `id` and the `webhook-id` header."),
        "type": serializers.ChoiceField(choices=enums.WEBHOOK_EVENT_TYPES, help_text="The event's type."),
        "status": serializers.ChoiceField(
            choices=enums.WEBHOOK_DELIVERY_STATUSES,
            help_text="`pending` (on its way, or waiting for its next try), `delivered` (a 2xx came back) or "
            "`failed` (24 hours of tries without a 2xx, or the subscription was deleted).",
        ),
        "attempts": serializers.IntegerField(min_value=0, help_text="Tries so far."),
        "last_status_code": serializers.IntegerField(allow_null=True, help_text="Null when no answer came."),
        "next_attempt_at": serializers.DateTimeField(allow_null=True, help_text="Null once delivered or failed."),
        "created_at": serializers.DateTimeField(help_text="When the event was recorded for this subscription."),
    },
)


def subscription_data(subscription: WebhookSubscription) -> dict:
    return {
        "id": subscription.pk,
        "url": subscription.url,
        "events": list(subscription.events),
        "description": subscription.description,
        "status": subscription.status,
        "created_at": subscription.created_at.isoformat(),
    }


def delivery_data(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "event_id": delivery.event_id,
        "type": delivery.event.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None,
        "created_at": delivery.created_at.isoformat(),
    }


class WebhookView(ProgramAPIView):
    required_scope = "webhooks:write"

    def own(self):
        return WebhookSubscription.objects.filter(api_client_id=self.caller.client.pk, deleted_at__isnull=True)

    def get_own_or_404(self, subscription_id: int) -> WebhookSubscription:
        subscription = self.own().filter(pk=subscription_id).first()
        if subscription is None:
            raise not_found(f"Webhook subscription {subscription_id} not found.")
        return subscription


class WebhookListView(WebhookView):
    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe to webhooks",
        description="Subscribes one of your HTTPS endpoints to events of your program. Each delivery is a `POST` "
        'of `{"id", "type", "created_at", "program", "data"}` signed as Standard Webhooks says (`webhook-id`, '
        "`webhook-timestamp`, `webhook-signature`), delivered at least once (deduplicate by `id`), retried with "
        "growing delays for 24 hours when your endpoint does not answer 2xx within 10 s.",
        request=SubscriptionInput,
        responses={201: CREATED, **error_responses(400)},
    )
    def post(self, request):
        data = SubscriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        client = ApiClient.objects.get(pk=self.caller.client.pk)
        try:
            subscription, secret = webhook_services.webhook_subscribe(
                api_client=client, url=v["url"], events=v["events"], description=v["description"]
            )
        except webhook_services.InvalidSubscription as exc:
            raise invalid(f"Invalid request. {exc.field}: {exc}", {exc.field: [str(exc)]}) from None
        return Response({**subscription_data(subscription), "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="webhooks_list",
        summary="Your webhook subscriptions",
        description="The calling client's subscriptions (never another client's), newest first, without secrets.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_schema("WebhookSubscriptionPage", SUBSCRIPTION), **error_responses(400)},
    )
    def get(self, request):
        page, next_cursor = paginate_queryset(request, self.own(), ["-created_at", "-id"])
        return Response(page_response_data([subscription_data(s) for s in page], next_cursor))


class WebhookDetailView(WebhookView):
    takes_body = False

    @extend_schema(
        operation_id="webhooks_destroy",
        summary="Unsubscribe",
        description="Deletes the subscription: deliveries stop at once (those pending end `failed`).",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, subscription_id: int):
        webhook_services.webhook_delete(subscription=self.get_own_or_404(subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(WebhookView):
    @extend_schema(
        operation_id="webhooks_deliveries_list",
        summary="Recent deliveries of a subscription",
        description="Newest first.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_schema("WebhookDeliveryPage", DELIVERY), **error_responses(400, 404)},
    )
    def get(self, request, subscription_id: int):
        subscription = self.get_own_or_404(subscription_id)
        deliveries = subscription.deliveries.select_related("event")
        page, next_cursor = paginate_queryset(request, deliveries, ["-created_at", "-id"])
        return Response(page_response_data([delivery_data(d) for d in page], next_cursor))

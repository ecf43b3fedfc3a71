"""Admin of webhooks: subscriptions per program, their deliveries and the events, scoped to the user's programs.

Every write goes through `programs.webhook_services`, from pages of their own (the subscription's page itself is
read-only: there is no service to edit one):

- **Subscribe** (`webhook_subscribe`): an active API client of the program, the URL, the event types as
  checkboxes, a description. The service checks the URL and the events; its `InvalidSubscription` is shown on the
  field it names. The signing secret is derived, never stored: it is shown once, on the page that answers the
  creation (not in a message, which would keep it in the session or a cookie), and never again.
- **Disable / enable** (`webhook_set_status`), **rotate the secret** (`webhook_rotate_secret`, after a
  confirmation; the new secret is shown once the same way) and **delete** (`webhook_delete`: the row stays, marked
  deleted, for the history of its deliveries; pending deliveries end `failed`). Each is confirmed on a page of
  its own and logged in the subscription's history. A deleted subscription is read-only.
- **Deliveries**: newest first, paginated, read-only; "Re-send" (`delivery_resend`) sends failed deliveries
  again, logged in each delivery's history. **Events** are read-only.
"""

import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin

from loyalty.backoffice import labels
from loyalty.backoffice.members import ObjectViewsMixin
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.scope import ProgramScopedAdmin, scope_queryset
from loyalty.backoffice.webhook_forms import WebhookDisableForm, WebhookSubscribeForm
from programs.models import ApiClient, WebhookDelivery, WebhookEvent, WebhookSubscription
from programs.webhook_services import (
    InvalidSubscription,
    delivery_resend,
    webhook_delete,
    webhook_rotate_secret,
    webhook_set_status,
    webhook_subscribe,
)

TEMPLATES = "admin/programs/webhooksubscription"
RESPONSE_SHOWN = 60  # characters of the last response in the deliveries list
DELETED = "deleted"
MAX_MESSAGES = 50


def when(value: datetime.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}" if value else "—"


def status_text(subscription: WebhookSubscription) -> str:
    """ "Active", "Disabled: every delivery failed for 3 days", "Deleted on 2026-03-18 11:00"."""
    if subscription.deleted_at is not None:
        return f"Deleted on {subscription.deleted_at:%Y-%m-%d %H:%M}"
    if subscription.status == WebhookSubscription.ACTIVE:
        return "Active"
    reason = subscription.disabled_reason.strip().rstrip(".")
    if not reason:
        return "Disabled"
    if reason[:2].istitle():  # "Every delivery…" reads "every delivery…" after the colon; "API…" stays
        reason = reason[0].lower() + reason[1:]
    return f"Disabled: {reason}"


class WebhookStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (WebhookSubscription.ACTIVE, "Active"),
            (WebhookSubscription.DISABLED, "Disabled"),
            (DELETED, "Deleted"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == DELETED:
            return queryset.filter(deleted_at__isnull=False)
        if value in (WebhookSubscription.ACTIVE, WebhookSubscription.DISABLED):
            return queryset.filter(deleted_at__isnull=True, status=value)
        return queryset


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(MissingObjectIs404, ObjectViewsMixin, ProgramScopedAdmin):
    list_display = (
        "url",
        "program",
        "api_client",
        "event_list",
        "status_display",
        "failing_since",
        "created_at",
    )
    list_filter = ("program", WebhookStatusFilter)
    search_fields = ("url", "description", "api_client__name")
    list_select_related = ("program", "api_client")
    ordering = ("program__code", "-created_at", "-id")
    actions = None  # every write has its page: no bulk delete (Django's would drop the rows and their history)
    fieldsets = (
        (None, {"fields": ("program", "api_client", "url", "event_list", "description")}),
        ("Status", {"fields": ("status_display", "failing_since", "created_at", "deleted_at")}),
        ("Deliveries", {"fields": ("delivery_summary",)}),
    )
    readonly_fields = (
        "program",
        "api_client",
        "url",
        "event_list",
        "description",
        "status_display",
        "failing_since",
        "created_at",
        "deleted_at",
        "delivery_summary",
    )
    change_form_template = f"{TEMPLATES}/change_form.html"

    # ---- permissions: the page is read-only; the change permission allows disable, enable and rotate ---------

    def has_change_permission(self, request: HttpRequest, obj: WebhookSubscription | None = None) -> bool:
        return obj is None and super().has_change_permission(request)

    def may_change(self, request: HttpRequest, obj: WebhookSubscription) -> bool:
        return obj.deleted_at is None and super().has_change_permission(request, obj)

    def may_delete(self, request: HttpRequest, obj: WebhookSubscription) -> bool:
        return obj.deleted_at is None and self.has_delete_permission(request, obj)

    # ---- list and page columns --------------------------------------------------------------------------------

    @admin.display(description="events")
    def event_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events or []) or "—"

    @admin.display(description="status", ordering="status")
    def status_display(self, obj: WebhookSubscription) -> str:
        text = status_text(obj)
        if obj.deleted_at is None and obj.status == WebhookSubscription.ACTIVE:
            return text
        return format_html('<strong class="webhook-{}">{}</strong>', DELETED if obj.deleted_at else "disabled", text)

    @admin.display(description="deliveries")
    def delivery_summary(self, obj: WebhookSubscription) -> str:
        counts = {status: 0 for status, _ in WebhookDelivery.STATUSES}
        for status in obj.deliveries.values_list("status", flat=True).order_by():
            counts[status] += 1
        url = reverse("admin:programs_webhookdelivery_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html(
            '<a id="webhook-deliveries" href="{}">{} deliveries</a>: {} pending, {} delivered, {} failed',
            url,
            sum(counts.values()),
            counts[WebhookDelivery.PENDING],
            counts[WebhookDelivery.DELIVERED],
            counts[WebhookDelivery.FAILED],
        )

    # ---- the custom pages -------------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = (("disable", self.disable_view), ("enable", self.enable_view), ("rotate", self.rotate_view))
        return [
            *(
                path(f"<path:object_id>/{name}/", self.admin_site.admin_view(view), name=f"{prefix}_{name}")
                for name, view in views
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_change": self.may_change(request, obj),
            "may_delete": self.may_delete(request, obj),
            "show_delete": self.may_delete(request, obj),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_url(self) -> str:
        return reverse("admin:programs_webhooksubscription_changelist")

    def change_url(self, obj: WebhookSubscription) -> str:
        return reverse("admin:programs_webhooksubscription_change", args=[obj.pk])

    def action_page(
        self, request: HttpRequest, obj: WebhookSubscription | None, title: str, **context: Any
    ) -> HttpResponse:
        cancel = self.change_url(obj) if obj is not None else self.changelist_url()
        return self.page(request, f"{TEMPLATES}/action.html", obj, title, cancel_url=cancel, **context)

    def secret_page(self, request: HttpRequest, obj: WebhookSubscription, title: str, secret: str) -> HttpResponse:
        # The answer to the POST itself: the secret goes into no message, session or cookie (and admin_view marks
        # every admin page no-store).
        return self.page(request, f"{TEMPLATES}/secret.html", obj, title, secret=secret)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        clients = scope_queryset(
            request, ApiClient.objects.filter(active=True).select_related("program"), "program"
        ).order_by("program__code", "name")
        form = WebhookSubscribeForm(request.POST or None, clients=clients)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                subscription, secret = webhook_subscribe(
                    api_client=data["api_client"],
                    url=data["url"].strip(),
                    events=data["events"],
                    description=data["description"],
                )
            except InvalidSubscription as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                self.log_addition(
                    request,
                    subscription,
                    f"Subscribed for {subscription.api_client.name}: {', '.join(subscription.events)}.",
                )
                return self.secret_page(request, subscription, "Webhook subscription created", secret)
        return self.action_page(
            request,
            None,
            "Add a webhook subscription",
            form=form,
            intro="Deliveries are signed with a secret shown once, on the next page.",
            submit="Subscribe",
            form_id="webhook-subscribe-form",
        )

    def disable_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.object_for(request, object_id, self.may_change)
        if obj.status != WebhookSubscription.ACTIVE:
            self.message_user(request, "This subscription is already disabled.", messages.WARNING)
            return HttpResponseRedirect(self.change_url(obj))
        form = WebhookDisableForm(request.POST or None, initial={"reason": "Disabled in the back office."})
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"].strip() or "Disabled in the back office."
            webhook_set_status(subscription=obj, active=False, reason=reason)
            self.log_change(request, obj, f"Disabled: {reason}")
            self.message_user(request, f"{obj.url} disabled: nothing is delivered to it.", messages.SUCCESS)
            return HttpResponseRedirect(self.change_url(obj))
        return self.action_page(
            request,
            obj,
            f"Disable {obj.url}",
            form=form,
            intro="While it is disabled, its deliveries end failed at their next attempt (they can be re-sent "
            "once it is enabled again).",
            submit="Disable",
            form_id="webhook-disable-form",
        )

    def enable_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.object_for(request, object_id, self.may_change)
        if obj.status == WebhookSubscription.ACTIVE:
            self.message_user(request, "This subscription is already active.", messages.WARNING)
            return HttpResponseRedirect(self.change_url(obj))
        if request.method == "POST":
            was = status_text(obj)
            webhook_set_status(subscription=obj, active=True)
            self.log_change(request, obj, f"Enabled (was {was}).")
            self.message_user(request, f"{obj.url} enabled: new events are delivered to it.", messages.SUCCESS)
            return HttpResponseRedirect(self.change_url(obj))
        return self.action_page(
            request,
            obj,
            f"Enable {obj.url}",
            intro=f"Now: {status_text(obj)}. Enabled, it receives the events that happen from now on.",
            submit="Enable",
            form_id="webhook-enable-form",
        )

    def rotate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.object_for(request, object_id, self.may_change)
        if request.method == "POST":
            secret = webhook_rotate_secret(subscription=obj)
            self.log_change(request, obj, "Signing secret rotated.")
            return self.secret_page(request, obj, f"New signing secret of {obj.url}", secret)
        return self.action_page(
            request,
            obj,
            f"Rotate the signing secret of {obj.url}",
            intro="The current secret stops signing at once: deliveries fail the partner's signature check until "
            "it uses the new secret, shown once on the next page.",
            submit="Rotate the secret",
            form_id="webhook-rotate-form",
        )

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.object_for(request, object_id, self.may_delete)
        if request.method == "POST":
            pending = obj.deliveries.filter(status=WebhookDelivery.PENDING).count()
            webhook_delete(subscription=obj)
            self.log_change(request, obj, f"Deleted ({pending} pending deliveries stopped).")
            self.message_user(request, f"{obj.url} deleted: {pending} pending deliveries stopped.", messages.SUCCESS)
            return HttpResponseRedirect(self.changelist_url())
        return self.action_page(
            request,
            obj,
            f"Delete {obj.url}",
            intro="Deliveries stop at once: pending ones end failed. The subscription and its deliveries stay "
            "listed, as deleted.",
            submit="Delete",
            form_id="webhook-delete-form",
        )


class ReadOnlyAdmin(unfold_admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(MissingObjectIs404, ReadOnlyAdmin, ProgramScopedAdmin):
    program_path = "subscription__program"
    list_display = (
        "event_id_display",
        "event_type",
        "subscription_url",
        "status_label",
        "attempts",
        "last_status_code",
        "last_response_short",
        "last_error",
        "next_attempt",
        "created",
    )
    list_display_links = ("event_id_display",)
    list_filter = (
        labels.choices_filter("status", labels.DELIVERY_STATUS, _("status")),
        "subscription",
        "subscription__program",
    )
    search_fields = ("=event__id", "event__type")
    search_help_text = "An event id (msg_…) or type."
    list_select_related = ("event", "subscription")
    ordering = ("-created_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    actions = ("resend",)
    fields = (
        "subscription",
        "event_link",
        "event_type",
        "status_label",
        "attempts",
        "last_attempt_at",
        "last_status_code",
        "last_response",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    readonly_fields = fields

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: WebhookDelivery) -> str:
        return labels.label(labels.DELIVERY_STATUS, obj.status)

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        # The change permission allows "Re-send"; the page of one delivery is read-only.
        return obj is None and super().has_change_permission(request)

    def get_list_display(self, request: HttpRequest):
        # The deliveries of one subscription (its page links here): no need to repeat its URL on every row.
        if "subscription__id__exact" in request.GET:
            return tuple(c for c in self.list_display if c != "subscription_url")
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        subscription_id = request.GET.get("subscription__id__exact", "")
        subscription = (
            scope_queryset(request, WebhookSubscription.objects.all(), "program").filter(pk=subscription_id).first()
            if subscription_id.isdigit()
            else None
        )
        if subscription is not None:
            extra_context = {**(extra_context or {}), "title": f"Deliveries to {subscription.url}"}
        return super().changelist_view(request, extra_context)

    @admin.display(description="event id", ordering="event_id")
    def event_id_display(self, obj: WebhookDelivery) -> str:
        return obj.event_id

    @admin.display(description="type", ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description="subscription")
    def subscription_url(self, obj: WebhookDelivery) -> str:
        return Truncator(obj.subscription.url).chars(50)

    @admin.display(description="last response")
    def last_response_short(self, obj: WebhookDelivery) -> str:
        return Truncator(obj.last_response).chars(RESPONSE_SHOWN) if obj.last_response else "—"

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, obj: WebhookDelivery) -> str:
        return when(obj.next_attempt_at)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: WebhookDelivery) -> str:
        return when(obj.created_at)

    @admin.display(description="event")
    def event_link(self, obj: WebhookDelivery) -> str:
        url = reverse("admin:programs_webhookevent_change", args=[quote(obj.event_id)])  # the admin unquotes ids
        return format_html('<a href="{}">{}</a>', url, obj.event_id)

    @admin.action(description="Re-send the selected failed deliveries", permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent = skipped = reported = 0
        for delivery in queryset.select_related("subscription", "event").order_by("pk"):
            subscription = delivery.subscription
            problem = ""
            if delivery.status != WebhookDelivery.FAILED:
                problem = f"it is {delivery.status}, not failed"
            elif subscription.deleted_at is not None:
                problem = "its subscription is deleted"
            elif subscription.status != WebhookSubscription.ACTIVE:
                problem = "its subscription is disabled: enable it first"
            if problem:
                skipped += 1
                if reported < MAX_MESSAGES:
                    self.message_user(request, f"{delivery.event_id}: not re-sent, {problem}.", messages.WARNING)
                    reported += 1
                continue
            delivery_resend(delivery=delivery)
            self.log_change(request, delivery, "Re-sent.")
            sent += 1
        if sent:
            self.message_user(
                request,
                f"{sent} deliver{'y' if sent == 1 else 'ies'} re-sent: queued for delivery now.",
                messages.SUCCESS,
            )
        elif not skipped:
            self.message_user(request, "Nothing to re-send.", messages.WARNING)


@admin.register(WebhookEvent)
class WebhookEventAdmin(MissingObjectIs404, ReadOnlyAdmin, ProgramScopedAdmin):
    list_display = ("id", "type", "program", "created_at")
    list_filter = ("program", "type")
    search_fields = ("=id",)
    list_select_related = ("program",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = ("id", "program", "type", "created_at", "data")
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False

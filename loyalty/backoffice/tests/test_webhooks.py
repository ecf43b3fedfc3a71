"""Webhooks in the admin: subscriptions per program (list, subscribe with the secret shown once, disable, enable,
rotate, delete — each logged), their deliveries (newest first, "Re-send" for failed ones) and the events, all
read-only but for those actions, scoped to the user's programs, for the groups allowed."""

import datetime
import re
import uuid

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.utils import timezone

from loyalty.backoffice.groups import CUSTOMER_SERVICE, FULFILMENT
from loyalty.backoffice.tests.helpers import admin_url, messages_of, staff_user
from loyalty.backoffice.webhooks import RESPONSE_SHOWN
from programs import webhooks
from programs.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from programs.services import api_client_create, api_client_revoke
from programs.webhook_services import webhook_set_status, webhook_subscribe

pytestmark = pytest.mark.django_db

URL = "https://1.1.1.1/hooks"  # a literal public address: no DNS lookup in the tests


@pytest.fixture
def manager(program):
    return staff_user("manager", program)


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def partner(program):
    return api_client_create(program=program, name="Webshop", scopes="webhooks:write")[0]


@pytest.fixture
def their_partner(other_program):
    return api_client_create(program=other_program, name="Their CRM", scopes="webhooks:write")[0]


@pytest.fixture
def hook(partner):
    return webhook_subscribe(api_client=partner, url=URL, events=["points.earned", "member.enrolled"])[0]


@pytest.fixture
def their_hook(their_partner):
    return webhook_subscribe(api_client=their_partner, url="https://9.9.9.9/theirs", events=["points.earned"])[0]


def deliver(subscription, status=WebhookDelivery.FAILED, minutes_ago=0, **fields) -> WebhookDelivery:
    event = WebhookEvent.objects.create(
        id=f"msg_{uuid.uuid4().hex}", program_id=subscription.program_id, type="points.earned", data={"points": 10}
    )
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event=event,
        status=status,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        **fields,
    )


def subscription_url(view: str, subscription) -> str:
    return admin_url(WebhookSubscription, view, subscription.pk)


def deliveries_url(subscription) -> str:
    return admin_url(WebhookDelivery, "changelist") + f"?subscription__id__exact={subscription.pk}"


# ---- the list ---------------------------------------------------------------------------------------------------


def test_the_list_shows_the_programs_subscriptions_and_why_one_is_disabled(web, partner, hook, their_hook):
    failing = webhook_subscribe(api_client=partner, url="https://8.8.8.8/down", events=["voucher.issued"])[0]
    since = timezone.now() - datetime.timedelta(days=3)
    WebhookSubscription.objects.filter(pk=failing.pk).update(
        status=WebhookSubscription.DISABLED, disabled_reason="Every delivery failed for 3 days.", failing_since=since
    )

    response = web.get(admin_url(WebhookSubscription, "changelist"))

    assert response.status_code == 200
    assert {s.pk for s in response.context["cl"].result_list} == {hook.pk, failing.pk}  # not the other program's
    page = response.content.decode()
    assert "https://1.1.1.1/hooks" in page and "points.earned, member.enrolled" in page and "Webshop" in page
    assert "Disabled: every delivery failed for 3 days" in page
    assert "9.9.9.9" not in page and "Their CRM" not in page

    active = web.get(admin_url(WebhookSubscription, "changelist") + "?status=active").context["cl"].result_list
    disabled = web.get(admin_url(WebhookSubscription, "changelist") + "?status=disabled").context["cl"].result_list
    assert [s.pk for s in active] == [hook.pk] and [s.pk for s in disabled] == [failing.pk]


def test_the_subscription_page_is_read_only_with_its_actions(web, hook):
    deliver(hook, WebhookDelivery.PENDING)
    deliver(hook, WebhookDelivery.FAILED)

    response = web.get(subscription_url("change", hook))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="url"' not in page and 'name="_save"' not in page  # nothing to edit in place
    for view in ("disable", "rotate"):
        assert subscription_url(view, hook) in page
    assert subscription_url("enable", hook) not in page
    assert subscription_url("delete", hook) in page
    assert "2 deliveries</a>: 1 pending, 0 delivered, 1 failed" in page
    assert webhooks.signing_secret(hook) not in page


# ---- subscribe --------------------------------------------------------------------------------------------------


def test_the_form_offers_the_programs_active_clients_and_every_event_type(web, program, partner, their_partner):
    revoked = api_client_create(program=program, name="Old till", scopes="webhooks:write")[0]
    api_client_revoke(client=revoked)

    response = web.get(admin_url(WebhookSubscription, "add"))

    assert response.status_code == 200
    assert list(response.context["form"].fields["api_client"].queryset) == [partner]
    page = response.content.decode()
    for event_type in webhooks.EVENT_TYPES:
        assert f'type="checkbox" name="events" value="{event_type}"' in page


def test_subscribing_shows_the_secret_once_and_logs_it(web, manager, partner):
    response = web.post(
        admin_url(WebhookSubscription, "add"),
        {"api_client": partner.pk, "url": URL, "events": ["points.earned", "voucher.issued"], "description": "shop"},
    )

    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert (subscription.program_id, subscription.api_client, subscription.url) == (partner.program_id, partner, URL)
    assert subscription.events == ["points.earned", "voucher.issued"] and subscription.description == "shop"
    secret = webhooks.signing_secret(subscription)
    assert secret.startswith("whsec_")
    assert f'<code id="webhook-secret">{secret}</code>' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert not messages_of(response)  # in no message (session or cookie)
    log = LogEntry.objects.get(object_id=str(subscription.pk))
    assert (log.action_flag, log.user) == (ADDITION, manager)
    assert log.get_change_message() == "Subscribed for Webshop: points.earned, voucher.issued."

    again = web.get(subscription_url("change", subscription)).content.decode()
    assert secret not in again


@pytest.mark.parametrize(
    ("url", "events", "field", "words"),
    [
        ("http://1.1.1.1/hooks", ["points.earned"], "url", "https://"),
        ("https://127.0.0.1/hooks", ["points.earned"], "url", "loopback, private"),
        ("https://10.0.0.5/hooks", ["points.earned"], "url", "loopback, private"),
        ("not a url", ["points.earned"], "url", "https://"),
        (URL, [], "events", "At least one event type"),
        (URL, ["points.stolen"], "events", "points.stolen"),
    ],
)
def test_the_services_refusals_show_on_their_field(web, partner, url, events, field, words):
    response = web.post(admin_url(WebhookSubscription, "add"), {"api_client": partner.pk, "url": url, "events": events})

    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors[field])
    assert not WebhookSubscription.objects.exists()


def test_another_programs_client_cannot_be_chosen(web, their_partner):
    response = web.post(
        admin_url(WebhookSubscription, "add"), {"api_client": their_partner.pk, "url": URL, "events": ["points.earned"]}
    )

    assert response.status_code == 200 and "api_client" in response.context["form"].errors
    assert not WebhookSubscription.objects.exists()


# ---- disable, enable, rotate, delete ----------------------------------------------------------------------------


def test_disable_then_enable_through_the_service_and_logged(web, hook):
    assert web.get(subscription_url("disable", hook)).status_code == 200  # the confirmation
    assert WebhookSubscription.objects.get(pk=hook.pk).status == WebhookSubscription.ACTIVE

    response = web.post(subscription_url("disable", hook), {"reason": "Partner migrating its servers."})

    assert response.status_code == 302 and response["Location"] == subscription_url("change", hook)
    hook.refresh_from_db()
    assert (hook.status, hook.disabled_reason) == (WebhookSubscription.DISABLED, "Partner migrating its servers.")
    page = web.get(response["Location"])
    assert "Disabled: partner migrating its servers" in page.content.decode()
    assert subscription_url("enable", hook) in page.content.decode()

    WebhookSubscription.objects.filter(pk=hook.pk).update(failing_since=timezone.now())
    response = web.post(subscription_url("enable", hook))

    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.status, hook.disabled_reason, hook.failing_since) == (WebhookSubscription.ACTIVE, "", None)
    logs = [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(hook.pk)).order_by("pk")]
    assert logs == [
        "Disabled: Partner migrating its servers.",
        "Enabled (was Disabled: partner migrating its servers).",
    ]
    assert f"{URL} enabled: new events are delivered to it." in messages_of(web.get(response["Location"]))


def test_rotating_asks_first_then_shows_the_new_secret_once(web, hook):
    old = webhooks.signing_secret(hook)

    confirm = web.get(subscription_url("rotate", hook))

    assert confirm.status_code == 200 and 'id="webhook-rotate-form"' in confirm.content.decode()
    hook.refresh_from_db()
    assert webhooks.signing_secret(hook) == old

    response = web.post(subscription_url("rotate", hook))

    assert response.status_code == 200
    hook.refresh_from_db()
    new = webhooks.signing_secret(hook)
    assert new != old and f'<code id="webhook-secret">{new}</code>' in response.content.decode()
    assert LogEntry.objects.get(object_id=str(hook.pk)).get_change_message() == "Signing secret rotated."
    assert new not in web.get(subscription_url("change", hook)).content.decode()


def test_delete_stops_the_deliveries_and_keeps_the_row(web, hook):
    pending = deliver(hook, WebhookDelivery.PENDING)
    assert web.get(subscription_url("delete", hook)).status_code == 200  # the confirmation

    response = web.post(subscription_url("delete", hook))

    assert response.status_code == 302 and response["Location"] == admin_url(WebhookSubscription, "changelist")
    hook.refresh_from_db()
    pending.refresh_from_db()
    assert hook.deleted_at is not None and hook.status == WebhookSubscription.DISABLED
    assert pending.status == WebhookDelivery.FAILED and pending.last_error == "The subscription was deleted."
    log = LogEntry.objects.get(object_id=str(hook.pk))
    assert (log.action_flag, log.get_change_message()) == (CHANGE, "Deleted (1 pending deliveries stopped).")
    listed = web.get(admin_url(WebhookSubscription, "changelist") + "?status=deleted")
    assert [s.pk for s in listed.context["cl"].result_list] == [hook.pk]
    assert "Deleted on" in listed.content.decode()

    page = web.get(subscription_url("change", hook)).content.decode()
    assert all(subscription_url(view, hook) not in page for view in ("disable", "enable", "rotate", "delete"))
    for view in ("disable", "enable", "rotate", "delete"):
        assert web.post(subscription_url(view, hook)).status_code == 403


def test_no_bulk_delete_of_subscriptions(web, hook):
    response = web.get(admin_url(WebhookSubscription, "changelist"))
    assert "delete_selected" not in response.content.decode()


# ---- deliveries -------------------------------------------------------------------------------------------------


def test_deliveries_newest_first_with_their_details(web, hook, their_hook):
    old = deliver(hook, WebhookDelivery.DELIVERED, minutes_ago=30, attempts=1, last_status_code=200)
    failed = deliver(
        hook,
        WebhookDelivery.FAILED,
        minutes_ago=10,
        attempts=12,
        last_status_code=503,
        last_response="x" * 300,
        last_error="HTTP 503",
    )
    new = deliver(hook, WebhookDelivery.PENDING, attempts=2, next_attempt_at=timezone.now())
    deliver(their_hook, WebhookDelivery.FAILED)

    response = web.get(deliveries_url(hook))

    assert response.status_code == 200
    assert [d.pk for d in response.context["cl"].result_list] == [new.pk, failed.pk, old.pk]
    page = response.content.decode()
    assert failed.event_id in page and "points.earned" in page and "HTTP 503" in page and "503" in page
    assert "x" * (RESPONSE_SHOWN - 1) + "…" in page and "x" * RESPONSE_SHOWN + "x" not in page
    assert f"Deliveries to {URL}" in page and "subscription_url" not in response.context["cl"].list_display
    # Everyone's list holds only the manager's program.
    everything = web.get(admin_url(WebhookDelivery, "changelist")).context["cl"].result_list
    assert {d.pk for d in everything} == {new.pk, failed.pk, old.pk}


def test_deliveries_are_paginated(web, hook):
    for minutes in range(51):
        deliver(hook, WebhookDelivery.DELIVERED, minutes_ago=minutes)

    first = web.get(deliveries_url(hook))
    second = web.get(deliveries_url(hook) + "&p=2")

    assert len(first.context["cl"].result_list) == 50 and len(second.context["cl"].result_list) == 1


def test_resend_sends_failed_deliveries_again_and_logs_them(web, hook):
    failed = deliver(hook, WebhookDelivery.FAILED, minutes_ago=60 * 30, attempts=12)
    delivered = deliver(hook, WebhookDelivery.DELIVERED)

    response = web.post(
        deliveries_url(hook),
        {"action": "resend", "_selected_action": [failed.pk, delivered.pk]},
        follow=True,
    )

    failed.refresh_from_db()
    delivered.refresh_from_db()
    assert failed.status == WebhookDelivery.PENDING and failed.next_attempt_at is not None
    assert failed.created_at > timezone.now() - datetime.timedelta(minutes=1)  # a new round of 24 hours
    assert delivered.status == WebhookDelivery.DELIVERED
    shown = messages_of(response)
    assert "1 delivery re-sent: queued for delivery now." in shown
    assert f"{delivered.event_id}: not re-sent, it is delivered, not failed." in shown
    log = LogEntry.objects.get(object_id=str(failed.pk))
    assert log.get_change_message() == "Re-sent." and log.content_type.model == "webhookdelivery"


def test_resend_waits_for_a_disabled_subscription(web, hook):
    failed = deliver(hook, WebhookDelivery.FAILED)
    webhook_set_status(subscription=hook, active=False, reason="paused")

    response = web.post(deliveries_url(hook), {"action": "resend", "_selected_action": [failed.pk]}, follow=True)

    failed.refresh_from_db()
    assert failed.status == WebhookDelivery.FAILED
    assert f"{failed.event_id}: not re-sent, its subscription is disabled: enable it first." in messages_of(response)


def test_deliveries_and_events_are_read_only(web, hook):
    delivery = deliver(hook, WebhookDelivery.FAILED)

    page = web.get(admin_url(WebhookDelivery, "change", delivery.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert delivery.event_id in page.content.decode()
    event = web.get(admin_url(WebhookEvent, "change", delivery.event_id))
    assert event.status_code == 200 and 'name="_save"' not in event.content.decode()
    assert web.get(admin_url(WebhookDelivery, "add")).status_code == 403
    assert web.get(admin_url(WebhookEvent, "add")).status_code == 403
    assert web.post(admin_url(WebhookDelivery, "delete", delivery.pk)).status_code == 403
    assert web.post(admin_url(WebhookEvent, "delete", delivery.event_id)).status_code == 403
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()


def test_an_event_whose_id_reads_as_an_admin_escape_opens_from_its_delivery(web, hook):
    """Event ids are `msg_<hex>`: `_40` is the admin's escape for `@`, so the links must quote the id."""
    event = WebhookEvent.objects.create(
        id="msg_40aa5fdeadbeef", program_id=hook.program_id, type="points.earned", data={}
    )
    delivery = WebhookDelivery.objects.create(subscription=hook, event=event, status=WebhookDelivery.FAILED)

    page = web.get(admin_url(WebhookDelivery, "change", delivery.pk)).content.decode()
    link = re.search(r'href="([^"]*/webhookevent/[^"]*)"', page).group(1)

    assert web.get(link).status_code == 200


# ---- scoping and groups -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["change", "disable", "enable", "rotate", "delete", "history"])
def test_another_programs_subscription_is_not_found(web, their_hook, view):
    assert web.get(subscription_url(view, their_hook)).status_code == 404
    assert web.post(subscription_url(view, their_hook)).status_code == 404
    their_hook.refresh_from_db()
    assert their_hook.status == WebhookSubscription.ACTIVE and their_hook.deleted_at is None


def test_another_programs_deliveries_are_not_found_nor_re_sent(web, their_hook):
    theirs = deliver(their_hook, WebhookDelivery.FAILED)

    assert web.get(admin_url(WebhookDelivery, "change", theirs.pk)).status_code == 404
    assert web.get(admin_url(WebhookEvent, "change", theirs.event_id)).status_code == 404
    web.post(admin_url(WebhookDelivery, "changelist"), {"action": "resend", "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.status == WebhookDelivery.FAILED


def test_customer_service_only_looks(client, program, hook):
    failed = deliver(hook, WebhookDelivery.FAILED)
    client.force_login(staff_user("cs", program, group=CUSTOMER_SERVICE))

    assert client.get(admin_url(WebhookSubscription, "changelist")).status_code == 200
    page = client.get(subscription_url("change", hook)).content.decode()
    assert subscription_url("disable", hook) not in page and subscription_url("delete", hook) not in page
    listed = client.get(deliveries_url(hook))
    assert listed.status_code == 200 and 'value="resend"' not in listed.content.decode()
    assert client.get(admin_url(WebhookSubscription, "add")).status_code == 403
    for view in ("disable", "rotate", "delete"):
        assert client.post(subscription_url(view, hook)).status_code == 403
    client.post(deliveries_url(hook), {"action": "resend", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    hook.refresh_from_db()
    assert failed.status == WebhookDelivery.FAILED and hook.status == WebhookSubscription.ACTIVE


def test_fulfilment_sees_no_webhooks(client, program, hook):
    client.force_login(staff_user("ff", program, group=FULFILMENT))
    assert client.get(admin_url(WebhookSubscription, "changelist")).status_code == 403
    assert client.get(admin_url(WebhookDelivery, "changelist")).status_code == 403

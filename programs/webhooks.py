"""Webhooks: the event outbox, signing secrets, the address guard and one delivery attempt (API.md, Webhooks).

- `emit` records an event in the caller's transaction with one delivery per matching subscription, and queues
  them once it commits: a change that commits always has its event, one that rolls back never does. Programs
  with no subscription for the type pay nothing (the subscriptions are cached, see `_subscribed`).
- `data` comes from the renderer registered for the type (the API layer registers the functions that build its
  own answers, so a delivery carries the shape the API answers), given the object the service passes.
- Secrets: the signing secret of a subscription is HMAC-SHA256(WEBHOOK_SECRET_KEY, "webhook:" + salt), with only
  the random salt in the database: a dump of the database alone cannot sign a delivery; rotating draws a new salt.
- `deliver` makes one attempt: resolve the host, refuse any non-public address (unless WEBHOOK_ALLOW_PRIVATE_URLS),
  connect to the very address checked (a DNS change between check and connection cannot redirect it), POST
  with the Standard Webhooks headers, 10 s at most.
"""

import base64
import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from loyalty.core.cache import tolerant
from programs.models import Program, WebhookDelivery, WebhookEvent, WebhookSubscription

logger = logging.getLogger("programs.webhooks")

EVENT_TYPES = (
    "member.enrolled",
    "member.tier_changed",
    "member.merged",
    "member.erased",
    "points.earned",
    "points.reversed",
    "points.expired",
    "event.rewarded",
    "event.rejected",
    "redemption.created",
    "redemption.status_changed",
    "voucher.issued",
)
TIMEOUT_SECONDS = 10
# Delays before each retry (the first within a minute); with jitter they add up to more than 24 hours, after
# which a delivery still failing is `failed`.
RETRY_DELAYS = (30, 120, 600, 1800, 3600, 7200, 14400, 21600, 21600, 21600, 21600)
GIVE_UP_AFTER = datetime.timedelta(hours=24)
DISABLE_AFTER = datetime.timedelta(days=3)
_CACHE_PREFIX = "webhooks:subscribed:"

_renderers: dict[str, Callable[[Any], dict]] = {}


def register_renderer(event_type: str, render: Callable[[Any], dict]) -> None:
    """How `data` is built for a type (called once at start-up by the layer that owns the answers' shapes)."""
    assert event_type in EVENT_TYPES, event_type
    _renderers[event_type] = render


# --- the outbox ------------------------------------------------------------------------------------------------


def _subscribed(program_id: int) -> dict[str, list[int]]:
    """The active subscriptions of the program by event type, cached (dropped by every subscription change).
    A cache that does not answer (Redis down) costs a query, not the write that emits the event."""
    key = f"{_CACHE_PREFIX}{program_id}"
    found = tolerant(lambda: cache.get(key), None, logger, "Webhook subscription cache unavailable: reading them.")
    if found is None:
        found = subscriptions_by_type(
            WebhookSubscription.objects.filter(
                program_id=program_id, status=WebhookSubscription.ACTIVE, deleted_at__isnull=True
            ).values_list("pk", "events")
        )
        message = "Webhook subscription cache unavailable: the subscriptions were read."
        tolerant(lambda: cache.set(key, found, settings.WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS), None, logger, message)
    return found


def subscriptions_by_type(rows: Iterable[Sequence[Any]]) -> dict[str, list[int]]:
    """The ids of the subscriptions wanting each event type, from (id, event types) rows."""
    found: dict[str, list[int]] = {}
    for pk, events in rows:
        for event_type in events:
            found.setdefault(event_type, []).append(pk)
    return found


def subscriptions_changed(program_id: int) -> None:
    """Drops the cached subscriptions now and once the change commits. If the cache does not answer, the change
    still goes through: a cached copy written before the outage may then serve up to
    WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS."""
    key = f"{_CACHE_PREFIX}{program_id}"

    def drop() -> None:
        tolerant(lambda: cache.delete(key), None, logger, "Webhook subscription cache unavailable: not dropped.")

    transaction.on_commit(drop)
    drop()


def emit(
    *,
    program: Program | int,
    event_type: str,
    subject: Any,
    subscriptions: Mapping[str, Sequence[int]] | None = None,
) -> WebhookEvent | None:
    """Records the event for the subscriptions that want it, in the current transaction; None when none does.

    `subscriptions`: the program's active subscriptions by type (`subscriptions_by_type`) when the caller read
    them in this transaction (the earn reads them with the member's balance row); otherwise from the cache."""
    assert event_type in EVENT_TYPES, event_type
    program_id = program if isinstance(program, int) else program.pk
    targets = (subscriptions if subscriptions is not None else _subscribed(program_id)).get(event_type)
    if not targets:
        return None
    data = _renderers[event_type](subject)
    event = WebhookEvent.objects.create(
        id=f"msg_{uuid.uuid4().hex}", program_id=program_id, type=event_type, data=_plain(data)
    )
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(subscription_id=pk, event=event, next_attempt_at=now) for pk in targets
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _queue(ids))
    return event


def emit_wanted(program_id: int, event_type: str) -> bool:
    """Whether some subscription of the program wants this type (to skip building subjects no one reads)."""
    return bool(_subscribed(program_id).get(event_type))


def emit_many(*, program_id: int, event_type: str, subjects: Iterable[Any]) -> int:
    """`emit` for a batch of changes of one program (the expiry job, event batches); returns how many."""
    subjects = list(subjects)
    if not subjects or not _subscribed(program_id).get(event_type):
        return 0
    for subject in subjects:
        emit(program=program_id, event_type=event_type, subject=subject)
    return len(subjects)


def _queue(ids: list[int]) -> None:
    from loyalty.core.queue import enqueue
    from programs.tasks import deliver_webhook

    for delivery_id in ids:
        enqueue(deliver_webhook, delivery_id)


def _plain(data: dict) -> dict:
    """JSON-safe (datetimes, decimals as the API writes them)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# --- secrets ---------------------------------------------------------------------------------------------------


def new_salt() -> str:
    return secrets.token_hex(16)


def signing_secret(subscription: WebhookSubscription) -> str:
    key = settings.WEBHOOK_SECRET_KEY.encode()
    raw = hmac.new(key, f"webhook:{subscription.secret_salt}".encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(raw).decode()


# --- the address guard -----------------------------------------------------------------------------------------


class UnsafeURL(ValueError):
    pass


def check_url(url: str) -> None:
    """At subscription: https, a host, and no literal non-public address (names are checked at each delivery,
    after resolution). Raises UnsafeURL with the reason."""
    try:
        URLValidator(schemes=["https", "http"])(url)
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port  # the port is read here: a bad one raises ValueError
    except (ValidationError, ValueError):
        raise UnsafeURL("Must be an https:// URL.") from None
    if not hostname:
        raise UnsafeURL("Must be an https:// URL.")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    if parts.scheme != "https":
        raise UnsafeURL("Must be an https:// URL.")
    if parts.username or parts.password:
        raise UnsafeURL("Must not carry credentials.")
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        if hostname.lower() in ("localhost", "localhost.localdomain") or hostname.endswith(".localhost"):
            raise UnsafeURL("Must not point to a loopback, private, link-local or reserved address.") from None
        addresses = _resolve(hostname, port or 443, strict=False)
        if any(not _public(a) for a in addresses):
            raise UnsafeURL("Must not point to a loopback, private, link-local or reserved address.") from None
        return
    if not _public(address):
        raise UnsafeURL("Must not point to a loopback, private, link-local or reserved address.")


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int, *, strict: bool = True) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if strict:
            raise UnsafeURL(f"Cannot resolve {host}: {exc}.") from None
        return []  # unknown today: the delivery checks again
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


# --- one delivery attempt --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status_code: int | None
    response: str
    error: str


def payload_of(event: WebhookEvent, program_code: str) -> str:
    body = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "program": program_code,
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def signed_headers(subscription: WebhookSubscription, event_id: str, payload: str) -> dict[str, str]:
    from standardwebhooks.webhooks import Webhook

    now = timezone.now()
    signature = Webhook(signing_secret(subscription)).sign(event_id, now, payload)
    return {
        "content-type": "application/json",
        "user-agent": "loyalty-webhooks/1",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def post(url: str, headers: dict[str, str], payload: str) -> Attempt:
    """POSTs to the address the host resolves to, after checking it; never follows redirects."""

    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        addresses = _resolve(host, port)
        if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
            if not https:
                raise UnsafeURL("Must be an https:// URL.")
            if not addresses or any(not _public(a) for a in addresses):
                raise UnsafeURL(f"{host} resolves to a non-public address.")
    except UnsafeURL as exc:
        return Attempt(False, None, "", str(exc))
    address = str(addresses[0])
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    pool = _pool(https, address, port, host)
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=payload.encode(),
            headers={**headers, "host": host_header},
            redirect=False,
            preload_content=False,
        )
        text = response.read(1000, decode_content=True).decode("utf-8", "replace")
        response.drain_conn()  # the rest is not read, but the connection stays usable
        response.release_conn()
    except Exception as exc:  # timeouts, refused connections, TLS errors: all a failed attempt
        return Attempt(False, None, "", f"{type(exc).__name__}: {exc}"[:500])
    return Attempt(200 <= response.status < 300, response.status, text, "")


_pools: dict[tuple[bool, str, int, str], Any] = {}
_pools_lock = threading.Lock()


def _pool(https: bool, address: str, port: int, host: str) -> Any:
    """A keep-alive pool per checked address (and name, for TLS): the next delivery to the same receiver reuses
    its connection. Never more than 256 pools per process."""
    import urllib3

    key = (https, address, port, host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            if len(_pools) >= 256:
                for old in _pools.values():
                    old.close()
                _pools.clear()
            timeout = urllib3.Timeout(connect=TIMEOUT_SECONDS, read=TIMEOUT_SECONDS, total=TIMEOUT_SECONDS)
            if https:
                pool = urllib3.HTTPSConnectionPool(
                    address, port, timeout=timeout, retries=False, maxsize=4, server_hostname=host, assert_hostname=host
                )
            else:
                pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=4)
            _pools[key] = pool
        return pool


def next_delay(attempts: int) -> datetime.timedelta:
    """The wait before the next try after `attempts` failed ones, ±20 % jitter so receivers coming back are not
    hit by every sender at once."""
    base = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
    return datetime.timedelta(seconds=base * random.uniform(0.8, 1.2))

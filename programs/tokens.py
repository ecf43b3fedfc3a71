"""The bearer tokens partners authenticate with, read through the cache: a warm request costs no statement.

An entry holds what a request needs to know about its caller (the client, its program's id and code, the scopes
the token still has) and lives at most until the token expires. It is deleted at once when its token or client
is revoked, rotated or changed (`forget_token`, `forget_client`, called by the services that do that), so with
the shared Redis cache (REDIS_URL) revocation holds everywhere at once. Without Redis each process keeps its own
entries: they then live at most TOKEN_CACHE_SECONDS (settings), the delay another process may still accept a
revoked token.
"""

import datetime
import hashlib
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import AccessToken

from loyalty.core.cache import tolerant

PREFIX = "auth:token:"
logger = logging.getLogger("programs.tokens")


@dataclass(frozen=True)
class TokenGrant:
    client_pk: int
    client_name: str
    client_id: str  # the OAuth client id
    program_id: int
    program_code: str
    scopes: frozenset[str]
    expires: datetime.datetime


def checksum_of(raw_token: str) -> str:
    """How DOT stores a token (its SHA-256), and so how it is found and cached."""
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def token_grant(checksum: str) -> TokenGrant | None:
    """The token's grant, or None for an unknown or revoked token or a revoked client; an expired grant is
    returned (the caller tells expired from unknown)."""
    cached = _cache_get(PREFIX + checksum)
    if cached is not None:
        return TokenGrant(**{**cached, "scopes": frozenset(cached["scopes"])})
    token = (
        AccessToken.objects.select_related("application__api_client__program").filter(token_checksum=checksum).first()
    )
    client = getattr(token.application, "api_client", None) if token and token.application_id else None
    if token is None or client is None or not client.active:
        return None
    grant = TokenGrant(
        client_pk=client.pk,
        client_name=client.name,
        client_id=token.application.client_id,
        program_id=client.program_id,
        program_code=client.program.code,
        # The client's allowed scopes may have been narrowed since the token was issued.
        scopes=frozenset(token.scope.split()) & client.scope_set,
        expires=token.expires,
    )
    lifetime = min(settings.TOKEN_CACHE_SECONDS, (token.expires - timezone.now()).total_seconds())
    if lifetime > 0:
        value = {**asdict(grant), "scopes": sorted(grant.scopes)}
        message = "Token cache unavailable: the grant was read from the database."
        tolerant(lambda: cache.set(PREFIX + checksum, value, timeout=lifetime), None, logger, message)
    return grant


def _cache_get(key: str) -> dict | None:
    return tolerant(
        lambda: cache.get(key), None, logger, "Token cache unavailable: reading the grant from the database."
    )


def forget_token(checksum: str) -> None:
    cache.delete(PREFIX + checksum)


def forget_client(application_id: int) -> None:
    """Drops the cached grants of every token of the client (before its tokens go, or when it changes)."""
    checksums = AccessToken.objects.filter(application_id=application_id).values_list("token_checksum", flat=True)
    cache.delete_many([PREFIX + checksum for checksum in checksums if checksum])

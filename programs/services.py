"""Writes on programs and their API clients."""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from programs.client_secrets import hash_client_secret
from programs.models import ApiClient, Program, Tier
from programs.tokens import forget_client


class InvalidScopes(ValueError):
    pass


def normalize_scopes(scopes: str | list[str]) -> str:
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    unknown = sorted(set(items) - set(settings.API_SCOPES))
    if unknown:
        raise InvalidScopes(f"Unknown scopes: {', '.join(unknown)}. Known: {', '.join(settings.API_SCOPES)}.")
    if not items:
        raise InvalidScopes("At least one scope is needed.")
    return " ".join(s for s in settings.API_SCOPES if s in set(items))


@transaction.atomic
def api_client_create(*, program: Program, name: str, scopes: str | list[str]) -> tuple[ApiClient, str]:
    """Creates an OAuth client-credentials application bound to `program`; returns it and its secret.

    The secret is stored hashed: this is the only moment it can be shown.
    """
    scope_text = normalize_scopes(scopes)
    secret = generate_client_secret()
    application = Application.objects.create(
        name=f"{program.code}: {name}",
        client_id=generate_client_id(),
        client_secret=secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        hash_client_secret=True,
    )
    client = ApiClient.objects.create(program=program, application=application, name=name, scopes=scope_text)
    return client, secret


def _tokens_revoke(*, application_id: int) -> None:
    """Deletes every token of the application: the bearer authentication finds none of them any more."""
    forget_client(application_id)
    RefreshToken.objects.filter(application_id=application_id).delete()
    AccessToken.objects.filter(application_id=application_id).delete()


@transaction.atomic
def api_client_revoke(*, client: ApiClient) -> None:
    """Stops the client: no new token, and its tokens stop working at once."""
    client.active = False
    client.revoked_at = timezone.now()
    client.save(update_fields=["active", "revoked_at"])
    _tokens_revoke(application_id=client.application_id)


@transaction.atomic
def api_client_rotate_secret(*, client: ApiClient) -> str:
    """A new secret for the client, returned once; the old one stops working, and so do the tokens it got."""
    secret = generate_client_secret()
    application = client.application
    application.client_secret = secret
    application.hash_client_secret = True
    application.save(update_fields=["client_secret", "hash_client_secret"])
    _tokens_revoke(application_id=client.application_id)
    return secret


def api_client_secret_rehash(*, stored: str, secret: str) -> bool:
    """Replaces the stored hash `stored` of a secret just verified with its hash by the current hasher and key.

    Matching on the stored value itself (a salted hash, unique) makes it a compare-and-swap: a rotation or
    another re-hash in between wins, and this one changes nothing. Returns whether it replaced the hash.
    """
    updated = Application.objects.filter(client_secret=stored, hash_client_secret=True).update(
        client_secret=hash_client_secret(secret)
    )
    return updated == 1


@transaction.atomic
def api_client_update(*, client: ApiClient, name: str, scopes: str | list[str]) -> ApiClient:
    """Renames the client or changes the scopes it may use; its live tokens follow at once (narrowed scopes
    apply to tokens already issued)."""
    client.name = name
    client.scopes = normalize_scopes(scopes)
    client.save(update_fields=["name", "scopes"])
    forget_client(client.application_id)
    return client


def tiers_changed(*, program: Program) -> None:
    """Call in the transaction of any change to the program's tiers (or its tier window): positions follow the
    thresholds again, and evaluations everywhere reload the rules with the tiers (`rules_version`)."""
    tiers = list(Tier.objects.filter(program=program).order_by("threshold"))
    for position, tier in enumerate(tiers, start=1):
        tier.position = position
    Tier.objects.bulk_update(tiers, ["position"])
    Program.objects.filter(pk=program.pk).update(rules_version=F("rules_version") + 1)


@transaction.atomic
def tier_save(*, program: Program, code: str, name: dict, threshold: int) -> Tier:
    """Creates or updates the tier `code` of the program."""
    tier, _ = Tier.objects.update_or_create(program=program, code=code, defaults={"name": name, "threshold": threshold})
    tiers_changed(program=program)
    tier.refresh_from_db()
    return tier

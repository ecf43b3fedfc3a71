"""API client secrets at rest: a keyed hash (HMAC-SHA256 with a server key), not a password hash.

Why not Django's password hasher (PBKDF2, what django-oauth-toolkit uses by default): a slow hash protects
low-entropy secrets that people choose, by making each guess of an offline attacker cost ~0.3 s of CPU. Our
client secrets are 128 random characters from django-oauth-toolkit's generator (over 700 bits): no guessing
attack exists to slow down, so PBKDF2 only made every token request cost the server ~0.3 s of CPU, wrong
secret or right, which turns a flood of token requests into a denial of service. An HMAC costs microseconds,
and its key (OAUTH_CLIENT_SECRET_KEY, or SECRET_KEY when unset) is not in the database, so a stolen copy of
the database alone gives nothing to test candidate secrets against. Verification compares in constant time
and computes the same HMACs whatever the secret, so a wrong secret costs exactly what a right one does.

How it plugs into django-oauth-toolkit (3.4.1): `Application.client_secret` is a `ClientSecretField` whose
`pre_save` hashes any value that `identify_hasher()` does not recognise with
`make_password(secret, hasher=OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"])`, and the validator checks a
recognised value with `check_password()`. Both look hashers up in PASSWORD_HASHERS, so `ClientSecretHasher`
is listed there after Django's own hashers: staff passwords keep Django's default (the first of the list)
and are untouched, and CLIENT_SECRET_HASHER names this hasher's algorithm for new and rotated secrets.

Secrets stored before (PBKDF2 hashes) keep working, and are re-hashed on their next successful use: a
migration cannot do it, since only hashes are stored and a hash of a PBKDF2 hash would still cost a PBKDF2
computation at every check. `check_client_secret()` says when a verified secret needs re-hashing (an older
hasher, or an older key from OAUTH_CLIENT_SECRET_KEY_FALLBACKS), and the OAuth validator then stores the new
hash (`programs.services.api_client_secret_rehash`). Rotating a secret re-hashes it too.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher, identify_hasher, make_password, mask_hash
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_noop as _

ALGORITHM = "client_hmac_sha256"
# Separates this use of the key from every other use of the same key (SECRET_KEY signs cookies too).
KEY_SALT = "programs.client_secrets.ClientSecretHasher"


def _keys() -> list[str]:
    """The current key first, then the older ones still accepted."""
    current = settings.OAUTH_CLIENT_SECRET_KEY or settings.SECRET_KEY
    return [current, *settings.OAUTH_CLIENT_SECRET_KEY_FALLBACKS]


def _mac(key: str, salt: str, secret: str) -> str:
    return salted_hmac(KEY_SALT, f"{salt}${secret}", secret=key, algorithm="sha256").hexdigest()


class ClientSecretHasher(BasePasswordHasher):
    """`client_hmac_sha256$<salt>$<hex HMAC-SHA256(key, salt$secret)>`: for long random secrets only."""

    algorithm = ALGORITHM

    def encode(self, password: str, salt: str) -> str:
        if password is None or not salt or "$" in salt:
            raise ValueError("A secret and a salt without '$' are needed.")
        return f"{self.algorithm}${salt}${_mac(_keys()[0], salt, password)}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify_with_key(self, password: str, encoded: str) -> int | None:
        """The index in `_keys()` of the key the secret matches under (0: the current one), or None.

        Every key is tried and every comparison made, whatever matches: the cost does not depend on the secret.
        """
        decoded = self.decode(encoded)
        matched = None
        for index, key in enumerate(_keys()):
            if constant_time_compare(_mac(key, decoded["salt"], password), decoded["hash"]) and matched is None:
                matched = index
        return matched

    def verify(self, password: str, encoded: str) -> bool:
        return self.verify_with_key(password, encoded) is not None

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"], show=2),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


def hash_client_secret(secret: str) -> str:
    """What `client_secret` stores for this secret (what django-oauth-toolkit's field would store on save)."""
    return make_password(secret, hasher=ClientSecretHasher())


def check_client_secret(secret: str, stored: str) -> tuple[bool, bool]:
    """(the secret matches, the stored value should be re-hashed with the current hasher and key).

    A stored value of another hasher (PBKDF2 from before) is verified by that hasher, once, without Django's
    `harden_runtime` (which would make a wrong secret cost more than a right one). A value no hasher
    recognises is a secret stored in clear (`hash_client_secret=False`), compared in constant time, as
    django-oauth-toolkit does.
    """
    try:
        hasher = identify_hasher(stored)
    except ValueError:
        return constant_time_compare(secret, stored), False
    if isinstance(hasher, ClientSecretHasher):
        index = hasher.verify_with_key(secret, stored)
        return index is not None, bool(index)
    matches = hasher.verify(secret, stored)
    return matches, matches

"""programs.client_secrets: the keyed hash of API client secrets, older hashes, the key and its fallbacks."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from oauth2_provider.generators import generate_client_secret

from programs.client_secrets import ALGORITHM, ClientSecretHasher, check_client_secret, hash_client_secret


@pytest.fixture
def secret() -> str:
    return generate_client_secret()


def test_the_stored_form_names_the_algorithm_a_salt_and_the_mac(secret):
    stored = hash_client_secret(secret)
    algorithm, salt, mac = stored.split("$")
    assert algorithm == ALGORITHM
    assert len(salt) >= 16 and len(mac) == 64
    assert secret not in stored
    assert isinstance(identify_hasher(stored), ClientSecretHasher)
    assert hash_client_secret(secret) != stored  # salted


def test_the_right_secret_matches_and_others_do_not(secret):
    stored = hash_client_secret(secret)
    assert check_client_secret(secret, stored) == (True, False)
    assert check_password(secret, stored)  # django-oauth-toolkit's own check agrees
    for wrong in ("", "x", secret[:-1], secret + "x", secret.upper() if secret.upper() != secret else "y"):
        assert check_client_secret(wrong, stored) == (False, False)


def test_the_hash_depends_on_the_key(secret, settings):
    stored = hash_client_secret(secret)
    settings.OAUTH_CLIENT_SECRET_KEY = "another-key-" + "z" * 40
    assert check_client_secret(secret, stored) == (False, False)
    # The old key as a fallback: it matches, and asks for a re-hash with the current key.
    settings.OAUTH_CLIENT_SECRET_KEY_FALLBACKS = ["unrelated", settings.SECRET_KEY]
    assert check_client_secret(secret, stored) == (True, True)
    assert check_client_secret(secret, hash_client_secret(secret)) == (True, False)


def test_an_older_hasher_matches_once_and_asks_for_a_rehash(secret):
    legacy = make_password(secret, hasher="md5")
    assert check_client_secret(secret, legacy) == (True, True)
    assert check_client_secret("wrong", legacy) == (False, False)


def test_a_secret_stored_in_clear_is_compared_as_such(secret):
    # hash_client_secret=False applications (django-oauth-toolkit keeps the value as given).
    assert check_client_secret(secret, secret) == (True, False)
    assert check_client_secret("wrong", secret) == (False, False)


def test_the_salt_may_not_hold_the_separator(secret):
    with pytest.raises(ValueError):
        ClientSecretHasher().encode(secret, "a$b")


def test_the_summary_masks_the_mac(secret):
    summary = ClientSecretHasher().safe_summary(hash_client_secret(secret))
    assert summary["algorithm"] == ALGORITHM
    assert summary["hash"][6:] == "*" * 58

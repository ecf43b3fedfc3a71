"""Picking the answer's language: `?lang=`, then Accept-Language by preference, else the program default."""

import pytest

from loyalty.core.translation import accepted_languages, pick_language

LANGUAGES = ["en", "fr", "nl", "it"]


@pytest.mark.parametrize(
    "header, expected",
    [
        ("fr-BE,fr;q=0.9,en;q=0.8", ["fr-be", "fr", "en"]),
        ("nl;q=0.2, fr;q=0.9", ["fr", "nl"]),
        ("de, fr;q=0.5, it", ["de", "it", "fr"]),
        ("nl;q=0, fr;q=0.5", ["fr"]),
        ("nl;q=abc, fr", ["fr"]),
        ("nl;q=1.5, fr;q=0.001", ["fr"]),
        ("", []),
        (" , ;q=1", []),
    ],
)
def test_accepted_languages_are_ranked_by_quality(header, expected):
    assert accepted_languages(header) == expected


@pytest.mark.parametrize(
    "requested, header, expected",
    [
        (None, "nl;q=0.2, fr;q=0.9", "fr"),  # the higher quality wins, whatever the order
        (None, "nl;q=0, fr;q=0.1", "fr"),  # q=0: refused
        (None, "nl;q=0", "en"),
        (None, "de-CH, fr-BE;q=0.8", "fr"),
        (None, "*", "en"),
        ("FR", None, "fr"),  # tags are case-insensitive
        ("it", "fr", "it"),
        ("de", "nl", "nl"),
        (None, None, "en"),
    ],
)
def test_pick_language(requested, header, expected):
    assert pick_language(requested, header, LANGUAGES, "en") == expected

"""Translatable texts are stored as {language: text}; reads fall back to the program default."""

import re
from collections.abc import Mapping

from django.conf.locale import LANG_INFO


def translate(texts: Mapping[str, str] | None, language: str | None, default_language: str) -> str:
    if not texts:
        return ""
    if language and texts.get(language):
        return texts[language]
    if texts.get(default_language):
        return texts[default_language]
    # A text missing in both languages still shows something rather than nothing.
    return next((t for t in texts.values() if t), "")


def language_name(code: str) -> str:
    """The language's name in that language (`fr` -> `Français`)."""
    info = LANG_INFO.get(code) or LANG_INFO.get(code.split("-")[0]) or {}
    name = info.get("name_local", code)
    return name[:1].upper() + name[1:]


def is_known_language(code: str) -> bool:
    return isinstance(code, str) and code in LANG_INFO and "fallback" not in LANG_INFO[code]


# A quality value as RFC 9110 writes it: 0 to 1 with at most three decimals.
QVALUE_RE = re.compile(r"^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")


def accepted_languages(header: str) -> list[str]:
    """The language ranges of an Accept-Language header, most preferred first: by quality, then in the order
    sent. A range with `q=0` is one the client refuses, and one with a malformed `q` is dropped too."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        code, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if QVALUE_RE.fullmatch(value) else 0.0
        if code and quality > 0:
            ranked.append((-quality, index, code.lower()))
    return [code for _, _, code in sorted(ranked)]


def pick_language(requested: str | None, accept_language: str | None, languages: list[str], default: str) -> str:
    """`?lang=` first, then the Accept-Language header by preference, else the program default. Language tags
    are case-insensitive (BCP 47) and a regional tag falls back to its language: `FR` and `fr-BE` both pick the
    program's `fr`."""
    by_tag = {code.lower(): code for code in languages}
    for code in ([requested.strip().lower()] if requested else []) + accepted_languages(accept_language or ""):
        for tag in (code, code.split("-")[0]):
            if tag in by_tag:
                return by_tag[tag]
    return default

"""Translatable texts are stored as {language: text}; reads fall back to the program default."""

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


def pick_language(requested: str | None, accept_language: str | None, languages: list[str], default: str) -> str:
    """`?lang=` first, then the Accept-Language header, else the program default."""
    if requested and requested in languages:
        return requested
    if accept_language:
        for part in accept_language.split(","):
            code = part.split(";")[0].strip().lower()
            if code in languages:
                return code
            base = code.split("-")[0]
            if base in languages:
                return base
    return default

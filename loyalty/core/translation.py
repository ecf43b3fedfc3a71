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
    """`?lang=` first, then the Accept-Language header in the order of its q-values, else the program default.
    Tags match case-insensitively and a regional tag (`fr-BE`) falls back to its language (`fr`), as HTTP's
    language tags do: a partner sending `?lang=fr-BE` or `Accept-Language: en;q=0.1, fr` means French."""
    if requested:
        found = _match(requested, languages)
        if found:
            return found
    if accept_language:
        for code in _by_preference(accept_language):
            found = _match(code, languages)
            if found:
                return found
    return default


def _match(tag: str, languages: list[str]) -> str | None:
    """The program language this tag names: the tag itself, else its primary language; None for neither."""
    known = {code.lower(): code for code in languages}
    tag = tag.strip().lower()
    return known.get(tag) or known.get(tag.split("-")[0])


def _by_preference(accept_language: str) -> list[str]:
    """The header's language tags, most wanted first (a stable sort keeps the sender's order among equal q-values);
    `q=0` means "not this one", and `*` adds nothing to the program default that ends the search anyway."""
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0  # a malformed weight: the tag is not relied on
        if tag and tag != "*" and quality > 0:
            weighted.append((quality, tag))
    return [tag for _, tag in sorted(weighted, key=lambda item: -item[0])]

"""The members app's part of the program document (program as code, API.md): segments."""

from loyalty.core import values as v


def segment_spec(languages: list[str] | None) -> v.Spec:
    return {"code": ("code", v.code()), "name": ("name", v.translations(languages))}

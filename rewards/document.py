"""The rewards app's part of the program document (program as code, API.md): promotions, the checks of their
values and of the keys each kind takes, and the program's e-mail notifications (which kinds it sends, its own
texts). The admin's promotion and notification text forms are checked here too, so a promotion or a text is
accepted by the admin exactly when a program file holding it would be."""

from typing import Any

from loyalty.core import values as v
from loyalty.core.values import Item
from members.models import Segment
from programs.models import Program, Tier
from rewards.models import ALL_KIND_KEYS, KIND_KEYS, NotificationKind, NotificationText, Promotion
from rewards.notifications.texts import PLACEHOLDERS, unknown_placeholders


def promotion_spec(languages: list[str] | None) -> v.Spec:
    return {
        "code": ("code", v.code()),
        "name": ("name", v.translations(languages)),
        "kind": ("kind", v.choice(k for k, _ in Promotion.KINDS)),
        "status": ("status", v.choice(s for s, _ in Promotion.STATUSES)),
        "rate": ("rate", v.RATE),
        "points": ("points", v.integer(1)),
        "threshold": ("threshold", v.MONEY),
        "factor": ("factor", v.FACTOR),
        "products": ("products", v.list_of(v.text(64))),
        "product_categories": ("product_categories", v.list_of(v.text(64))),
        "segments": ("segments", v.list_of(v.code())),
        "tiers": ("tiers", v.list_of(v.code())),
        "channels": ("channels", v.list_of(v.text(64))),
        "starts_at": ("starts_at", v.or_null(v.timestamp)),
        "ends_at": ("ends_at", v.or_null(v.timestamp)),
        "min_amount": ("min_amount", v.or_null(v.MONEY)),
        "max_points": ("max_points", v.or_null(v.integer(1))),
    }


def check_promotions(items: list[Item], segments: set[str], errors: list[str], *, tiers: set[str]) -> None:
    """Each promotion carries exactly the keys of its kind, ordered dates, and segments and tiers that exist."""
    for item in items:
        kind = item.values.get("kind", v.INVALID)
        if v.ok(kind):
            for name in sorted((ALL_KIND_KEYS & item.values.keys()) - KIND_KEYS[kind]):
                owners = " and ".join(k for k, keys in KIND_KEYS.items() if name in keys)
                errors.append(f"{item.path}.{name}: not a key of a {kind} promotion (only of {owners})")
            # A new promotion, or one changing kind, must bring every key of its kind.
            if item.existing is None or item.existing.kind != kind:
                errors.extend(f"{item.path}.{name}: required" for name in sorted(KIND_KEYS[kind] - item.values.keys()))
        v.check_order(item, "starts_at", "ends_at", errors)
        codes = item.values.get("segments", [])
        if v.ok(codes):
            errors.extend(
                f"{item.path}.segments[{index}]: no segment {code!r} in the file or the program"
                for index, code in enumerate(codes)
                if code not in segments
            )
        codes = item.values.get("tiers", [])
        if v.ok(codes):
            errors.extend(
                f"{item.path}.tiers[{index}]: no tier {code!r} in the file or the program"
                for index, code in enumerate(codes)
                if code not in tiers
            )


def promotion_problems(entry: dict[str, Any], *, program: Program) -> list[tuple[str, str]]:
    """The document's checks of one whole promotion in the file's shape, as (JSON key, message) pairs: every key
    of its kind is required (as for a new promotion in a file). Keys are like `rate` or `segments[1]`."""
    errors: list[str] = []
    values = v.object_values(entry, promotion_spec(program.languages), "promotions", errors)
    segments = set(Segment.objects.filter(program=program).values_list("code", flat=True))
    tiers = set(Tier.objects.filter(program=program).values_list("code", flat=True))
    check_promotions([Item("promotions", values)], segments, errors, tiers=tiers)
    return v.problems_of(errors, "promotions")


# ---- e-mail notifications ---------------------------------------------------------------------------------------

NOTIFICATION_KINDS = tuple(kind.value for kind in NotificationKind)
# `notifications.send`: whether the program sends each kind (NotificationSettings, one boolean field per kind).
NOTIFICATION_SEND_SPEC: v.Spec = {kind: (kind, v.boolean) for kind in NOTIFICATION_KINDS}
NOTIFICATION_TEXT_FIELDS = ("subject", "text_body", "html_body")


def _program_language(languages: list[str] | None) -> v.Check:
    if languages is None:
        return v.language
    return v.rule(
        lambda value: isinstance(value, str) and value in languages,
        f"must be one of the program's languages ({', '.join(languages)})",
    )


def _subject(max_length: int) -> v.Check:
    length = v.text(max_length)
    one_line = v.rule(lambda value: "\n" not in value and "\r" not in value, "must be one line")

    def check(value: object) -> str:
        return one_line(length(value))

    return check


def notification_text_spec(languages: list[str] | None) -> v.Spec:
    """A text's keys: (kind, language) say which e-mail it words; the language must be one of the program's
    when those are known (None: they are not)."""
    return {
        "kind": ("kind", v.choice(NOTIFICATION_KINDS)),
        "language": ("language", _program_language(languages)),
        "subject": ("subject", _subject(NotificationText._meta.get_field("subject").max_length or 200)),
        "text_body": (
            "text_body",
            v.rule(lambda value: isinstance(value, str) and value.strip(), "must be a non-empty string"),
        ),
        "html_body": (
            "html_body",
            v.rule(lambda value: isinstance(value, str), 'must be a string ("": made from text_body)'),
        ),
    }


def check_notification_texts(items: list[Item], errors: list[str]) -> None:
    """A text uses only the placeholders of its kind of e-mail (a typo would reach the members as `{frist_name}`)."""
    for item in items:
        kind = item.values.get("kind", v.INVALID)
        if not v.ok(kind) or kind not in PLACEHOLDERS:
            continue
        for name in NOTIFICATION_TEXT_FIELDS:
            text = item.values.get(name, v.INVALID)
            if not v.ok(text):
                continue
            unknown = unknown_placeholders(kind, text)
            if unknown:
                known = ", ".join("{" + placeholder + "}" for placeholder in PLACEHOLDERS[kind])
                listed = ", ".join("{" + placeholder + "}" for placeholder in unknown)
                errors.append(f"{item.path}.{name}: unknown placeholder {listed}: this e-mail knows {known}")


def notification_text_problems(entry: dict[str, Any], *, languages: list[str] | None) -> list[tuple[str, str]]:
    """The document's checks of one text in the file's shape, as (JSON key, message) pairs: for the admin's form,
    whose program has `languages` (None: no program chosen)."""
    errors: list[str] = []
    values = v.object_values(entry, notification_text_spec(languages), "texts", errors)
    check_notification_texts([Item("texts", values)], errors)
    return v.problems_of(errors, "texts")

"""Program as code, import side: validate the whole document, then upsert it by codes in one transaction.

Keys present in the file are written; a key omitted keeps the stored value (or the model default for a new
object), so a partial file never wipes what it does not mention. Nothing is deleted: neither an object nor a
notification text the file omits (the program then keeps its text, or the shipped default where it has none).
"""

from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from catalog.document import check_categories, check_gifts
from catalog.models import Gift, GiftCategory
from loyalty.core.values import INVALID, UNSTORABLE_CHARACTER, Item, object_values, ok
from loyalty.programfile.spec import MODELS, REQUIRED_ON_CREATE, SECTIONS, document_specs
from members.models import Segment
from programs.document import check_tiers
from programs.models import EventType, Program, Tier
from programs.services import tiers_changed
from rewards.document import (
    NOTIFICATION_SEND_SPEC,
    check_notification_texts,
    check_promotions,
    notification_text_spec,
)
from rewards.models import ALL_KIND_KEYS, KIND_KEYS, NotificationSettings, NotificationText, Promotion
from rewards.rules import promotions_changed


class ProgramFileError(Exception):
    """The document was refused; `errors` lists every problem as `json.path: message`."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    program: Program
    program_created: bool
    # {"gifts": {"created": 2, "updated": 1, "unchanged": 30}, ...}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


# ---- validation of the whole document ----------------------------------------------------------------------

NOTIFICATIONS = "notifications"  # the section of the program's e-mails: an object, not a list of coded objects
NOTIFICATION_KEYS = ("send", "texts")
TEXT_KEY = ("kind", "language")  # a notification text's identity in its program
TEXT_REQUIRED_ON_CREATE = ("subject", "text_body")

# A promotion's links to other rows: its key in the file (and many-to-many field) -> the link's column.
LINKED = {"segments": "segment_id", "tiers": "tier_id"}


@dataclass
class _Stored:
    """The program's current rows, loaded once per kind (the write phase reuses them)."""

    program: Program | None
    rows: dict[str, dict[str, Any]]
    category_parents: dict[str, str | None]
    links: dict[str, dict[int, dict[int, int]]]  # "segments" or "tiers" -> promotion pk -> {target pk: link pk}
    notification_settings: NotificationSettings | None = None
    notification_texts: dict[tuple[str, str], NotificationText] = field(default_factory=dict)

    @classmethod
    def load(cls, program: Program | None) -> "_Stored":
        if program is None:
            return cls(None, {section: {} for section in SECTIONS}, {}, {name: {} for name in LINKED})
        rows: dict[str, dict[str, Any]] = {}
        for section, model in MODELS.items():
            # Primary-key order: rows locked by concurrent writers are always taken in the same order.
            queryset = model._default_manager.filter(program=program).order_by("pk")
            if section in ("tiers", "gifts", "promotions"):  # also written by redemptions and the admin
                queryset = queryset.select_for_update()
            rows[section] = {getattr(obj, SECTIONS[section]): obj for obj in queryset}
        categories: dict[str, GiftCategory] = rows["categories"]
        codes = {obj.pk: code for code, obj in categories.items()}
        parents = {code: codes.get(obj.parent_id) if obj.parent_id else None for code, obj in categories.items()}
        links: dict[str, dict[int, dict[int, int]]] = {name: {} for name in LINKED}
        for name, column in LINKED.items():
            through = getattr(Promotion, name).through.objects.filter(promotion__program=program)
            for pk, promotion_id, target_id in through.values_list("pk", "promotion_id", column):
                links[name].setdefault(promotion_id, {})[target_id] = pk
        settings = NotificationSettings.objects.filter(program=program).first()
        # Locked and in primary-key order, as the admin writes them too.
        texts = NotificationText.objects.filter(program=program).order_by("pk").select_for_update()
        return cls(program, rows, parents, links, settings, {(text.kind, text.language): text for text in texts})


def _section(data: dict, section: str, spec: dict, stored: _Stored, errors: list[str]) -> list[Item]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        errors.append(f"{section}: must be a JSON list")
        return []
    key = SECTIONS[section]
    seen: dict[str, str] = {}
    items = []
    for index, entry in enumerate(raw):
        path = f"{section}[{index}]"
        values = object_values(entry, spec, path, errors)
        if not isinstance(entry, dict):
            continue
        code = values.get(key, INVALID)
        if key not in entry:
            errors.append(f"{path}.{key}: required")
        if section == "promotions" and "kind" not in entry:
            errors.append(f"{path}.kind: required")
        if code is INVALID:
            continue
        if code in seen:
            errors.append(f"{path}.{key}: duplicate of {seen[code]}")
            continue
        seen[code] = path
        existing = stored.rows[section].get(code)
        if existing is None:
            errors.extend(
                f"{path}.{name}: required" for name in REQUIRED_ON_CREATE.get(section, ()) if name not in entry
            )
        items.append(Item(path, values, existing))
    return items


@dataclass
class _Notifications:
    """The `notifications` section: `send` as {kind: bool} for the kinds the file gives (None: no `send`, the
    stored settings are left alone), and the texts."""

    send: dict[str, Any] | None = None
    texts: list[Item] = field(default_factory=list)


def _notifications(data: dict, languages: list[str] | None, stored: _Stored, errors: list[str]) -> _Notifications:
    if NOTIFICATIONS not in data:
        return _Notifications()  # a file of before the section: the program's e-mails are left as they are
    raw = data[NOTIFICATIONS]
    if not isinstance(raw, dict):
        errors.append(f"{NOTIFICATIONS}: must be a JSON object")
        return _Notifications()
    errors.extend(f"{NOTIFICATIONS}.{key}: unknown key" for key in raw if key not in NOTIFICATION_KEYS)
    send = None
    if "send" in raw:
        send = object_values(raw["send"], NOTIFICATION_SEND_SPEC, f"{NOTIFICATIONS}.send", errors)
    entries = raw.get("texts", [])
    if not isinstance(entries, list):
        errors.append(f"{NOTIFICATIONS}.texts: must be a JSON list")
        entries = []
    spec = notification_text_spec(languages)
    seen: dict[tuple[str, str], str] = {}
    texts = []
    for index, entry in enumerate(entries):
        path = f"{NOTIFICATIONS}.texts[{index}]"
        values = object_values(entry, spec, path, errors)
        if not isinstance(entry, dict):
            continue
        errors.extend(f"{path}.{name}: required" for name in TEXT_KEY if name not in entry)
        key = (values.get("kind", INVALID), values.get("language", INVALID))
        if not ok(*key):
            continue
        if key in seen:
            errors.append(f"{path}: duplicate of {seen[key]} (the same kind and language)")
            continue
        seen[key] = path
        existing = stored.notification_texts.get(key)
        if existing is None:
            errors.extend(f"{path}.{name}: required" for name in TEXT_REQUIRED_ON_CREATE if name not in entry)
        texts.append(Item(path, values, existing))
    check_notification_texts(texts, errors)
    return _Notifications(send, texts)


def _validate(data: Any, stored: _Stored) -> tuple[dict[str, Any], dict[str, list[Item]], _Notifications]:
    if not isinstance(data, dict):
        raise ProgramFileError(["document: must be a JSON object"])
    errors: list[str] = []
    top = {key: value for key, value in data.items() if key not in SECTIONS and key != NOTIFICATIONS}
    program_values = object_values(top, document_specs(None)["program"], "", errors)
    required = ("code",) if stored.program else ("code", "name", "currency", "languages", "default_language")
    errors.extend(f"{key}: required" for key in required if key not in top)

    program = stored.program
    languages = program_values.get("languages", program.languages if program else INVALID)
    default = program_values.get("default_language", program.default_language if program else INVALID)
    if ok(languages, default) and default not in languages:
        blamed = "default_language" if "default_language" in program_values else "languages"
        errors.append(f"{blamed}: default_language {default!r} must be one of languages ({', '.join(languages)})")

    # Texts are checked against the file's languages; when those are refused, against the stored ones.
    known = languages if ok(languages) else (program.languages if program else None)
    specs = document_specs(known)
    items = {section: _section(data, section, specs[section], stored, errors) for section in SECTIONS}
    check_tiers(items["tiers"], stored.rows["tiers"], errors)
    check_categories(items["categories"], set(stored.rows["categories"]), stored.category_parents, errors)
    categories = set(stored.rows["categories"]) | {item.values["code"] for item in items["categories"]}
    check_gifts(items["gifts"], categories, errors)
    segments = set(stored.rows["segments"]) | {item.values["code"] for item in items["segments"]}
    tiers = set(stored.rows["tiers"]) | {item.values["code"] for item in items["tiers"]}
    check_promotions(items["promotions"], segments, errors, tiers=tiers)
    notifications = _notifications(data, known, stored, errors)
    if errors:
        raise ProgramFileError(errors)
    return program_values, items, notifications


# ---- writing: bulk, by codes, in the caller's transaction ----------------------------------------------------


def _assign(obj: models.Model, values: dict[str, Any]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _upsert(
    model: type[models.Model],
    program: Program,
    rows: list[tuple[Any, dict[str, Any]]],
    *,
    touched: Set[int] = frozenset(),
    on_change: Callable[[Any], list[str]] | None = None,
) -> tuple[list, list]:
    """Creates the rows without a stored object, updates the stored ones that differ; returns (new, changed)."""
    new, changed, fields = [], [], set()
    for existing, values in rows:
        if existing is None:
            new.append(model(program=program, **values))
            continue
        diff = _assign(existing, values)
        if diff or existing.pk in touched:
            fields.update(diff + (on_change(existing) if on_change else []))
            changed.append(existing)
    model._default_manager.bulk_create(new)
    if changed:
        if any(f.name == "updated_at" for f in model._meta.fields):
            now = timezone.now()  # bulk_update skips auto_now
            for obj in changed:
                obj.updated_at = now
            fields.add("updated_at")
        model._default_manager.bulk_update(changed, sorted(fields))
    return new, changed


def _count(items: list, new: list, changed: Iterable) -> dict[str, int]:
    updated = len({obj.pk for obj in changed})
    return {"created": len(new), "updated": updated, "unchanged": len(items) - len(new) - updated}


def _write(
    program_values: dict[str, Any], items: dict[str, list[Item]], notifications: _Notifications, stored: _Stored
) -> ImportResult:
    program = stored.program
    if program is None:
        program = Program.objects.create(**program_values)
        window_changed = "tier_window_months" in program_values
    else:
        changed = _assign(program, program_values)
        if changed:
            program.save(update_fields=[*changed, "updated_at"])
        window_changed = "tier_window_months" in changed
    counts = {}

    def by_code(section: str, new: list) -> dict[str, Any]:
        return {**stored.rows[section], **{getattr(obj, SECTIONS[section]): obj for obj in new}}

    rows = [(item.existing, item.values) for item in items["tiers"]]
    _tiers_step_aside(items["tiers"], stored)
    new, changed = _upsert(Tier, program, rows)
    counts["tiers"] = _count(rows, new, changed)
    if new or changed or window_changed:
        tiers_changed(program=program)  # positions follow the thresholds; evaluations reload the rules
        program.refresh_from_db(fields=["rules_version"])
    tier_ids = {code: obj.pk for code, obj in by_code("tiers", new).items()}

    rows = [(item.existing, item.values) for item in items["segments"]]
    new, changed = _upsert(Segment, program, rows)
    counts["segments"] = _count(rows, new, changed)
    segment_ids = {code: obj.pk for code, obj in by_code("segments", new).items()}

    # Categories first without parents (a parent may be new too), then parents once every row has a pk.
    rows = [(item.existing, {k: v for k, v in item.values.items() if k != "parent"}) for item in items["categories"]]
    new, changed = _upsert(GiftCategory, program, rows)
    categories = by_code("categories", new)
    moved = []
    for item in items["categories"]:
        if "parent" in item.values:
            obj, parent = categories[item.values["code"]], item.values["parent"]
            if _assign(obj, {"parent_id": categories[parent].pk if parent else None}):
                moved.append(obj)
    GiftCategory.objects.bulk_update(moved, ["parent"])
    counts["categories"] = _count(rows, new, [*changed, *(obj for obj in moved if obj not in new)])

    rows = []
    for item in items["gifts"]:
        values = {k: v for k, v in item.values.items() if k != "category"}
        if "category" in item.values:
            code = item.values["category"]
            values["category_id"] = categories[code].pk if code else None
        rows.append((item.existing, values))
    new, changed = _upsert(Gift, program, rows)
    counts["gifts"] = _count(rows, new, changed)

    rows = [(item.existing, item.values) for item in items["event_types"]]
    new, changed = _upsert(EventType, program, rows)
    counts["event_types"] = _count(rows, new, changed)

    _write_promotions(program, items["promotions"], stored, {"segments": segment_ids, "tiers": tier_ids}, counts)
    _write_notifications(program, notifications, stored, counts)
    return ImportResult(program=program, program_created=stored.program is None, counts=counts)


def _tiers_step_aside(items: list[Item], stored: _Stored) -> None:
    """Tiers may trade thresholds in one file (Silver takes Gold's, Gold a new one) while the database checks
    the unique threshold row by row: the stored tiers whose threshold moves first take free ones, above all."""
    moving = [
        item.existing
        for item in items
        if item.existing is not None
        and item.values.get("threshold", item.existing.threshold) != item.existing.threshold
    ]
    targets = {item.values["threshold"] for item in items if "threshold" in item.values}
    current = {tier.threshold for tier in stored.rows["tiers"].values()}
    if not moving or not targets & current:
        return
    top = max(current | targets) + 1
    Tier.objects.bulk_update(
        [Tier(pk=tier.pk, threshold=top + index) for index, tier in enumerate(moving)], ["threshold"]
    )


def _write_promotions(
    program: Program, items: list[Item], stored: _Stored, ids: dict[str, dict[str, int]], counts: dict
) -> None:
    rows, touched = [], set()
    wanted: dict[str, dict[str, set[int]]] = {name: {} for name in LINKED}  # segments or tiers, by promotion code
    for item in items:
        values = {k: v for k, v in item.values.items() if k not in LINKED}
        # Keys of the other kinds are cleared, so a promotion that changes kind keeps no stale rule.
        values.update({name: None for name in ALL_KIND_KEYS - KIND_KEYS[values["kind"]]})
        rows.append((item.existing, values))
        for name in LINKED:
            if name in item.values:
                targets = wanted[name][item.values["code"]] = {ids[name][code] for code in item.values[name]}
                if item.existing is not None and set(stored.links[name].get(item.existing.pk, {})) != targets:
                    touched.add(item.existing.pk)

    def bump(promotion: Promotion) -> list[str]:
        promotion.version += 1
        return ["version"]

    new, changed = _upsert(Promotion, program, rows, touched=touched, on_change=bump)
    counts["promotions"] = _count(rows, new, changed)
    promotions = {**stored.rows["promotions"], **{obj.code: obj for obj in new}}
    for name, column in LINKED.items():
        through = getattr(Promotion, name).through
        stale, missing = [], []
        for code, targets in wanted[name].items():
            pk = promotions[code].pk
            current = stored.links[name].get(pk, {})
            stale += [link for target, link in current.items() if target not in targets]
            missing += [through(promotion_id=pk, **{column: target}) for target in targets - current.keys()]
        if stale:
            through.objects.filter(pk__in=stale).delete()
        through.objects.bulk_create(missing)
    if new or changed:
        promotions_changed(program=program)  # evaluations everywhere reload the rules
        program.refresh_from_db(fields=["rules_version"])


def _write_notifications(program: Program, notifications: _Notifications, stored: _Stored, counts: dict) -> None:
    """The settings row is written when the file has `send` (created with the file's values, the model's defaults
    for the kinds it omits); texts are upserted by (kind, language). Both are read when an e-mail is sent, so
    nothing is cached to reload."""
    rows = [(stored.notification_settings, notifications.send)] if notifications.send is not None else []
    new, changed = _upsert(NotificationSettings, program, rows)
    counts["notification_settings"] = _count(rows, new, changed)
    rows = [(item.existing, item.values) for item in notifications.texts]
    new, changed = _upsert(NotificationText, program, rows)
    counts["notification_texts"] = _count(rows, new, changed)


# ---- entry points ---------------------------------------------------------------------------------------------


def _unstorable_strings(data: Any) -> list[str]:
    """`path: message` for every string (value or key, at any depth) that no column can hold. Checked before
    anything else reads the document: the program's own code is looked up with it."""
    errors: list[str] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if UNSTORABLE_CHARACTER.search(value):
                errors.append(f"{path or 'document'}: must not contain NUL or unpaired surrogate characters")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and UNSTORABLE_CHARACTER.search(key):
                    # The key cannot be printed as it is: its parent is named.
                    errors.append(f"{path or 'document'}: a key must not contain NUL or unpaired surrogate characters")
                    continue
                stack.append((item, f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
    return sorted(errors)


def program_import_report(*, data: dict) -> ImportResult:
    """Validates the whole document, then creates or updates the program and everything in it, all or nothing.

    Raises ProgramFileError with every problem found; nothing is written then.
    """
    unstorable = _unstorable_strings(data)
    if unstorable:
        raise ProgramFileError(unstorable)
    with transaction.atomic():
        code = data.get("code") if isinstance(data, dict) else None
        # The program row is locked first: two imports of one program run one after the other.
        program = (
            Program.objects.select_for_update(no_key=True).filter(code=code).first() if isinstance(code, str) else None
        )
        stored = _Stored.load(program)
        program_values, items, notifications = _validate(data, stored)
        return _write(program_values, items, notifications, stored)


def program_import(*, data: dict) -> Program:
    return program_import_report(data=data).program

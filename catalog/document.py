"""The catalog's part of the program document (program as code, API.md): gift categories and gifts, the checks
of their values, and the checks that look at several keys or objects at once."""

from catalog.models import Gift
from loyalty.core import values as v
from loyalty.core.values import Item


def category_spec(languages: list[str] | None) -> v.Spec:
    return {
        "code": ("code", v.code()),
        "name": ("name", v.translations(languages)),
        "parent": ("parent", v.or_null(v.code())),
        "active": ("active", v.boolean),
        "position": ("position", v.integer(0)),
    }


def gift_spec(languages: list[str] | None) -> v.Spec:
    text = v.translations(languages)
    return {
        "sku": ("sku", v.code()),
        "category": ("category", v.or_null(v.code())),
        "type": ("type", v.choice(t for t, _ in Gift.TYPES)),
        "points": ("points", v.integer(1)),
        "value": ("value", v.MONEY),
        "stock": ("stock", v.or_null(v.integer(0))),
        "validated": ("validated", v.boolean),
        "valid_from": ("valid_from", v.or_null(v.timestamp)),
        "valid_until": ("valid_until", v.or_null(v.timestamp)),
        "images": ("images", v.list_of(v.url)),
        "name": ("name", text),
        "description": ("description", text),
        "voucher_valid_days": ("voucher_valid_days", v.or_null(v.integer(1))),
    }


def check_categories(
    items: list[Item], stored_codes: set[str], stored_parents: dict[str, str | None], errors: list[str]
) -> None:
    """Parents must exist (in the document or the program) and no category may become its own ancestor."""
    known = stored_codes | {item.values["code"] for item in items}
    parents = dict(stored_parents)
    moved = []
    for item in items:
        parent = item.values.get("parent")
        if "parent" not in item.values or not v.ok(parent):
            continue
        if parent is not None and parent not in known:
            errors.append(f"{item.path}.parent: no category {parent!r} in the file or the program")
            continue
        parents[item.values["code"]] = parent
        moved.append(item)
    for item in moved:
        code = item.values["code"]
        chain, current = [code], parents.get(code)
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        if current == code:
            errors.append(f"{item.path}.parent: makes a cycle {' -> '.join([*chain, code])}")


def check_gifts(items: list[Item], categories: set[str], errors: list[str]) -> None:
    """A gift's category must exist; its validity window must be ordered; only vouchers have a validity in days."""
    for item in items:
        category = item.values.get("category")
        if v.ok(category) and category is not None and category not in categories:
            errors.append(f"{item.path}.category: no category {category!r} in the file or the program")
        v.check_order(item, "valid_from", "valid_until", errors)
        kind, days = v.merged(item, "type", Gift.PHYSICAL), v.merged(item, "voucher_valid_days")
        if v.ok(kind, days) and kind != Gift.VOUCHER and days is not None:
            blamed = "voucher_valid_days" if "voucher_valid_days" in item.values else "type"
            errors.append(f"{item.path}.{blamed}: voucher_valid_days is only for voucher gifts (null otherwise)")

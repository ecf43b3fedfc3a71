"""The words of a member's history: each entry described with names in the reader's language.

An entry's stored `description` was written once, when it was posted, with codes (`1 × V05`, `BASE, BIO-MILK`) or
in the program's default language. A reader sees names in their own language instead: the gift of a redemption,
the promotions of an earn, the event type of an event. Other entries keep their stored text (an adjustment's
reason, written for the member's history, is shown as it was written).
"""

from collections.abc import Sequence

from programs.models import Program
from rewards.models import EntryKind, LedgerEntry, Promotion

# How an earn's description lists the codes of the promotions that gave it points (rewards.services.earning).
# Promotion codes are `[A-Za-z0-9._:-]` (loyalty.core.values.CODE_RE): the separator cannot be part of one.
EARN_CODES_SEPARATOR = ", "


def earn_promotion_codes(entry: LedgerEntry) -> list[str]:
    """The codes of the promotions that gave the earn its points, as its description recorded them."""
    return [code for code in entry.description.split(EARN_CODES_SEPARATOR) if code] if entry.description else []


def promotion_names(*, program: Program, codes: set[str]) -> dict[str, dict]:
    """The names (by language) of these promotions of the program, by code; one query, none for no codes."""
    if not codes:
        return {}
    return dict(Promotion.objects.filter(program=program, code__in=codes).values_list("code", "name"))


def entry_descriptions(entries: Sequence[LedgerEntry], program: Program, language: str | None) -> dict[int, str]:
    """Each entry's description in `language` (the program's default language where a name has no translation),
    by entry id. The entries come from `rewards.selectors.history_queryset` (redemption, gift, event and event type
    joined); the promotion names of the earns among them take one query for them all.

    A promotion deleted since, or a name missing in every language, shows as its code.
    """
    codes = {code for entry in entries if entry.kind == EntryKind.EARN for code in earn_promotion_codes(entry)}
    names = promotion_names(program=program, codes=codes)
    out: dict[int, str] = {}
    for entry in entries:
        text = entry.description
        if entry.kind == EntryKind.REDEMPTION and entry.redemption is not None:
            redemption = entry.redemption
            text = f"{redemption.quantity} × {program.text(redemption.gift.name, language) or redemption.gift.sku}"
        elif entry.kind == EntryKind.EARN:
            text = EARN_CODES_SEPARATOR.join(
                program.text(names.get(code), language) or code for code in earn_promotion_codes(entry)
            )
        elif entry.kind == EntryKind.EVENT and entry.event is not None:
            event_type = entry.event.event_type
            text = program.text(event_type.name, language) or event_type.code
        out[entry.pk] = text
    return out

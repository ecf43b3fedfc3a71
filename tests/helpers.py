"""Helpers for tests: baskets, posting earns over the API, funding a member through the ledger."""

import itertools

_refs = itertools.count(1)


def line(line_id="1", sku="COF-250", category="coffee", quantity=1, unit_price="10.00", **extra):
    data = {
        "line_id": line_id,
        "sku": sku,
        "product_category": category,
        "quantity": quantity,
        "unit_price": unit_price,
    }
    data.update(extra)
    return data


def basket(member_id="M-1", lines=None, reference=None, **extra):
    data = {"member_id": member_id, "reference": reference or f"POS-{next(_refs)}", "lines": lines or [line()]}
    data.update(extra)
    return data


def earn(api, **kwargs):
    response = api.post("/api/v1/transactions/earn", basket(**kwargs))
    assert response.status_code == 201, response.content
    return response.json()


def fund(member, points: int, reference: str | None = None, expires_at=None):
    """Credits points through the ledger services (an adjustment with its lot)."""
    from django.db import transaction

    from rewards.services.ledger import balance_lock, entry_post, lot_open

    with transaction.atomic():
        balance = balance_lock(member=member)
        before = (balance.available, balance.locked)
        entry = entry_post(
            balance=balance,
            kind="adjustment",
            reference=reference or f"FUND-{next(_refs)}",
            available=points,
            due=(expires_at,),
        )
        lot_open(balance_before=before, entry=entry, points=points, expires_at=expires_at)
    return entry


def credit_pending(member, points: int, available_at):
    """Credits pending points through the ledger services (an earn-like entry with its pending lot)."""
    from django.db import transaction

    from rewards.services.ledger import balance_lock, entry_post, lot_open

    with transaction.atomic():
        balance = balance_lock(member=member)
        before = (balance.available, balance.locked)
        entry = entry_post(
            balance=balance, kind="earn", reference=f"PENDING-{next(_refs)}", pending=points, due=(available_at,)
        )
        return lot_open(
            balance_before=before, entry=entry, points=points, expires_at=None, available_at=available_at, pending=True
        )

"""Helpers for the rewards API tests: baskets and posting earns."""

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

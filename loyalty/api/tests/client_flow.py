"""A partner's whole journey, written only against the client generated from our OpenAPI schema.

`test_generated_client.py` generates `loyalty_partner_client` from the live server's schema with
openapi-python-client, type-checks this script against it with mypy (strict: a wrong field name or
type fails), then runs it against the live server:

    python client_flow.py BASE_URL CLIENT_ID CLIENT_SECRET PROGRAM_CODE GIFT_COUNT

The program is the one `test_generated_client.py` creates (promotions BASE, COFFEE, VIPONLY, WEBONLY;
GIFT_COUNT gifts, one of them a voucher). Only the OAuth token is fetched with httpx directly (the
token endpoint is not part of the schema). Every step asserts its answer; the script exits non-zero
on the first step that fails. Not collected by pytest, excluded from the project's mypy run.
"""

from __future__ import annotations

import itertools
import re
import sys
import time
import uuid
from http import HTTPStatus
from typing import TypeVar

import httpx
from loyalty_partner_client.api.baskets import baskets_evaluate
from loyalty_partner_client.api.gifts import gifts_list
from loyalty_partner_client.api.members import members_create, members_retrieve, members_transactions_list
from loyalty_partner_client.api.points import points_locks_capture, points_locks_create
from loyalty_partner_client.api.program import program_retrieve
from loyalty_partner_client.api.redemptions import redemptions_create, redemptions_retrieve
from loyalty_partner_client.api.transactions import transactions_earn, transactions_reverse
from loyalty_partner_client.api.vouchers import vouchers_retrieve, vouchers_use
from loyalty_partner_client.client import AuthenticatedClient
from loyalty_partner_client.models import (
    BasketInputRequest,
    BasketLineInputRequest,
    CaptureInputRequest,
    EarnInputRequest,
    EarnOutput,
    EarnStatusEnum,
    Error,
    EvaluationOutput,
    Gift,
    GiftPage,
    GiftTypeEnum,
    HistoryStatusEnum,
    HistoryTypeEnum,
    LockInputRequest,
    LockStatusEnum,
    MemberCreateInputRequest,
    MemberOutput,
    MemberStatusEnum,
    PointsLock,
    Program,
    RedeemInputRequest,
    RedemptionOutput,
    RedemptionStatusEnum,
    ReturnLineInputRequest,
    ReversalInputRequest,
    ReversalOutput,
    TransactionOutput,
    TransactionPageOutput,
    VoucherOutput,
    VoucherStatusEnum,
    VoucherUseInputRequest,
)
from loyalty_partner_client.types import UNSET, Response, Unset

T = TypeVar("T")
VOUCHER_CODE = re.compile(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){4}$")


def step(message: str) -> None:
    print(f"ok: {message}", flush=True)


def expect(response: Response[T], status: HTTPStatus) -> None:
    """The answer has this status, or the assertion shows what came instead (with the error body)."""
    assert response.status_code == status, (
        f"expected {int(status)}, got {int(response.status_code)}: {response.content.decode(errors='replace')}"
    )


def token(base_url: str, client_id: str, client_secret: str) -> str:
    answer = httpx.post(
        f"{base_url}/oauth/token/",
        data={"grant_type": "client_credentials"},
        auth=(client_id, client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer", body
    access_token = body["access_token"]
    assert isinstance(access_token, str)
    return access_token


def basket_lines() -> list[BasketLineInputRequest]:
    # Line 1: 4 coffees at 25.00 (BASE 100 + COFFEE 4 x 10); line 2: a machine at 1500.00 (BASE 1500).
    return [
        BasketLineInputRequest(
            line_id="1", sku="COF-250", product_category="coffee", quantity=4, unit_price="25.00", amount="100.00"
        ),
        BasketLineInputRequest(
            line_id="2", sku="MACHINE", product_category="appliances", quantity=1, unit_price="1500.00"
        ),
    ]


def walk_gifts(client: AuthenticatedClient, limit: int) -> tuple[list[Gift], int]:
    gifts: list[Gift] = []
    pages = 0
    cursor: str | None = None
    while True:
        page = gifts_list.sync_detailed(client=client, limit=limit, cursor=cursor if cursor is not None else UNSET)
        expect(page, HTTPStatus.OK)
        assert isinstance(page.parsed, GiftPage)
        assert len(page.parsed.results) <= limit
        gifts.extend(page.parsed.results)
        pages += 1
        cursor = page.parsed.next_
        if cursor is None:
            return gifts, pages
        assert pages < 100, "the gift cursor never ends"


def walk_history(client: AuthenticatedClient, member_id: str, limit: int) -> tuple[list[TransactionOutput], int]:
    rows: list[TransactionOutput] = []
    pages = 0
    cursor: str | None = None
    while True:
        page = members_transactions_list.sync_detailed(
            member_id, client=client, limit=limit, cursor=cursor if cursor is not None else UNSET
        )
        expect(page, HTTPStatus.OK)
        assert isinstance(page.parsed, TransactionPageOutput)
        assert len(page.parsed.results) <= limit
        rows.extend(page.parsed.results)
        pages += 1
        cursor = page.parsed.next_
        if cursor is None:
            return rows, pages
        assert pages < 100, "the history cursor never ends"


def lock(client: AuthenticatedClient, member_id: str, reference: str, points: int) -> PointsLock:
    locked = points_locks_create.sync_detailed(
        client=client, body=LockInputRequest(reference=reference, member_id=member_id, points=points, expires_in=600)
    )
    expect(locked, HTTPStatus.CREATED)
    assert isinstance(locked.parsed, PointsLock)
    assert locked.parsed.status == LockStatusEnum.LOCKED, locked.parsed.status
    assert locked.parsed.points == points
    assert locked.parsed.balance.locked == points
    return locked.parsed


def run(base_url: str, client_id: str, client_secret: str, program_code: str, gift_count: int) -> None:
    client = AuthenticatedClient(
        base_url=base_url, token=token(base_url, client_id, client_secret), raise_on_unexpected_status=True
    )
    step("token")

    program = program_retrieve.sync_detailed(client=client)
    expect(program, HTTPStatus.OK)
    assert isinstance(program.parsed, Program)
    assert program.parsed.code == program_code, program.parsed.code
    assert program.parsed.currency == "EUR"
    assert "fr" in program.parsed.languages
    step(f"program {program.parsed.code}")

    member_id = f"GEN-{uuid.uuid4().hex[:12]}"
    enrolled = members_create.sync_detailed(
        client=client,
        body=MemberCreateInputRequest(member_id=member_id, email=f"{member_id.lower()}@example.com", language="fr"),
    )
    expect(enrolled, HTTPStatus.CREATED)
    assert isinstance(enrolled.parsed, MemberOutput)
    assert enrolled.parsed.member_id == member_id
    assert enrolled.parsed.status == MemberStatusEnum.ACTIVE
    assert enrolled.parsed.balance.total == 0
    step(f"enrolled {member_id}")

    evaluation = baskets_evaluate.sync_detailed(
        client=client,
        body=BasketInputRequest(member_id=member_id, channel="store", currency="EUR", lines=basket_lines()),
        explain=True,
    )
    expect(evaluation, HTTPStatus.OK)
    assert isinstance(evaluation.parsed, EvaluationOutput)
    assert evaluation.parsed.points == 1640, evaluation.parsed.points
    assert {p.code: p.points for p in evaluation.parsed.promotions} == {"BASE": 1600, "COFFEE": 40}
    assert {line.line_id: line.points for line in evaluation.parsed.lines} == {"1": 140, "2": 1500}
    assert not isinstance(evaluation.parsed.not_applied, Unset), "explain=true gives not_applied"
    reasons = {n.code: n.reason for n in evaluation.parsed.not_applied}
    assert reasons == {"VIPONLY": "segment", "WEBONLY": "channel"}, reasons
    step("evaluated 1640 points, not applied: VIPONLY (segment), WEBONLY (channel)")

    earn_body = EarnInputRequest(
        member_id=member_id, reference=f"POS-{member_id}", channel="store", currency="EUR", lines=basket_lines()
    )
    earned = transactions_earn.sync_detailed(client=client, body=earn_body)
    expect(earned, HTTPStatus.CREATED)
    assert isinstance(earned.parsed, EarnOutput)
    assert earned.parsed.points == 1640
    assert earned.parsed.status == EarnStatusEnum.POSTED
    assert earned.parsed.balance.available == 1640
    assert earned.headers.get("Idempotent-Replayed") is None
    step("earned 1640 points")

    replayed = transactions_earn.sync_detailed(client=client, body=earn_body)
    expect(replayed, HTTPStatus.OK)
    assert replayed.headers.get("Idempotent-Replayed") == "true", replayed.headers
    assert replayed.content == earned.content, "a replay answers the original body byte for byte"
    step("replayed the earn: 200, same body")

    reversal = transactions_reverse.sync_detailed(
        earn_body.reference,
        client=client,
        body=ReversalInputRequest(
            reference=f"RET-{member_id}", lines=[ReturnLineInputRequest(line_id="1", quantity=2)]
        ),
    )
    expect(reversal, HTTPStatus.CREATED)
    assert isinstance(reversal.parsed, ReversalOutput)
    # Two coffees back: BASE 50 + COFFEE 20 given back.
    assert reversal.parsed.points == -70, reversal.parsed.points
    assert reversal.parsed.original_reference == earn_body.reference
    assert reversal.parsed.balance.available == 1570
    step("partial reversal: -70 points")

    gifts, pages = walk_gifts(client, limit=2)
    skus = [gift.sku for gift in gifts]
    assert len(skus) == len(set(skus)) == gift_count, skus
    assert pages == -(-gift_count // 2), pages
    vouchers = [gift for gift in gifts if gift.type_ == GiftTypeEnum.VOUCHER]
    assert len(vouchers) == 1, [gift.type_ for gift in gifts]
    voucher_gift = vouchers[0]
    assert voucher_gift.available
    step(f"walked {gift_count} gifts in {pages} pages")

    redeemed = redemptions_create.sync_detailed(
        client=client,
        body=RedeemInputRequest(reference=f"RED-{member_id}", member_id=member_id, gift=voucher_gift.sku, quantity=1),
    )
    expect(redeemed, HTTPStatus.CREATED)
    assert isinstance(redeemed.parsed, RedemptionOutput)
    assert redeemed.parsed.status == RedemptionStatusEnum.EXCHANGED, redeemed.parsed.status
    assert redeemed.parsed.points == voucher_gift.points
    assert redeemed.parsed.voucher is None or redeemed.parsed.voucher.status == VoucherStatusEnum.PENDING
    redemption_id = redeemed.parsed.id
    step(f"redeemed {voucher_gift.sku} for {voucher_gift.points} points")

    deadline = time.monotonic() + 30
    while True:
        current = redemptions_retrieve.sync_detailed(redemption_id, client=client)
        expect(current, HTTPStatus.OK)
        assert isinstance(current.parsed, RedemptionOutput)
        issued = current.parsed.voucher
        if issued is not None and issued.status == VoucherStatusEnum.ISSUED:
            break
        assert time.monotonic() < deadline, f"voucher not issued: {current.content!r}"
        time.sleep(0.2)
    assert current.parsed.status == RedemptionStatusEnum.DELIVERED, current.parsed.status
    assert isinstance(issued.code, str) and VOUCHER_CODE.match(issued.code), issued.code
    assert issued.value == "10.00" and issued.currency == "EUR"
    step(f"voucher {issued.code} issued")

    checked = vouchers_retrieve.sync_detailed(issued.code, client=client)
    expect(checked, HTTPStatus.OK)
    assert isinstance(checked.parsed, VoucherOutput)
    assert checked.parsed.status == VoucherStatusEnum.ISSUED
    used = vouchers_use.sync_detailed(
        issued.code, client=client, body=VoucherUseInputRequest(order_reference=f"ORDER-{member_id}")
    )
    expect(used, HTTPStatus.OK)
    assert isinstance(used.parsed, VoucherOutput)
    assert used.parsed.status == VoucherStatusEnum.USED, used.parsed.status
    used_again = vouchers_use.sync_detailed(
        issued.code, client=client, body=VoucherUseInputRequest(order_reference=f"ORDER-{member_id}-2")
    )
    expect(used_again, HTTPStatus.CONFLICT)
    assert isinstance(used_again.parsed, Error)
    assert used_again.parsed.error.code == "invalid_transition"
    step("voucher used; a second use is 409 invalid_transition")

    available = 1570 - voucher_gift.points
    lock(client, member_id, f"LOCK-A-{member_id}", 100)
    whole = points_locks_capture.sync_detailed(f"LOCK-A-{member_id}", client=client)
    expect(whole, HTTPStatus.OK)
    assert isinstance(whole.parsed, PointsLock)
    assert whole.parsed.status == LockStatusEnum.CAPTURED
    assert whole.parsed.captured_points == 100
    assert whole.parsed.balance.locked == 0
    available -= 100
    assert whole.parsed.balance.available == available, (whole.parsed.balance.available, available)
    step("locked 100 and captured them all (no points in the body)")

    lock(client, member_id, f"LOCK-B-{member_id}", 200)
    partial = points_locks_capture.sync_detailed(
        f"LOCK-B-{member_id}", client=client, body=CaptureInputRequest(points=50)
    )
    expect(partial, HTTPStatus.OK)
    assert isinstance(partial.parsed, PointsLock)
    assert partial.parsed.status == LockStatusEnum.CAPTURED
    assert partial.parsed.captured_points == 50
    available -= 50
    assert partial.parsed.balance.available == available, (partial.parsed.balance.available, available)
    assert partial.parsed.balance.locked == 0
    step("locked 200 and captured 50")

    rows, pages = walk_history(client, member_id, limit=2)
    assert [row.type_ for row in rows] == [
        HistoryTypeEnum.CAPTURE,
        HistoryTypeEnum.CAPTURE,
        HistoryTypeEnum.REDEMPTION,
        HistoryTypeEnum.REVERSAL,
        HistoryTypeEnum.EARN,
    ], [row.type_ for row in rows]
    assert [row.points for row in rows] == [-50, -100, -voucher_gift.points, -70, 1640], [row.points for row in rows]
    assert len({row.id for row in rows}) == len(rows)
    assert pages == 3, pages
    # A running sum, newest first: each row's balance_after minus its points is the next row's balance_after.
    for newer, older in itertools.pairwise(rows):
        assert newer.balance_after - newer.points == older.balance_after, (newer, older)
    assert rows[-1].balance_after == rows[-1].points
    assert rows[0].balance_after == available
    redemption_row = rows[2].redemption
    assert redemption_row is not None and redemption_row.id == redemption_id
    assert rows[2].status == HistoryStatusEnum.DELIVERED
    step(f"walked {len(rows)} history rows in {pages} pages")

    member = members_retrieve.sync_detailed(member_id, client=client)
    expect(member, HTTPStatus.OK)
    assert isinstance(member.parsed, MemberOutput)
    balance = member.parsed.balance
    assert (balance.available, balance.pending, balance.locked, balance.total) == (available, 0, 0, available)
    step(f"final balance {available}")


def main(argv: list[str]) -> int:
    base_url, client_id, client_secret, program_code, gift_count = argv
    run(base_url, client_id, client_secret, program_code, int(gift_count))
    print("flow passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""rewards.services.redemption called directly: redeem, transitions, refunds, vouchers."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Gift
from members.errors import MemberBlocked
from rewards.errors import GiftUnavailable, InsufficientPoints, InvalidTransition, OutOfStock
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, LotMovement, PointsBalance, PointsLot, Redemption, Voucher, VoucherStatus
from rewards.services.redemption import redeem, redemption_transition, voucher_issue, voucher_use
from tests.factories import CategoryFactory, GiftFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def mug(program):
    return GiftFactory(program=program, sku="MUG", points=100, stock=3)


@pytest.fixture
def v10(program):
    return GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)


def available(member) -> int:
    return PointsBalance.objects.get(member=member).available


def stock(gift) -> int | None:
    gift.refresh_from_db()
    return gift.stock


def do_redeem(program, member, gift, reference="R-1", quantity=1):
    return redeem(program=program, member=member, gift=gift, quantity=quantity, reference=reference)


def move(redemption, *statuses):
    for status in statuses:
        redemption = redemption_transition(redemption=redemption, status=status, actor="staff")
    return redemption


def test_redeem_burns_points_and_takes_stock(program, member, mug):
    fund(member, 250)
    redemption = do_redeem(program, member, mug, quantity=2)
    assert (redemption.status, redemption.points, redemption.quantity) == ("exchanged", 200, 2)
    assert available(member) == 50
    assert stock(mug) == 1
    entry = LedgerEntry.objects.get(kind="redemption", reference="R-1")
    assert (entry.points, entry.redemption_id) == (-200, redemption.pk)
    assert list(redemption.status_changes.values_list("from_status", "to_status")) == [("", "exchanged")]
    assert ledger_differences() == []


@pytest.mark.postgres
def test_redeem_locks_the_balance_before_writing(program, member, mug):
    fund(member, 100)
    with CaptureQueriesContext(connection) as ctx:
        do_redeem(program, member, mug)
    sqls = [q["sql"] for q in ctx.captured_queries]
    lock = next(i for i, s in enumerate(sqls) if "rewards_pointsbalance" in s and "FOR UPDATE" in s)
    stock_take = next(i for i, s in enumerate(sqls) if s.startswith('UPDATE "catalog_gift"'))
    entry = next(i for i, s in enumerate(sqls) if s.startswith('INSERT INTO "rewards_ledgerentry"'))
    assert lock < stock_take < entry


def test_redeem_refuses_more_than_the_stock(program, member, mug):
    fund(member, 1000)
    with pytest.raises(OutOfStock):
        do_redeem(program, member, mug, quantity=4)
    assert stock(mug) == 3
    assert available(member) == 1000
    assert not Redemption.objects.exists()
    assert ledger_differences() == []


def test_redeem_refuses_insufficient_points(program, member, mug):
    fund(member, 99)
    with pytest.raises(InsufficientPoints):
        do_redeem(program, member, mug)
    assert (available(member), stock(mug)) == (99, 3)
    assert not Redemption.objects.exists()
    assert ledger_differences() == []


@pytest.mark.parametrize(
    "attrs",
    [
        {"validated": False},
        {"valid_until": T0 - datetime.timedelta(days=1)},
        {"valid_from": T0 + datetime.timedelta(days=1)},
        {"inactive_parent": True},
    ],
    ids=["not_validated", "ended", "not_started", "inactive_parent_category"],
)
def test_redeem_refuses_a_gift_not_on_offer(program, member, attrs):
    if attrs.pop("inactive_parent", False):
        parent = CategoryFactory(program=program, active=False)
        attrs["category"] = CategoryFactory(program=program, parent=parent)
    gift = GiftFactory(program=program, sku="OFF", points=10, **attrs)
    fund(member, 100)
    with time_machine.travel(T0, tick=False), pytest.raises(GiftUnavailable):
        do_redeem(program, member, gift)
    assert available(member) == 100
    assert not Redemption.objects.exists()


def test_redeem_refuses_a_blocked_member(program, member, mug):
    fund(member, 500)
    member.status = member.BLOCKED
    member.save()
    with pytest.raises(MemberBlocked):
        do_redeem(program, member, mug)
    assert (available(member), stock(mug)) == (500, 3)
    assert not Redemption.objects.exists()


def test_physical_gift_moves_one_step_at_a_time(program, member, mug):
    fund(member, 100)
    redemption = move(do_redeem(program, member, mug), "in_preparation", "in_delivery", "delivered")
    assert Redemption.objects.get(pk=redemption.pk).status == "delivered"
    assert list(redemption.status_changes.values_list("from_status", "to_status", "actor")) == [
        ("", "exchanged", ""),
        ("exchanged", "in_preparation", "staff"),
        ("in_preparation", "in_delivery", "staff"),
        ("in_delivery", "delivered", "staff"),
    ]
    assert available(member) == 0


@pytest.mark.parametrize(
    "path, refused",
    [
        ((), "in_delivery"),
        ((), "delivered"),
        ((), "returned"),
        (("in_preparation",), "delivered"),
        (("in_preparation", "in_delivery"), "cancelled"),
        (("in_preparation", "in_delivery", "delivered"), "cancelled"),
        (("cancelled",), "in_preparation"),
        (("in_preparation", "in_delivery", "returned"), "delivered"),
    ],
)
def test_transition_refuses_a_move_not_allowed(program, member, mug, path, refused):
    fund(member, 100)
    redemption = move(do_redeem(program, member, mug), *path)
    before = (available(member), stock(mug), redemption.status_changes.count())
    with pytest.raises(InvalidTransition):
        redemption_transition(redemption=redemption, status=refused)
    assert Redemption.objects.get(pk=redemption.pk).status == (path[-1] if path else "exchanged")
    assert (available(member), stock(mug), redemption.status_changes.count()) == before


def test_cancel_refunds_points_to_their_lots_and_returns_stock(program, member, mug):
    soon = fund(member, 100, expires_at=T0 + datetime.timedelta(days=300)).lots.get()
    never = fund(member, 100).lots.get()
    redemption = do_redeem(program, member, mug, quantity=2)  # 200: soonest expiry first, then the rest
    assert [PointsLot.objects.get(pk=lot.pk).remaining for lot in (soon, never)] == [0, 0]
    assert stock(mug) == 1

    move(redemption, "cancelled")

    assert [PointsLot.objects.get(pk=lot.pk).remaining for lot in (soon, never)] == [100, 100]
    refund = LedgerEntry.objects.get(kind="refund", reference="R-1")
    assert refund.points == 200
    assert sorted(LotMovement.objects.filter(entry=refund).values_list("lot_id", "points")) == sorted(
        [(soon.pk, 100), (never.pk, 100)]
    )
    assert available(member) == 200
    assert stock(mug) == 3
    assert ledger_differences() == []


def test_return_after_delivery_refunds_once(program, member, mug):
    fund(member, 150)
    redemption = move(do_redeem(program, member, mug), "in_preparation", "in_delivery", "delivered", "returned")
    assert available(member) == 150
    assert stock(mug) == 3
    with pytest.raises(InvalidTransition):
        redemption_transition(redemption=redemption, status="returned")
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert available(member) == 150
    assert ledger_differences() == []


def test_refund_applies_to_a_blocked_member(program, member, mug):
    fund(member, 100)
    redemption = do_redeem(program, member, mug)
    member.status = member.BLOCKED
    member.save()
    move(redemption, "cancelled")
    assert available(member) == 100
    assert ledger_differences() == []


def test_cancel_of_an_unlimited_gift_keeps_it_unlimited(program, member):
    gift = GiftFactory(program=program, sku="ANY", points=10, stock=None)
    fund(member, 10)
    move(do_redeem(program, member, gift), "cancelled")
    assert stock(gift) is None
    assert available(member) == 10
    assert ledger_differences() == []


def test_voucher_is_issued_after_commit(program, member, v10, django_capture_on_commit_callbacks):
    fund(member, 300)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        redemption = do_redeem(program, member, v10, quantity=2)
    voucher = Voucher.objects.get(redemption=redemption)
    assert voucher.status == VoucherStatus.ISSUED
    assert (voucher.value, voucher.currency) == (Decimal("20.00"), "EUR")
    assert voucher.expires_at == T0 + datetime.timedelta(days=30)
    assert Redemption.objects.get(pk=redemption.pk).status == "delivered"
    assert available(member) == 100
    assert ledger_differences() == []


def test_voucher_issue_twice_issues_one_voucher(program, member, v10):
    fund(member, 100)
    redemption = do_redeem(program, member, v10)
    first = voucher_issue(redemption_id=redemption.pk)
    second = voucher_issue(redemption_id=redemption.pk)
    assert first is not None and second is not None
    assert second.pk == first.pk and second.code == first.code
    assert Voucher.objects.count() == 1
    assert redemption.status_changes.filter(to_status="delivered").count() == 1


def test_voucher_redemption_is_delivered_only_by_its_voucher(program, member, v10):
    fund(member, 100)
    redemption = do_redeem(program, member, v10)
    with pytest.raises(InvalidTransition):
        redemption_transition(redemption=redemption, status="delivered")
    assert Redemption.objects.get(pk=redemption.pk).status == "exchanged"


def test_voucher_of_a_cancelled_redemption_is_never_issued(program, member, v10):
    fund(member, 100)
    redemption = move(do_redeem(program, member, v10), "cancelled")
    assert voucher_issue(redemption_id=redemption.pk) is None
    assert not Voucher.objects.exists()
    assert available(member) == 100
    assert ledger_differences() == []


def test_return_voids_an_unused_voucher(program, member, v10):
    fund(member, 100)
    redemption = do_redeem(program, member, v10)
    voucher = voucher_issue(redemption_id=redemption.pk)
    move(redemption, "returned")
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.VOID
    assert available(member) == 100
    with pytest.raises(InvalidTransition):
        voucher_use(voucher=voucher, order_reference="ORDER-1")
    assert ledger_differences() == []


def test_voucher_is_used_once(program, member, v10):
    fund(member, 100)
    redemption = do_redeem(program, member, v10)
    voucher = voucher_issue(redemption_id=redemption.pk)
    used = voucher_use(voucher=voucher, order_reference="ORDER-1")
    assert (used.status, used.order_reference) == (VoucherStatus.USED, "ORDER-1")
    assert used.used_at is not None
    with pytest.raises(InvalidTransition):
        voucher_use(voucher=voucher, order_reference="ORDER-2")
    voucher.refresh_from_db()
    assert voucher.order_reference == "ORDER-1"


def test_used_voucher_cannot_be_refunded(program, member, v10):
    fund(member, 100)
    redemption = do_redeem(program, member, v10)
    voucher_use(voucher=voucher_issue(redemption_id=redemption.pk), order_reference="ORDER-1")
    with pytest.raises(InvalidTransition):
        redemption_transition(redemption=redemption, status="returned")
    assert Redemption.objects.get(pk=redemption.pk).status == "delivered"
    assert available(member) == 0
    assert ledger_differences() == []


def test_expired_voucher_cannot_be_used(program, member, v10):
    fund(member, 100)
    with time_machine.travel(T0, tick=False):
        voucher = voucher_issue(redemption_id=do_redeem(program, member, v10).pk)
    with time_machine.travel(T0 + datetime.timedelta(days=30), tick=False), pytest.raises(InvalidTransition):
        voucher_use(voucher=voucher, order_reference="ORDER-1")
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.ISSUED and voucher.used_at is None


def test_digital_gift_is_delivered_in_one_step(program, member):
    gift = GiftFactory(program=program, sku="EBOOK", type=Gift.DIGITAL, points=10)
    fund(member, 10)
    redemption = move(do_redeem(program, member, gift), "delivered")
    assert Redemption.objects.get(pk=redemption.pk).status == "delivered"
    with pytest.raises(InvalidTransition):
        redemption_transition(redemption=redemption, status="cancelled")
    move(redemption, "returned")
    assert available(member) == 10
    assert ledger_differences() == []

"""catalog.services called directly: stock take, return and set (with StockChanged), gift validation."""

import pytest

from catalog.models import Gift, GiftStockChange
from catalog.services import StockChanged, gift_stock_return, gift_stock_set, gift_stock_take, gifts_set_validated
from tests.factories import GiftFactory

pytestmark = pytest.mark.django_db


def stock(gift) -> int | None:
    return Gift.objects.get(pk=gift.pk).stock


def test_take_from_limited_stock(program):
    gift = GiftFactory(program=program, stock=3)
    assert gift_stock_take(gift=gift, quantity=2) is True
    assert stock(gift) == 1
    assert gift_stock_take(gift=gift, quantity=1) is True
    assert stock(gift) == 0


def test_take_more_than_left_changes_nothing(program):
    gift = GiftFactory(program=program, stock=2)
    assert gift_stock_take(gift=gift, quantity=3) is False
    assert stock(gift) == 2


def test_take_reads_the_database_not_the_loaded_row(program):
    gift = GiftFactory(program=program, stock=1)
    stale = Gift.objects.get(pk=gift.pk)
    assert gift_stock_take(gift=gift, quantity=1) is True
    assert gift_stock_take(gift=stale, quantity=1) is False
    assert stock(gift) == 0


def test_take_from_unlimited_stock_always_succeeds(program):
    gift = GiftFactory(program=program, stock=None)
    assert gift_stock_take(gift=gift, quantity=100) is True
    assert stock(gift) is None


def test_return_adds_to_limited_and_leaves_unlimited(program):
    limited = GiftFactory(program=program, stock=1)
    unlimited = GiftFactory(program=program, stock=None)
    gift_stock_return(gift=limited, quantity=2)
    gift_stock_return(gift=unlimited, quantity=2)
    assert (stock(limited), stock(unlimited)) == (3, None)


def test_set_logs_who_changed_what(program):
    gift = GiftFactory(program=program, stock=5)
    change = gift_stock_set(gift=gift, stock=8, actor="alice", reason="delivery from supplier")
    assert (change.before, change.after, change.actor, change.reason) == (5, 8, "alice", "delivery from supplier")
    assert stock(gift) == 8 and gift.stock == 8
    change = gift_stock_set(gift=gift, stock=None, actor="bob")
    assert (change.before, change.after) == (8, None)
    assert stock(gift) is None
    assert GiftStockChange.objects.filter(gift=gift).count() == 2


def test_set_to_the_same_value_logs_nothing(program):
    gift = GiftFactory(program=program, stock=5)
    assert gift_stock_set(gift=gift, stock=5, actor="alice") is None
    assert not GiftStockChange.objects.exists()


def test_set_cuts_a_long_reason(program):
    gift = GiftFactory(program=program, stock=5)
    change = gift_stock_set(gift=gift, stock=6, actor="alice", reason="x" * 300)
    assert len(GiftStockChange.objects.get(pk=change.pk).reason) == 255


def test_set_refuses_a_negative_stock(program):
    gift = GiftFactory(program=program, stock=5)
    with pytest.raises(ValueError):
        gift_stock_set(gift=gift, stock=-1, actor="alice")
    assert stock(gift) == 5
    assert not GiftStockChange.objects.exists()


def test_set_with_expected_stock_refuses_when_it_moved(program):
    gift = GiftFactory(program=program, stock=5)
    shown = gift.stock  # what the admin form showed
    gift_stock_take(gift=gift, quantity=2)  # a redemption in between
    with pytest.raises(StockChanged) as caught:
        gift_stock_set(gift=gift, stock=10, actor="alice", expected=shown)
    assert caught.value.current == 3
    assert stock(gift) == 3
    assert not GiftStockChange.objects.exists()


def test_set_with_expected_unlimited_refuses_a_limited_stock(program):
    gift = GiftFactory(program=program, stock=5)
    with pytest.raises(StockChanged) as caught:
        gift_stock_set(gift=gift, stock=10, actor="alice", expected=None)
    assert caught.value.current == 5
    assert stock(gift) == 5


def test_set_with_matching_expected_stock_applies(program):
    gift = GiftFactory(program=program, stock=None)
    change = gift_stock_set(gift=gift, stock=4, actor="alice", expected=None)
    assert (change.before, change.after) == (None, 4)
    assert stock(gift) == 4


def test_set_validated_changes_only_what_differs(program, other_program):
    on = GiftFactory(program=program, validated=True)
    off = GiftFactory(program=program, validated=False)
    foreign = GiftFactory(program=other_program, validated=False)
    assert gifts_set_validated(gifts=Gift.objects.filter(program=program), validated=True) == 1
    assert Gift.objects.get(pk=off.pk).validated is True
    assert Gift.objects.get(pk=foreign.pk).validated is False
    assert gifts_set_validated(gifts=Gift.objects.filter(pk__in=[on.pk, off.pk]), validated=True) == 0
    assert gifts_set_validated(gifts=Gift.objects.filter(pk=on.pk), validated=False) == 1
    assert Gift.objects.get(pk=on.pk).validated is False

"""catalog.selectors: the category tree, the gifts on offer, one gift's offer, lists and counts."""

import datetime

import pytest

from catalog.models import Gift, GiftCategory
from catalog.selectors import (
    category_gift_counts,
    category_tree,
    descendant_category_ids,
    gift_is_on_offer,
    gift_list,
    gift_on_offer_get,
    offered_gifts,
)
from tests.factories import CategoryFactory, GiftFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def tree_categories(program):
    """HOME > KITCHEN > CUPS, and OLD (inactive) > GARDEN (active itself)."""
    home = CategoryFactory(program=program, code="HOME")
    kitchen = CategoryFactory(program=program, code="KITCHEN", parent=home)
    cups = CategoryFactory(program=program, code="CUPS", parent=kitchen)
    old = CategoryFactory(program=program, code="OLD", active=False)
    garden = CategoryFactory(program=program, code="GARDEN", parent=old)
    return {c.code: c for c in (home, kitchen, cups, old, garden)}


def skus(queryset) -> list[str]:
    return sorted(queryset.values_list("sku", flat=True))


def test_tree_gives_effective_activity(program, other_program, tree_categories):
    CategoryFactory(program=other_program, code="ELSEWHERE")
    tree = category_tree(program)
    ids = {code: c.pk for code, c in tree_categories.items()}
    assert set(tree.nodes) == set(ids.values())
    assert tree.active_ids == {ids["HOME"], ids["KITCHEN"], ids["CUPS"]}
    assert tree.inactive_ids == {ids["OLD"], ids["GARDEN"]}  # GARDEN is active but its parent is not
    assert tree.by_code("CUPS").parent_id == ids["KITCHEN"]
    assert tree.by_code("ELSEWHERE") is None
    assert (tree.code_of(ids["GARDEN"]), tree.code_of(None), tree.code_of(-1)) == ("GARDEN", None, None)


def test_tree_hides_an_inactive_grandparents_descendants(program, tree_categories):
    GiftCategory.objects.filter(pk=tree_categories["HOME"].pk).update(active=False)
    assert category_tree(program).active_ids == set()


def test_tree_hides_a_parent_cycle(program):
    a = CategoryFactory(program=program, code="A")
    b = CategoryFactory(program=program, code="B", parent=a)
    GiftCategory.objects.filter(pk=a.pk).update(parent=b)
    tree = category_tree(program)
    assert tree.inactive_ids == {a.pk, b.pk}


def test_descendants_include_the_category_itself(program, tree_categories):
    tree = category_tree(program)
    ids = {code: c.pk for code, c in tree_categories.items()}
    assert descendant_category_ids(tree, ids["HOME"]) == {ids["HOME"], ids["KITCHEN"], ids["CUPS"]}
    assert descendant_category_ids(tree, ids["CUPS"]) == {ids["CUPS"]}


def test_offered_gifts_are_validated_current_and_in_active_categories(program, other_program, tree_categories):
    GiftFactory(program=program, sku="CUP", category=tree_categories["CUPS"])
    GiftFactory(program=program, sku="LOOSE", category=None)
    GiftFactory(program=program, sku="STARTS-NOW", valid_from=NOW)
    GiftFactory(program=program, sku="ENDS-LATER", valid_until=NOW + DAY)
    GiftFactory(program=program, sku="DRAFT", validated=False)
    GiftFactory(program=program, sku="ENDS-NOW", valid_until=NOW)
    GiftFactory(program=program, sku="LATER", valid_from=NOW + DAY)
    GiftFactory(program=program, sku="SHOVEL", category=tree_categories["GARDEN"])
    GiftFactory(program=other_program, sku="FOREIGN")
    assert skus(offered_gifts(program, NOW)) == ["CUP", "ENDS-LATER", "LOOSE", "STARTS-NOW"]


def offer_cases(program):
    """One gift per situation that decides whether a gift is on offer."""
    active = CategoryFactory(program=program, code="ACTIVE")
    inactive = CategoryFactory(program=program, code="INACTIVE", active=False)
    under_inactive = CategoryFactory(program=program, code="UNDER", parent=inactive)
    under_active = CategoryFactory(program=program, code="CHILD", parent=active)
    cycle_a = CategoryFactory(program=program, code="CYCLE-A")
    cycle_b = CategoryFactory(program=program, code="CYCLE-B", parent=cycle_a)
    GiftCategory.objects.filter(pk=cycle_a.pk).update(parent=cycle_b)
    cases = {
        "plain": {},
        "no_category": {"category": None},
        "not_validated": {"validated": False},
        "starts_now": {"valid_from": NOW},
        "starts_later": {"valid_from": NOW + DAY},
        "ends_now": {"valid_until": NOW},
        "ends_later": {"valid_from": NOW - DAY, "valid_until": NOW + DAY},
        "active_category": {"category": active},
        "inactive_category": {"category": inactive},
        "under_inactive_parent": {"category": under_inactive},
        "under_active_parent": {"category": under_active},
        "category_on_a_cycle": {"category": cycle_b},
    }
    return {name: GiftFactory(program=program, sku=name.upper(), **attrs) for name, attrs in cases.items()}


def test_gift_is_on_offer_agrees_with_offered_gifts(program):
    gifts = offer_cases(program)
    listed = set(offered_gifts(program, NOW).values_list("pk", flat=True))
    disagreements = {
        name
        for name, gift in gifts.items()
        if gift_is_on_offer(Gift.objects.get(pk=gift.pk), NOW) != (gift.pk in listed)
    }
    assert disagreements == set()


def test_gift_is_on_offer_answers_each_case(program):
    gifts = offer_cases(program)
    del gifts["category_on_a_cycle"]  # covered by the agreement test above
    on_offer = {name for name, gift in gifts.items() if gift_is_on_offer(Gift.objects.get(pk=gift.pk), NOW)}
    assert on_offer == {"plain", "no_category", "starts_now", "ends_later", "active_category", "under_active_parent"}


def test_gift_on_offer_get(program, other_program, tree_categories):
    GiftFactory(program=program, sku="CUP", category=tree_categories["CUPS"])
    GiftFactory(program=program, sku="SHOVEL", category=tree_categories["GARDEN"])
    GiftFactory(program=program, sku="OLD", valid_until=NOW - DAY)
    GiftFactory(program=other_program, sku="FOREIGN")
    assert gift_on_offer_get(program=program, sku="CUP", now=NOW).sku == "CUP"
    for sku in ("SHOVEL", "OLD", "FOREIGN", "NOPE"):
        assert gift_on_offer_get(program=program, sku=sku, now=NOW) is None, sku


def test_gift_on_offer_get_with_a_loaded_tree_saves_its_query(program, tree_categories, django_assert_num_queries):
    GiftFactory(program=program, sku="CUP", category=tree_categories["CUPS"])
    tree = category_tree(program)
    with django_assert_num_queries(2):  # the gift, then its uploaded pictures
        assert gift_on_offer_get(program=program, sku="CUP", now=NOW, tree=tree).sku == "CUP"


def test_gift_list_filters(program, tree_categories):
    GiftFactory(program=program, sku="PLATE", category=tree_categories["KITCHEN"], points=100)
    GiftFactory(program=program, sku="CUP", category=tree_categories["CUPS"], points=200)
    GiftFactory(program=program, sku="SOFA", category=tree_categories["HOME"], points=300)
    GiftFactory(program=program, sku="LOOSE", category=None, points=400)
    GiftFactory(program=program, sku="HIDDEN", category=tree_categories["GARDEN"], points=100)
    tree = category_tree(program)

    def listed(**filters):
        return skus(gift_list(program=program, now=NOW, tree=tree, **filters))

    kitchen = descendant_category_ids(tree, tree_categories["KITCHEN"].pk)
    assert listed() == ["CUP", "LOOSE", "PLATE", "SOFA"]
    assert listed(category_ids=kitchen) == ["CUP", "PLATE"]
    assert listed(min_points=200, max_points=300) == ["CUP", "SOFA"]  # both bounds inclusive
    assert listed(min_points=401) == []
    assert listed(affordable_points=200) == ["CUP", "PLATE"]
    assert listed(category_ids=kitchen, affordable_points=150) == ["PLATE"]
    assert listed(category_ids={tree_categories["GARDEN"].pk}) == []


def test_category_gift_counts_include_sub_categories(program, tree_categories):
    c = tree_categories
    GiftFactory(program=program, sku="PLATE", category=c["KITCHEN"])
    GiftFactory(program=program, sku="CUP", category=c["CUPS"])
    GiftFactory(program=program, sku="MUG", category=c["CUPS"])
    GiftFactory(program=program, sku="DRAFT", category=c["CUPS"], validated=False)
    GiftFactory(program=program, sku="SHOVEL", category=c["GARDEN"])
    GiftFactory(program=program, sku="LOOSE", category=None)
    tree = category_tree(program)
    counts = {tree.code_of(pk): n for pk, n in category_gift_counts(program, NOW, tree).items()}
    assert counts == {"HOME": 3, "KITCHEN": 3, "CUPS": 2, "OLD": 0, "GARDEN": 0}


def test_category_gift_counts_agree_with_gift_list(program, tree_categories):
    for n, category in enumerate(tree_categories.values()):
        GiftFactory(program=program, sku=f"G{n}", category=category)
        GiftFactory(program=program, sku=f"E{n}", category=category, valid_until=NOW - DAY)
    tree = category_tree(program)
    counts = category_gift_counts(program, NOW, tree)
    for pk in tree.nodes:
        listed = gift_list(program=program, now=NOW, tree=tree, category_ids=descendant_category_ids(tree, pk))
        assert counts[pk] == listed.count(), tree.code_of(pk)

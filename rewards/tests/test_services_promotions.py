"""rewards.services.promotions called directly: versions, the program's rules_version and the rules cache."""

from decimal import Decimal

import pytest

from programs.models import Program
from programs.services import tier_save
from rewards import rules
from rewards.models import Promotion
from rewards.services.promotions import (
    ForeignSegments,
    promotion_create,
    promotion_delete,
    promotion_duplicate,
    promotion_save,
    promotion_segment_link,
    promotion_segment_unlink,
    promotion_set_status,
    segment_delete,
)
from tests.factories import PromotionFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    rules.clear_cache()
    yield
    rules.clear_cache()


@pytest.fixture
def base(program):
    return PromotionFactory(program=program, code="BASE", rate="1")


def rules_version(program) -> int:
    return Program.objects.get(pk=program.pk).rules_version


def version(promotion) -> int:
    return Promotion.objects.get(pk=promotion.pk).version


def live(program) -> dict[str, tuple]:
    """What the cached rule set holds, read as another request would (a freshly loaded program)."""
    fresh = Program.objects.get(pk=program.pk)
    return {rule.code: (rule.version, rule.rate, rule.segments) for rule in rules.live_ruleset(fresh).rules}


def test_create_bumps_rules_version_and_reaches_the_cache(program):
    assert live(program) == {}
    before = rules_version(program)
    segment = SegmentFactory(program=program, code="VIP")
    promotion = promotion_create(
        program=program,
        code="NEW",
        values={"name": {"en": "New"}, "kind": "quantity", "status": "live", "points": 5},
        segments=[segment],
    )
    assert (promotion.version, promotion.points) == (1, 5)
    assert rules_version(program) == before + 1
    assert set(live(program)) == {"NEW"}
    assert live(program)["NEW"][2] == frozenset({"VIP"})


def test_save_bumps_version_once_and_reloads_rules(program, base):
    assert live(program)["BASE"] == (1, Decimal("1"), frozenset())
    before = rules_version(program)
    saved = promotion_save(promotion=base, values={"rate": Decimal("2"), "max_points": 100})
    assert sorted(saved.changed) == ["max_points", "rate"]
    assert saved.promotion.version == version(base) == 2
    assert rules_version(program) == before + 1
    assert live(program)["BASE"] == (2, Decimal("2"), frozenset())


def test_unchanged_save_moves_nothing(program, base):
    live(program)
    before = rules_version(program)
    saved = promotion_save(promotion=base, values={"rate": Decimal("1.00"), "status": "live"}, segments=[])
    assert saved.changed == []
    assert version(base) == 1
    assert rules_version(program) == before


def test_save_with_new_segments_counts_as_a_change(program, base):
    vip = SegmentFactory(program=program, code="VIP")
    saved = promotion_save(promotion=base, values={}, segments=[vip])
    assert saved.changed == ["segments"]
    assert version(base) == 2
    assert live(program)["BASE"][2] == frozenset({"VIP"})


def test_save_refuses_segments_of_another_program(program, other_program, base):
    foreign = SegmentFactory(program=other_program, code="VIP")
    before = rules_version(program)
    with pytest.raises(ForeignSegments):
        promotion_save(promotion=base, values={"rate": Decimal("5")}, segments=[foreign])
    assert version(base) == 1
    assert Promotion.objects.get(pk=base.pk).rate == Decimal("1")
    assert not base.segments.exists()
    assert rules_version(program) == before


def test_save_refuses_unknown_fields(program, base):
    with pytest.raises(ValueError):
        promotion_save(promotion=base, values={"code": "RENAMED"})
    assert Promotion.objects.get(pk=base.pk).code == "BASE"


def test_kind_change_drops_the_other_kinds_keys(program, base):
    saved = promotion_save(promotion=base, values={"kind": "basket", "threshold": Decimal("50"), "points": 20})
    stored = Promotion.objects.get(pk=base.pk)
    assert (stored.kind, stored.rate, stored.threshold, stored.points) == ("basket", None, Decimal("50"), 20)
    assert "rate" in saved.changed


def test_go_live_and_pause_bump_versions_and_the_cache(program):
    promotion = PromotionFactory(program=program, code="SUMMER", status=Promotion.DRAFT)
    assert live(program) == {}
    start = rules_version(program)
    promotion_set_status(promotion=promotion, status=Promotion.LIVE)
    assert (version(promotion), rules_version(program)) == (2, start + 1)
    assert live(program)["SUMMER"][0] == 2
    promotion_set_status(promotion=promotion, status=Promotion.PAUSED)
    assert (version(promotion), rules_version(program)) == (3, start + 2)
    assert live(program) == {}


def test_same_status_changes_nothing(program, base):
    before = rules_version(program)
    promotion_set_status(promotion=base, status=Promotion.LIVE)
    assert (version(base), rules_version(program)) == (1, before)


def test_status_change_on_a_stale_object_still_moves_the_version_on(program, base):
    stale = Promotion.objects.get(pk=base.pk)  # an admin page opened before another editor's save
    promotion_save(promotion=base, values={"rate": Decimal("2")})
    assert version(base) == 2
    promotion_set_status(promotion=stale, status=Promotion.PAUSED)
    # A new definition (paused, rate 2) must not share version 2 with the previous one (live, rate 2).
    assert version(base) == 3


def test_segment_link_and_unlink_bump_only_when_they_change(program, base):
    vip = SegmentFactory(program=program, code="VIP")
    start = rules_version(program)
    assert promotion_segment_link(promotion=base, segment=vip) is True
    assert promotion_segment_link(promotion=base, segment=vip) is False
    assert (version(base), rules_version(program)) == (2, start + 1)
    assert live(program)["BASE"][2] == frozenset({"VIP"})
    assert promotion_segment_unlink(promotion=base, segment=vip) is True
    assert promotion_segment_unlink(promotion=base, segment=vip) is False
    assert (version(base), rules_version(program)) == (3, start + 2)
    assert live(program)["BASE"][2] == frozenset()


def test_duplicate_is_a_draft_copy_with_a_free_code(program, base):
    vip = SegmentFactory(program=program, code="VIP")
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=500)
    promotion_save(promotion=base, values={"max_points": 40, "channels": ["web"]}, segments=[vip], tiers=[gold])
    before = rules_version(program)
    copy = promotion_duplicate(promotion=Promotion.objects.get(pk=base.pk))
    assert (copy.code, copy.status, copy.version) == ("BASE-COPY", Promotion.DRAFT, 1)
    assert (copy.kind, copy.rate, copy.max_points, copy.channels) == ("spend", Decimal("1"), 40, ["web"])
    assert list(copy.segments.values_list("code", flat=True)) == ["VIP"]
    assert list(copy.tiers.values_list("code", flat=True)) == ["GOLD"]
    assert rules_version(program) == before + 1
    assert promotion_duplicate(promotion=base).code == "BASE-COPY-2"
    assert set(live(program)) == {"BASE"}  # drafts are not live
    assert version(base) == 2  # the original is untouched


def test_duplicate_of_a_long_code_stays_within_the_column(program):
    long = PromotionFactory(program=program, code="X" * 64)
    copy = promotion_duplicate(promotion=long)
    assert len(copy.code) <= 64 and copy.code.endswith("-COPY")
    assert copy.code != long.code


def test_delete_reloads_the_rules(program, base):
    assert set(live(program)) == {"BASE"}
    before = rules_version(program)
    promotion_delete(promotion=base)
    assert rules_version(program) == before + 1
    assert live(program) == {}


def test_segment_delete_bumps_the_promotions_it_restricted(program, base):
    vip = SegmentFactory(program=program, code="VIP")
    promotion_segment_link(promotion=base, segment=vip)
    untouched = PromotionFactory(program=program, code="OTHER")
    assert live(program)["BASE"] == (2, Decimal("1"), frozenset({"VIP"}))
    before = rules_version(program)
    segment_delete(segment=vip)
    assert (version(base), version(untouched)) == (3, 1)
    assert rules_version(program) == before + 1
    assert live(program)["BASE"] == (3, Decimal("1"), frozenset())


def test_segment_delete_without_promotions_keeps_rules_version(program, base):
    lonely = SegmentFactory(program=program, code="LONELY")
    before = rules_version(program)
    segment_delete(segment=lonely)
    assert rules_version(program) == before
    assert version(base) == 1


def test_changes_in_one_program_leave_the_others_rules_alone(program, other_program, base):
    PromotionFactory(program=other_program, code="BASE")
    before = rules_version(other_program)
    promotion_save(promotion=base, values={"rate": Decimal("3")})
    assert rules_version(other_program) == before
    assert live(other_program)["BASE"][0] == 1


def test_tiers_of_another_program_are_refused_and_a_tier_change_is_a_new_version(program, other_program, base):
    from rewards.services.promotions import ForeignSegments

    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=500)
    foreign = tier_save(program=other_program, code="GOLD", name={"en": "Gold"}, threshold=500)
    with pytest.raises(ForeignSegments):
        promotion_save(promotion=base, values={}, tiers=[foreign])
    saved = promotion_save(promotion=base, values={}, tiers=[gold])
    assert saved.changed == ["tiers"] and version(base) == 2
    assert promotion_save(promotion=base, values={}, tiers=[gold]).changed == []  # unchanged: same version
    assert {rule.code: rule.tiers for rule in rules.live_ruleset(program).rules}["BASE"] == frozenset({"GOLD"})

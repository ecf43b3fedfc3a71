"""The hand-written statements of rewards.statements give the rows the ORM would."""

import datetime

import pytest

from programs.services import tier_save
from rewards.models import PointsBalance
from rewards.statements import update_rows
from tests.factories import MemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_update_rows_writes_each_row_its_own_values_nulls_included(program):
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=10)
    members = [MemberFactory(program=program, member_id=f"M-{n}") for n in range(3)]
    rows = list(PointsBalance.objects.filter(member__in=members).order_by("member_id"))
    when = datetime.datetime(2027, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    rows[0].qualifying_points, rows[0].tier_id, rows[0].tier_since, rows[0].tier_until = 12, gold.pk, when, when
    rows[1].qualifying_points, rows[1].qualifying_until = 2**40, when
    rows[2].tier_override_reason = "a 'quoted' reason"
    rows[2].available = 999  # not among the fields: stays
    update_rows(
        PointsBalance,
        rows,
        ["qualifying_points", "qualifying_until", "tier", "tier_since", "tier_until", "tier_override_reason"],
    )
    stored = list(PointsBalance.objects.filter(member__in=members).order_by("member_id"))
    assert [(b.qualifying_points, b.qualifying_until, b.tier_id, b.tier_since) for b in stored] == [
        (12, None, gold.pk, when),
        (2**40, when, None, None),
        (0, None, None, None),
    ]
    assert stored[2].tier_override_reason == "a 'quoted' reason" and stored[2].available == 0
    update_rows(PointsBalance, [], ["qualifying_points"])  # nothing to do, no statement


def test_member_for_evaluation_reads_the_row_its_codes_and_its_tier_in_one_statement(
    program, other_program, django_assert_num_queries
):
    from members.selectors import member_get
    from members.services import segment_add_member
    from rewards.selectors import member_for_evaluation
    from rewards.services.earning import member_segment_codes, member_tier_id
    from tests.factories import SegmentFactory

    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=10)
    member = MemberFactory(program=program, member_id="M-1", first_name="Ann")
    segment_add_member(segment=SegmentFactory(program=program, code="VIP"), member=member)
    segment_add_member(segment=SegmentFactory(program=program, code="FAMILY"), member=member)
    PointsBalance.objects.filter(member=member).update(
        tier=gold, tier_since="2026-01-01T00:00Z", tier_until="2027-01-01T00:00Z"
    )
    MemberFactory(program=other_program, member_id="M-2")
    with django_assert_num_queries(1):
        found = member_for_evaluation(program_id=program.pk, member_id="M-1", program=program)
    with django_assert_num_queries(1):  # the program's row read in the same statement
        with_program = member_for_evaluation(program_id=program.pk, member_id="M-1")
    assert with_program.program == program and with_program.program is not program
    assert (with_program.program.code, with_program.program.currency, with_program.program.languages) == (
        program.code,
        program.currency,
        program.languages,
    )
    assert with_program.segment_codes == found.segment_codes and with_program.balance_tier_id == gold.pk
    expected = member_get(program=program, member_id="M-1")
    assert found == expected and (found.first_name, found.enrolled_at, found.status) == (
        "Ann",
        expected.enrolled_at,
        "active",
    )
    assert member_segment_codes(found) == frozenset({"VIP", "FAMILY"}) and member_tier_id(found) == gold.pk
    assert member_for_evaluation(program_id=program.pk, member_id="M-2") is None
    assert member_for_evaluation(program_id=program.pk, member_id="M-2", program=program) is None
    assert member_for_evaluation(program_id=program.pk, member_id="M\x00") is None


@pytest.mark.parametrize(("with_lot", "with_record"), [(True, True), (False, True), (True, False), (False, False)])
def test_the_earns_statement_stays_within_psycopgs_statement_cache(with_lot, with_record):
    """psycopg converts a statement's placeholders once per process only for statements of at most 4,096 bytes and
    50 parameters (psycopg._queries); beyond, every earn pays the conversion again (about 0.2 ms)."""
    from psycopg import _queries

    from rewards.statements import _write_sql

    sql = _write_sql(with_lot, with_record)
    assert len(sql.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert sql.count("%s") <= _queries.MAX_CACHED_STATEMENT_PARAMS, sql.count("%s")

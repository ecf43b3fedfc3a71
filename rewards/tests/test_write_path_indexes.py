"""The indexes of the rows every write adds: each foreign key still led by an index (a lookup by it, or the check
when its parent row is deleted, never scans the table), and no index that another one already covers."""

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TABLES = ("rewards_ledgerentry", "rewards_earn", "rewards_pointslot", "rewards_idempotencyrecord")


def _indexes(table: str) -> list[tuple[str, list[str], bool]]:
    """(name, columns in order, partial) of each index of the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, array_agg(a.attname ORDER BY k.n), x.indpred IS NOT NULL
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE t.relname = %s
            GROUP BY i.relname, x.indpred
            """,
            [table],
        )
        return [(name, list(columns), partial) for name, columns, partial in cursor.fetchall()]


def _foreign_keys(table: str) -> list[tuple[str, bool]]:
    """(column, nullable) of each foreign key of the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.attname, NOT a.attnotnull
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1]
            WHERE t.relname = %s AND c.contype = 'f'
            """,
            [table],
        )
        return cursor.fetchall()


@pytest.mark.parametrize("table", TABLES)
def test_every_foreign_key_leads_an_index(table):
    indexes = _indexes(table)
    for column, nullable in _foreign_keys(table):
        leading = [(name, partial) for name, columns, partial in indexes if columns[0] == column]
        assert leading, (table, column, indexes)
        # A partial index serves `column = x` only when its condition is `column IS NOT NULL`: kept for nullable
        # links, which is what the ledger's partial indexes are.
        assert any(not partial for _, partial in leading) or nullable, (table, column, leading)


@pytest.mark.parametrize("table", TABLES)
def test_no_single_column_index_repeats_the_lead_of_another(table):
    indexes = _indexes(table)
    for name, columns, partial in indexes:
        if len(columns) != 1 or partial or name.endswith("_pkey"):
            continue
        covering = [
            other
            for other, cols, part in indexes
            if other != name and len(cols) > 1 and cols[0] == columns[0] and not part
        ]
        assert not covering, (table, name, covering)


def test_the_ledgers_links_are_indexed_only_where_they_are_set():
    partial = {name for name, _, is_partial in _indexes("rewards_ledgerentry") if is_partial}
    assert {"ledger_earn_idx", "ledger_redemption_idx", "ledger_event_idx"} <= partial


def test_the_models_and_the_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)

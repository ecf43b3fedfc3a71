"""The earn's statements on PostgreSQL, written by hand: the hot path's two round trips.

Building these statements through the ORM cost more than the database took to run them (select_related over
three tables, four INSERTs and an UPDATE compiled per request). Here each is compiled once per process, from
the models' own fields, so a field added to a model is added here too:

- `lock_balance`: the balance row FOR UPDATE with its member, its program and the member's segment codes;
- `write_earn`: the earn, its ledger entry, its lot, the balance row's new figures and the partner's idempotency
  record in one statement (data-modifying CTEs), the entry pointing at the earn and the lot at the entry by the ids
  the statement returns.

Rows come back as model instances (`Model.from_db`), as the ORM would build them. Other databases take the ORM
path (rewards.services.earning), which writes the same rows.
"""

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

from members.errors import MemberBlocked
from members.models import Member, Segment, SegmentMembership
from programs.models import Program, WebhookSubscription
from programs.webhooks import subscriptions_by_type
from rewards.models import Earn, IdempotencyRecord, LedgerEntry, PointsBalance, PointsLot

_M = TypeVar("_M", bound=Model)


def _fields(model: type[Model], *, skip: Sequence[str] = ()) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column, name
    return field.column


@functools.cache
def _lock_sql() -> str:
    quote = _quote
    parts = []
    for model, alias in ((PointsBalance, "b"), (Member, "m"), (Program, "p")):
        parts += [f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields if f.column]
    codes = (
        f"ARRAY(SELECT s.{quote('code')} FROM {quote(SegmentMembership._meta.db_table)} sm "
        f"JOIN {quote(Segment._meta.db_table)} s ON s.{quote('id')} = sm.{quote('segment_id')} "
        f"WHERE sm.{quote('member_id')} = m.{quote('id')})"
    )
    # The program's active webhook subscriptions ([id, events] pairs), read here rather than asked of the cache:
    # one round trip less per earn. The same filter as programs.webhooks._subscribed (active, not deleted).
    hooks = (
        f"(SELECT json_agg(json_build_array(w.{quote('id')}, w.{quote('events')}))::text "
        f"FROM {quote(WebhookSubscription._meta.db_table)} w "
        f"WHERE w.{quote('program_id')} = p.{quote('id')} AND w.{quote('status')} = %s "
        f"AND w.{quote('deleted_at')} IS NULL)"
    )
    return (
        f"SELECT {', '.join(parts)}, {codes}, {hooks} FROM {quote(PointsBalance._meta.db_table)} b "
        f"JOIN {quote(Member._meta.db_table)} m ON m.{quote('id')} = b.{quote('member_id')} "
        f"JOIN {quote(Program._meta.db_table)} p ON p.{quote('id')} = b.{quote('program_id')} "
        f"WHERE m.{quote('program_id')} = %s AND m.{quote('member_id')} = %s FOR UPDATE OF b"
    )


def lock_balance(*, program_id: int, member_id: str) -> PointsBalance | None:
    """The balance row locked, with `.member`, `.program`, `.segment_codes` and `.webhooks` (the program's active
    webhook subscriptions by event type, as `programs.webhooks.emit` takes them); None for an unknown member."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(), [WebhookSubscription.ACTIVE, program_id, member_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    balance = _take(values, PointsBalance)
    member = _take(values, Member)
    program = _take(values, Program)
    member.program = program
    balance.member = member
    balance.program = program
    balance.segment_codes = values[0] or []
    balance.webhooks = subscriptions_by_type(orjson.loads(values[1]) if values[1] else [])
    return balance


def _take(values: list[Any], model: type[_M]) -> _M:
    """The instance of `model` that the first columns of `values` hold, as the ORM builds it; removes them."""
    attnames, converters = _reading(model)
    chunk = values[: len(attnames)]
    del values[: len(attnames)]
    db = connections[DEFAULT_DB_ALIAS]
    for index, field, steps in converters:
        value = chunk[index]
        for step in steps:
            value = step(value, field, db)
        chunk[index] = value
    return model.from_db(DEFAULT_DB_ALIAS, attnames, chunk)


@functools.cache
def _reading(model: type[Model]) -> tuple[list[str], list[tuple[int, Field, list[Any]]]]:
    """The model's column names, and the database converters of the fields that have any (JSON, for one), looked
    up once per process rather than for every field of every row."""
    db = connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    converters = [(i, f, steps) for i, f in enumerate(fields) if (steps := f.get_db_converters(db))]
    return [f.attname for f in fields], converters


# Columns an inserted row takes from the row inserted before it in the same statement (the entry from its earn, the
# lot from its entry, the idempotency record from the earn) rather than from a parameter of its own: they are the
# same values, and psycopg converts a statement once per process only while it has at most 50 parameters.
_ENTRY_FROM_EARN = ("program", "member")
_LOT_FROM_ENTRY = ("program", "member")
_RECORD_FROM_EARN = ("program", "reference")


@functools.cache
def _earn_fields() -> list[Field]:
    return _fields(Earn)


@functools.cache
def _entry_fields() -> list[Field]:
    return _fields(LedgerEntry, skip=["earn", *_ENTRY_FROM_EARN])


@functools.cache
def _lot_fields() -> list[Field]:
    return _fields(PointsLot, skip=["entry", *_LOT_FROM_ENTRY])


@functools.cache
def _record_fields() -> list[Field]:
    return _fields(IdempotencyRecord, skip=list(_RECORD_FROM_EARN))


@functools.cache
def _balance_fields() -> list[Field]:
    fields = [f for f in _fields(PointsBalance) if f.name in PointsBalance.MOVED_FIELDS]
    return sorted(fields, key=lambda f: PointsBalance.MOVED_FIELDS.index(f.name))


@functools.cache
def _write_sql(with_lot: bool, with_record: bool) -> str:
    quote = _quote

    def insert(
        model: type[Model],
        fields: list[Field],
        source: str,
        taken: Sequence[str],
        link: str | None,
        returning: Sequence[str] = (),
    ) -> str:
        """INSERT … SELECT of `fields` as parameters, the `taken` fields' columns from the `source` CTE's row, and
        `link` (a column) set to that row's id."""
        taken_columns = [_column(model, name) for name in taken]
        columns = [quote(f.column) for f in fields if f.column] + [quote(c) for c in taken_columns]
        values = ["%s"] * len(fields) + [f"{source}.{quote(c)}" for c in taken_columns]
        if link:
            columns.append(quote(link))
            values.append(f"{source}.{quote('id')}")
        returned = ", ".join(quote(c) for c in ("id", *(_column(model, name) for name in returning)))
        return (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {source} RETURNING {returned}"
        )

    # The earn only while the member is still active, as this statement's snapshot (taken after the balance lock)
    # sees it: a merge or a block that committed while the earn waited for the lock stops it here, and with it
    # every row below, all read from the earn's.
    earn_columns = ", ".join(quote(f.column) for f in _earn_fields() if f.column)
    active = (
        f"SELECT 1 FROM {quote(Member._meta.db_table)} WHERE {quote('id')} = %s "
        f"AND {quote(_column(Member, 'status'))} = %s"
    )
    earn_returned = ", ".join(quote(c) for c in ("id", *(_column(Earn, n) for n in ("program", "member", "reference"))))
    parts = [
        f"earn AS (INSERT INTO {quote(Earn._meta.db_table)} ({earn_columns}) "
        f"SELECT {', '.join(['%s'] * len(_earn_fields()))} WHERE EXISTS ({active}) RETURNING {earn_returned})",
        f"entry AS ({insert(LedgerEntry, _entry_fields(), 'earn', _ENTRY_FROM_EARN, 'earn_id', _LOT_FROM_ENTRY)})",
    ]
    if with_lot:
        parts.append(f"lot AS ({insert(PointsLot, _lot_fields(), 'entry', _LOT_FROM_ENTRY, 'entry_id')})")
    sets = ", ".join(f"{quote(f.column)} = %s" for f in _balance_fields() if f.column)
    parts.append(
        f"balance AS (UPDATE {quote(PointsBalance._meta.db_table)} SET {sets} "
        f"WHERE {quote('member_id')} = %s AND EXISTS (SELECT 1 FROM entry) RETURNING 1)"
    )
    if with_record:
        # Written only with the earn: a refused earn (member no longer active) leaves its reference unclaimed.
        parts.append(f"record AS ({insert(IdempotencyRecord, _record_fields(), 'earn', _RECORD_FROM_EARN, None)})")
    returned = "earn.id, entry.id, " + ("lot.id" if with_lot else "NULL")
    tables = "earn, entry, balance" + (", lot" if with_lot else "")
    return f"WITH {', '.join(parts)} SELECT {returned} FROM {tables}"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _values(obj: Model, fields: list[Field], db: Any, *, add: bool = True) -> list[Any]:
    return [f.get_db_prep_save(f.pre_save(obj, add=add), db) for f in fields]


def write_earn(
    *,
    earn: Earn,
    entry: LedgerEntry,
    balance: PointsBalance,
    lot: PointsLot | None,
    record: IdempotencyRecord | None = None,
) -> None:
    """Inserts the earn, its entry, its lot and `record` and updates the balance row, in one statement; sets the
    ids of the earn, the entry and the lot (not the record's: nothing reads it in the request)."""
    # The columns the statement copies from the row before must hold what these objects say.
    assert (entry.program_id, entry.member_id) == (earn.program_id, earn.member_id)
    assert lot is None or (lot.program_id, lot.member_id) == (entry.program_id, entry.member_id)
    assert record is None or (record.program_id, record.reference) == (earn.program_id, earn.reference)
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: `connection` is a proxy, looked up at every use
    params = _values(earn, _earn_fields(), db) + [balance.member_id, Member.ACTIVE]
    params += _values(entry, _entry_fields(), db)
    if lot is not None:
        params += _values(lot, _lot_fields(), db)
    params += _values(balance, _balance_fields(), db, add=False)
    params.append(balance.member_id)
    if record is not None:
        params += _values(record, _record_fields(), db)
    with db.cursor() as cursor:
        cursor.execute(_write_sql(lot is not None, record is not None), params)
        row = cursor.fetchone()
    if row is None:
        raise MemberBlocked(f"Member {balance.member.member_id} is blocked and cannot earn points.")
    earn_id, entry_id, lot_id = row
    earn.pk, entry.pk = earn_id, entry_id
    entry.earn = earn
    earn._state.adding = entry._state.adding = False
    if lot is not None:
        lot.pk = lot_id
        lot.entry = entry
        lot._state.adding = False


def update_rows(model: type[Model], objs: Sequence[Model], names: Sequence[str]) -> None:
    """`bulk_update` in one `UPDATE … FROM (VALUES …)` statement: the ORM's version builds one CASE per field
    with a WHEN per row, which for a thousand rows costs seconds of Python (the daily tier assessment)."""
    if not objs:
        return
    fields = [model._meta.get_field(name) for name in names]
    concrete = [f for f in fields if isinstance(f, Field) and f.column]
    assert len(concrete) == len(fields), names
    pk = model._meta.pk
    assert pk is not None and pk.column
    table = _quote(model._meta.db_table)
    aliases = ["pk", *(f"c{i}" for i in range(len(concrete)))]
    sets = ", ".join(
        f"{_quote(f.column)} = v.c{i}::{f.db_type(connection)}" for i, f in enumerate(concrete) if f.column
    )
    holders = ", ".join(["(" + ", ".join(["%s"] * len(aliases)) + ")"] * len(objs))
    params: list[Any] = []
    for obj in objs:
        params.append(obj.pk)
        params += [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in concrete]
    sql = (
        f"UPDATE {table} SET {sets} FROM (VALUES {holders}) AS v({', '.join(aliases)}) "
        f"WHERE {table}.{_quote(pk.column)} = v.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@functools.cache
def _member_sql(with_program: bool) -> str:
    quote = _quote
    columns = ", ".join(f"m.{quote(f.column)}" for f in Member._meta.concrete_fields if f.column)
    if with_program:
        columns += ", " + ", ".join(f"p.{quote(f.column)}" for f in Program._meta.concrete_fields if f.column)
    joined = (
        f"JOIN {quote(Program._meta.db_table)} p ON p.{quote('id')} = m.{quote('program_id')} " if with_program else ""
    )
    return (
        f"SELECT {columns}, b.{quote(_column(PointsBalance, 'tier'))}, "
        f"ARRAY(SELECT s.{quote('code')} FROM {quote(SegmentMembership._meta.db_table)} sm "
        f"JOIN {quote(Segment._meta.db_table)} s ON s.{quote('id')} = sm.{quote('segment_id')} "
        f"WHERE sm.{quote('member_id')} = m.{quote('id')}) "
        f"FROM {quote(Member._meta.db_table)} m {joined}"
        f"LEFT JOIN {quote(PointsBalance._meta.db_table)} b ON b.{quote('member_id')} = m.{quote('id')} "
        f"WHERE m.{quote('program_id')} = %s AND m.{quote('member_id')} = %s"
    )


def member_for_evaluation(*, program_id: int, member_id: str, program: Program | None = None) -> Member | None:
    """The member row with `segment_codes` and `balance_tier_id` (what evaluating a basket needs), one statement
    compiled once per process. Without `program`, the statement reads the program's row too (`member.program`)."""
    with connection.cursor() as cursor:
        cursor.execute(_member_sql(program is None), [program_id, member_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    member = _take(values, Member)
    member.program = program if program is not None else _take(values, Program)
    member.__dict__["balance_tier_id"] = values[0]
    member.segment_codes = frozenset(values[1] or ())
    return member

"""Writing many new rows at once: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create on PostgreSQL builds one INSERT … SELECT FROM UNNEST(arrays) whose arrays psycopg
quotes in Python — for the billing run's and a bank statement's rows that quoting cost more than the
database's work. COPY sends the rows in PostgreSQL's own streaming format instead (docs/performance.md).
The primary keys are taken from the table's sequence first, so rows come back with their ids like
bulk_create's, and rows that point to them (an invoice's lines) can be written next.

- `insert_many(objs)`: new model instances (their ids are set);
- `insert_rows(model, rows)`: plain dicts {attname: value}, for the hottest paths where even building the
  instances costs too much (a 100,000-payment statement); returns the ids.

Only for plain new rows: no signals, no save(), no conflict handling — what bulk_create also skips.
`in_chunks` cuts long `field__in=` lists to what the database accepts in one statement.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

T = TypeVar("T")

# Fields whose Python values COPY can take as they are (PostgreSQL parses the text by the column's type):
# Django's get_db_prep_save returns them unchanged on PostgreSQL, and skipping it halves the cost per row.
_AS_IS = (
    models.AutoField,  # and BigAutoField
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateField,  # and DateTimeField
    models.DecimalField,
    models.ForeignKey,  # its attname: the id
    models.GenericIPAddressField,
    models.IntegerField,  # and the positive and small kinds
    models.TextField,
)


def insert_many(objs: Sequence[models.Model]) -> None:
    """INSERT `objs` (new instances of one model) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    # The connection itself, not django.db.connection (a per-thread proxy looked up on every attribute).
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not (f.primary_key and f.generated)]
    relations = [f for f in fields if f.is_relation]
    for obj, pk in zip(objs, _next_ids(connection, meta, len(objs)), strict=True):
        obj.pk = pk
        for field in relations:  # a row pointing to an object saved after the assignment: take its id
            related = field.get_cached_value(obj, None)
            if related is not None and getattr(obj, field.attname) is None:
                setattr(obj, field.attname, related.pk)
    values = operator.attrgetter(*(f.attname for f in fields))  # one C call per row for every value
    _copy(connection, meta, fields, (list(values(obj)) for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], *, keys: bool = True) -> list[int]:
    """INSERT new rows of `model`, each {attname: value} for every column but the primary key, in the model's
    field order, the values as the fields hold them; returns their ids (none when `keys` is False)."""
    if not rows:
        return []
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    if list(rows[0]) != [field.attname for field in fields]:
        raise ValueError(
            f"rows of {meta.label} need the columns {[f.attname for f in fields]}, in this order"
        )
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model._default_manager.bulk_create(objs)
        return [obj.pk for obj in objs]
    if not keys:
        _copy(connection, meta, fields, (list(row.values()) for row in rows))
        return []
    ids = _next_ids(connection, meta, len(rows))
    _copy(
        connection, meta, [meta.pk, *fields], ([pk, *row.values()] for pk, row in zip(ids, rows, strict=True))
    )
    return ids


def in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """`values` in lists short enough for one `field__in=` each (SQLite allows 999 parameters a statement)."""
    size = (connections[DEFAULT_DB_ALIAS].features.max_query_params or 10_000) - 99
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _next_ids(connection, meta, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _copy(connection, meta, fields: list[models.Field], rows: Iterable[list]) -> None:
    """COPY `rows` (lists of the fields' Python values, in `fields` order) into the model's table."""
    convert = [(i, to_db) for i, f in enumerate(fields) if (to_db := _to_db(f, connection)) is not None]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            for i, to_db in convert:
                row[i] = to_db(row[i])
            copy.write_row(row)


def _to_db(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How to turn the field's value into what COPY writes; None: as it is."""
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else json.dumps(value, cls=field.encoder)
    if isinstance(field, _AS_IS):
        return None
    return lambda value: field.get_db_prep_save(value, connection)

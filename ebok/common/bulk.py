"""Writing many new rows at once: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create on PostgreSQL builds one INSERT … SELECT FROM UNNEST(arrays) whose arrays psycopg
quotes in Python — for the billing run's rows that quoting cost more than the database's work. COPY sends
the rows in PostgreSQL's own streaming format instead (about 3× faster here, see docs/performance.md).
The primary keys are taken from the table's sequence first, so the objects come back with their ids like
bulk_create's, and rows that point to them (an invoice's lines) can be written next.

Only for plain new rows: no signals, no save(), no conflict handling — what bulk_create also skips.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


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
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        relations = [f for f in fields if f.is_relation]
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            for field in relations:  # a row pointing to an object saved after the assignment: take its id
                related = field.get_cached_value(obj, None)
                if related is not None and getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, related.pk)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        values = operator.attrgetter(*(f.attname for f in fields))  # one C call per row for every value
        convert = [(i, to_db) for i, f in enumerate(fields) if (to_db := _to_db(f, connection)) is not None]
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        ) as copy:
            for obj in objs:
                row = list(values(obj))
                for i, to_db in convert:
                    row[i] = to_db(row[i])
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


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


def _to_db(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How to turn the field's value into what COPY writes; None: as it is."""
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else json.dumps(value, cls=field.encoder)
    if isinstance(field, _AS_IS):
        return None
    return lambda value: field.get_db_prep_save(value, connection)

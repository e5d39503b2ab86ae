"""Rows written by statements composed once: the write side of ``governance.prepared``.

A transition updates its event's row and inserts a timeline row and timers; filing
inserts the event and its timers. ``Model.save``, ``create`` and ``bulk_create`` compose
the same ``INSERT``/``UPDATE`` every time (collecting the fields, compiling the query):
on an UPDATE of the event that cost as much as the database's own work (0.18 of 0.4 ms
measured at 1,000,000 events). Here the statement is composed once per model and set of
fields and kept; each call only prepares the values, as the ORM does — ``pre_save``
(``auto_now``, ``auto_now_add``) and ``get_db_prep_save`` of every field — and, for an
insert, sets the new primary key and the instance's state.

They send no ``pre_save``/``post_save``: for a model that a receiver listens to, on
databases other than PostgreSQL, or for a value the ORM would have to compose (an
expression, a database default) they call the ORM instead."""

import functools
from datetime import datetime

from django.db import DatabaseError, connections, models
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django.db.models.signals import post_save, pre_save

from governance import pipeline, serverprepared

_STATEMENTS: dict = {}

# The exact types of the values each of these field classes sends to PostgreSQL as they
# are: ``get_db_prep_save`` returns them unchanged, so they skip it (it was the largest
# part of preparing a row: a filing prepares ~90 values). Any other value, and any other
# field class (a subclass included), goes through ``get_db_prep_save``. True with
# psycopg2; with psycopg 3 Django wraps integers (``Int4``…), so nothing skips it there.
_INTEGER = (int, type(None))
_AS_IS = {} if is_psycopg3 else {
    models.CharField: (str, type(None)), models.TextField: (str, type(None)), models.BooleanField: (bool, type(None)),
    models.FloatField: (float, type(None)), models.DateTimeField: (datetime, type(None)),
    **dict.fromkeys((models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
                     models.PositiveSmallIntegerField, models.PositiveBigIntegerField, models.AutoField,
                     models.BigAutoField, models.SmallAutoField), _INTEGER),
}


@functools.cache
def _kinds(field) -> tuple:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    return _AS_IS.get(type(target), ())


def _prepared(fields, values, connection) -> list:
    """``get_db_prep_save`` of each value, skipped where it would return the value itself
    (a datetime only when it is aware: a naive one is made aware by the field)."""
    prepared = []
    for field, value in zip(fields, values, strict=True):
        kind = type(value)
        if kind in _kinds(field) and (kind is not datetime or value.utcoffset() is not None):
            prepared.append(value)
        else:
            prepared.append(field.get_db_prep_save(value, connection))
    return prepared


def _plain(value) -> bool:
    return not hasattr(value, "resolve_expression")


def rows_insert(objs: list, *, using: str = "default", computed=None) -> list:
    """Insert new instances (no primary key yet) of one model in one statement; they get
    their keys. The instances, as ``bulk_create`` returns them.

    ``computed``: field name → (SQL, params), a value the database computes in the same
    statement (the day's next number) instead of the instance's; each instance gets the
    value its row got. Only on PostgreSQL (``rows_computable``)."""
    if not objs:
        return objs
    connection = connections[using]
    computed = computed or {}
    insert = _insert(objs, connection, computed)
    if insert is None:
        if computed:
            raise ValueError("Computed values need rows_computable() and plain values in the other fields (no expressions).")
        return _orm_insert(type(objs[0]), objs, using)
    with connection.cursor() as cursor:
        serverprepared.execute(cursor, *insert)
        rows = cursor.fetchall()
    _keys(objs, [row[0] for row in rows], using)
    for obj, row in zip(objs, rows, strict=True):
        for name, value in zip(computed, row[1:], strict=True):
            setattr(obj, name, value)
    return objs


def rows_computable(obj, *, using: str = "default") -> bool:
    """Whether ``rows_insert`` takes ``computed`` values for the new instance ``obj`` here
    (else the caller sets the values itself and the ORM may insert it)."""
    return _composable([obj], connections[using])


def rows_hold(objs: list, *, using: str = "default") -> None:
    """``rows_insert`` for rows whose keys nothing reads: the insert is held for the
    connection's next statement (``governance.pipeline``) and the instances get no key."""
    if not objs:
        return
    connection = connections[using]
    insert = _insert(objs, connection)
    if insert is None:
        _orm_insert(type(objs[0]), objs, using)
        return
    pipeline.hold(connection, *insert)


def row_insert(obj, *, using: str = "default", computed=None):
    """``obj.save(force_insert=True)`` for a new instance, with the statement composed once
    (``computed``: as for ``rows_insert``)."""
    return rows_insert([obj], using=using, computed=computed)[0]


def row_update(obj, fields, *, using: str = "default") -> None:
    """``obj.save(update_fields=fields)``, with the statement composed once per set of fields."""
    connection = connections[using]
    update = _update(obj, tuple(fields), connection)
    if update is None:
        obj.save(update_fields=tuple(fields), using=using)
        return
    with connection.cursor() as cursor:
        serverprepared.execute(cursor, *update)
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def row_update_and_insert(obj, fields, new, *, using: str = "default"):
    """``row_update(obj, fields)`` then ``row_insert(new)`` in one statement (one round
    trip: a transition's event row and its timeline row). ``new``, with its key."""
    connection = connections[using]
    update, insert = _update(obj, tuple(fields), connection), _insert([new], connection)
    if update is None or insert is None:
        row_update(obj, fields, using=using)
        return row_insert(new, using=using)
    (update_sql, update_params), (insert_sql, insert_params) = update, insert
    with connection.cursor() as cursor:
        # A data-modifying WITH runs whether or not the statement reads it; reading its
        # count tells whether the row was there.
        serverprepared.execute(cursor, f"WITH updated AS ({update_sql} RETURNING 1) {insert_sql}, (SELECT count(*) FROM updated)",
                               [*update_params, *insert_params])
        key, updated = cursor.fetchone()
    if updated != 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")
    _keys([new], [key], using)
    return new


def _insert(objs: list, connection, computed=None) -> tuple[str, list] | None:
    """The statement inserting ``objs`` and its parameters; ``None`` when the ORM must."""
    if not _composable(objs, connection):
        return None
    model = type(objs[0])
    meta = model._meta
    computed = computed or {}
    every = [field for field in meta.local_concrete_fields if field is not meta.auto_field and not field.generated]
    fields = [field for field in every if field.name not in computed]
    if len(every) - len(fields) != len(computed):
        raise ValueError(f"Not fields of {meta.label} to compute: {sorted(set(computed) - {field.name for field in every})}")
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        values = [field.pre_save(obj, True) for field in fields]
        if not all(map(_plain, values)):
            return None
        prepared = _prepared(fields, values, connection)
        if not computed:
            params.extend(prepared)
            continue
        rest = iter(prepared)
        for field in every:  # in the order of the row's columns
            params.extend(computed[field.name][1] if field.name in computed else (next(rest),))
    key = ("insert", model, len(objs), tuple((name, sql) for name, (sql, _params) in computed.items()))
    sql = _STATEMENTS.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        row = f"({', '.join(f'({computed[field.name][0]})' if field.name in computed else '%s' for field in every)})"
        returning = [meta.auto_field, *(meta.get_field(name) for name in computed)]
        sql = _STATEMENTS[key] = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in every)}) "
                                  f"VALUES {', '.join([row] * len(objs))} "
                                  f"RETURNING {', '.join(quote(field.column) for field in returning)}")
    return sql, params


def _composable(objs: list, connection) -> bool:
    """Whether ``_insert`` composes the statement for these new instances (else the ORM)."""
    model = type(objs[0])
    return (connection.vendor == "postgresql" and all(obj.pk is None for obj in objs) and model._meta.auto_field is not None
            and not _listened(model))


def _update(obj, fields: tuple, connection) -> tuple[str, list] | None:
    """The statement updating ``fields`` of ``obj`` and its parameters; ``None`` when the ORM must."""
    model = type(obj)
    if connection.vendor != "postgresql" or _listened(model):
        return None
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    values = [field.pre_save(obj, False) for field in concrete]
    if not all(map(_plain, values)):
        return None
    key = ("update", model, fields)
    sql = _STATEMENTS.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        sql = _STATEMENTS[key] = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(field.column)} = %s' for field in concrete)} "
                                  f"WHERE {quote(meta.pk.column)} = %s")
    params = _prepared(concrete, values, connection)
    return sql, [*params, meta.pk.get_db_prep_value(obj.pk, connection)]


def _keys(objs, keys, using) -> None:
    for obj, pk in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using


def _listened(model) -> bool:
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


def _orm_insert(model, objs, using):
    if len(objs) == 1:
        objs[0].save(force_insert=True, using=using)
        return objs
    return model._default_manager.using(using).bulk_create(objs)

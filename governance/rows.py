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

from django.db import DatabaseError, connections
from django.db.models.signals import post_save, pre_save

_STATEMENTS: dict = {}


def _plain(value) -> bool:
    return not hasattr(value, "resolve_expression")


def rows_insert(objs: list, *, using: str = "default") -> list:
    """Insert new instances (no primary key yet) of one model in one statement; they get
    their keys. The instances, as ``bulk_create`` returns them."""
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[using]
    meta = model._meta
    if (connection.vendor != "postgresql" or any(obj.pk is not None for obj in objs) or meta.auto_field is None
            or _listened(model)):
        return _orm_insert(model, objs, using)
    fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field and not field.generated]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        values = [field.pre_save(obj, True) for field in fields]
        if not all(map(_plain, values)):
            return _orm_insert(model, objs, using)
        rows.extend(field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True))
    key = ("insert", model, len(objs))
    sql = _STATEMENTS.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = _STATEMENTS[key] = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
                                  f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(meta.auto_field.column)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, rows)
        keys = [key for (key,) in cursor.fetchall()]
    for obj, pk in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    return objs


def row_insert(obj, *, using: str = "default"):
    """``obj.save(force_insert=True)`` for a new instance, with the statement composed once."""
    return rows_insert([obj], using=using)[0]


def row_update(obj, fields, *, using: str = "default") -> None:
    """``obj.save(update_fields=fields)``, with the statement composed once per set of fields."""
    model = type(obj)
    connection = connections[using]
    fields = tuple(fields)
    if connection.vendor != "postgresql" or _listened(model):
        obj.save(update_fields=fields, using=using)
        return
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    values = [field.pre_save(obj, False) for field in concrete]
    if not all(map(_plain, values)):
        obj.save(update_fields=fields, using=using)
        return
    key = ("update", model, fields)
    sql = _STATEMENTS.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        sql = _STATEMENTS[key] = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(field.column)} = %s' for field in concrete)} "
                                  f"WHERE {quote(meta.pk.column)} = %s")
    params = [field.get_db_prep_save(value, connection) for field, value in zip(concrete, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, meta.pk.get_db_prep_value(obj.pk, connection)])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def _listened(model) -> bool:
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


def _orm_insert(model, objs, using):
    if len(objs) == 1:
        objs[0].save(force_insert=True, using=using)
        return objs
    return model._default_manager.using(using).bulk_create(objs)

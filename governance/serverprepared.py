"""Statements the database plans once per connection: PostgreSQL's ``PREPARE``/``EXECUTE``.

The statements of the transition entry point and of filing (``governance.prepared``'s
reads, ``governance.rows``' writes, the timers' stop, the grants' clean-up, the points
award) are composed once per process, but PostgreSQL still parsed and planned each one
every time it ran: for the points award (a ``UNION ALL`` over the rules with the grid
workers' scope) planning took 1.0 ms against 0.12 ms of running it, and for the others
0.1–0.4 ms each, a transition's statements together about as long as its commit.

``execute(cursor, sql, params)`` runs ``sql`` as a prepared statement of the cursor's
connection from its second run in the process on (a shape seldom seen, such as a list's
candidates under an unusual filter, is not worth a ``PREPARE`` and one of the
connection's ``LIMIT`` places). The first time on a connection it is prepared
(``PREPARE``, through the driver's own cursor, so it is neither logged nor counted: it is
part of the connection, like its settings); then every run is ``EXECUTE name(params)`` through Django's cursor
(logged, counted and its errors translated as any statement). PostgreSQL plans the first
five runs for their values and then keeps a generic plan when that costs no more.
Only statements whose generic plan is as good as a custom one belong here: a list's
page (an ``IN`` list of ids under the scope's ``EXISTS`` tests) took 21 ms on a generic
plan against 3 ms planned for its values, so it is not prepared.

A statement PostgreSQL cannot prepare as written (a parameter whose type it cannot tell
from its place) is remembered and runs as it is, as does everything when
``DB_PREPARED_STATEMENTS`` is off (behind PgBouncer in transaction mode, where a
connection's prepared statements do not follow the client) or the database is not
PostgreSQL. A prepared statement outlives the transaction that prepared it (rolled back
or not) and ends with its connection.
"""

import hashlib
import re
import threading
import weakref

from django.conf import settings
from django.db import DatabaseError

# At most this many statements prepared on one connection; later ones run as they are.
LIMIT = 200

_PLACEHOLDER = re.compile(r"%%|%s")
_names: dict[str, tuple[str, str, int]] = {}  # sql → (name, sql with $n, number of parameters)
_refused: set[str] = set()  # statements PostgreSQL would not prepare as written
_seen: set[str] = set()  # statements run once in this process
_prepared: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # driver connection → names prepared on it
_lock = threading.Lock()


def _numbered(sql: str) -> tuple[str, int]:
    """``sql`` with the driver's ``%s`` placeholders numbered ``$1 …`` (and ``%%`` as ``%``)."""
    count = 0

    def number(match):
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql), count


def _statement(sql: str) -> tuple[str, str, int]:
    found = _names.get(sql)
    if found is None:
        if len(_names) > 10_000:  # bounded (names are derived again when needed)
            _names.clear()
        numbered, count = _numbered(sql)
        found = _names[sql] = ("gov_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest(), numbered, count)
    return found


def execute(cursor, sql: str, params) -> None:
    """``cursor.execute(sql, params)`` as a prepared statement of the connection (see above)."""
    params = list(params)
    cursor.execute(executable(cursor.db, sql, params), params)


def executable(connection, sql: str, params: list) -> str:
    """The statement to run for ``sql``: ``EXECUTE name(…)`` once it is prepared on this
    connection (preparing it the first time), else ``sql`` itself."""
    if not _preparable(connection, sql):
        return sql
    name, numbered, count = _statement(sql)
    if count != len(params):
        raise DatabaseError(f"{count} placeholders but {len(params)} parameters: {sql}")
    raw = connection.connection
    with _lock:
        names = _prepared.get(raw)
        if names is None:
            names = _prepared[raw] = set()
    if name not in names:
        if sql not in _seen:  # run once as it is: prepared from its second run in this process on
            if len(_seen) > 10_000:
                _seen.clear()
            _seen.add(sql)
            return sql
        if len(names) >= LIMIT or not _prepare(connection, name, numbered, sql):
            return sql
        names.add(name)
    return f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"


def _preparable(connection, sql: str) -> bool:
    return (connection.vendor == "postgresql" and getattr(settings, "DB_PREPARED_STATEMENTS", True)
            and sql not in _refused and connection.connection is not None)


def _prepare(connection, name: str, numbered: str, sql: str) -> bool:
    """``PREPARE`` on the connection, through the driver; False when PostgreSQL refuses
    the statement as written (an error of class 42 or 0A: it is remembered and runs as
    it is). Inside a transaction a savepoint keeps the refusal from ending it. Any other
    error (a cancelled statement, a lost connection) is raised as Django's."""
    import psycopg2

    raw = connection.connection
    if getattr(raw, "held", None):  # writes held for the next statement (governance.pipeline) go first, alone
        with connection.wrap_database_errors:
            raw.flush()
    if raw.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INERROR:
        return False  # the statement fails as it would have (the transaction is aborted), not refused for good
    in_transaction = not raw.autocommit  # (or about to begin one: the driver begins it with this statement)
    with connection.wrap_database_errors, raw.cursor() as own:
        try:
            if in_transaction:
                own.execute(f"SAVEPOINT {name}; PREPARE {name} AS {numbered}; RELEASE SAVEPOINT {name}")
            else:
                own.execute(f"PREPARE {name} AS {numbered}")
        except psycopg2.Error as error:
            code = error.pgcode or ""
            if in_transaction and code:
                own.execute(f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}")
            if code == "42P05":  # prepared already on this connection
                return True
            if code[:2] not in ("42", "0A"):
                raise
            if len(_refused) > 10_000:
                _refused.clear()
            _refused.add(sql)
            return False
    return True

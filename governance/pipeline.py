"""Writes whose results nothing reads, sent with the connection's next statement.

A transition's statements each cost a round trip to PostgreSQL (the driver waits for
one answer before it sends the next statement), and for most of them nothing waits on
the answer: the end of the old assignments, the new assignment, the departments'
grants, the stage timers started, the points the work earns. ``hold(sql, params)``
keeps such a write on the connection, written out with its values, and the driver
sends it in front of the next statement the connection runs, in the same message
(PostgreSQL runs the statements of one message in order), or on its own just before
the transaction commits. So a write is never lost and never reordered: it runs before
anything the connection runs after it, reads of the same rows included.

``ROLLBACK`` and ``ROLLBACK TO SAVEPOINT`` drop what is held instead of carrying it:
everything held was held after the last statement sent, so after the savepoint they roll
back to, and is undone unsent. A statement is formatted before what is held goes with
it, so one the driver cannot format loses nothing held. A commit after a failed
statement whose error was caught (which PostgreSQL would turn into a silent rollback)
raises instead.

Only inside a transaction: with autocommit on, or on another database, or when the
connection was not opened with this module's ``Connection`` and ``Cursor`` (``DATABASES``
``OPTIONS`` ``connection_factory`` and ``cursor_factory``), ``hold`` runs the statement at
once. A cursor of another class carries nothing: what is held is sent when it is made.
A held write that fails raises its error from the statement it rode with (or from the
commit), and the transaction rolls back as for any failed statement: hold only writes
that fail only through a fault (not ones whose error the caller handles, such as a
unique key a retried request may meet).

Held statements are logged, counted (``connection.queries`` when queries are logged)
and prepared (``governance.serverprepared``) as any statement; their time is that of
the statement they ride with.
"""

import time

import psycopg2
import psycopg2.extensions

from governance import serverprepared


class Connection(psycopg2.extensions.connection):
    """A psycopg2 connection that sends held writes in front of the next statement."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held: list[bytes] = []

    def cursor(self, *args, **kwargs):
        cursor = super().cursor(*args, **kwargs)
        if not isinstance(cursor, Cursor):  # another class of cursor carries nothing: what is held goes first
            self.flush()
        return cursor

    def release(self) -> bytes:
        """The held writes as one text, and none held any more."""
        text = b"".join(self.held)
        self.held.clear()
        return text

    def flush(self) -> None:
        if self.held:
            with super().cursor(cursor_factory=psycopg2.extensions.cursor) as cursor:
                cursor.execute(self.release())

    def commit(self):
        self.flush()
        if self.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INERROR:
            # A statement failed and its error was caught: PostgreSQL would answer COMMIT
            # by rolling back without a word. Say so instead (a held write's error may have
            # surfaced at a statement whose caller took it for its own).
            super().rollback()
            raise psycopg2.errors.InFailedSqlTransaction(
                "A statement of this transaction failed: it was rolled back and nothing of it was committed.")
        super().commit()

    def rollback(self):
        self.held.clear()
        super().rollback()

    def close(self):
        self.held.clear()
        super().close()


class Cursor(psycopg2.extensions.cursor):
    """Sends its connection's held writes in front of its next statement."""

    def execute(self, query, vars=None):
        connection = self.connection
        if connection.held:
            if self.name is not None:  # a server-side cursor's DECLARE takes one statement
                connection.flush()
            elif _rollback(query):
                # Everything held was held after the last statement sent, so after the
                # savepoint this rolls back to: undone unsent (a held write failing in
                # front of the rollback would keep the rollback from running).
                connection.held.clear()
            else:
                # Formatted first: a statement the driver cannot format loses nothing held.
                text = self.mogrify(query, vars)
                return super().execute(connection.release() + text)
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        self.connection.flush()
        return super().executemany(query, vars_list)

    def callproc(self, procname, parameters=None):
        self.connection.flush()
        return super().callproc(procname, parameters)

    def copy_expert(self, sql, file, size=8192):
        self.connection.flush()
        return super().copy_expert(sql, file, size)

    def copy_from(self, *args, **kwargs):
        self.connection.flush()
        return super().copy_from(*args, **kwargs)

    def copy_to(self, *args, **kwargs):
        self.connection.flush()
        return super().copy_to(*args, **kwargs)


def _rollback(query) -> bool:
    start = query[:16].lstrip().upper() if isinstance(query, (str, bytes)) else ""
    return start.startswith("ROLLBACK" if isinstance(start, str) else b"ROLLBACK")


def holding(connection) -> bool:
    """Whether ``connection`` (Django's) holds writes now: in a transaction, on a
    connection opened with ``Connection``."""
    raw = connection.connection
    return isinstance(raw, Connection) and raw.cursor_factory is Cursor and not connection.get_autocommit()


def hold(connection, sql: str, params=()) -> None:
    """Run ``sql`` with ``params`` (a write whose result nothing reads) before the
    connection's next statement, or before the commit; at once when not ``holding``."""
    params = list(params)
    if not holding(connection):
        with connection.cursor() as cursor:
            serverprepared.execute(cursor, sql, params)
        return
    statement = serverprepared.executable(connection, sql, params)
    with connection.wrap_database_errors:
        text = connection.connection.cursor().mogrify(statement, params)
    connection.connection.held.append(text.rstrip().rstrip(b";") + b"\n;\n")  # (a closing -- comment ends at its line)
    if connection.queries_logged:
        connection.queries_log.append({"sql": text.decode(), "time": "0.000", "held": True})
    _log(connection, statement, params)


def _log(connection, sql, params) -> None:
    from django.db.backends.utils import logger

    if logger.isEnabledFor(10):  # DEBUG, as Django logs every statement
        logger.debug("(held) %s; args=%s; alias=%s", sql, params, connection.alias,
                     extra={"duration": 0.0, "sql": sql, "params": params, "alias": connection.alias,
                            "at": time.time()})

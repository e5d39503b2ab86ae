"""Handing validated batches to the database (docs/residents.md, *Inside*).

On PostgreSQL outside a transaction (the command, the Celery task, a page without an
open transaction) two threads, each with a connection of its own, write while the
importing thread reads and checks the next rows:

- the *housing* thread upserts a batch's buildings, units, rooms and households and
  commits them (``PlaceCache.resolve``), and hands the rows' (room, household) ids on;
- the *residents* thread writes the batch's residents with those ids (``write_batch``:
  ``COPY``, or staging and ``INSERT … ON CONFLICT``), one transaction per batch.

So the database works on two backends at once — the housing of batch N+1 beside the
residents of batch N — and the residents' backend does what a raw ``COPY`` of the same
rows does. Batches are written in order; at most ``AHEAD`` are in flight. A batch whose
housing or residents fail stops the import there: its residents and those of every
later batch are not written (what was committed before stays, as before); housing the
housing thread committed for it or the next batch stays too — rooms and households
without residents, which the next import of the file uses.

Inside a transaction (tests, callers that want one) each batch is written in turn on
the caller's connection, housing and residents in one transaction: another connection
could not see what the transaction has not committed. Elsewhere (SQLite) likewise.
"""

import sys
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections, transaction

from residents.imports import writing
from residents.imports.writing import PlaceCache

AHEAD = 2  # batches submitted and not yet written
# While the writing threads run, Python's thread switch interval: each time a database
# call returns, a writing thread waits for Python's lock until the checking thread is
# made to let go of it — by default up to 5 ms, a dozen times a batch, while the
# database idles. 0.2 ms made the import ~15% faster (docs/residents.md).
_SWITCH_INTERVAL = 0.0002


class Stopped(Exception):
    """A batch before this one failed; this one is not written."""


def writes_in_thread() -> bool:
    """Whether ``BatchWriter`` writes in threads of their own (see the module docstring)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _resolve_committed(rows: list[list], places: PlaceCache, stop: threading.Event) -> list[tuple]:
    if stop.is_set():
        raise Stopped
    try:
        with transaction.atomic():
            return places.resolve(rows)
    except BaseException:
        stop.set()
        raise


def _write_residents(rows: list[list], links_future, places: PlaceCache, scope_paths, kept, stop: threading.Event):
    try:
        links = links_future.result()
        if stop.is_set():
            raise Stopped
        return writing.write_batch(rows, places, scope_paths, links=links, kept=kept)
    except BaseException:
        stop.set()
        raise


class BatchWriter:
    """Writes the batches in order (see the module docstring). ``submit`` returns the
    (outcome of ``write_batch``, context) of the batches finished meanwhile, in order;
    a failed batch raises in the caller at its next ``submit`` or ``finish``."""

    def __init__(self, places: PlaceCache, scope_paths, kept: frozenset[str] = frozenset()):
        self.places, self.scope_paths, self.kept = places, scope_paths, kept  # kept: see writing.kept_columns
        self.threaded = writes_in_thread()
        self.pending: deque = deque()
        self.stop = threading.Event()
        self.switch_interval = sys.getswitchinterval()
        if self.threaded:
            self.housing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="resident-import-housing")
            self.residents = ThreadPoolExecutor(max_workers=1, thread_name_prefix="resident-import-residents")
            sys.setswitchinterval(min(self.switch_interval, _SWITCH_INTERVAL))  # restored by close()

    def submit(self, rows: list[list], context) -> list[tuple]:
        if not self.threaded:
            return [(writing.write_batch(rows, self.places, self.scope_paths, kept=self.kept), context)]
        finished = []
        while self.pending and (len(self.pending) >= AHEAD or self.pending[0][0].done()):
            finished.append(self._take())
        links = self.housing.submit(_resolve_committed, rows, self.places, self.stop)
        written = self.residents.submit(_write_residents, rows, links, self.places, self.scope_paths, self.kept, self.stop)
        self.pending.append((written, context))
        return finished

    def finish(self) -> list[tuple]:
        """Wait for the batches being written; their (outcome, context), in order."""
        finished = []
        while self.pending:
            finished.append(self._take())
        return finished

    def _take(self) -> tuple:
        future, context = self.pending.popleft()
        return future.result(), context

    def close(self) -> None:
        """Let the batches still being written end (an error elsewhere stopped the
        import: nothing more is started), and close the threads' connections."""
        if not self.threaded:
            return
        if self.pending:
            self.stop.set()
            for future, _context in self.pending:
                future.exception()
            self.pending.clear()
        for executor in (self.housing, self.residents):
            executor.submit(connections.close_all).result()
            executor.shutdown()
        sys.setswitchinterval(self.switch_interval)

"""Checking rows in worker processes (docs/residents.md, *Inside*).

Checking a row (``RowValidator.check``: the ID number, the phone, two encryptions and
two keyed hashes, the COPY line) is plain Python and the bulk of an import's CPU time;
one process runs it on one core while the database backend writes on the other. For a
big file the rows are checked in chunks by worker processes instead, forked from the
importing process — so they hold its validator (the importer's grids, the keys) without
loading anything — while the importing process reads the file, keeps the rows in order,
tells duplicates inside the file (they need the rows before them), and hands batches to
the writing thread.

The outcomes are those of the in-process path, row for row, in the file's order: the
same ``check`` runs, the errors are worded in the import's language, and ``duplicate``
runs in row order in the importing process. A few chunks are in flight at a time, so
memory stays bounded whatever the size of the file. Each worker reads its own nonces
(``Protector.renew``): a nonce left in the parent's buffer is never used twice.
"""

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterable, Iterator

from django.utils import translation

from residents.imports.csvlines import LineProblem
from residents.imports.validation import RowValidator, slim

CHUNK = 1000  # rows sent to a worker at a time
IN_FLIGHT = 3  # chunks per worker sent and not yet taken back

_validator: RowValidator | None = None


def _start(validator: RowValidator, language: str) -> None:
    global _validator
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the importing process decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not a handler inherited from a Celery worker
    translation.activate(language)
    validator.protect_id.renew()
    validator.protect_phone.renew()
    _validator = validator


def _check_chunk(chunk: list[tuple[int, list]]) -> list[tuple[list | None, list]]:
    check = _validator.check
    outcomes = []
    for number, raw in chunk:
        values, errors = check(number, raw)
        outcomes.append((None if values is None else slim(values), errors))
    return outcomes


def blank(raw: list) -> bool:
    try:
        return not "".join(raw).strip()
    except TypeError:  # typed .xlsx cells
        return not any(cell not in (None, "") and str(cell).strip() for cell in raw)


def outcomes_in_process(records: Iterable, validator: RowValidator) -> Iterator[tuple]:
    """``(number, cells or LineProblem, values, errors)`` of every record that is not
    blank, in order; checked here."""
    validate = validator.validate
    for number, raw in records:
        if raw.__class__ is LineProblem:
            yield number, raw, None, None
        elif not blank(raw):
            yield (number, raw, *validate(number, raw))


class CheckingPool:
    """Worker processes checking rows for one import. Create it before any thread is
    started (a fork copies only the forking thread: a lock another thread held would
    stay locked in the workers), and ``close`` it."""

    def __init__(self, validator: RowValidator, processes: int):
        self.validator = validator
        self.processes = processes
        context = multiprocessing.get_context("fork")
        # A Celery worker's task processes are daemonic, and multiprocessing refuses
        # children to a daemonic process (lest they outlive it). These cannot: each
        # reads its chunks from a pipe and ends when the importing process closes it
        # (close below) or dies (the pipe's end of file).
        config = multiprocessing.current_process()._config
        daemonic = config.get("daemon")
        config["daemon"] = False
        try:
            self.pool = context.Pool(processes, initializer=_start, initargs=(validator, translation.get_language()))
        finally:
            if daemonic is not None:
                config["daemon"] = daemonic

    def outcomes(self, records: Iterable) -> Iterator[tuple]:
        """As ``outcomes_in_process``, the checks made by the workers."""
        pending: deque = deque()
        chunk: list = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= CHUNK:
                pending.append(self._send(chunk))
                chunk = []
                if len(pending) > IN_FLIGHT * self.processes:
                    yield from self._take(*pending.popleft())
        if chunk:
            pending.append(self._send(chunk))
        while pending:
            yield from self._take(*pending.popleft())

    def _send(self, records: list) -> tuple:
        # Per record: sent to be checked (True), a line problem (False) or blank (None).
        sent = [False if raw.__class__ is LineProblem else (not blank(raw) or None) for _number, raw in records]
        candidates = [record for record, checked in zip(records, sent, strict=True) if checked]
        return records, sent, self.pool.apply_async(_check_chunk, (candidates,))

    def _take(self, records: list, sent: list, future) -> Iterator[tuple]:
        checked = iter(future.get())
        duplicate = self.validator.duplicate
        for (number, raw), kind in zip(records, sent, strict=True):
            if kind is None:
                continue
            if not kind:
                yield number, raw, None, None
                continue
            values, errors = next(checked)
            if values is not None:
                error = duplicate(values)
                if error is not None:
                    values, errors = None, [error]
            yield number, raw, values, errors

    def close(self, *, failed: bool = False) -> None:
        if failed:
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()

"""Handing work to the Celery worker without making anyone wait for the broker.

What a transaction must send (notification copies, webhook deliveries) is written as
rows in that transaction; on commit the row ids are *handed off* here: put on an
in-process queue that one background thread publishes from, once, without kombu's
publish retries. The request returns at once whether the broker is up, down or hanging.
When a publication fails the rows simply stay pending and the periodic relays
(``deliver_pending_notifications_task``, ``deliver_due_webhooks_task``) send them; after
a failure the thread stops trying for ``HANDOFF_PAUSE_SECONDS`` (logged once), so an
outage costs one failed connection, not one per side effect."""

import atexit
import contextvars
import logging
import queue
import threading
import time

from django.conf import settings

from governance.requestlog import current_request_id

logger = logging.getLogger("governance.handoff")

_queue: queue.Queue = queue.Queue()
_thread: threading.Thread | None = None
_start = threading.Lock()
_paused_until = 0.0


def hand_off(task, *args, on_failure=None, gather: bool = False) -> None:
    """Publish ``task(*args)`` from the background thread; returns at once.
    ``on_failure()`` runs in that thread when the broker cannot take it. The publication
    runs in a copy of the caller's context, so what the caller's context carries (the
    request id that ``governance.requestlog`` stamps on the message) goes with it.

    ``gather``: the one argument is a list of row ids, and the lists handed off for the
    same task within ``HANDOFF_GATHER_SECONDS`` go out together, up to ``GATHER_LIMIT``
    ids a message (publishing cost about a millisecond of this process's time apiece, a
    tenth of a filing's: a busy worker process's requests, a sweep or a command send one
    message for many). The message carries the id of the first request (or of none: a
    sweep) whose ids it carries, and in its ``request_ids`` header, when that is not all,
    the id of every request whose ids it carries, which the worker's log line names."""
    if gather and (len(args) != 1 or not isinstance(args[0], list | tuple) or on_failure is not None):
        raise ValueError("a gathered hand-off takes one list of ids and no fallback")
    global _thread
    with _start:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_publish_forever, name="celery-handoff", daemon=True)
            _thread.start()
    _queue.put((contextvars.copy_context(), task, args, on_failure, gather))


GATHER_LIMIT = 200  # ids a gathered message carries at most (a delivery task's batch)


def _publish_forever() -> None:
    while True:
        item = _queue.get()
        taken = [item]
        try:
            if item[4] and settings.HANDOFF_GATHER_SECONDS > 0:
                time.sleep(settings.HANDOFF_GATHER_SECONDS)
                while True:
                    try:
                        taken.append(_queue.get_nowait())
                    except queue.Empty:
                        break
            for context, task, args, on_failure, request_ids in _gathered(taken):
                context.run(_publish, task, args, on_failure, request_ids)
        finally:
            for _item in taken:
                _queue.task_done()


def _gathered(items: list) -> list:
    """The items to publish in the order they came, as ``(context, task, args,
    on_failure, request_ids)``: a gathered task's ids joined where its first list came,
    in messages of at most ``GATHER_LIMIT``, each in the context of the first list it
    carries ids of and naming the requests they came from; the others as they were."""
    out, flat = [], {}
    for context, task, args, on_failure, gather in items:
        if not gather:
            out.append((context, task, args, on_failure, None))
            continue
        if task.name not in flat:
            flat[task.name] = []
            out.append(task)  # filled in below, once every list is in
        request = context.run(current_request_id)
        flat[task.name].extend((context, request, pk) for pk in args[0])
    published = []
    for entry in out:
        if isinstance(entry, tuple):
            published.append(entry)
            continue
        ids = flat[entry.name]
        for begin in range(0, len(ids), GATHER_LIMIT):
            chunk = ids[begin:begin + GATHER_LIMIT]
            requests = list(dict.fromkeys(request for _context, request, _pk in chunk if request))
            named = requests if requests and requests != [chunk[0][1]] else None  # beyond the message's own id
            published.append((chunk[0][0], entry, ([pk for _context, _request, pk in chunk],), None, named))
    return published


def _publish(task, args, on_failure, request_ids=None) -> None:
    global _paused_until
    if time.monotonic() >= _paused_until:
        try:
            if request_ids:
                task.apply_async(args=args, retry=False, headers={"request_ids": request_ids})
            else:
                task.apply_async(args=args, retry=False)
            return
        except Exception as error:  # any broker failure: the rows stay pending for the relay
            _paused_until = time.monotonic() + settings.HANDOFF_PAUSE_SECONDS
            logger.warning("could not hand %s to the broker (%s); pending rows wait for the periodic relay, "
                           "not publishing for %s s", task.name, error, settings.HANDOFF_PAUSE_SECONDS)
    if on_failure is not None:
        try:
            on_failure()
        except Exception:
            logger.exception("fallback for %s failed", task.name)


def hand_off_wait(timeout: float = 10.0) -> bool:
    """Wait until everything handed off so far was published (or given up); for the end
    of a command and for tests. True when the queue emptied in time."""
    deadline = time.monotonic() + timeout
    while _queue.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def hand_off_resume() -> None:
    """Try the broker again at the next hand-off (tests; a process that knows it is back)."""
    global _paused_until
    _paused_until = 0.0


# A short-lived process (a management command) publishes what it handed off before exiting.
atexit.register(hand_off_wait, 5.0)

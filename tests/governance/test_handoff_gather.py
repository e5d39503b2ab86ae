"""Notification ids handed off close together reach the worker in one message (the
publication costs the handing process about a millisecond apiece, a tenth of a filing),
whichever request they came from; every id goes out once, in order, in messages of at
most ``GATHER_LIMIT`` that name the requests they carry ids of; other hand-offs go out as
they came."""

import threading

import pytest

from governance import handoff


class Recorder:
    def __init__(self, name):
        self.name = name
        self.calls = []
        self.lock = threading.Lock()

    def apply_async(self, args, retry, headers=None):
        with self.lock:
            self.calls.append(list(args))


def test_ids_handed_off_together_go_out_in_one_message(settings):
    settings.HANDOFF_GATHER_SECONDS = 0.2
    handoff.hand_off_resume()
    deliver, other = Recorder("deliver"), Recorder("other")
    handoff.hand_off(deliver, [1, 2], gather=True)
    handoff.hand_off(other, "x")
    handoff.hand_off(deliver, [3], gather=True)
    handoff.hand_off(deliver, list(range(4, 4 + handoff.GATHER_LIMIT)), gather=True)
    assert handoff.hand_off_wait(timeout=10)
    sent = [pk for (ids,) in deliver.calls for pk in ids]
    assert sent == list(range(1, 4 + handoff.GATHER_LIMIT))
    assert len(deliver.calls) == 2 and len(deliver.calls[0][0]) == handoff.GATHER_LIMIT
    assert other.calls == [["x"]]


def test_a_gathered_message_keeps_its_place_and_names_its_requests(settings):
    """Published where its first list came; the ids of every request within the window
    go together, each message in the context of the first request it carries ids of (its
    request id is the message's), its ``request_ids`` header naming each request it
    carries ids of when there are several (the worker's log line shows them)."""
    from governance.requestlog import _request_id

    settings.HANDOFF_GATHER_SECONDS = 0.2
    handoff.hand_off_resume()
    order = []

    class Seen(Recorder):
        def apply_async(self, args, retry, headers=None):
            order.append((self.name, _request_id.get(), list(args[0]) if self.name == "deliver" else args,
                          (headers or {}).get("request_ids")))

    deliver, webhook = Seen("deliver"), Seen("webhook")
    token = _request_id.set("request-AAAA")
    try:
        handoff.hand_off(deliver, [1], gather=True)
        handoff.hand_off(webhook, 7)
        handoff.hand_off(deliver, [2], gather=True)
        _request_id.set("request-BBBB")
        handoff.hand_off(deliver, [3], gather=True)
        _request_id.set("request-CCCC")
        handoff.hand_off(deliver, list(range(4, 4 + handoff.GATHER_LIMIT)), gather=True)
    finally:
        _request_id.reset(token)
    assert handoff.hand_off_wait(timeout=10)
    assert order == [
        ("deliver", "request-AAAA", list(range(1, 1 + handoff.GATHER_LIMIT)), ["request-AAAA", "request-BBBB", "request-CCCC"]),
        ("deliver", "request-CCCC", list(range(1 + handoff.GATHER_LIMIT, 4 + handoff.GATHER_LIMIT)), None),  # its own alone
        ("webhook", "request-AAAA", (7,), None),
    ]

    # A sweep's ids (no request) first, then a request's: the message has no request id
    # of its own, so its header names that request.
    order.clear()
    handoff.hand_off(deliver, [500], gather=True)
    token = _request_id.set("request-DDDD")
    try:
        handoff.hand_off(deliver, [501], gather=True)
    finally:
        _request_id.reset(token)
    assert handoff.hand_off_wait(timeout=10)
    assert order == [("deliver", "", [500, 501], ["request-DDDD"])]


def test_without_a_window_each_goes_out_alone(settings):
    settings.HANDOFF_GATHER_SECONDS = 0
    handoff.hand_off_resume()
    deliver = Recorder("deliver")
    for pk in range(3):
        handoff.hand_off(deliver, [pk], gather=True)
    assert handoff.hand_off_wait(timeout=10)
    assert deliver.calls == [[[0]], [[1]], [[2]]]


def test_a_gathered_hand_off_takes_one_list_and_no_fallback():
    with pytest.raises(ValueError):
        handoff.hand_off(Recorder("deliver"), [1], on_failure=lambda: None, gather=True)
    with pytest.raises(ValueError):
        handoff.hand_off(Recorder("deliver"), 5, gather=True)

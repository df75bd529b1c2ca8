"""The decode/score pipeline (prefetch, map_in_order): order kept, errors delivered where they happened, no thread
left over."""

from __future__ import annotations

import threading

import pytest

from videoalert_inference.pipeline import map_in_order, prefetch


def workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "videoalert-decode"]


def test_items_come_out_in_order():
    # Given a producer of 50 items, When they are consumed through prefetch, Then all arrive in order
    assert list(prefetch(iter(range(50)), depth=2)) == list(range(50))
    assert not workers()


def test_a_producer_error_is_raised_after_the_items_before_it():
    # Given a producer that fails after three items
    def produce():
        yield from (1, 2, 3)
        raise ValueError("damaged packet")

    seen = []
    # When it is consumed, Then the three items arrive and then the producer's own exception
    with pytest.raises(ValueError, match="damaged packet"):
        for item in prefetch(produce()):
            seen.append(item)
    assert seen == [1, 2, 3]
    assert not workers()


def test_a_consumer_that_stops_early_stops_the_producer_and_closes_it():
    # Given an endless producer that records being closed
    closed = threading.Event()

    def produce():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    # When the consumer stops after five items (an inference error, say)
    stream = prefetch(produce(), depth=2)
    assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    stream.close()
    # Then the worker has ended and the producer was closed (its decoder released)
    assert closed.is_set() and not workers()


def test_map_in_order_keeps_order_and_runs_calls_at_once():
    # Given a function whose calls finish in reverse order of start, and a record of how many overlap
    import time

    running, peak, lock = [0], [0], threading.Lock()

    def slow(n):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02 * (3 - n % 3))
        with lock:
            running[0] -= 1
        return n * n

    # When ten items go through two workers
    out = list(map_in_order(slow, iter(range(10)), workers=2, thread_name="videoalert-test"))
    # Then results come back in the items' order, two calls ran at once, and no worker is left
    assert out == [(n, n * n) for n in range(10)]
    assert peak[0] == 2
    assert not [t for t in threading.enumerate() if t.name.startswith("videoalert-test")]


@pytest.mark.parametrize("workers", [1, 2])
def test_map_in_order_raises_a_call_error_in_place_and_closes_the_producer(workers):
    # Given a producer that records being closed and a function failing on item 3
    closed = threading.Event()

    def produce():
        try:
            yield from range(100)
        finally:
            closed.set()

    def fn(n):
        if n == 3:
            raise ValueError("bad batch")
        return n

    seen = []
    # When it is consumed on the caller's thread or through two workers
    with pytest.raises(ValueError, match="bad batch"):
        for _item, result in map_in_order(fn, produce(), workers=workers, thread_name="videoalert-test"):
            seen.append(result)
    # Then the items before it arrived, the producer was closed, and no worker is left
    assert seen == [0, 1, 2]
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("videoalert-test")]

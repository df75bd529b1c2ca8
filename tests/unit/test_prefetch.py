"""The decode/score pipeline's prefetch: order kept, errors delivered where they happened, no thread left over."""
from __future__ import annotations

import threading

import pytest

from videoalert_inference.pipeline import prefetch


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

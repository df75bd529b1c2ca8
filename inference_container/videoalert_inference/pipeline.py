"""Run a producer (decoding) on a second thread ahead of the consumer (the model), and the model on several."""
from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_DONE = object()


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield what `items` yields, in order, computing up to `depth` items ahead on a worker thread.

    An exception raised by the producer is raised here, at the point in the sequence where it happened.
    If the consumer stops early (an exception, or it closes this generator), the worker is told to stop
    and is waited for, so no thread outlives the call holding a decoder.
    """
    ready: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[Any, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_DONE, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            put((_DONE, exc))
        finally:
            close = getattr(items, "close", None)
            if close:
                close()

    worker = threading.Thread(target=work, name="videoalert-decode", daemon=True)
    worker.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def map_in_order(fn: Callable[[T], R], items: Iterator[T], workers: int,
                 thread_name: str = "videoalert-worker") -> Iterator[tuple[T, R]]:
    """(item, fn(item)) for each item, in order, with up to `workers` calls of fn running at once on threads.

    One item is taken beyond those running, so the producer is never far ahead. With workers <= 1, fn runs
    on the caller's thread. An error in fn is raised at that item's place; on any exit, calls not started
    are cancelled, running ones are waited for, and `items` is closed (its own threads stop).
    """
    pool = ThreadPoolExecutor(workers, thread_name_prefix=thread_name) if workers > 1 else None
    pending: deque[Any] = deque()
    try:
        for item in items:
            if pool is None:
                yield item, fn(item)
                continue
            pending.append((item, pool.submit(fn, item)))
            if len(pending) > workers:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
    finally:
        for _, future in pending:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=True)
        close = getattr(items, "close", None)
        if close:
            close()

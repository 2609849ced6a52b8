"""Read ahead in a forked process: a producer of items runs on the other core.

Used where a writer holds the database while its input (rows of a file, pages from a peer)
needs parsing and checking first: on a two-core machine the two overlap instead of taking turns
under one interpreter lock.
"""

from __future__ import annotations

import fcntl
import gc
import multiprocessing
import pickle
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import TypeVar, cast

from tansiq.errors import TansiqError

T = TypeVar("T")


class Ahead(Iterator[T]):
    """The items, as the reader process sends them; `ready` says whether the next one can be
    had without waiting for the reader (a writer holding a lock should not wait on a peer)."""

    def __init__(self, receiver: Connection | None, items: Iterator[T] | None = None) -> None:
        self._receiver = receiver
        self._items = items  # produced in this process (no fork here)
        self._done = False

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether the next item (or the end) arrives within `timeout` seconds."""
        if self._receiver is None or self._done:
            return self._done
        return self._receiver.poll(timeout)

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        if self._receiver is None:
            assert self._items is not None
            return next(self._items)
        try:
            more, value = self._receiver.recv()
        except EOFError:
            raise TansiqError("the reader process stopped unexpectedly") from None
        if not more:
            self._done = True
            if isinstance(value, BaseException):
                raise value
            raise StopIteration
        return cast(T, value)


@contextmanager
def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[Ahead[T]]:
    """Iterate `items` in a forked child process, up to `depth` items ahead of the consumer.

    Parsing and checking is pure-Python work that would otherwise take turns with the
    database writer on one core. The child inherits everything already built by fork (it must
    not use the parent's database connections), pickles each item and hands it to a thread
    that sends it through a pipe, at most `depth` items waiting (so memory stays bounded, and
    neither side stalls on the other's jitter), and re-raises nothing itself: an exception is
    sent to the consumer, which raises it where it would have surfaced. If the consumer stops
    or dies, the pipe closes and the child exits. Where fork does not exist, items are
    produced in-process.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield Ahead(None, iter(items))
        return
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    _widen(sender)
    child = multiprocessing.get_context("fork").Process(
        target=_produce,
        args=(items, receiver, sender, depth),
        name="tansiq-reader",
        daemon=False,  # a reader may fork one of its own; this one joins it
    )
    child.start()
    sender.close()
    try:
        yield Ahead(receiver)
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()


PIPE_BYTES = 1 << 20
"""The pipe's buffer, where Linux allows: a page of a peer's objects is a megabyte or two, and
the default 64 KiB makes the consumer read it in dozens of pieces."""


def _widen(end: Connection) -> None:
    with suppress(AttributeError, OSError):  # not Linux, or over the system's limit
        fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _produce(items: Iterable[object], receiver: Connection, sender: Connection, depth: int) -> None:
    # Only the consumer may hold the reading end: then its death breaks the pipe (and this
    # child's next send), instead of leaving the child blocked on a pipe it reads itself.
    receiver.close()
    # A short-lived child whose garbage has no cycles: the collector would only cost time.
    gc.disable()
    outbox = _Outbox(sender, depth)
    try:
        for item in items:
            if not outbox.put(pickle.dumps((True, item))):
                return  # the consumer has gone: stop quietly
        outbox.put(pickle.dumps((False, None)))
    except BaseException as exc:  # handed to the consumer, which re-raises it
        outbox.put(pickle.dumps((False, _picklable(exc))))
    finally:
        outbox.close()
        sender.close()
        # Run the items' own clean-up now (a generator's `finally`: a reader of its own is
        # stopped and joined there), not at exit: multiprocessing joins live children at
        # exit without a timeout, and such a reader may be blocked sending to this one.
        close = getattr(items, "close", None)
        if close is not None:
            close()


class _Outbox:
    """Pickled items on their way to the consumer: a thread sends them through the pipe, at
    most `depth` of them waiting. The thread starts with the first item, after `items` has
    begun (which may fork a reader of its own: a fork is safest before any thread starts)."""

    def __init__(self, sender: Connection, depth: int) -> None:
        self._sender = sender
        self._waiting: queue.Queue[bytes | None] = queue.Queue(maxsize=max(depth - 1, 1))
        self._gone = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, data: bytes | None) -> bool:
        """Queue `data` (None: no more); False once the consumer has gone."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._post, daemon=True)
            self._thread.start()
        while not self._gone.is_set():
            try:
                self._waiting.put(data, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def close(self) -> None:
        if self._thread is not None:
            self.put(None)
            self._thread.join()

    def _post(self) -> None:
        while (data := self._waiting.get()) is not None:
            try:
                self._sender.send_bytes(data)
            except OSError:  # a broken pipe: the consumer has gone
                self._gone.set()
                return


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return TansiqError(f"the reader process failed: {type(exc).__name__}: {exc}")
    return exc

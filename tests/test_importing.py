"""The forked read-ahead used by imports: order, errors and early exits."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tansiq.ahead import read_ahead
from tansiq.errors import ImportRejected, RowError


def _numbers(n: int) -> Iterator[int]:
    yield from range(n)


def test_items_arrive_in_order() -> None:
    with read_ahead(_numbers(50)) as items:
        assert list(items) == list(range(50))


def _fails_after(n: int) -> Iterator[int]:
    yield from range(n)
    raise ImportRejected("events.csv", [RowError(7, "latitude", "not a number: 'abc'")], 1)


def test_an_error_in_the_reader_is_raised_in_the_consumer_with_its_details() -> None:
    seen = []
    with pytest.raises(ImportRejected) as raised, read_ahead(_fails_after(3)) as items:
        seen.extend(items)
    assert seen == [0, 1, 2]
    assert raised.value.errors == [RowError(7, "latitude", "not a number: 'abc'")]
    assert "line 7: latitude" in str(raised.value)


def test_leaving_early_stops_the_reader() -> None:
    started = time.monotonic()
    with read_ahead(_numbers(10**9)) as items:
        assert next(items) == 0
    assert time.monotonic() - started < 10

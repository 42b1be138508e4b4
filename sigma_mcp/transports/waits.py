"""Many waits of the same length, with one timer: what `peers` (request headers, answers being read) and the
gate (request bodies) bound without arming and cancelling a timer for every request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Waits(Generic[T]):
    """Items each waiting since it was last `start`ed, longest-waiting first. Those that have waited `timeout`
    seconds are handed to `expired`, within a quarter of that (at most a second) more: one timer looks at them
    all, and only while something waits. `expired` may `start` an item again."""

    def __init__(self, timeout: float, expired: Callable[[T], None]) -> None:
        self._timeout = timeout
        self._every = min(1.0, timeout / 4)
        self._expired = expired
        self._since: dict[T, float] = {}  # in the order the waits began: a wait always begins now
        self._timer: asyncio.TimerHandle | None = None

    def start(self, item: T) -> None:
        """`item`'s wait begins now (again, if it was waiting)."""
        loop = asyncio.get_running_loop()
        self._since.pop(item, None)
        self._since[item] = loop.time()
        if self._timer is None:
            self._timer = loop.call_later(self._every, self._look)

    def stop(self, item: T) -> None:
        """`item` no longer waits."""
        self._since.pop(item, None)

    def __iter__(self) -> Iterator[T]:
        """The items waiting, longest-waiting first; neither `start` nor `stop` one while iterating."""
        return iter(self._since)

    def _look(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        due = loop.time() - self._timeout
        expired = []
        for item, since in self._since.items():
            if since > due:
                break
            expired.append(item)
        for item in expired:
            del self._since[item]
        try:
            for item in expired:
                self._expired(item)
        finally:  # whatever `expired` did, the items still waiting stay bounded
            if self._since and self._timer is None:
                self._timer = loop.call_later(self._every, self._look)

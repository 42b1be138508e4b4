"""The objects of a parsed answer: the cycle collector paused while they live, and a big answer's freed after
the reply has gone out.

Parsing and summarising a batch run of thousands of test cases allocates hundreds of thousands of objects,
none in a cycle: reference counting frees them all. Left on, the cycle collector would scan them again and
again while they are built; on while they are still alive, it would scan them all once more. And freeing
them takes about a fifth of the whole call (55 ms of about 250 for 10,000 test cases on the benchmark
machine): a body of `DEFER_FROM` bytes or more is freed `FREE_AFTER` seconds later, once the reply is on its
way, so that the user does not wait for it.

So the collector is off while a stretch runs and while a big body's objects wait to be freed. Those wait at
most until the event loop's timer fires or the next stretch starts, which frees them first and then collects
the young generation, so that back-to-back calls still have their cycles collected.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import Body

T = TypeVar("T")

DEFER_FROM = 1_000_000
"""Bodies of at least this many bytes (together) have their objects freed after the reply."""
FREE_AFTER = 0.05
"""Seconds after its stretch that a big body's objects are freed: the reply is written by then."""

_lock = threading.Lock()
_holds = 0
"""Stretches running and big bodies waiting to be freed: the collector is off while there is any."""
_was_enabled = False
"""Whether the collector was on when the first hold began, so that it is turned back on."""
_waiting: list[list[Any]] = []


def in_one_stretch(work: Callable[[], T], *bodies: Body) -> T:
    """`work()`, which parses `bodies` (`Body.parse`), with the collector paused until their objects are
    gone; a big body's objects are freed after the reply (see the module's docstring)."""
    if _free_waiting():
        gc.collect(0)
    _hold()
    try:
        answer = work()
    except BaseException:
        for body in bodies:
            body.release()
        _let_go()
        raise
    kept = [body.release() for body in bodies]
    if sum(len(body.content) for body in bodies) < DEFER_FROM:
        del kept
        _let_go()
        return answer
    with _lock:
        _waiting.append(kept)
    try:
        asyncio.get_running_loop().call_later(FREE_AFTER, _free, kept)
    except RuntimeError:  # no event loop: nothing to reply to first
        _free(kept)
    return answer


def _free(kept: list[Any]) -> None:
    """Free `kept`'s objects and let go of its hold, unless the next stretch did it first."""
    with _lock:
        if not any(entry is kept for entry in _waiting):
            return
        _waiting[:] = [entry for entry in _waiting if entry is not kept]
    kept.clear()
    _let_go()


def _free_waiting() -> bool:
    """Free every big body's objects still waiting; whether there were any."""
    with _lock:
        waiting = _waiting[:]
        _waiting.clear()
    for kept in waiting:
        kept.clear()
        _let_go()
    return bool(waiting)


def _hold() -> None:
    global _holds, _was_enabled
    with _lock:
        if _holds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holds += 1


def _let_go() -> None:
    global _holds
    with _lock:
        _holds -= 1
        if _holds == 0 and _was_enabled:
            gc.enable()

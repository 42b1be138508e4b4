"""The objects of a parsed answer: the cycle collector paused while they live, and, in a server, a big
answer's freed after the reply has gone out.

Parsing and summarising a batch run of thousands of test cases allocates hundreds of thousands of objects,
none in a cycle: reference counting frees them all. Left on, the cycle collector would scan them again and
again while they are built; on while they are still alive, it would scan them all once more. And freeing
them takes about a fifth of the whole call (55 ms of about 250 for 10,000 test cases on the benchmark
machine). So in a server (`defer_frees`, which `sigma-mcp` serving stdio or HTTP turns on) the objects of a
call whose bodies add up to `DEFER_FROM` bytes or more are freed `FREE_AFTER` seconds later, once the reply
is on its way, so that the user does not wait for it. Everywhere else (the CLI's one-shot commands, a
library caller) they are freed at the end of the stretch, as smaller ones always are.

Some of a stretch's objects outlive it: a batch run's parsed test cases, kept by its scan until the kept run is
compacted after the reply, or freed with the answer (`sigmamind.runs`). Were the collector back on at the end of that
stretch, its first collection would traverse every one of them, on the call's path (about 28 ms of a
10,000-test-case call). So a stretch told that what it keeps is big (`outliving`) keeps the collector off, when
deferring, until `PAUSE` after it ends (`_pause_until_reply`). That bridges the call's later stretches (its failure
themes, its answer) and outlasts what follows them: the reply, the kept run's compaction and the freeing of the
answer, each `FREE_AFTER` after its own stretch. So in a call that does not wait on the network after its scan the
collector comes back on once the parsed test cases are gone, and never traverses them. (A call that reads the
test-run listing after its scan may outlast the pause: then the collector is back on before the compaction, as it
was before pauses.) Such a pause is also ended by any stretch that starts well after its time (`OVERDUE`: the event
loop closed before its timer ran), and by `defer_frees(False)`. A stretch that starts while a pause lasts and would
run the due collection (below) puts it off until a pause ends.

The collector is off while a stretch runs, while a big call's objects wait, and while a pause lasts. The objects
wait until the event loop's timer fires or the next stretch starts, which frees them first and then runs the
collection the collector would have run by itself (by its thresholds), so that back-to-back calls, which may keep
it off for as long as they come, still have their cycles collected. A host that turns the collector off while
objects wait has it turned back on when they are freed: the two cannot be told apart.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Held(Protocol):
    """What a stretch's work parsed (a `client.Body`) or holds (a `runs.ScannedRun`): its size in bytes of JSON,
    and its objects, handed over to be freed (`release`)."""

    @property
    def held_bytes(self) -> int: ...

    def release(self) -> list[Any]: ...


DEFER_FROM = 1_000_000
"""Bytes of a call's bodies together from which, when deferring, their objects are freed after the reply."""
FREE_AFTER = 0.05
"""Seconds after its stretch that a big call's objects are freed: the reply is written by then."""
PAUSE = 2 * FREE_AFTER
"""Seconds after its stretch that a pause of the collector ends (`_pause_until_reply`)."""
OVERDUE = 1.0
"""Seconds after its time from which a pause whose timer has not run is ended by the next stretch."""

_lock = threading.Lock()
_deferring = False
_holds = 0
"""Stretches running and big calls' objects waiting to be freed: the collector is off while there is any."""
_was_enabled = False
"""Whether the collector was on when the first hold began, so that it is turned back on."""
_waiting: list[list[Any]] = []
_pauses: list[tuple[object, float]] = []
"""Pauses of the collector (`_pause_until_reply`) not yet ended: a token and the time it ends by."""
_collection_owed = False
"""Whether a stretch put off its due collection until the pauses end."""


def defer_frees(on: bool = True) -> None:
    """Free big calls' objects after the reply (on), or at the end of each stretch (off, the default).

    Turning it off frees whatever waits."""
    global _deferring
    _deferring = on
    if not on:
        free_waiting()
        _end_pauses(float("inf"))


def in_one_stretch(work: Callable[[], T], *bodies: Held, outliving: int = 0) -> T:
    """`work()`, which parses `bodies` (`Body.parse`), with the collector paused until their objects are
    gone; a big call's are freed after the reply when deferring (see the module's docstring). `outliving`: bytes of
    JSON that `work` parses and its answer keeps; from `DEFER_FROM`, the collector stays off until after the reply."""
    _end_pauses(time.monotonic() - OVERDUE)
    if free_waiting():
        _collect_as_due_unless_paused()
    _hold()
    handed_over = False
    try:
        answer = work()
        if _deferring and outliving >= DEFER_FROM:
            _pause_until_reply()
        kept = [body.release() for body in bodies]
        if _deferring and sum(body.held_bytes for body in bodies) >= DEFER_FROM:
            handed_over = _free_later(kept)
        return answer
    finally:
        if not handed_over:
            for body in bodies:  # after a failure in `work`, the bodies still hold what they parsed
                body.release()
            kept = []  # the last reference to their objects: freed here, before the collector is back on
            _let_go()


def free_after_reply(kept: list[Any], size: int) -> None:
    """Objects let go of outside a stretch (a batch run pushed out of the cache), of answers of `size` bytes: when
    deferring and they are big, freed after the reply as a big call's are; else as soon as the caller lets go of
    them."""
    if not (_deferring and size >= DEFER_FROM):
        return
    _hold()
    if not _free_later(kept):
        _let_go()


def _free_later(kept: list[Any]) -> bool:
    """Have the event loop free `kept` after `FREE_AFTER`, taking over the stretch's hold; False if there is
    no running loop, and so no reply to send first."""
    try:
        asyncio.get_running_loop().call_later(FREE_AFTER, _free, kept)
    except RuntimeError:
        return False
    with _lock:
        _waiting.append(kept)
    return True


def _pause_until_reply() -> None:
    """Keep the collector off until `PAUSE` from now (within a stretch: it is off), if there is an event loop to
    end the pause; else nothing."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    token = object()
    _hold(pause=(token, time.monotonic() + PAUSE))
    loop.call_later(PAUSE, _end_pause, token)


def _end_pause(token: object) -> None:
    """A pause's timer: ends it, unless it was ended already (as overdue)."""
    _end_where(lambda pause: pause[0] is token)


def _end_pauses(ended_by: float) -> None:
    """End every pause due to end by `ended_by` (a time of `time.monotonic`)."""
    _end_where(lambda pause: pause[1] <= ended_by)


def _end_where(ending: Callable[[tuple[object, float]], bool]) -> None:
    with _lock:
        ended = [pause for pause in _pauses if ending(pause)]
        _pauses[:] = [pause for pause in _pauses if not ending(pause)]
    if ended:
        _after_pauses(len(ended))


def _collect_as_due_unless_paused() -> None:
    """The due collection, now or, while a pause lasts (it would traverse what the pause keeps from it), when a
    pause ends: by then that pause's call is answered. It runs then even if other calls' pauses still last (and so
    traverses what they keep): at most one is put off at a time, so calls that come faster than their pauses end
    still have theirs, at most one a call, as without pauses."""
    global _collection_owed
    with _lock:
        if _pauses:
            _collection_owed = True
            return
    _collect_as_due()


def _after_pauses(ended: int) -> None:
    """Let go of `ended` pauses' holds; then run the collection a stretch put off, if the collector is still held off
    (else it collects by itself)."""
    global _collection_owed
    for _ in range(ended):
        _let_go()
    with _lock:
        owed, _collection_owed = _collection_owed, False
        held_off = _holds > 0 and _was_enabled
    if owed and held_off:
        _collect_as_due()


def free_waiting() -> bool:
    """Free every big call's objects still waiting; whether there were any."""
    with _lock:
        waiting = _waiting[:]
        _waiting.clear()
    for kept in waiting:
        _drop(kept)
    return bool(waiting)


def _free(kept: list[Any]) -> None:
    """Free `kept`'s objects and let go of its hold, unless the next stretch did it first."""
    with _lock:
        if not any(entry is kept for entry in _waiting):
            return
        _waiting[:] = [entry for entry in _waiting if entry is not kept]
    _drop(kept)


def _drop(kept: list[Any]) -> None:
    """Free a waiting call's objects and let go of the hold it had."""
    try:
        kept.clear()
    finally:
        _let_go()


def _collect_as_due() -> None:
    """The collection the collector would have run by itself by now, by its thresholds."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    older = [generation for generation in (2, 1) if counts[generation] >= thresholds[generation] > 0]
    gc.collect(older[0] if older else 0)


def _hold(pause: tuple[object, float] | None = None) -> None:
    """One more hold on the collector; `pause`: the entry of the pause that holds it, recorded with the hold (an
    interrupt cannot leave one without the other)."""
    global _holds, _was_enabled
    with _lock:
        if _holds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holds += 1
        if pause is not None:
            _pauses.append(pause)


def _let_go() -> None:
    global _holds
    with _lock:
        _holds -= 1
        if _holds == 0 and _was_enabled:
            gc.enable()

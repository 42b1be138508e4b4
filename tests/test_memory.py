"""A parsed answer's objects: the cycle collector is off while they live and back on once they are gone; in a
server a big call's objects are freed after the reply, a small one's at once, and never later than the next
call; outside a server, always at once."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import weakref
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from sigma_mcp.sigmamind.client import Body
from sigma_mcp.sigmamind.errors import Target
from sigma_mcp.sigmamind.payloads import BatchRunPayload, Parsed
from sigma_mcp.tools import memory
from sigma_mcp.tools.memory import DEFER_FROM, in_one_stretch
from tests.conftest import connect, settings_for
from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT

TARGET = Target("batch run 'batch_x' of agent 'agent_y'", "the ids")


FREED_BY = 0.3
"""Seconds by which a big call's objects must be freed after its stretch."""


@pytest.fixture(autouse=True)
def deferring() -> Iterator[None]:
    """Each test runs as in a server, with the collector on and nothing waiting, and leaves the default."""
    memory.free_waiting()
    gc.enable()
    memory.defer_frees()
    yield
    memory.defer_frees(False)  # frees what waits and ends the pauses: nothing may hold the collector off after that
    assert memory._holds == 0
    assert memory._pauses == []
    gc.enable()


@pytest.fixture
def collected(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The generation of every collection asked of `gc` during the test."""
    generations: list[int] = []
    collect = gc.collect

    def spy(generation: int = 2) -> int:
        generations.append(generation)
        return collect(generation)

    monkeypatch.setattr(gc, "collect", spy)
    return generations


def body_of(size: int) -> Body:
    """A batch run's JSON of at least `size` bytes."""
    run = make_batch_run(2, batch_id="batch_x")
    run["workspaceId"] = "w" * max(0, size - len(json.dumps(run)) + len(run["workspaceId"]))
    body = Body(json.dumps(run).encode(), TARGET)
    assert len(body.content) >= size
    return body


def parse_into(body: Body, refs: list[weakref.ref[Parsed[Any]]]) -> int:
    parsed = body.parse(BatchRunPayload)
    refs.append(weakref.ref(parsed))
    assert gc.isenabled() is False  # off while the objects are built
    return len(parsed.value.testCases or [])


@pytest.mark.anyio
async def test_a_big_body_is_freed_after_the_reply() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(DEFER_FROM)
    assert in_one_stretch(lambda: parse_into(body, refs), body) == 2
    assert refs[0]() is not None  # still alive: the reply goes out first
    assert gc.isenabled() is False  # and the collector stays off until they are gone
    await asyncio.sleep(FREED_BY)
    assert refs[0]() is None
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_a_small_body_is_freed_at_once() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(1000)
    assert len(body.content) < DEFER_FROM
    assert in_one_stretch(lambda: parse_into(body, refs), body) == 2
    assert refs[0]() is None
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_the_next_call_frees_what_waits_first_and_collects_the_young(collected: list[int]) -> None:
    gc.collect()  # no older generation due: the next call's collection is the young one
    collected.clear()
    refs: list[weakref.ref[Parsed[Any]]] = []
    first, second = body_of(DEFER_FROM), body_of(DEFER_FROM)
    in_one_stretch(lambda: parse_into(first, refs), first)
    assert refs[0]() is not None
    assert collected == []

    def work() -> int:
        assert refs[0]() is None  # freed before the next stretch builds its own
        return parse_into(second, refs)

    in_one_stretch(work, second)
    assert collected == [0]
    assert refs[1]() is not None
    await asyncio.sleep(FREED_BY)
    assert refs[1]() is None
    assert gc.isenabled() is True


def test_without_an_event_loop_it_is_freed_at_once() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(DEFER_FROM)
    in_one_stretch(lambda: parse_into(body, refs), body)
    assert refs[0]() is None
    assert gc.isenabled() is True


def test_a_loop_closed_before_its_timer_leaves_them_to_the_next_call() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(DEFER_FROM)

    async def one_call() -> int:
        return in_one_stretch(lambda: parse_into(body, refs), body)

    assert asyncio.run(one_call()) == 2  # the loop closes at once, its timer unrun
    assert refs[0]() is not None
    assert gc.isenabled() is False
    small = body_of(100)
    in_one_stretch(lambda: parse_into(small, refs), small)
    assert refs[0]() is None
    assert refs[1]() is None
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_a_failure_frees_them_and_turns_the_collector_back_on() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(DEFER_FROM)

    def work() -> int:
        parse_into(body, refs)
        raise ValueError("the summary failed")

    with pytest.raises(ValueError, match="the summary failed"):
        in_one_stretch(work, body)
    assert body.release() == []
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_a_collector_turned_off_by_the_host_stays_off() -> None:
    gc.disable()
    refs: list[weakref.ref[Parsed[Any]]] = []
    for body in (body_of(100), body_of(DEFER_FROM)):
        in_one_stretch(partial(parse_into, body, refs), body)
        await asyncio.sleep(FREED_BY)
        assert gc.isenabled() is False
    assert [ref() for ref in refs] == [None, None]


@pytest.mark.anyio
async def test_a_call_on_a_large_batch_over_the_protocol(api: FakeSigmaMind) -> None:
    api.add_batch_run(make_batch_run(3_000, batch_id="batch_large"), batch_id="batch_large", agent_id=AGENT)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": "batch_large", "agentId": AGENT})
        assert result.is_error is False
        assert result.structured_content is not None
        assert result.structured_content["testCaseCount"] == 3_000
        assert gc.isenabled() is False  # the body's objects wait until the reply is out
        await asyncio.sleep(FREED_BY)
        assert gc.isenabled() is True
        assert memory._waiting == []


def test_a_stretch_that_ends_inside_another_leaves_the_collector_off_for_it() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    outer, inner = body_of(100), body_of(100)

    def work() -> int:
        in_one_stretch(lambda: parse_into(inner, refs), inner)  # as another thread's call could
        return parse_into(outer, refs)  # asserts that the collector is still off

    assert in_one_stretch(work, outer) == 2
    assert [ref() for ref in refs] == [None, None]
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_two_bodies_that_add_up_to_a_big_call_are_both_freed_after_the_reply() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    base, candidate = body_of(DEFER_FROM // 2 + 1), body_of(DEFER_FROM // 2 + 1)
    assert len(base.content) < DEFER_FROM

    def work() -> int:
        return parse_into(base, refs) + parse_into(candidate, refs)

    assert in_one_stretch(work, base, candidate) == 4
    assert [ref() is None for ref in refs] == [False, False]
    assert gc.isenabled() is False
    await asyncio.sleep(FREED_BY)
    assert [ref() for ref in refs] == [None, None]
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_an_interrupt_during_the_work_frees_them_and_turns_the_collector_back_on() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(DEFER_FROM)

    def work() -> int:
        parse_into(body, refs)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        in_one_stretch(work, body)
    assert body.release() == []
    assert gc.isenabled() is True
    assert memory.free_waiting() is False


@pytest.mark.anyio
async def test_outside_a_server_a_big_call_is_freed_at_once() -> None:
    memory.defer_frees(False)
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(DEFER_FROM)
    in_one_stretch(lambda: parse_into(body, refs), body)
    assert refs[0]() is None
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_turning_deferral_off_frees_what_waits() -> None:
    refs: list[weakref.ref[Parsed[Any]]] = []
    body = body_of(DEFER_FROM)
    in_one_stretch(lambda: parse_into(body, refs), body)
    assert refs[0]() is not None
    memory.defer_frees(False)
    assert refs[0]() is None
    assert gc.isenabled() is True


def test_back_to_back_calls_get_the_older_generations_collected_when_due(collected: list[int]) -> None:
    """Calls that each start before the last one's objects are freed keep the collector off; each start runs
    the collection it would have run, older generations included."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], 2, 2)
    try:
        gc.collect()
        collected.clear()

        async def calls() -> None:
            for _ in range(8):
                body = body_of(DEFER_FROM)
                in_one_stretch(partial(parse_into, body, []), body)

        asyncio.run(calls())
    finally:
        gc.set_threshold(*thresholds)
    assert collected.count(1) >= 2
    assert collected.count(2) >= 1
    assert len(collected) == 7  # one per call after the first


def test_serving_turns_deferral_on() -> None:
    script = """
import anyio, asyncio
from sigma_mcp.cli import serve, serve_http
from sigma_mcp.config import Settings
from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.tools import memory
anyio.run = asyncio.run = lambda *args, **kwargs: None
print(memory._deferring)
serve(Settings.from_env({}, demo=True), Redactor())
print(memory._deferring)
memory.defer_frees(False)
serve_http(Settings.from_env({}, demo=True), Redactor(), host="127.0.0.1", port=0)
print(memory._deferring)
"""
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["False", "True", "True"]


class Cycle:
    """Cyclic garbage: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def keep_parsed(body: Body) -> Parsed[BatchRunPayload]:
    """Parse `body` and keep what it parsed past the stretch, as a batch run's scan keeps its test cases."""
    parsed = body.parse(BatchRunPayload)
    body.release()
    return parsed


def big_body() -> Body:
    return body_of(DEFER_FROM)


@pytest.mark.anyio
async def test_what_a_big_stretch_keeps_is_not_collected_until_after_the_reply() -> None:
    collections: list[int] = []

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    body = big_body()
    gc.callbacks.append(on_collection)
    try:
        parsed = in_one_stretch(partial(keep_parsed, body), outliving=len(body.content))
        assert gc.isenabled() is False  # the first collection would traverse every object parsed
        more = [[{} for _ in range(100)] for _ in range(100)]  # allocations that would set it off
        assert collections == []  # none, automatic or asked for
    finally:
        gc.callbacks.remove(on_collection)
    await asyncio.sleep(memory.PAUSE + FREED_BY)
    assert gc.isenabled() is True
    assert parsed.value.testCases
    assert more


@pytest.mark.anyio
async def test_a_small_stretch_or_one_whose_objects_do_not_outlive_it_leaves_the_collector_on() -> None:
    for body, outliving in ((body_of(1000), 1000), (big_body(), 0)):
        in_one_stretch(partial(keep_parsed, body), outliving=outliving)
        assert gc.isenabled() is True


def test_without_an_event_loop_there_is_no_pause() -> None:
    body = big_body()
    in_one_stretch(partial(keep_parsed, body), outliving=len(body.content))
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_outside_a_server_there_is_no_pause() -> None:
    memory.defer_frees(False)
    body = big_body()
    in_one_stretch(partial(keep_parsed, body), outliving=len(body.content))
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_turning_deferral_off_ends_the_pauses() -> None:
    body = big_body()
    in_one_stretch(partial(keep_parsed, body), outliving=len(body.content))
    assert gc.isenabled() is False
    memory.defer_frees(False)
    assert gc.isenabled() is True


def test_a_pause_whose_loop_closed_first_is_ended_by_a_later_stretch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "PAUSE", 30.0)  # however slowly the loop closes, the timer would not have run
    monkeypatch.setattr(memory, "OVERDUE", 60.0)
    body = big_body()

    async def one_call() -> None:
        in_one_stretch(partial(keep_parsed, body), outliving=len(body.content))

    asyncio.run(one_call())  # the loop closes at once, the pause's timer unrun
    assert gc.isenabled() is False
    small = body_of(100)
    in_one_stretch(partial(keep_parsed, small))
    assert gc.isenabled() is False  # not overdue yet: its timer may only be late
    monkeypatch.setattr(memory, "OVERDUE", -memory.PAUSE)  # as if its time and a second more had passed
    in_one_stretch(partial(keep_parsed, small))
    assert gc.isenabled() is True


@pytest.mark.anyio
async def test_a_collection_due_while_a_pause_lasts_runs_when_it_ends(collected: list[int]) -> None:
    gc.collect()
    collected.clear()
    body, answer = big_body(), big_body()
    kept = in_one_stretch(partial(keep_parsed, body), outliving=len(body.content))
    in_one_stretch(lambda: parse_into(answer, []), answer)  # a big answer, freed after the reply
    other = big_body()
    in_one_stretch(lambda: parse_into(other, []), other)  # frees the answer first: the collection is due
    assert collected == []  # put off: it would traverse what the pause keeps
    memory._end_pauses(float("inf"))  # as its timer does; `other` still waits, so the collector stays off
    assert collected == [0]
    assert gc.isenabled() is False
    await asyncio.sleep(FREED_BY)
    assert gc.isenabled() is True
    assert kept.value.testCases


@pytest.mark.anyio
async def test_cyclic_garbage_is_collected_while_big_calls_keep_coming_faster_than_their_pauses_end() -> None:
    """Calls 10 ms apart keep the collector off throughout; the collections it owes still run, the full ones
    included, and cyclic garbage does not pile up."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], 2, 2)
    full: list[int] = []

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(1)

    gc.collect()
    gc.callbacks.append(on_collection)
    alive: list[weakref.ref[Cycle]] = []
    try:
        for _ in range(40):
            cycles = [Cycle() for _ in range(200)]
            alive += [weakref.ref(cycle) for cycle in cycles]
            del cycles
            body, answer = big_body(), big_body()
            in_one_stretch(partial(keep_parsed, body), outliving=len(body.content))
            in_one_stretch(lambda: parse_into(answer, []), answer)  # noqa: B023 - called at once
            await asyncio.sleep(0.01)
        await asyncio.sleep(memory.PAUSE + FREED_BY)
    finally:
        gc.callbacks.remove(on_collection)
        gc.set_threshold(*thresholds)
    assert full
    assert sum(ref() is not None for ref in alive) <= 2 * 200


@pytest.mark.anyio
async def test_a_kept_large_batch_run_is_compacted_before_the_collector_is_back_on(
    api: FakeSigmaMind, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.sigmamind.runs import load_batch_run

    compacted_when_enabled: list[bool] = []
    enable = gc.enable

    def spy() -> None:
        compacted_when_enabled.append(scanned.cases[0].blob is not None)
        enable()

    # Per-attempt records embedded, so that no listing is read; and a long pause, so that a loaded machine's late
    # timers still end it last.
    monkeypatch.setattr(memory, "PAUSE", 2.0)
    run = make_batch_run(3_000, batch_id="batch_large", records_key="testRuns")
    api.add_batch_run(run, batch_id="batch_large", agent_id=AGENT)
    async with SigmaMindClient(settings_for(api)) as client:
        scanned, _ = await load_batch_run(client, "batch_large", AGENT)
        monkeypatch.setattr(gc, "enable", spy)
        assert scanned.size >= DEFER_FROM
        assert scanned.cases[0].blob is None  # not compacted yet: the reply goes out first
        assert gc.isenabled() is False
        await asyncio.sleep(memory.PAUSE + FREED_BY)
        assert gc.isenabled() is True
        assert compacted_when_enabled == [True]
        assert scanned.cases[0].raw == {}

"""A parsed answer's objects: the cycle collector is off while they live and back on once they are gone; a
big body's objects are freed after the reply, a small one's at once, and never later than the next call."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from sigma_mcp.sigmamind.client import Body
from sigma_mcp.sigmamind.errors import Target
from sigma_mcp.sigmamind.payloads import BatchRunPayload, Parsed
from sigma_mcp.tools import memory
from sigma_mcp.tools.memory import DEFER_FROM, FREE_AFTER, in_one_stretch
from tests.conftest import connect, settings_for
from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT

TARGET = Target("batch run 'batch_x' of agent 'agent_y'", "the ids")


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Each test starts with the collector on and nothing waiting, and leaves it so."""
    memory._free_waiting()
    gc.enable()
    yield
    memory._free_waiting()
    gc.enable()


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
    await asyncio.sleep(FREE_AFTER * 4)
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
async def test_the_next_call_frees_what_waits_first_and_collects_the_young(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    collect = gc.collect

    def spy(generation: int = 2) -> int:
        collected.append(generation)
        return collect(generation)

    monkeypatch.setattr(gc, "collect", spy)
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
    await asyncio.sleep(FREE_AFTER * 4)
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
        await asyncio.sleep(FREE_AFTER * 4)
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
        await asyncio.sleep(FREE_AFTER * 4)
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

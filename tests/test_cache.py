"""Batch runs kept for the next call (`sigmamind.cache`): a finished one is fetched once and paged through from
memory; a running one is kept a few seconds only; the bound is in bytes; one key's entries never answer another's
calls; the answer says when it came from the cache, and how old it is."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from sigma_mcp.sigmamind import cache
from sigma_mcp.sigmamind.cache import RunCache
from sigma_mcp.sigmamind.payloads import BatchRunPayload
from sigma_mcp.sigmamind.runs import ScannedRun
from tests.conftest import connect, settings_for
from tests.factories import make_batch_run, make_test_case
from tests.fake_api import FakeSigmaMind
from tests.http_driver import http_server
from tests.test_http import post, tool_call
from tests.test_server import AGENT, text_of

pytestmark = pytest.mark.anyio

BATCH = "batch_large"


def gets(api: FakeSigmaMind, batch_id: str = BATCH) -> int:
    return len([seen for seen in api.requests if seen.path == f"/v1/batch-runs/{batch_id}"])


async def test_a_finished_batch_run_is_fetched_once_for_every_page(api: FakeSigmaMind) -> None:
    api.add_batch_run(make_batch_run(300, records_key="testRuns", failure_rate=0.3))
    pages = []
    async with connect(settings_for(api)) as client:
        offset = 0
        for _ in range(10):
            page = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT, "offset": offset})
            pages.append(page)
            offset = page.structured_content["nextOffset"]
    assert gets(api) == 1
    first, *rest = pages
    assert first.structured_content["cacheAgeSeconds"] is None
    assert "cache" not in text_of(first).split("## ")[0]
    shown = [case["testCaseId"] for page in pages for case in page.structured_content["testCases"]]
    assert len(shown) == len(set(shown)) == offset  # ten pages, one after the other, none repeated
    for page in rest:
        age = page.structured_content["cacheAgeSeconds"]
        assert age is not None
        assert 0 <= age < 60
        assert "Served from sigma-mcp's cache: fetched " in text_of(page)
        # The same batch run: the whole-batch facts agree with the first page's.
        for key in ("verdict", "failureThemes", "testCasesWithFailures", "flakyTestCases"):
            assert page.structured_content[key] == first.structured_content[key]


async def test_a_running_batch_run_is_kept_only_briefly(api: FakeSigmaMind, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "RUNNING_TTL", 0.5)
    body = make_batch_run(4, records_key="testRuns")
    body.update(totalAttempts=5, successfulAttempts=4, failedAttempts=1)  # 12 configured: still running
    api.add_batch_run(body)
    args = {"batchId": BATCH, "agentId": AGENT}
    async with connect(settings_for(api)) as client:
        await client.call_tool("get_batch_run", args)
        again = await client.call_tool("get_batch_run", args)
        assert gets(api) == 1
        assert again.structured_content["cacheAgeSeconds"] is not None
        await asyncio.sleep(0.6)
        later = await client.call_tool("get_batch_run", args)
    assert gets(api) == 2
    assert later.structured_content["cacheAgeSeconds"] is None


async def test_with_the_cache_off_every_call_fetches(api: FakeSigmaMind) -> None:
    api.add_batch_run(make_batch_run(3, records_key="testRuns"))
    async with connect(settings_for(api, SIGMA_MCP_CACHE_MB="0")) as client:
        for _ in range(3):
            result = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
            assert result.structured_content["cacheAgeSeconds"] is None
    assert gets(api) == 3


@pytest.mark.parametrize("value", ["-1", "lots", "nan"])
async def test_a_bad_cache_size_is_a_configuration_problem(api: FakeSigmaMind, value: str) -> None:
    api.add_batch_run(make_batch_run(3))
    async with connect(settings_for(api, SIGMA_MCP_CACHE_MB=value)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
    assert result.is_error is True
    assert "SIGMA_MCP_CACHE_MB" in text_of(result)
    assert "0 or more" in text_of(result)


async def test_a_repaired_test_case_is_the_same_on_every_page(api: FakeSigmaMind) -> None:
    """Values of the wrong type are dropped from a copy: what the cache keeps stays as the API sent it."""
    body = make_batch_run(2, records_key="testRuns")
    body["testCases"][0]["mockData"].append({"variableName": ["not", "text"], "value": "x"})
    api.add_batch_run(body)
    args = {"batchId": BATCH, "agentId": AGENT, "testCaseId": "tc_000000"}
    async with connect(settings_for(api)) as client:
        first = await client.call_tool("get_batch_run", args)
        second = await client.call_tool("get_batch_run", args)
    assert gets(api) == 1
    assert first.structured_content["warnings"] == second.structured_content["warnings"]
    assert any("mockData[3]" in warning for warning in first.structured_content["warnings"])
    assert first.structured_content["testCases"] == second.structured_content["testCases"]


async def test_one_keys_entries_never_answer_another_keys_calls(api: FakeSigmaMind) -> None:
    """A shared HTTP server taking each request's key: the same batch run, asked for with two keys, is fetched
    with each of them."""
    api.add_batch_run(make_batch_run(3, records_key="testRuns"))
    first_key, second_key = "sk_first_4Rt7Yp2Wq9Lm5Nv8Xc3Bz6Df1G", "sk_second_8Hj3Kl6Mn9Pq2Rs5Tv8Wx1Yz4A"
    args = {"batchId": BATCH, "agentId": AGENT}
    with http_server(env={"SIGMAMIND_BASE_URL": api.url}) as server:
        answers = []
        for number, key in enumerate((first_key, first_key, second_key, second_key)):
            response = await post(server.url, tool_call(number, "get_batch_run", args), **{"X-SigmaMind-Api-Key": key})
            answers.append(response.json()["result"])
    fetched_with = [seen.headers["x-api-key"] for seen in api.requests if seen.path == f"/v1/batch-runs/{BATCH}"]
    assert fetched_with == [first_key, second_key]
    ages = [answer["structuredContent"]["cacheAgeSeconds"] for answer in answers]
    assert ages[0] is None
    assert ages[1] is not None
    assert ages[2] is None
    assert ages[3] is not None


def scanned(size: int, *, finished: bool = True) -> ScannedRun:
    from sigma_mcp.sigmamind.scan import scan_test_cases

    case: dict[str, Any] = make_test_case(1, attempts=1)
    cases, not_objects = scan_test_cases([case])
    total = 1 if finished else 0
    return ScannedRun(BatchRunPayload(totalAttempts=total), (), cases, not_objects, size)


def test_the_cache_keeps_the_most_recently_used_within_its_bytes() -> None:
    runs = RunCache(100)
    keys = [("fp", "url", "agent", f"batch_{n}") for n in range(4)]
    first, second, third = scanned(40), scanned(40), scanned(30)
    assert runs.put(keys[0], first)
    assert runs.put(keys[1], second)
    assert runs.get(keys[0]) is first  # now the most recently used
    assert runs.put(keys[2], third)  # 110 > 100: the least recently used (the second) goes
    assert runs.get(keys[1]) is None
    assert runs.get(keys[0]) is first
    assert runs.get(keys[2]) is third
    assert runs.size == 70
    assert len(runs) == 2
    assert runs.put(keys[3], scanned(101)) is False  # alone over the bound: not kept, nothing pushed out
    assert runs.size == 70
    assert runs.put(keys[0], scanned(10))  # replacing an entry counts its new size only
    assert runs.size == 40


def test_a_running_entry_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "RUNNING_TTL", 0.05)
    runs = RunCache(1000)
    running, finished = scanned(10, finished=False), scanned(10)
    assert not running.finished()
    assert finished.finished()
    runs.put(("a", "", "", ""), running)
    runs.put(("b", "", "", ""), finished)
    time.sleep(0.1)
    assert runs.get(("a", "", "", "")) is None
    assert runs.size == 10
    assert runs.get(("b", "", "", "")) is finished


async def test_a_comparison_says_which_side_came_from_the_cache(api: FakeSigmaMind) -> None:
    api.add_batch_run(make_batch_run(5, records_key="testRuns"))
    api.add_batch_run(make_batch_run(5, batch_id="batch_base", records_key="testRuns", seed=3))
    async with connect(settings_for(api)) as client:
        await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
        compared = await client.call_tool(
            "compare_batch_runs", {"agentId": AGENT, "baseBatchId": "batch_base", "candidateBatchId": BATCH}
        )
    assert gets(api) == 1  # the candidate was read once, for both calls
    data = compared.structured_content
    assert data["base"]["cacheAgeSeconds"] is None
    assert data["candidate"]["cacheAgeSeconds"] is not None
    assert "| fetched | for this answer | " in text_of(compared)
    assert "s ago (sigma-mcp's cache) |" in text_of(compared)


async def test_a_kept_batch_run_is_compacted_after_the_reply_and_answers_the_same(api: FakeSigmaMind) -> None:
    import anyio

    from sigma_mcp.registry import BY_NAME
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.sigmamind.runs import load_batch_run
    from sigma_mcp.tools.arguments import parse_arguments

    body = make_batch_run(60, records_key="testRuns", failure_rate=0.4, varied=True)
    body["testCases"][3]["mockData"] = [
        {"variableName": "big", "value": 10**40},
        {"variableName": "neg", "value": -0.0},
    ]
    body["testCases"][4]["attempt"] = "3"  # repaired as it is parsed, the same way from the kept copy
    api.add_batch_run(body)
    spec = BY_NAME["get_batch_run"]
    arguments = [{"batchId": BATCH, "agentId": AGENT}, {"batchId": BATCH, "agentId": AGENT, "offset": 5, "limit": 3}]
    async with SigmaMindClient(settings_for(api)) as client:
        scanned, _ = await load_batch_run(client, BATCH, AGENT)
        assert all(case.blob is None for case in scanned.cases)  # not yet: the reply comes first
        fresh = [(await spec.run(client, parse_arguments(spec.name, spec.parameters, a))).data for a in arguments]
        await anyio.sleep(0.3)  # the reply is on its way: the kept run lets go of its parsed JSON
        assert all(case.blob is not None and not case.raw for case in scanned.cases)
        assert scanned.run.testCases == []
        kept = [(await spec.run(client, parse_arguments(spec.name, spec.parameters, a))).data for a in arguments]
    assert gets(api) == 1
    for before, after in zip(fresh, kept, strict=True):
        assert _without_cache_age(before) == _without_cache_age(after)


def _without_cache_age(data: bytes) -> Any:
    import json

    value = json.loads(data)
    value.pop("cacheAgeSeconds")
    value["warnings"] = [w for w in value["warnings"] if "cache" not in w]
    return value


async def test_a_batch_run_pushed_out_of_the_cache_is_let_go_of(api: FakeSigmaMind) -> None:
    import gc
    import weakref

    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.sigmamind.runs import load_batch_run

    old, new = make_batch_run(30, batch_id="batch_old"), make_batch_run(30, batch_id="batch_new")
    api.add_batch_run(old)
    api.add_batch_run(new)
    settings = settings_for(api, SIGMA_MCP_CACHE_MB="0.03")  # room for one of them
    async with SigmaMindClient(settings) as client:
        scanned, _ = await load_batch_run(client, "batch_old", AGENT)
        assert scanned.size <= client.runs.limit < 2 * scanned.size
        first = weakref.ref(scanned)
        del scanned
        await load_batch_run(client, "batch_new", AGENT)  # pushes the first out, and is not released by a reply
        gc.collect()
        assert len(client.runs) == 1
        assert first() is None

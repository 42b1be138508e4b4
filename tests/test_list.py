"""list_batch_runs: newest first, a compact row per batch run, the paging facts and what to call next."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import connect, settings_for
from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT, text_of

pytestmark = pytest.mark.anyio


def page(runs: list[dict[str, Any]], **facts: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data": runs,
        "page": 0,
        "size": 20,
        "totalCount": len(runs),
        "totalPages": 1,
        "hasNext": False,
        "hasPrevious": False,
    }
    body.update(facts)
    return body


def runs(count: int) -> list[dict[str, Any]]:
    made = []
    for number in range(count):
        run = make_batch_run(2, batch_id=f"batch_{number:03d}", seed=number)
        run["createdDate"] = f"2026-04-{28 - number:02d}T10:00:00Z"
        made.append(run)
    return made


async def test_rows_paging_and_hints(api: FakeSigmaMind, mode: str) -> None:
    listed = runs(3)
    api.pages[AGENT] = page(listed, page=1, size=3, totalCount=9, totalPages=3, hasNext=True, hasPrevious=True)
    async with connect(settings_for(api), mode) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT, "page": 1, "size": 3})
    assert result.is_error is False
    (request,) = api.requests
    assert request.path == "/v1/batch-runs"
    assert request.query == {"agentId": [AGENT], "page": ["1"], "size": ["3"]}

    data = result.structured_content
    assert data is not None
    assert (data["page"], data["size"], data["totalCount"], data["totalPages"]) == (1, 3, 9, 3)
    assert data["hasNext"] is True
    assert data["hasPrevious"] is True
    assert [row["batchId"] for row in data["batchRuns"]] == ["batch_000", "batch_001", "batch_002"]
    first = data["batchRuns"][0]
    assert first["testCaseCount"] == 2
    assert first["totalAttempts"] == 6
    assert first["successRate"] == first["successfulAttempts"] / 6

    text = text_of(result)
    assert text.startswith(
        f"**Agent {AGENT}: 3 of 9 batch runs on page 1, newest first. Page 1's newest is `batch_000`"
    )
    assert "| 4 | `batch_000` | `2026-04-28T10:00:00Z` | 2 | 6 |" in text
    assert "older batch runs are on page 2" in text
    assert f"call get_batch_run with batchId=batch_000, agentId={AGENT}" in text
    assert f"compare_batch_runs with agentId={AGENT}, baseBatchId=batch_001, candidateBatchId=batch_000" in text
    assert f"call list_batch_runs with agentId={AGENT}, page=2" in text


async def test_defaults_and_last_page(api: FakeSigmaMind) -> None:
    api.pages[AGENT] = page(runs(1))
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT})
    assert api.requests[0].query == {"agentId": [AGENT], "page": ["0"], "size": ["20"]}
    assert "list_batch_runs with" not in text_of(result)
    assert "compare_batch_runs" not in text_of(result)


async def test_empty_and_missing_data(api: FakeSigmaMind) -> None:
    api.pages[AGENT] = {"page": 0, "size": 20, "totalCount": 0}
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT})
    assert result.is_error is False
    assert text_of(result).startswith(f"**Agent {AGENT} has no batch runs.**")
    assert result.structured_content is not None
    assert any("no 'data' list" in w for w in result.structured_content["warnings"])


async def test_running_batch_is_marked(api: FakeSigmaMind) -> None:
    running = make_batch_run(2, batch_id="batch_running")
    running["totalAttempts"] = 2
    running["successfulAttempts"] = 2
    running["failedAttempts"] = 0
    api.pages[AGENT] = page([running])
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT})
    assert "100% (may still be running)" in text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["batchRuns"][0]["possiblyRunning"] is True


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"page": -1}, "Invalid page for list_batch_runs: must be at least 0, got -1."),
        ({"size": 0}, "Invalid size for list_batch_runs: must be at least 1, got 0."),
        ({"size": 101}, "Invalid size for list_batch_runs: must be at most 100, got 101."),
        ({"page": "two"}, "Invalid page for list_batch_runs: expected an integer, got a string."),
        ({"size": 2.5}, "Invalid size for list_batch_runs: expected an integer, got a number."),
    ],
)
async def test_out_of_range_paging_is_refused(api: FakeSigmaMind, arguments: dict[str, Any], message: str) -> None:
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT, **arguments})
    assert result.is_error is True
    assert text_of(result).startswith(message)
    assert api.requests == []


async def test_numbers_sent_as_strings_are_accepted(api: FakeSigmaMind) -> None:
    api.pages[AGENT] = page(runs(1))
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT, "page": "0", "size": "5"})
    assert result.is_error is False
    assert api.requests[0].query["size"] == ["5"]

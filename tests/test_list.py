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


def judged(batch_id: str, passed: int | None, of: int = 100, configured: int | None = None) -> dict[str, Any]:
    """A batch run with `passed` of `of` attempts passed (None: nothing judged yet); `configured`: the attempts its
    test cases configure, when given."""
    run: dict[str, Any] = {"batchId": batch_id, "createdDate": "2026-04-01T10:00:00Z"}
    if passed is not None:
        run.update(successfulAttempts=passed, failedAttempts=of - passed, totalAttempts=of)
    if configured is not None:
        run["testCases"] = [{"attempt": configured}]
    return run


async def test_the_trend_is_in_both_channels(api: FakeSigmaMind, mode: str) -> None:
    oldest_first = [judged(f"batch_{n}", passed) for n, passed in enumerate([62, 70, 68, 81, 84])]
    oldest_first += [judged("batch_5", None), judged("batch_6", 3, of=4, configured=10)]
    api.pages[AGENT] = page(oldest_first[::-1])
    async with connect(settings_for(api), mode) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT})
    data = result.structured_content
    assert data is not None
    assert data["trend"] == {
        "runs": [
            {"batchId": "batch_0", "successRate": 0.62},
            {"batchId": "batch_1", "successRate": 0.7},
            {"batchId": "batch_2", "successRate": 0.68},
            {"batchId": "batch_3", "successRate": 0.81},
            {"batchId": "batch_4", "successRate": 0.84},
        ],
        "direction": "improving",
        "changePoints": 22.0,
        "steadyWithinPoints": 5.0,
        "best": {"batchId": "batch_4", "successRate": 0.84},
        "worst": {"batchId": "batch_0", "successRate": 0.62},
        "runsWithoutResults": 1,
        "runsPossiblyRunning": 1,
    }
    assert data["verdict"].endswith(
        "Success rate across the 5 with final results: improving (+22 points, oldest to newest)."
    )
    assert text_of(result).startswith(
        f"**{data['verdict']}**\n\n"
        "Trend over the 5 batch runs with final results, oldest first: 62% → 70% → 68% → 81% → 84% (improving; "
        "+22 points from the oldest to the newest).\n"
        "Best: `batch_4` (84%); worst: `batch_0` (62%). Left out: 1 batch run without results and 1 batch run "
        "that may still be running.\n\n| # | batchId |"
    )


@pytest.mark.parametrize(
    ("passed", "direction"),
    [
        ([90, 80, 82, 70], "declining; -20 points"),
        ([80, 84, 81, 85], "steady: all within 5 points of each other; +5 points"),
        ([60, 80, 72, 90], "mixed: more than 5 points apart, not one way; +30 points"),
    ],
)
async def test_the_trend_line_says_each_direction(api: FakeSigmaMind, passed: list[int], direction: str) -> None:
    api.pages[AGENT] = page([judged(f"batch_{n}", p) for n, p in enumerate(passed)][::-1])
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT})
    rates = " → ".join(f"{p}%" for p in passed)
    assert f"oldest first: {rates} ({direction} from the oldest to the newest).\n" in text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["trend"]["direction"] == direction.split(";")[0].split(":")[0]


async def test_without_two_final_rates_there_is_no_trend(api: FakeSigmaMind) -> None:
    api.pages[AGENT] = page([judged("batch_1", 3, of=4, configured=10), judged("batch_0", None), judged("b", 5)])
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT})
    assert result.structured_content is not None
    assert result.structured_content["trend"] is None
    assert "Trend" not in text_of(result)
    assert "Success rate across" not in text_of(result)


async def test_the_trend_of_a_full_page_is_whole_in_the_data_and_bounded_in_the_text(api: FakeSigmaMind) -> None:
    api.pages[AGENT] = page([judged(f"b_{n:03d}", n) for n in range(100)][::-1], size=100)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("list_batch_runs", {"agentId": AGENT, "size": 100})
    data = result.structured_content
    assert data is not None
    assert len(data["batchRuns"]) == 100
    trend = data["trend"]
    assert [point["batchId"] for point in trend["runs"]] == [f"b_{n:03d}" for n in range(100)]
    assert (trend["best"]["batchId"], trend["worst"]["batchId"]) == ("b_099", "b_000")
    (line,) = [line for line in text_of(result).split("\n") if line.startswith("Trend over")]
    assert line == (
        "Trend over the 100 batch runs with final results, oldest first (the last 20; the 80 earlier ones are in "
        "the table): " + " → ".join(f"{n}%" for n in range(80, 100)) + " (improving; +99 points from the oldest "
        "to the newest)."
    )
    assert "Best: `b_099` (99%); worst: `b_000` (0%).\n" in text_of(result)

"""Whatever the batch, the answer stays within 24 KB of text and 24 KB of structured content, with
counts over the whole batch and a way to see the rest, in both channels."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import CallToolResult

from sigma_mcp.tools.common import DATA_BUDGET, TEXT_BUDGET, json_size
from tests.conftest import connect, settings_for
from tests.factories import make_batch_run, make_test_case
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT, text_of

pytestmark = pytest.mark.anyio

BATCH = "batch_large"


@pytest.fixture(scope="module")
def large_batch() -> dict[str, Any]:
    return make_batch_run(10_000, batch_id=BATCH, records_key="testRuns")


async def get(api: FakeSigmaMind, body: dict[str, Any], mode: str = "legacy", **arguments: Any) -> CallToolResult:
    api.add_batch_run(body, batch_id=BATCH, agent_id=AGENT)
    async with connect(settings_for(api), mode) as client:
        return await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT, **arguments})


BUDGET = 24 * 1024
"""Bytes of text, and of structuredContent as compact JSON: Claude Code warns above 10,000 tokens of tool
output, and hands the model the structured content alone."""


def within_budget(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, text_of(result)
    assert len(text_of(result).encode()) <= BUDGET
    assert result.structured_content is not None
    assert json_size(result.structured_content) <= BUDGET
    assert TEXT_BUDGET == DATA_BUDGET == BUDGET
    return result.structured_content


def failed_in(test_case: dict[str, Any]) -> int:
    return sum(1 for record in test_case["testRuns"] if record["isSuccessful"] is False)


async def test_ten_thousand_test_cases(api: FakeSigmaMind, mode: str, large_batch: dict[str, Any]) -> None:
    data = within_budget(await get(api, large_batch, mode))
    assert data["testCaseCount"] == 10_000
    assert data["totalAttempts"] == 30_000
    assert data["successfulAttempts"] == large_batch["successfulAttempts"]
    assert data["failedAttempts"] == large_batch["failedAttempts"]
    assert data["successRate"] == large_batch["successfulAttempts"] / 30_000
    with_failures = sum(1 for tc in large_batch["testCases"] if failed_in(tc))
    assert data["testCasesWithFailures"] == with_failures
    shown = data["testCases"]
    assert 5 <= len(shown) < with_failures
    failed_counts = [tc["results"]["failed"] for tc in shown]
    assert failed_counts == sorted(failed_counts, reverse=True)
    assert min(failed_counts) >= 1
    assert data["nextOffset"] == len(shown)
    assert data["testCasesNotShown"] == 10_000 - len(shown)


async def test_the_text_says_how_to_see_the_rest(api: FakeSigmaMind, large_batch: dict[str, Any]) -> None:
    result = await get(api, large_batch)
    data = within_budget(result)
    shown = len(data["testCases"])
    text = text_of(result)
    assert f"## Test cases 1–{shown} of 10000 (failures first)" in text
    assert f"({10_000 - shown} more test cases after these: see Next steps.)" in text
    step = f"call get_batch_run with batchId={BATCH}, agentId={AGENT}, offset={shown}."
    assert f"- See the next test cases ({10_000 - shown} more; testCaseId=<id> shows one in full): {step}" in text
    # The same call in structuredContent, for clients that hand the model only that.
    assert {
        "tool": "get_batch_run",
        "arguments": {"batchId": BATCH, "agentId": AGENT, "offset": shown},
        "reason": f"See the next test cases ({10_000 - shown} more; testCaseId=<id> shows one in full)",
    } in data["nextSteps"]


async def test_paging_walks_the_whole_order_without_gaps(api: FakeSigmaMind, large_batch: dict[str, Any]) -> None:
    first = within_budget(await get(api, large_batch, limit=7))
    second = within_budget(await get(api, large_batch, offset=7, limit=7))
    assert len(first["testCases"]) == len(second["testCases"]) == 7
    assert second["offset"] == 7
    assert second["nextOffset"] == 14
    both = [tc["testCaseId"] for tc in first["testCases"] + second["testCases"]]
    together = within_budget(await get(api, large_batch, limit=14))
    assert both == [tc["testCaseId"] for tc in together["testCases"]]
    last_result = await get(api, large_batch, offset=9_998)
    last = within_budget(last_result)
    assert len(last["testCases"]) == 2
    assert last["nextOffset"] is None
    assert "(9998 test cases before these: offset=0 shows the first.)" in text_of(last_result)
    assert "after these" not in text_of(last_result)
    assert all(tc["results"]["failed"] == 0 for tc in last["testCases"])


async def test_one_test_case_by_id(api: FakeSigmaMind, large_batch: dict[str, Any]) -> None:
    data = within_budget(await get(api, large_batch, testCaseId="tc_004321"))
    assert [tc["testCaseId"] for tc in data["testCases"]] == ["tc_004321"]
    assert data["testCaseFilter"] == "tc_004321"
    assert data["testCaseCount"] == 10_000
    assert data["totalAttempts"] == 30_000


async def test_unknown_test_case_id_is_an_error(api: FakeSigmaMind) -> None:
    result = await get(api, make_batch_run(3), testCaseId="tc_nope")
    assert result.is_error is True
    assert text_of(result).startswith(
        f"Batch run {BATCH} has no test case with testCaseId tc_nope (it has 3 test cases)."
    )


async def test_without_per_attempt_results(api: FakeSigmaMind) -> None:
    data = within_budget(await get(api, make_batch_run(10_000, batch_id=BATCH)))
    assert data["testCasesWithFailures"] is None
    assert data["testCases"][0]["testCaseId"] == "tc_000000"  # the API's order when nothing says what failed


async def test_hostile_sizes(api: FakeSigmaMind) -> None:
    cases = []
    for number in range(30):
        tc = make_test_case(number, attempts=50, failed=50, records_key="testRuns")
        tc["label"] = "ラベル" * 1_000
        tc["userPrompt"] = "ペルソナ" * 5_000
        tc["successCriteria"] = "`" * 10 + "基準" * 5_000
        tc["mockData"] = [{"variableName": f"v{n}" * 50, "value": "値" * 1_000} for n in range(100)]
        for n, record in enumerate(tc["testRuns"]):
            record["remarks"] = f"{n} " + "理由" * 500
            record["jobId"] = f"job_{number}_{n}_" + "x" * 100
        cases.append(tc)
    body = make_batch_run(0, batch_id=BATCH)
    body.update(testCases=cases, agent={"name": "名前" * 1_000, "agentId": "a" * 1_000, "status": "s" * 1_000})
    body.update(workspaceId="w" * 1_000, createdDate="d" * 1_000, successfulAttempts=0, failedAttempts=1_500)
    body.update(totalAttempts=1_500)
    data = within_budget(await get(api, body))
    assert data["testCaseCount"] == 30
    assert len(data["testCases"]) >= 1
    assert data["testCases"][0]["mockDataNotShown"] >= 80  # shown compact: too large otherwise
    one = within_budget(await get(api, body, testCaseId="tc_000007"))
    assert one["testCases"][0]["testCaseId"] == "tc_000007"

"""compare_batch_runs: the change in percentage points, what changed in the tests, and per-test-case deltas."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp.types import CallToolResult

from sigma_mcp.tools.common import DATA_BUDGET, TEXT_BUDGET, json_size
from tests.conftest import connect, settings_for
from tests.factories import make_batch_run, make_test_case
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT, text_of

pytestmark = pytest.mark.anyio


def case(number: int, passed: int, failed: int, **changes: Any) -> dict[str, Any]:
    body = make_test_case(number, attempts=passed + failed)
    body["testRuns"] = [
        {"jobId": f"job_{number}_{n}", "isSuccessful": n < passed, "remarks": None if n < passed else "missed"}
        for n in range(passed + failed)
    ]
    body.update(changes)
    return body


def run(batch_id: str, created: str, *cases: dict[str, Any]) -> dict[str, Any]:
    body = make_batch_run(0, batch_id=batch_id)
    passed = sum(1 for tc in cases for r in tc["testRuns"] if r["isSuccessful"])
    failed = sum(1 for tc in cases for r in tc["testRuns"] if not r["isSuccessful"])
    body.update(
        testCases=list(cases),
        createdDate=created,
        successfulAttempts=passed,
        failedAttempts=failed,
        totalAttempts=passed + failed,
    )
    return body


async def compare(
    api: FakeSigmaMind, base: dict[str, Any], candidate: dict[str, Any], mode: str = "legacy"
) -> CallToolResult:
    for body in (base, candidate):
        api.add_batch_run(body, agent_id=AGENT)
    arguments = {"agentId": AGENT, "baseBatchId": base["batchId"], "candidateBatchId": candidate["batchId"]}
    async with connect(settings_for(api), mode) as client:
        return await client.call_tool("compare_batch_runs", arguments)


async def test_regression_arithmetic_and_test_case_changes(api: FakeSigmaMind, mode: str) -> None:
    base = run("batch_base", "2026-04-01T10:00:00Z", case(1, 4, 1), case(2, 3, 0), case(3, 1, 0))
    candidate = run(
        "batch_cand",
        "2026-04-02T10:00:00Z",
        case(1, 2, 3, successCriteria="Stricter criteria."),
        case(2, 3, 0),
        case(4, 0, 2),
    )
    result = await compare(api, base, candidate, mode)
    assert result.is_error is False
    data = result.structured_content
    assert data is not None
    assert data["base"]["successRate"] == 8 / 9
    assert data["candidate"]["successRate"] == 0.5
    assert data["successRateChangePoints"] == -38.9
    assert (data["base"]["totalAttempts"], data["candidate"]["totalAttempts"]) == (9, 10)
    assert [ref["testCaseId"] for ref in data["testCasesAdded"]] == ["tc_000004"]
    assert [ref["testCaseId"] for ref in data["testCasesRemoved"]] == ["tc_000003"]
    (changed,) = data["testCasesChanged"]
    assert changed["testCaseId"] == "tc_000001"
    assert [c["field"] for c in changed["changes"]] == ["successCriteria"]
    assert changed["changes"][0]["after"] == "Stricter criteria."
    assert data["testCasesUnchangedCount"] == 1
    deltas = {d["testCaseId"]: d for d in data["testCaseDeltas"]}
    assert list(deltas) == ["tc_000001", "tc_000002"]  # biggest drop first
    assert deltas["tc_000001"]["changePoints"] == -40.0
    assert (deltas["tc_000001"]["basePassed"], deltas["tc_000001"]["candidatePassed"]) == (4, 2)
    assert deltas["tc_000002"]["changePoints"] == 0.0

    text = text_of(result)
    assert text.startswith(
        "**Regression: 50% of attempts passed in batch_cand against 88.9% in batch_base (-38.9 percentage points). "
        "The two did not run the same tests (1 test case added, 1 test case removed, 1 test case changed), "
        "so not all of the change is the agent's.**"
    )
    assert "| success rate | 88.9% | 50% |" in text
    assert "successCriteria in the candidate:\n```text\nStricter criteria.\n```" in text
    assert "| 4 of 5 | 2 of 5 | -40 pp |" in text
    assert "| 3 of 3 | 3 of 3 | 0 pp |" in text
    assert [r.path for r in sorted(api.requests, key=lambda r: r.path)] == [
        "/v1/batch-runs/batch_base",
        "/v1/batch-runs/batch_cand",
    ]


@pytest.mark.parametrize(
    ("candidate_cases", "verdict"),
    [
        (
            [case(1, 5, 0)],
            "**Improvement: 100% of attempts passed in batch_cand against 80% in batch_base (+20 percentage points).**",
        ),
        ([case(1, 4, 1)], "**No change: 80% of attempts passed in batch_cand against 80% in batch_base.**"),
        ([case(1, 0, 0)], "**Cannot compare success rates: batch run batch_cand has no judged attempts.**"),
    ],
)
async def test_verdicts(api: FakeSigmaMind, candidate_cases: list[dict[str, Any]], verdict: str) -> None:
    base = run("batch_base", "2026-04-01T10:00:00Z", case(1, 4, 1))
    result = await compare(api, base, run("batch_cand", "2026-04-02T10:00:00Z", *candidate_cases))
    assert text_of(result).startswith(verdict)


async def test_every_kind_of_configuration_change(api: FakeSigmaMind) -> None:
    base = run("batch_base", "2026-04-01T10:00:00Z", case(1, 1, 0))
    changed = copy.deepcopy(case(1, 1, 0))
    changed.update(userPrompt="New persona", llmModel="gpt-4o", attempt=7)
    changed["mockData"][0]["value"] = "Someone Else"
    result = await compare(api, base, run("batch_cand", "2026-04-02T10:00:00Z", changed))
    data = result.structured_content
    assert data is not None
    fields = [c["field"] for c in data["testCasesChanged"][0]["changes"]]
    assert fields == ["userPrompt", "llmModel", "mockData", "attempt"]
    attempt = data["testCasesChanged"][0]["changes"][3]
    assert (attempt["before"], attempt["after"]) == ("1", "7")


async def test_suspicious_inputs_are_flagged(api: FakeSigmaMind) -> None:
    older = run("batch_old", "2026-04-01T10:00:00Z", case(1, 1, 0))
    newer = run("batch_new", "2026-04-05T10:00:00Z", case(1, 1, 0))
    swapped = await compare(api, newer, older)
    assert swapped.structured_content is not None
    assert any("base batch run is newer than the candidate" in w for w in swapped.structured_content["warnings"])
    same = await compare(api, older, older)
    assert same.structured_content is not None
    assert any("are the same batch run" in w for w in same.structured_content["warnings"])


async def test_a_missing_side_is_named(api: FakeSigmaMind) -> None:
    api.add_batch_run(run("batch_base", "2026-04-01T10:00:00Z", case(1, 1, 0)), agent_id=AGENT)
    arguments = {"agentId": AGENT, "baseBatchId": "batch_base", "candidateBatchId": "batch_gone"}
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("compare_batch_runs", arguments)
    assert result.is_error is True
    assert text_of(result).startswith(
        f"Could not fetch the candidate batch run: SigmaMind has no batch run 'batch_gone' of agent '{AGENT}' (HTTP 404"
    )


async def test_large_comparison_stays_within_budget(api: FakeSigmaMind) -> None:
    base = make_batch_run(5_000, batch_id="batch_base", records_key="testRuns", seed=1)
    candidate = make_batch_run(5_000, batch_id="batch_cand", records_key="testRuns", seed=2)
    for tc in candidate["testCases"]:
        tc["successCriteria"] = "Changed: " + "x" * 5_000
    result = await compare(api, base, candidate)
    assert len(text_of(result).encode()) <= TEXT_BUDGET
    assert json_size(result.structured_content) <= DATA_BUDGET
    data = result.structured_content
    assert data is not None
    assert data["testCasesChangedCount"] == 5_000
    assert data["testCaseDeltasCount"] == 5_000
    assert 0 < len(data["testCasesChanged"]) <= 25

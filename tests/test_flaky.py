"""Flaky test cases (attempts that both passed and failed) told apart from consistent failures: in each test case,
in the whole-batch counts, in the verdict and in the text; and the demo batch run that shows them, through the
MCP protocol, in both channels."""

from __future__ import annotations

from typing import Any

import pytest

from sigma_mcp.config import Settings
from tests.conftest import connect
from tests.factories import make_batch_run, make_test_case
from tests.test_server import text_of
from tests.test_summary import summarize

CLINIC = {"batchId": "batch_Cl4Tm9Wq2Vz7Nb5k", "agentId": "agent_Rk2Vt8Zs4Qw9Lp3m"}


def batch(*failed: int, attempts: int = 3) -> dict[str, Any]:
    """One test case per entry of `failed`, each with that many of its `attempts` failed."""
    body = make_batch_run(0)
    cases = [
        make_test_case(number, attempts=attempts, failed=count, records_key="testRuns")
        for number, count in enumerate(failed)
    ]
    total_failed = sum(failed)
    body.update(
        testCases=cases,
        successfulAttempts=attempts * len(failed) - total_failed,
        failedAttempts=total_failed,
        totalAttempts=attempts * len(failed),
    )
    return body


def test_each_test_case_says_whether_it_is_flaky() -> None:
    summary = summarize(batch(3, 1, 0, 2))
    flaky = {case.testCaseId: case.flaky for case in summary.testCases}
    assert flaky == {"tc_000000": False, "tc_000001": True, "tc_000002": False, "tc_000003": True}
    assert (summary.flakyTestCases, summary.consistentlyFailingTestCases, summary.testCasesWithFailures) == (2, 1, 3)
    assert summary.verdict.endswith(
        "2 test cases are flaky (passed some attempts, failed others); 1 failed every attempt."
    )


def test_without_flaky_test_cases_the_verdict_says_nothing_of_them() -> None:
    summary = summarize(batch(3, 0, 3))
    assert (summary.flakyTestCases, summary.consistentlyFailingTestCases) == (0, 2)
    assert "flaky" not in summary.verdict
    one = summarize(batch(1, 0))
    assert one.verdict.endswith("1 test case is flaky (passed some attempts, failed others).")


def test_without_per_attempt_results_nothing_is_called_flaky(documented_example: dict[str, Any]) -> None:
    summary = summarize(documented_example)
    assert (summary.flakyTestCases, summary.consistentlyFailingTestCases) == (None, None)
    assert [case.flaky for case in summary.testCases] == [False]


@pytest.mark.anyio
async def test_the_demo_shows_themes_and_flaky_test_cases_in_both_channels() -> None:
    async with connect(Settings.from_env({}, demo=True)) as client:
        result = await client.call_tool("get_batch_run", CLINIC)
    data, text = result.structured_content, text_of(result)
    assert data is not None
    assert (data["flakyTestCases"], data["consistentlyFailingTestCases"]) == (2, 1)
    assert "2 test cases are flaky" in data["verdict"]
    assert text.startswith(f"**{data['verdict']}**")
    flaky = [case["testCaseId"] for case in data["testCases"] if case["flaky"]]
    assert flaky == ["tc_Bk5Ap1Cv7Xn3Hd8r", "tc_Cx6Vb2Mr9Tq4Hs1e"]
    assert text.count("— flaky: the same test both passed and failed.") == 2
    assert "Results: 0 of 4 attempts passed, 4 failed — failed every judged attempt." in text
    # Its attempts come from the test-run listing; every failed one is in a theme, and the text leads with them.
    assert any("read from GET /v1/test-runs?batchId=batch_Cl4Tm9Wq2Vz7Nb5k" in w for w in data["warnings"])
    assert sum(theme["count"] for theme in data["failureThemes"]) == data["failedAttempts"] == 7
    assert text.index("## Failure themes") < text.index("## Test cases")
    for theme in data["failureThemes"]:
        assert theme["remarks"] in text
    # The three wordings of the date of birth asked for twice are one theme, the largest; the two of the slot not
    # read back another (docs/themes.md).
    assert [(theme["count"], sorted(theme["jobIds"])) for theme in data["failureThemes"][:2]] == [
        (3, ["job_Fu3L1", "job_Fu3L2", "job_Fu3L3"]),
        (2, ["job_Bk5A2", "job_Bk5A4"]),
    ]
    # A test case's remarks are grouped as the batch's themes grouped them.
    returning = next(case for case in data["testCases"] if case["testCaseId"] == "tc_Fu3Lw8Nq5Pz1Ky7d")
    assert [(group["count"], group["wordings"]) for group in returning["results"]["failureRemarks"]] == [(3, 3), (1, 1)]
    assert "Failed 3 times (`job_Fu3L1`, `job_Fu3L2`, `job_Fu3L3`), judge's remarks in 3 wordings, for example:" in text

"""One page of an agent's batch runs as `summarize_batch_run_page` builds it: a row per batch run, the paging facts
(the API's, or derived when it leaves them out), what looks wrong, and the verdict.

tests/test_list.py drives the tool through the MCP protocol; these call the summary directly."""

from __future__ import annotations

from typing import Any

import pytest

from sigma_mcp.sigmamind.payloads import BatchRunPage
from sigma_mcp.tools.common import DEMO_NOTICE
from sigma_mcp.tools.list_batch_runs.output import BatchRunListSummary
from sigma_mcp.tools.list_batch_runs.summary import summarize_batch_run_page

AGENT = "agent_A"


def run(batch_id: str | None = "batch_1", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"createdDate": "2026-04-01T10:00:00Z", **fields}
    if batch_id is not None:
        body["batchId"] = batch_id
    return body


def summarize(body: dict[str, Any], page: int = 0, size: int = 20, **kwargs: Any) -> BatchRunListSummary:
    listing = BatchRunPage.model_validate(body)
    return summarize_batch_run_page(listing, agent_id=AGENT, page=page, size=size, **kwargs)


def test_live_data_by_default_and_demo_data_said_plainly() -> None:
    live = summarize({"data": [run()]})
    assert live.source == "sigmamind"
    assert live.verdict.startswith(f"Agent {AGENT}: 1 batch runs on page 0")
    assert DEMO_NOTICE not in live.warnings
    demo = summarize({"data": [run()]}, source="demo")
    assert demo.verdict.startswith(f"DEMO DATA — Agent {AGENT}: ")
    assert demo.warnings == [DEMO_NOTICE]
    empty = summarize({"data": []}, source="demo")
    assert empty.verdict == f"DEMO DATA — Agent {AGENT} has no batch runs."


def test_values_the_parser_ignored_are_reported() -> None:
    summary = summarize({"data": []}, ignored=("page (not a number)",))
    assert summary.warnings == ["The API sent values of unexpected types, which were ignored: `page (not a number)`."]


def test_a_row_per_batch_run_with_its_counts() -> None:
    body = {
        "data": [
            run(
                "batch_a",
                testCases=[{"attempt": 2}, {"attempt": 3}],
                successfulAttempts=3,
                failedAttempts=2,
                totalAttempts=5,
            ),
            run("batch_b", testCases=[], successfulAttempts=0, failedAttempts=0, totalAttempts=0),
            run("batch_c"),
        ]
    }
    rows = summarize(body).batchRuns
    assert rows[0].model_dump() == {
        "batchId": "batch_a",
        "createdDate": "2026-04-01T10:00:00Z",
        "testCaseCount": 2,
        "totalAttempts": 5,
        "successfulAttempts": 3,
        "failedAttempts": 2,
        "successRate": 0.6,
        "possiblyRunning": False,
    }
    assert (rows[1].testCaseCount, rows[1].successRate) == (0, None)
    assert (rows[2].testCaseCount, rows[2].totalAttempts, rows[2].successRate) == (None, None, None)


def test_a_row_derives_a_missing_count_and_keeps_counts_that_do_not_add_up() -> None:
    body = {
        "data": [
            run("batch_a", successfulAttempts=3, failedAttempts=1),
            run("batch_b", failedAttempts=1, totalAttempts=4),
            run("batch_c", successfulAttempts=3, totalAttempts=4),
            run("batch_d", successfulAttempts=3, failedAttempts=1, totalAttempts=9),
        ]
    }
    rows = summarize(body).batchRuns
    assert [(r.successfulAttempts, r.failedAttempts, r.totalAttempts) for r in rows] == [
        (3, 1, 4),
        (3, 1, 4),
        (3, 1, 4),
        (3, 1, 9),
    ]
    assert rows[3].successRate == 0.75


@pytest.mark.parametrize(
    ("test_cases", "total", "running"),
    [
        ([{"attempt": 2}, {"attempt": 3}], 4, True),
        ([{"attempt": 2}, {"attempt": 3}], 5, False),
        ([{"attempt": 2}, {"attempt": 3}], 6, False),
        ([{"attempt": 0}, {"attempt": 3}], 2, True),
        ([{"attempt": 0}, {"attempt": 3}], 3, False),
        ([{"attempt": 2}, {}], 1, False),  # a test case without attempts: nothing configured to compare with
        ([{"attempt": 2}, "junk"], 1, False),
        ([], 0, False),
        (None, 1, False),
    ],
)
def test_a_batch_run_with_fewer_results_than_configured_may_still_be_running(
    test_cases: list[Any] | None, total: int, running: bool
) -> None:
    fields: dict[str, Any] = {"successfulAttempts": total, "failedAttempts": 0, "totalAttempts": total}
    if test_cases is not None:
        fields["testCases"] = test_cases
    (row,) = summarize({"data": [run(**fields)]}).batchRuns
    assert row.possiblyRunning is running


def test_a_row_without_counts_is_not_running() -> None:
    (row,) = summarize({"data": [run(testCases=[{"attempt": 2}])]}).batchRuns
    assert row.possiblyRunning is False


def test_a_batch_run_without_id_is_flagged_and_shown_as_unknown() -> None:
    summary = summarize({"data": [run(None), run("batch_2")]})
    assert summary.warnings == ["A batch run on this page has no batchId."]
    assert summary.verdict.endswith("The newest is `?` (`2026-04-01T10:00:00Z`).")
    assert summarize({"data": [run("batch_2")]}).warnings == []


def test_no_data_list_is_said() -> None:
    summary = summarize({"page": 0})
    assert summary.batchRuns == []
    assert summary.warnings == ["The API's answer has no 'data' list, so no batch runs can be shown."]
    assert summarize({"data": []}).warnings == []


def test_a_page_larger_than_the_row_limit_is_cut_and_says_so() -> None:
    body = {"data": [run(f"batch_{n}") for n in range(5)]}
    summary = summarize(body, max_rows=3)
    assert [row.batchId for row in summary.batchRuns] == ["batch_0", "batch_1", "batch_2"]
    assert summary.warnings == [
        "2 of the 5 batch runs on this page are not shown, to keep the answer within its size budget; ask for a "
        "smaller size to see them all."
    ]
    exact = summarize(body, max_rows=5)
    assert len(exact.batchRuns) == 5
    assert exact.warnings == []


def test_a_different_page_in_the_answer_is_flagged() -> None:
    assert summarize({"data": [], "page": 2}, page=1).warnings == [
        "Asked for page 1, but the API answered with page 2."
    ]
    assert summarize({"data": [], "page": 1}, page=1).warnings == []
    assert summarize({"data": []}, page=1).warnings == []


@pytest.mark.parametrize(
    ("facts", "page", "has_next", "has_previous"),
    [
        ({"hasNext": True, "hasPrevious": False, "totalPages": 1}, 3, True, False),
        ({"hasNext": False, "hasPrevious": True}, 0, False, True),
        ({"totalPages": 3}, 1, True, True),
        ({"totalPages": 3}, 2, False, True),
        ({"totalPages": 2}, 0, True, False),
        ({"totalPages": 1}, 0, False, False),
        ({}, 1, None, True),
        ({}, 0, None, False),
    ],
)
def test_paging_facts_are_the_apis_or_derived(
    facts: dict[str, Any], page: int, has_next: bool | None, has_previous: bool
) -> None:
    summary = summarize({"data": [run()], **facts}, page=page)
    assert summary.hasNext is has_next
    assert summary.hasPrevious is has_previous


def test_the_agent_name_comes_from_the_first_batch_run_that_has_one() -> None:
    body = {
        "data": [
            run("batch_1"),
            run("batch_2", agent={"agentId": AGENT}),
            run("batch_3", agent={"name": "Support\nAgent"}),
            run("batch_4", agent={"name": "Later name"}),
        ]
    }
    assert summarize(body).agentName == "Support Agent"
    assert summarize({"data": [run("batch_1", agent={"name": ""})]}).agentName is None


@pytest.mark.parametrize(
    ("body", "page", "verdict"),
    [
        ({"data": []}, 0, f"Agent {AGENT} has no batch runs."),
        ({"data": [], "totalCount": 12}, 3, f"Agent {AGENT} has no batch runs on page 3 (it has 12 in all)."),
        ({"data": []}, 1, f"Agent {AGENT} has no batch runs on page 1."),
        (
            {"data": [run("batch_9", successfulAttempts=1, failedAttempts=2), run("batch_8")], "totalCount": 7},
            0,
            f"Agent {AGENT}: 2 of 7 batch runs on page 0, newest first. The newest is `batch_9` "
            "(`2026-04-01T10:00:00Z`, 33.3% of attempts passed).",
        ),
        (
            {"data": [{"batchId": "batch_9"}]},
            1,
            f"Agent {AGENT}: 1 batch runs on page 1, newest first. Page 1's newest is `batch_9` (date unknown).",
        ),
    ],
)
def test_verdicts(body: dict[str, Any], page: int, verdict: str) -> None:
    assert summarize(body, page=page).verdict == verdict


def rated(rates: list[float | None], *, running: frozenset[int] = frozenset()) -> dict[str, Any]:
    """A page whose batch runs have these success rates in percent, given oldest first (the page lists them newest
    first): batch_0 is the oldest. None is a batch run without judged attempts; the indexes in `running` have
    fewer results than their test cases configure."""
    runs = []
    for number, rate in enumerate(rates):
        fields: dict[str, Any] = {}
        if rate is not None:
            passed = round(rate * 10)
            fields = {"successfulAttempts": passed, "failedAttempts": 1000 - passed, "totalAttempts": 1000}
        if number in running:
            fields["testCases"] = [{"attempt": 2000}]
        runs.append(run(f"batch_{number}", **fields))
    return {"data": runs[::-1]}


@pytest.mark.parametrize(
    ("rates", "direction", "change"),
    [
        ([62, 70, 68, 81, 84], "improving", 22.0),
        ([60, 64, 68, 72], "improving", 12.0),  # no single step above 5 points, but 12 in all
        ([60, 80, 75, 90], "improving", 30.0),  # a fall of exactly 5 points is within the threshold
        ([80, 85.1], "improving", 5.1),
        ([90, 80, 82, 70], "declining", -20.0),
        ([80, 74.9], "declining", -5.1),
        ([90, 70, 75, 60], "declining", -30.0),
        ([80, 84, 81, 85], "steady", 5.0),  # all within 5 points of each other
        ([80, 85], "steady", 5.0),
        ([85, 80], "steady", -5.0),
        ([50, 50], "steady", 0.0),
        ([60, 80, 72, 90], "mixed", 30.0),  # up by 20, down by 8: not one way, though far up in all
        ([90, 70, 78, 60], "mixed", -30.0),
        ([80, 50, 80], "mixed", 0.0),  # down and back: not steady
        ([60, 70, 66, 62], "mixed", 2.0),  # up and slowly back: no step above 5 points down, but 8 in all
        ([65, 60, 70, 65], "mixed", 0.0),
        ([80, 91.7, 58.3], "mixed", -21.7),
    ],
)
def test_the_trend_direction_and_change(rates: list[float], direction: str, change: float) -> None:
    trend = summarize(rated(list(rates))).trend
    assert trend is not None
    assert (trend.direction, trend.changePoints, trend.steadyWithinPoints) == (direction, change, 5.0)


def test_the_trend_is_oldest_first_with_the_best_and_worst_runs() -> None:
    trend = summarize(rated([62, 70, 68, 81, 84])).trend
    assert trend is not None
    assert trend.model_dump() == {
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
        "runsWithoutResults": 0,
        "runsPossiblyRunning": 0,
    }


@pytest.mark.parametrize(
    ("rates", "best", "worst"),
    [
        ([70, 90, 70, 90, 80], "batch_3", "batch_2"),
        ([90, 70, 90, 70], "batch_2", "batch_3"),
        ([50, 50, 50], "batch_2", "batch_2"),
        ([40, 60, 60, 40, 50], "batch_2", "batch_3"),
    ],
)
def test_of_equal_rates_the_newer_run_is_the_best_or_the_worst(rates: list[float], best: str, worst: str) -> None:
    trend = summarize(rated(list(rates))).trend
    assert trend is not None
    assert (trend.best.batchId, trend.worst.batchId) == (best, worst)


def test_runs_without_a_final_rate_are_left_out_of_the_trend_and_counted() -> None:
    body = rated([60, None, 70, 95, None, 80], running=frozenset({3}))
    body["data"].insert(2, run("batch_empty", successfulAttempts=0, failedAttempts=0, totalAttempts=0))
    summary = summarize(body)
    trend = summary.trend
    assert trend is not None
    assert [point.batchId for point in trend.runs] == ["batch_0", "batch_2", "batch_5"]
    assert (trend.runsWithoutResults, trend.runsPossiblyRunning) == (3, 1)
    assert (trend.direction, trend.changePoints) == ("improving", 20.0)
    assert trend.best.batchId == "batch_5"  # not batch_3, which may still be running
    assert summary.verdict.endswith(
        " Success rate across the 3 with final results: improving (+20 points, oldest to newest)."
    )


@pytest.mark.parametrize(
    ("rates", "running"),
    [
        ([], frozenset()),
        ([70], frozenset()),
        ([70, None], frozenset()),
        ([None, 70, None], frozenset()),
        ([70, 80], frozenset({1})),
    ],
)
def test_fewer_than_two_runs_with_a_final_rate_have_no_trend(
    rates: list[float | None], running: frozenset[int]
) -> None:
    summary = summarize(rated(rates, running=running))
    assert summary.trend is None
    assert "Success rate across" not in summary.verdict


def test_the_verdict_names_the_direction() -> None:
    assert summarize(rated([90, 80, 82, 70])).verdict == (
        f"Agent {AGENT}: 4 batch runs on page 0, newest first. The newest is `batch_3` (`2026-04-01T10:00:00Z`, "
        "70% of attempts passed). Success rate across the 4 with final results: declining (-20 points, oldest to "
        "newest)."
    )

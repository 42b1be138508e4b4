"""The comparison of two batch runs, as `compare_batch_runs` builds it from the two payloads: which test cases are
the same, what changed in their configuration, each one's change in percentage points, and the verdict.

tests/test_compare.py drives the tool through the MCP protocol; these call the summary directly."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sigma_mcp.sigmamind.payloads import BatchRunPayload
from sigma_mcp.tools.common import DEMO_NOTICE
from sigma_mcp.tools.compare_batch_runs.output import ComparisonSummary
from sigma_mcp.tools.compare_batch_runs.summary import compare_batch_runs, listed

AGENT = "agent_A"


def runs(passed: int, failed: int, pending: int = 0) -> list[dict[str, Any]]:
    verdicts = [True] * passed + [False] * failed + [None] * pending
    return [{"jobId": f"job_{n}", "isSuccessful": verdict} for n, verdict in enumerate(verdicts)]


def case(
    test_case_id: str | None, label: Any = None, *, records: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"label": label, **fields}
    if test_case_id is not None:
        body["testCaseId"] = test_case_id
    if records is not None:
        body["testRuns"] = records
    return body


def batch(*cases: dict[str, Any], passed: int = 1, failed: int = 1, **fields: Any) -> BatchRunPayload:
    body: dict[str, Any] = {
        "testCases": list(cases),
        "successfulAttempts": passed,
        "failedAttempts": failed,
        "totalAttempts": passed + failed,
        **fields,
    }
    return BatchRunPayload.model_validate(body)


def compare(base: BatchRunPayload, candidate: BatchRunPayload, **kwargs: Any) -> ComparisonSummary:
    return compare_batch_runs(
        base, candidate, agent_id=AGENT, base_batch_id="batch_old", candidate_batch_id="batch_new", **kwargs
    )


def test_live_data_by_default_and_demo_data_said_plainly() -> None:
    live = compare(batch(), batch())
    assert live.source == "sigmamind"
    assert not live.verdict.startswith("DEMO")
    assert DEMO_NOTICE not in live.warnings
    demo = compare(batch(), batch(), source="demo")
    assert demo.source == "demo"
    assert demo.verdict.startswith("DEMO DATA — No change: 50% of attempts passed in batch_new")
    assert demo.warnings[0] == DEMO_NOTICE
    assert demo.advice[-1].startswith("To see real data, set SIGMAMIND_API_KEY")


def test_values_the_parser_ignored_are_reported() -> None:
    summary = compare(batch(), batch(), ignored=("testCases[0].attempt (not a number)",))
    assert summary.warnings == [
        "The API sent values of unexpected types, which were ignored: `testCases[0].attempt (not a number)`."
    ]


def test_the_same_batch_run_twice_is_flagged() -> None:
    summary = compare_batch_runs(batch(), batch(), agent_id=AGENT, base_batch_id="b", candidate_batch_id="b")
    assert "baseBatchId and candidateBatchId are the same batch run, so nothing can differ." in summary.warnings


def test_count_problems_and_other_agents_are_named_per_side() -> None:
    base = BatchRunPayload.model_validate(
        {"successfulAttempts": 3, "failedAttempts": 1, "agent": {"agentId": "agent_B"}}
    )
    candidate = BatchRunPayload.model_validate({"totalAttempts": 4, "failedAttempts": 2})
    summary = compare(base, candidate)
    assert summary.warnings == [
        "Base batch run batch_old: totalAttempts was missing; derived as successfulAttempts + failedAttempts = 4.",
        f"The data belongs to agent `agent_B`, not the requested `{AGENT}`.",
        "Candidate batch run batch_new: successfulAttempts was missing; derived as totalAttempts - failedAttempts = 2.",
    ]
    assert (summary.base.totalAttempts, summary.base.successfulAttempts, summary.base.failedAttempts) == (4, 3, 1)
    assert (summary.candidate.successfulAttempts, summary.candidate.failedAttempts) == (2, 2)


def test_each_side_says_what_it_ran_and_when() -> None:
    summary = compare(
        batch(case("tc_1"), case("tc_2"), createdDate="2026-04-01T10:00:00Z", passed=3, failed=1),
        batch(case("tc_1"), createdDate="2026-04-02T10:00:00Z", passed=1, failed=3),
    )
    assert summary.base.model_dump() == {
        "batchId": "batch_old",
        "createdDate": "2026-04-01T10:00:00Z",
        "totalAttempts": 4,
        "successfulAttempts": 3,
        "failedAttempts": 1,
        "successRate": 0.75,
        "testCaseCount": 2,
        "cacheAgeSeconds": None,
    }
    assert summary.candidate.createdDate == "2026-04-02T10:00:00Z"
    assert summary.candidate.testCaseCount == 1


def test_test_cases_are_matched_by_id_else_by_label() -> None:
    base = batch(case("tc_1", "Old name"), case(None, "Refund"), case(None, "Gone"), case("tc_9", "Nine"))
    candidate = batch(case("tc_1", "New name"), case(None, "Refund"), case(None, "New"), case("tc_8", 8))
    summary = compare(base, candidate)
    assert (summary.testCasesUnchangedCount, summary.testCasesChangedCount) == (2, 0)
    assert [(ref.testCaseId, ref.label) for ref in summary.testCasesAdded] == [(None, "New"), ("tc_8", None)]
    assert [(ref.testCaseId, ref.label) for ref in summary.testCasesRemoved] == [(None, "Gone"), ("tc_9", "Nine")]
    assert (summary.testCasesAddedCount, summary.testCasesRemovedCount) == (2, 2)


def test_test_cases_without_id_or_label_and_repeated_ids_are_counted_per_side() -> None:
    base = batch(case(None), case(None, ""), case(None, 7), case("tc_1"))
    candidate = batch(case("tc_1"), case("tc_1"), case("tc_1", "again"), case(None))
    summary = compare(base, candidate)
    assert summary.warnings == [
        "3 test cases of the base batch run have neither id nor label and are not compared.",
        "1 test cases of the candidate batch run have neither id nor label and are not compared.",
        "2 test cases of the candidate batch run repeat an id; only the first is compared.",
    ]
    assert summary.testCasesUnchangedCount == 1


@pytest.mark.parametrize(
    ("base_date", "candidate_date", "warned"),
    [
        ("2026-04-02T10:00:00Z", "2026-04-01T10:00:00Z", True),
        ("2026-04-01T10:00:00Z", "2026-04-01T10:00:00Z", False),
        ("2026-04-01T10:00:00Z", "2026-04-02T10:00:00Z", False),
        ("2026-04-02T10:00:00Z", None, False),
        (None, "2026-04-01T10:00:00Z", False),
        ("not a date", "2026-04-01T10:00:00Z", False),
    ],
)
def test_a_base_newer_than_the_candidate_is_flagged(
    base_date: str | None, candidate_date: str | None, warned: bool
) -> None:
    summary = compare(batch(createdDate=base_date), batch(createdDate=candidate_date))
    swap = (
        "The base batch run is newer than the candidate; if you meant to judge the newer one, swap "
        "baseBatchId and candidateBatchId."
    )
    assert (swap in summary.warnings) is warned


FULL: dict[str, Any] = {
    "successCriteria": "Refund within 5 days.",
    "userPrompt": "You want a refund.",
    "llmModel": "gpt-4o-mini",
    "mockData": [{"variableName": "order", "value": "A1"}, {"variableName": "total", "value": 9.5}],
    "attempt": 3,
}


def changes_of(
    base_fields: dict[str, Any], candidate_fields: dict[str, Any]
) -> list[tuple[str, str | None, str | None]]:
    summary = compare(batch(case("tc_1", "Old", **base_fields)), batch(case("tc_1", "New", **candidate_fields)))
    assert summary.testCasesChangedCount == len(summary.testCasesChanged)
    if not summary.testCasesChanged:
        return []
    (changed,) = summary.testCasesChanged
    assert (changed.testCaseId, changed.label) == ("tc_1", "New")
    return [(change.field, change.before, change.after) for change in changed.changes]


def test_every_compared_field_can_change_at_once() -> None:
    other = {
        "successCriteria": "Refund within 2 days.",
        "userPrompt": "You want a replacement.",
        "llmModel": "gpt-4o",
        "mockData": [{"variableName": "order", "value": "B2"}],
        "attempt": 5,
    }
    assert changes_of(FULL, other) == [
        ("successCriteria", "Refund within 5 days.", "Refund within 2 days."),
        ("userPrompt", "You want a refund.", "You want a replacement."),
        ("llmModel", "gpt-4o-mini", "gpt-4o"),
        ("mockData", "order=A1; total=9.5", "order=B2"),
        ("attempt", "3", "5"),
    ]


def test_fields_added_or_removed_are_changes_from_or_to_nothing() -> None:
    removed = changes_of(FULL, {})
    assert removed == [
        ("successCriteria", "Refund within 5 days.", None),
        ("userPrompt", "You want a refund.", None),
        ("llmModel", "gpt-4o-mini", None),
        ("mockData", "order=A1; total=9.5", ""),
        ("attempt", "3", None),
    ]
    added = changes_of({}, FULL)
    assert added == [(name, after, before) for name, before, after in removed]


def test_only_configuration_changes_count() -> None:
    assert changes_of(FULL, FULL) == []
    assert changes_of(FULL, {**FULL, "agent": {"name": "another"}, "workspaceId": "w"}) == []
    # Different JSON for the same configuration: a count sent as text is the same count.
    assert changes_of(FULL, {**FULL, "attempt": "3"}) == []


def test_a_changed_text_is_cleaned_and_capped() -> None:
    (change,) = changes_of(FULL, {**FULL, "userPrompt": "line\x00 one\r\n" + "x" * 400})
    assert change[0] == "userPrompt"
    assert change[2] is not None
    assert change[2].startswith("line one\nxxx")
    assert change[2].endswith("… [109 more characters not shown]")


def delta_case(test_case_id: str, passed: int, failed: int, pending: int = 0) -> dict[str, Any]:
    return case(test_case_id, f"Case {test_case_id}", records=runs(passed, failed, pending))


def test_deltas_only_for_test_cases_with_results_on_both_sides_biggest_drop_first() -> None:
    base = batch(
        delta_case("up", 1, 1),
        delta_case("unknown", 0, 0, 2),
        delta_case("down", 2, 0),
        delta_case("same", 1, 1),
        delta_case("base_only", 1, 0),
        case("candidate_only", "x"),
    )
    candidate = batch(
        delta_case("up", 2, 0),
        delta_case("unknown", 1, 0),
        delta_case("down", 1, 1),
        delta_case("same", 2, 2),
        case("base_only", "x"),
        delta_case("candidate_only", 0, 1),
    )
    summary = compare(base, candidate)
    assert summary.testCaseDeltasCount == 4
    assert [(d.testCaseId, d.label, d.changePoints) for d in summary.testCaseDeltas] == [
        ("down", "Case down", -50.0),
        ("unknown", "Case unknown", None),  # no judged attempt in the base: no rate, sorted as no change
        ("same", "Case same", 0.0),
        ("up", "Case up", 50.0),
    ]
    down = summary.testCaseDeltas[0]
    assert (down.basePassed, down.baseFailed, down.candidatePassed, down.candidateFailed) == (2, 0, 1, 1)


def test_a_change_too_small_to_show_is_zero_never_minus_zero() -> None:
    summary = compare(batch(passed=5001, failed=4999), batch(passed=1, failed=1))
    assert summary.successRateChangePoints == 0.0
    assert math.copysign(1.0, summary.successRateChangePoints) == 1.0
    assert summary.verdict.startswith("No change: 50% of attempts passed in batch_new against 50% in batch_old.")


@pytest.mark.parametrize(
    ("base", "candidate", "verdict"),
    [
        ((100, 100), (101, 99), "Improvement: 50.5% of attempts passed in batch_new against 50% in batch_old (+0.5 "),
        ((101, 99), (100, 100), "Regression: 50% of attempts passed in batch_new against 50.5% in batch_old (-0.5 "),
        ((0, 0), (1, 1), "Cannot compare success rates: batch run batch_old has no judged attempts."),
        ((1, 1), (0, 0), "Cannot compare success rates: batch run batch_new has no judged attempts."),
    ],
)
def test_verdicts_at_their_edges(base: tuple[int, int], candidate: tuple[int, int], verdict: str) -> None:
    summary = compare(batch(passed=base[0], failed=base[1]), batch(passed=candidate[0], failed=candidate[1]))
    assert summary.verdict.startswith(verdict)


def test_the_verdict_counts_each_kind_of_test_case_difference() -> None:
    base = batch(case("kept", **FULL), case("changed", **FULL), case("gone_1"), case("gone_2"))
    candidate = batch(case("kept", **FULL), case("changed", **{**FULL, "attempt": 9}), case("new_1"))
    summary = compare(base, candidate)
    assert summary.verdict == (
        "No change: 50% of attempts passed in batch_new against 50% in batch_old. The two did not run the same "
        "tests (1 test case added, 2 test cases removed, 1 test case changed), so not all of the change is the "
        "agent's."
    )


def test_lists_are_capped_and_listed_says_how_long_the_longest_is() -> None:
    base = batch(*(case(f"gone_{n}") for n in range(4)), *(delta_case(f"d{n}", 1, 0) for n in range(3)))
    candidate = batch(*(case(f"new_{n}") for n in range(2)), *(delta_case(f"d{n}", 0, 1) for n in range(3)))
    summary = compare(base, candidate, max_listed=3)
    assert [len(summary.testCasesRemoved), summary.testCasesRemovedCount] == [3, 4]
    assert [len(summary.testCasesAdded), summary.testCasesAddedCount] == [2, 2]
    assert [len(summary.testCaseDeltas), summary.testCaseDeltasCount] == [3, 3]
    assert listed(summary) == 3
    # Each list in turn the longest.
    assert listed(compare(batch(case("x"), case("y")), batch())) == 2
    assert listed(compare(batch(), batch(case("x"), case("y")))) == 2
    assert listed(compare(batch(case("x", **FULL), case("y", **FULL)), batch(case("x"), case("y")))) == 2
    deltas = [delta_case(f"d{n}", 1, 0) for n in range(2)]
    assert listed(compare(batch(*deltas), batch(*deltas))) == 2

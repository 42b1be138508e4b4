"""Which test cases a get_batch_run summary shows, and in how much detail: the window (offset, limit, one test case
by id), the two budgets it must fit (text and data, shared by the test cases shown), the smaller forms of a test
case too large on its own, and the whole-batch checks and verdict beside them.

These call `summarize_batch_run` directly; tests/test_bounds.py checks the same through the protocol at scale."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sigma_mcp.sigmamind.errors import Target
from sigma_mcp.sigmamind.payloads import BatchRunPayload, parse_object
from sigma_mcp.tools.common import json_size
from sigma_mcp.tools.get_batch_run.output import BatchRunSummary, CaseSummary
from sigma_mcp.tools.get_batch_run.summary import Window, summarize_batch_run

BATCH, AGENT = "batch_s0OJu2JWR8R45Fai", "agent_D5D0p7TUs66TTAEAx"
TARGET = Target(description="batch run", not_found_hint="")


def tc(number: int, *, attempt: Any = 2, records: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "testCaseId": f"tc_{number}",
        "label": f"Case {number}",
        "llmModel": "gpt-4o-mini",
        "userPrompt": f"Persona {number}.",
        "successCriteria": f"Criteria {number}.",
        "attempt": attempt,
        **fields,
    }
    if records is not None:
        body["testRuns"] = records
    return body


def failed(*jobs: str, remarks: str | None = "Missed it.") -> list[dict[str, Any]]:
    return [{"jobId": job, "isSuccessful": False, "remarks": remarks} for job in jobs]


def summarize(*cases: Any, counts: tuple[int, int, int] | None = (1, 1, 2), **kwargs: Any) -> BatchRunSummary:
    body: dict[str, Any] = {"batchId": BATCH, "testCases": list(cases)}
    if counts is not None:
        body.update(successfulAttempts=counts[0], failedAttempts=counts[1], totalAttempts=counts[2])
    parsed = parse_object(BatchRunPayload, json.dumps(body).encode(), TARGET)
    return summarize_batch_run(parsed.value, batch_id=BATCH, agent_id=AGENT, ignored=parsed.ignored, **kwargs)


def ids(summary: BatchRunSummary) -> list[str | None]:
    return [case.testCaseId for case in summary.testCases]


def size(case: CaseSummary) -> int:
    return json_size(case.model_dump(mode="json"))


def test_live_data_by_default() -> None:
    summary = summarize(tc(1))
    assert summary.source == "sigmamind"
    assert summary.warnings == []


def test_an_empty_list_of_test_cases_is_flagged_but_a_missing_one_is_only_missing() -> None:
    assert summarize().warnings == ["The batch run lists no test cases."]
    assert "The batch run lists no test cases." in summarize("junk").warnings
    missing = summarize_batch_run(BatchRunPayload(), batch_id=BATCH, agent_id=AGENT)
    assert "The batch run lists no test cases." not in missing.warnings
    assert "testCases" in missing.missingFields


def test_a_batch_id_without_its_prefix_is_the_same_batch_run() -> None:
    body = BatchRunPayload(
        batchId=BATCH.removeprefix("batch_"), testCases=[tc(1)], successfulAttempts=1, failedAttempts=1, totalAttempts=2
    )
    assert summarize_batch_run(body, batch_id=BATCH, agent_id=AGENT).warnings == []


def test_offset_and_limit_page_through_the_order() -> None:
    cases = [tc(n) for n in range(5)]
    first = summarize(*cases, window=Window(limit=2))
    assert ids(first) == ["tc_0", "tc_1"]
    assert (first.offset, first.nextOffset, first.testCasesNotShown) == (0, 2, 3)
    last = summarize(*cases, window=Window(offset=3, limit=2))
    assert ids(last) == ["tc_3", "tc_4"]
    assert (last.nextOffset, last.testCasesNotShown) == (None, 3)
    assert summarize(*cases, window=Window(limit=5)).nextOffset is None


def test_an_offset_at_or_past_the_end_shows_nothing_and_says_so() -> None:
    cases = [tc(n) for n in range(3)]
    counts = (3, 3, 6)
    assert summarize(*cases, counts=counts, window=Window(offset=2)).warnings == []
    at_end = summarize(*cases, counts=counts, window=Window(offset=3))
    assert at_end.testCases == []
    assert at_end.warnings == ["offset 3 is past the last of the 3 test cases; none are shown."]
    past = summarize(*cases, counts=counts, window=Window(offset=4))
    assert past.testCases == []
    assert past.warnings == ["offset 4 is past the last of the 3 test cases; none are shown."]
    assert summarize(window=Window(offset=4)).warnings == ["The batch run lists no test cases."]


def test_one_test_case_by_id_is_shown_in_full() -> None:
    prompt = "p" * 1500
    summary = summarize(tc(1), tc(2, userPrompt=prompt), tc(3), window=Window(test_case_id="tc_2"))
    assert ids(summary) == ["tc_2"]
    assert summary.testCaseFilter == "tc_2"
    assert summary.testCases[0].userPrompt == prompt
    assert (summary.testCaseCount, summary.testCasesNotShown, summary.nextOffset) == (3, 0, None)
    listed = summarize(tc(1), tc(2, userPrompt=prompt), tc(3))
    assert listed.testCaseFilter is None
    assert listed.testCases[1].userPrompt == "p" * 1000 + "… [500 more characters not shown]"


def test_a_page_shows_limited_detail_of_each_test_case() -> None:
    variables = [{"variableName": f"v{n}", "value": "x" * 300} for n in range(25)]
    (case,) = summarize(tc(1, mockData=variables, successCriteria="c" * 1200)).testCases
    assert len(case.mockData) == 20
    assert case.mockDataNotShown == 5
    assert case.mockData["v0"] == "x" * 200 + "… [100 more characters not shown]"
    assert case.successCriteria == "c" * 1000 + "… [200 more characters not shown]"


def test_both_budgets_are_shared_by_the_test_cases_shown() -> None:
    cases = [tc(n) for n in range(4)]
    whole = summarize(*cases)
    sizes = [size(case) for case in whole.testCases]
    assert len(set(sizes)) == 1
    each = sizes[0]
    # Exactly two fit the data budget; three do not.
    assert ids(summarize(*cases, data_budget=2 * each)) == ["tc_0", "tc_1"]
    assert ids(summarize(*cases, data_budget=3 * each - 1)) == ["tc_0", "tc_1"]
    assert ids(summarize(*cases, data_budget=3 * each)) == ["tc_0", "tc_1", "tc_2"]
    # The text budget likewise, with the renderer's cost of each.
    assert ids(summarize(*cases, text_cost=lambda case: 100, text_budget=200)) == ["tc_0", "tc_1"]
    assert ids(summarize(*cases, text_cost=lambda case: 100, text_budget=299)) == ["tc_0", "tc_1"]
    # Either budget alone stops the page.
    assert ids(summarize(*cases, text_cost=lambda case: 100, text_budget=100, data_budget=10 * each)) == ["tc_0"]
    assert ids(summarize(*cases, text_cost=lambda case: 0, text_budget=0, data_budget=each)) == ["tc_0"]
    # Without a text cost only the data counts.
    assert ids(summarize(*cases, text_budget=0)) == ["tc_0", "tc_1", "tc_2", "tc_3"]
    assert summarize(*cases, data_budget=2 * each).nextOffset == 2


def test_a_first_test_case_too_large_alone_is_shown_compact_and_the_next_is_left_for_the_next_page() -> None:
    big = tc(0, userPrompt="p" * 1500, successCriteria="c" * 1500)
    normal = summarize(big).testCases[0]
    compact_budget = size(normal) - 1
    summary = summarize(big, tc(1, userPrompt="p" * 1500, successCriteria="c" * 1500), data_budget=compact_budget)
    assert ids(summary) == ["tc_0"]
    assert summary.testCases[0].userPrompt == "p" * 300 + "… [1200 more characters not shown]"
    assert summary.nextOffset == 1
    # When nothing fits at all, the first is still shown, in the smallest form.
    tiny = summarize(big, tc(1), data_budget=10)
    assert ids(tiny) == ["tc_0"]
    assert tiny.testCases[0].userPrompt == "p" * 300 + "… [1200 more characters not shown]"


def test_one_test_case_by_id_too_large_in_full_is_shown_in_normal_detail() -> None:
    big = tc(0, userPrompt="p" * 1500)
    full = summarize(big, window=Window(test_case_id="tc_0")).testCases[0]
    summary = summarize(big, window=Window(test_case_id="tc_0"), data_budget=size(full) - 1)
    assert summary.testCases[0].userPrompt == "p" * 1000 + "… [500 more characters not shown]"


def test_values_of_unexpected_types_are_reported_for_every_test_case_shown() -> None:
    cases = [tc(0, llmModel={"x": 1}), tc(1, llmModel=[2]), tc(2, records=[{"jobId": "x"}, "junk"])]
    warning = next(w for w in summarize(*cases).warnings if w.startswith("The API sent values of unexpected types"))
    assert "`testCases[0].llmModel (Input should be a valid string)`" in warning
    assert "`testCases[1].llmModel (Input should be a valid string)`" in warning
    assert "`testCases[2].testRuns[1] (not an object)`" in warning
    assert warning.endswith(".")
    assert not warning.endswith("..")


def test_repeated_mock_variables_are_named_per_test_case() -> None:
    twice = [{"variableName": "a", "value": 1}, {"variableName": "b", "value": 2}] * 2
    long_label = "L" * 85
    cases = [tc(n, mockData=twice) for n in range(6)] + [
        tc(6, mockData=twice, label=long_label),
        tc(7, mockData=twice[:2]),
    ]
    warning = next(w for w in summarize(*cases).warnings if w.startswith("Mock variables defined more than once"))
    assert warning.startswith(
        "Mock variables defined more than once in a test case (every value is kept, numbered in order): "
    )
    assert [f"`Case {n}`: `a`, `b`" in warning for n in range(7)] == [True] * 5 + [False] * 2
    assert warning.endswith("; and 2 more.")
    only_long = next(w for w in summarize(cases[6]).warnings if w.startswith("Mock variables defined more than once"))
    assert f"`{'L' * 80}… [5 more characters not shown]`: `a`, `b`" in only_long


def test_failed_attempts_are_grouped_by_remarks_with_their_job_ids() -> None:
    records = [
        *failed("job_a", "job_b"),
        {"isSuccessful": False, "remarks": "Missed it."},
        {"jobId": "j" * 130, "isSuccessful": False, "remarks": "Other."},
        {"jobId": "job_p", "isSuccessful": True, "remarks": "Fine."},
    ]
    (case,) = summarize(tc(1, records=records), counts=(1, 4, 5)).testCases
    assert case.results is not None
    groups = [(g.remarks, g.count, g.jobIds) for g in case.results.failureRemarks]
    assert groups == [
        ("Missed it.", 3, ["job_a", "job_b"]),
        ("Other.", 1, ["j" * 128 + "… [2 more characters not shown]"]),
    ]
    assert case.results.moreRemarkGroups == 0


def test_the_largest_groups_of_remarks_come_first_and_the_rest_are_counted() -> None:
    reasons = ["refund", "address", "greeting", "payment", "policy", "hours", "warranty"]
    records = [
        r
        for g in range(1, 8)
        for r in failed(*(f"job_{g}_{n}" for n in range(g)), remarks=f"Never mentioned the {reasons[g - 1]}.")
    ]
    (case,) = summarize(tc(1, records=records), counts=(0, 28, 28)).testCases
    assert case.results is not None
    assert [g.count for g in case.results.failureRemarks] == [7, 6, 5, 4, 3]
    assert case.results.moreRemarkGroups == 2
    assert [len(g.jobIds) for g in case.results.failureRemarks] == [7, 6, 5, 4, 3]


@pytest.mark.parametrize(
    ("cases", "configured"),
    [
        ([tc(1, attempt=2), tc(2, attempt=3)], 5),
        ([tc(1, attempt=0), tc(2, attempt=3)], 3),
        ([tc(1, attempt=2), tc(2, attempt=None)], None),
        ([tc(1, attempt=2), "junk"], None),
        ([], None),
    ],
)
def test_configured_attempts_need_every_test_case(cases: list[Any], configured: int | None) -> None:
    assert summarize(*cases, counts=(5, 0, 5)).configuredAttempts == configured


def test_progress_against_the_configured_attempts() -> None:
    running = summarize(tc(1, attempt=5), counts=(1, 1, 2))
    assert running.verdict == (
        f"Batch run {BATCH}: 1 of 2 attempts passed (50%), 1 failed — possibly still running (2 of 5 configured "
        "attempts have results)."
    )
    assert running.warnings == [
        "Only 2 of the 5 attempts the test cases configure have results: the batch run may still be running. Call "
        "get_batch_run again later for the final counts."
    ]
    edited = summarize(tc(1, attempt=1), counts=(1, 1, 2))
    assert edited.warnings == [
        "2 attempts have results but the test cases configure only 1; the test cases may have been edited after "
        "this run."
    ]
    assert summarize(tc(1, attempt=2), counts=(1, 1, 2)).warnings == []


def test_per_attempt_results_are_checked_against_the_counts() -> None:
    with_records = tc(1, records=failed("job_a"))
    without = tc(2)
    partial = summarize(with_records, without, counts=(0, 1, 1))
    assert "Only 1 of the 2 test cases carry per-attempt results; the others show their configuration only." in (
        partial.warnings
    )
    agreeing = summarize(with_records, counts=(0, 1, 1))
    assert not any("per-attempt results add up" in w for w in agreeing.warnings)
    disagreeing = summarize(with_records, counts=(3, 1, 4))
    assert (
        "The per-attempt results add up to 0 passed and 1 failed, but the batch run's counts say 3 passed and 1 "
        "failed." in disagreeing.warnings
    )


@pytest.mark.parametrize(
    ("counts", "cases", "verdict"),
    [
        ((1, 0, 1), [tc(1, attempt=1)], f"Batch run {BATCH} passed: all 1 attempts succeeded (100%)."),
        ((0, 1, 1), [tc(1, attempt=1)], f"Batch run {BATCH} failed: all 1 attempts failed (0%)."),
        (
            (0, 0, 0),
            [tc(1, attempt=None)],
            f"Batch run {BATCH}: no attempts have results yet; it may still be running.",
        ),
        ((0, 0, 0), [tc(1, attempt=0)], f"Batch run {BATCH}: no attempts have results yet; it may still be running."),
        (None, [tc(1)], f"Batch run {BATCH}: the API did not report how many attempts passed or failed."),
    ],
)
def test_verdicts(counts: tuple[int, int, int] | None, cases: list[Any], verdict: str) -> None:
    assert summarize(*cases, counts=counts).verdict == verdict


def test_a_verdict_with_only_failures_counted_says_nothing_was_reported() -> None:
    body = BatchRunPayload(batchId=BATCH, testCases=[tc(1)], failedAttempts=1)
    summary = summarize_batch_run(body, batch_id=BATCH, agent_id=AGENT)
    assert summary.verdict == f"Batch run {BATCH}: the API did not report how many attempts passed or failed."

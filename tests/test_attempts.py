"""Per-attempt results inside a batch run's test cases, under whatever key: counts, grouped remarks,
failures first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import connect, settings_for
from tests.factories import make_batch_run, make_test_case
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT, text_of
from tests.test_summary import summarize

ASKED_TWICE = "The agent asked for the order number twice."
_TOPIC_WORDS = (
    "invoice jacket kettle ladder mirror napkin orchard pillow quartz ribbon saddle tunnel umbrella violin walnut "
    "yogurt zipper anchor bucket candle dolphin engine falcon garlic harbor island jungle lantern magnet noodle "
    "oyster pepper quiver rocket salmon tomato velvet wagon yacht zebra"
)
TOPICS = _TOPIC_WORDS.split()
"""Forty things that share no word, for remarks about forty different problems."""


def attempt(
    job: str, passed: bool | None, remarks: str | None = None, spelling: str = "isSuccessful"
) -> dict[str, Any]:
    return {"jobId": job, spelling: passed, "remarks": remarks}


def batch_with(*test_cases: dict[str, Any], passed: int, failed: int) -> dict[str, Any]:
    body = make_batch_run(0)
    body.update(
        testCases=list(test_cases), successfulAttempts=passed, failedAttempts=failed, totalAttempts=passed + failed
    )
    return body


def case(number: int, key: str, attempts: list[dict[str, Any]]) -> dict[str, Any]:
    body = make_test_case(number, attempts=len(attempts))
    body[key] = attempts
    return body


def test_identical_remarks_are_grouped_with_counts_and_job_ids() -> None:
    body = batch_with(
        case(
            1,
            "simulations",
            [
                attempt("job_a", False, ASKED_TWICE),
                attempt("job_b", False, "  The agent asked for\nthe order number   twice. "),
                attempt("job_c", False, "The agent never said how long the refund takes."),
                attempt("job_d", True, "Fine."),
                attempt("job_e", None),
                attempt("job_f", False, None, spelling="isSuccesful"),
            ],
        ),
        passed=1,
        failed=4,
    )
    summary = summarize(body)
    results = summary.testCases[0].results
    assert results is not None
    assert (results.passed, results.failed, results.pending) == (1, 4, 1)
    groups = [(group.remarks, group.count, group.jobIds) for group in results.failureRemarks]
    assert groups == [
        (ASKED_TWICE, 2, ["job_a", "job_b"]),
        ("The agent never said how long the refund takes.", 1, ["job_c"]),
        (None, 1, ["job_f"]),
    ]
    assert summary.testCasesWithFailures == 1


def test_failures_come_first_then_unknown_then_passes() -> None:
    all_passed = case(0, "runs", [attempt("job_p", True)])
    no_records = make_test_case(1)
    one_failure = case(2, "runs", [attempt("job_x", False, "x"), attempt("job_y", True)])
    two_failures = case(3, "runs", [attempt("job_m", False, "m"), attempt("job_n", False, "n")])
    summary = summarize(batch_with(all_passed, no_records, one_failure, two_failures, passed=2, failed=3))
    assert [tc.testCaseId for tc in summary.testCases] == ["tc_000003", "tc_000002", "tc_000001", "tc_000000"]
    assert summary.testCasesWithFailures == 2
    assert any("Only 3 of the 4 test cases carry per-attempt results" in w for w in summary.warnings)


def test_records_that_disagree_with_the_counts_are_flagged() -> None:
    summary = summarize(batch_with(case(1, "attempts", [attempt("job_a", False, "x")]), passed=1, failed=0))
    assert any("per-attempt results add up to 0 passed and 1 failed" in w for w in summary.warnings)


def test_lists_that_are_not_attempts_are_left_alone() -> None:
    body = make_test_case(1)
    body["tags"] = ["refund", "voice"]
    body["notes"] = [{"author": "qa", "text": "flaky"}]
    summary = summarize(batch_with(body, passed=3, failed=0))
    assert summary.testCases[0].results is None
    assert summary.testCasesWithFailures is None


def test_malformed_records_are_tolerated() -> None:
    records = [attempt("job_a", False, "x"), "junk", {"jobId": "job_b", "isSuccessful": "perhaps", "remarks": 5}]
    summary = summarize(batch_with(case(1, "testRuns", records), passed=0, failed=1))
    results = summary.testCases[0].results
    assert results is not None
    assert (results.failed, results.pending) == (1, 1)
    ignored = next(w for w in summary.warnings if "unexpected types" in w)
    assert "testRuns[1] (not an object)" in ignored
    assert "testRuns[2].isSuccessful" in ignored


def test_many_distinct_remarks_are_bounded() -> None:
    # Forty different problems (numbers alone would be details of one): each its own group.
    records = [attempt(f"job_{n}", False, f"Never mentioned the {word}.") for n, word in enumerate(TOPICS)]
    summary = summarize(batch_with(case(1, "testRuns", records), passed=0, failed=40))
    results = summary.testCases[0].results
    assert results is not None
    assert len(results.failureRemarks) == 5
    assert results.moreRemarkGroups == 35


@pytest.mark.anyio
async def test_remarks_and_next_call_through_the_protocol(api: FakeSigmaMind) -> None:
    body = batch_with(
        case(1, "testRuns", [attempt("job_a", False, ASKED_TWICE), attempt("job_b", False, ASKED_TWICE)]),
        passed=0,
        failed=2,
    )
    api.add_batch_run(body)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": "batch_large", "agentId": AGENT})
    text = text_of(result)
    assert f"Failed 2 times (`job_a`, `job_b`), judge's remarks:\n```text\n{ASKED_TWICE}\n```" in text
    assert f"call get_test_run with jobId=job_a, batchId=batch_large, agentId={AGENT}" in text

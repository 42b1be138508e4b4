"""What each summary suggests doing next: the exact calls (`nextSteps`, with the arguments to pass) and the advice
that is not a call, for batch runs, attempts, pages of batch runs and comparisons.

The summaries are built by the public summarize functions, as the tools build them."""

from __future__ import annotations

from typing import Any

import pytest

from sigma_mcp.tools.common import NextStep
from sigma_mcp.tools.get_batch_run.summary import Window
from sigma_mcp.tools.get_test_run.summary import TurnWindow
from sigma_mcp.tools.next_steps import DEMO_HINT
from sigma_mcp.tools.spec import MAX_LIST_PAGE
from tests.factories import make_test_run
from tests.test_attempt_summary import summarize as summarize_attempt
from tests.test_batch_run_window import AGENT, BATCH, failed, tc
from tests.test_batch_run_window import summarize as summarize_batch
from tests.test_comparison_summary import batch, case, delta_case
from tests.test_comparison_summary import compare as compare_runs
from tests.test_listing_summary import run
from tests.test_listing_summary import summarize as summarize_page

IDS = {"batchId": BATCH, "agentId": AGENT}
NO_RESULTS_ADVICE = (
    "The API sent no per-attempt results for this batch run, so the judge's remarks are not in it. get_test_run "
    "explains one attempt (verdict, remarks, transcript) given its jobId, which the SigmaMind dashboard shows; "
    "meanwhile compare each test case's success criteria with its persona and the agent's prompt."
)
NOTHING_FAILED = "Nothing failed in this batch run; no triage is needed."


def steps(summary: Any) -> list[tuple[str, dict[str, str | int], str]]:
    return [(step.tool, step.arguments, step.reason) for step in summary.nextSteps]


def calls(summary: Any, tool: str) -> list[NextStep]:
    return [step for step in summary.nextSteps if step.tool == tool]


# get_batch_run


def test_a_failed_attempt_per_group_of_remarks_largest_groups_first_three_at_most() -> None:
    cases = [
        tc(1, records=failed("job_1a", remarks="Alone.") + failed("job_1b", "job_1c", remarks="Shared.")),
        tc(2, records=failed("job_2a", "job_2b", "job_2c", remarks="Most.")),
        tc(3, records=failed("job_3a", remarks="Another.")),
    ]
    summary = summarize_batch(*cases, counts=(0, 7, 7))
    assert [(s.arguments, s.reason) for s in calls(summary, "get_test_run")] == [
        (
            {"jobId": "job_2a", **IDS},
            "Read one of the 3 failed attempts of test case tc_2 whose remarks say the same thing (its transcript and the "
            "judge's remarks in full)",
        ),
        (
            {"jobId": "job_1b", **IDS},
            "Read one of the 2 failed attempts of test case tc_1 whose remarks say the same thing (its transcript and the "
            "judge's remarks in full)",
        ),
        (
            {"jobId": "job_1a", **IDS},
            "Read the failed attempt of test case tc_1 with remarks of its own (its transcript and the judge's "
            "remarks in full)",
        ),
    ]


def test_no_advice_when_there_are_calls_to_make() -> None:
    summary = summarize_batch(tc(1, attempt=1, records=failed("job_1")), counts=(0, 1, 1))
    assert [s.tool for s in summary.nextSteps] == ["get_test_run", "list_batch_runs"]
    assert summary.advice == []


def test_a_batch_run_without_counts_is_called_again_while_attempts_are_configured() -> None:
    again = ("get_batch_run", IDS, "Call again later for the final counts: it may still be running")
    assert again in steps(summarize_batch(tc(1, attempt=1), counts=None))
    assert again not in steps(summarize_batch(tc(1, attempt=0), counts=None))


def test_only_ids_that_would_work_are_suggested() -> None:
    cases = [
        tc(1, records=failed("job a", "job_ok", remarks="Bad job id first.")),
        tc(2, records=failed("job_2", remarks="Fine."), testCaseId="tc 2"),
    ]
    summary = summarize_batch(*cases, counts=(0, 3, 3))
    assert [(s.arguments["jobId"], s.reason) for s in calls(summary, "get_test_run")] == [
        (
            "job_2",
            "Read the failed attempt with remarks of its own (its transcript and the judge's remarks in full)",
        )
    ]
    assert NO_RESULTS_ADVICE not in summary.advice


def test_without_per_attempt_results_the_advice_says_where_remarks_are() -> None:
    summary = summarize_batch(tc(1), counts=(1, 1, 2))
    assert summary.advice == [NO_RESULTS_ADVICE]
    passed = summarize_batch(tc(1, attempt=2), counts=(2, 0, 2))
    assert passed.advice == [NOTHING_FAILED]
    assert passed.nextSteps == []


def test_more_test_cases_to_see_are_one_call_away() -> None:
    cases = [tc(n) for n in range(5)]
    first = summarize_batch(*cases, counts=(5, 5, 10), window=Window(limit=2))
    assert calls(first, "get_batch_run") == [
        NextStep(
            tool="get_batch_run",
            arguments={**IDS, "offset": 2},
            reason="See the next test cases (3 more; testCaseId=<id> shows one in full)",
        )
    ]
    middle = summarize_batch(*cases, counts=(5, 5, 10), window=Window(offset=2, limit=2))
    assert [(s.arguments, s.reason) for s in calls(middle, "get_batch_run")] == [
        ({**IDS, "offset": 4}, "See the next test cases (1 more; testCaseId=<id> shows one in full)")
    ]


@pytest.mark.parametrize(("counts", "running"), [((1, 0, 1), True), ((1, 1, 2), False), (None, True)])
def test_a_batch_run_still_running_is_worth_calling_again(counts: tuple[int, int, int] | None, running: bool) -> None:
    summary = summarize_batch(tc(1, attempt=2), counts=counts)
    again = ("get_batch_run", IDS, "Call again later for the final counts: it may still be running")
    assert (again in steps(summary)) is running


def test_failures_suggest_comparing_with_an_earlier_run() -> None:
    summary = summarize_batch(tc(1), counts=(1, 1, 2))
    assert steps(summary) == [
        (
            "list_batch_runs",
            {"agentId": AGENT},
            "Did it get worse? List the earlier batch runs to compare one with this one (compare_batch_runs with "
            f"baseBatchId=<an earlier one>, candidateBatchId={BATCH})",
        )
    ]


def test_with_nothing_to_do_the_warnings_are_the_advice() -> None:
    summary = summarize_batch(counts=None)
    assert (summary.nextSteps, summary.advice) == (
        [],
        ["Check the warnings before drawing conclusions from these counts."],
    )
    empty = summarize_batch(counts=(0, 0, 0))
    assert empty.advice == ["Check the warnings before drawing conclusions from these counts."]


def test_demo_data_says_how_to_see_real_data() -> None:
    summary = summarize_batch(tc(1), counts=(2, 0, 2), source="demo")
    assert summary.advice == [NOTHING_FAILED, DEMO_HINT]


# get_test_run


def test_the_turns_not_shown_are_one_call_away() -> None:
    summary = summarize_attempt(make_test_run(turns=4), window=TurnWindow(max_turns=3))
    assert [t.turn for t in summary.conversation] == [1, 2, 4]
    assert calls(summary, "get_test_run") == [
        NextStep(
            tool="get_test_run",
            arguments={"jobId": "job_1", **IDS, "turnOffset": 2, "maxTurns": 1},
            reason="Turns 3–3 are not shown: read turn 3",
        )
    ]
    gap = summarize_attempt(make_test_run(turns=12), window=TurnWindow(max_turns=4))
    assert [(s.arguments["turnOffset"], s.arguments["maxTurns"], s.reason) for s in calls(gap, "get_test_run")] == [
        (2, 8, "Turns 3–10 are not shown: read turns 3–10")
    ]
    paged = summarize_attempt(make_test_run(turns=50), window=TurnWindow(max_turns=5, offset=10))
    assert [(s.arguments["turnOffset"], s.arguments["maxTurns"], s.reason) for s in calls(paged, "get_test_run")] == [
        (15, 20, "Turns 16–50 are not shown: read turns 16–35")
    ]


def test_when_no_turn_was_shown_one_is_suggested() -> None:
    summary = summarize_attempt(make_test_run(turns=30), window=TurnWindow(max_turns=0))
    assert [(s.arguments["turnOffset"], s.arguments["maxTurns"], s.reason) for s in calls(summary, "get_test_run")] == [
        (0, 1, "Turns 1–30 are not shown: read turn 1")
    ]


def test_a_whole_transcript_needs_no_paging_but_always_a_way_back_to_the_batch() -> None:
    summary = summarize_attempt(make_test_run(turns=3, passed=True))
    assert steps(summary) == [("get_batch_run", IDS, "Other attempts of this batch run and their remarks")]
    assert summary.advice == []


@pytest.mark.parametrize(("passed", "advised"), [(False, True), (True, False), (None, False)])
def test_a_failed_attempt_gets_triage_advice(passed: bool | None, advised: bool) -> None:
    summary = summarize_attempt(make_test_run(passed=passed))
    triage = (
        "Check the remarks against the success criteria and the transcript: did the agent miss a requirement, or "
        "does the test case ask for something the persona never lets the agent do?"
    )
    assert (triage in summary.advice) is advised


def test_shortened_turns_suggest_asking_for_fewer() -> None:
    body = make_test_run(turns=30, passed=True)
    body["conversation"][4]["content"] = "word " * 1000
    summary = summarize_attempt(body, window=TurnWindow(max_turns=30, offset=0))
    assert summary.advice == [
        "Long turns are shortened when many are shown; ask for fewer turns (e.g. maxTurns=5) to read them whole."
    ]


def test_an_attempt_in_demo_data_says_how_to_see_real_data() -> None:
    summary = summarize_attempt(make_test_run(passed=True), source="demo")
    assert summary.advice == [DEMO_HINT]


# list_batch_runs


def test_the_newest_batch_run_and_a_comparison_with_the_one_before() -> None:
    summary = summarize_page({"data": [run("batch_new"), run("batch_old"), run("batch_older")]})
    assert steps(summary) == [
        ("get_batch_run", {"batchId": "batch_new", "agentId": "agent_A"}, "Details of the newest batch run"),
        (
            "compare_batch_runs",
            {"agentId": "agent_A", "baseBatchId": "batch_old", "candidateBatchId": "batch_new"},
            "Better or worse than the one before?",
        ),
    ]
    two = summarize_page({"data": [run("batch_new"), run("batch_old")]})
    assert [s.tool for s in two.nextSteps] == ["get_batch_run", "compare_batch_runs"]
    assert summary.advice == []


def test_batch_runs_without_a_usable_id_are_skipped() -> None:
    summary = summarize_page({"data": [run(None), run("batch one"), run("batch_2")]})
    assert steps(summary) == [
        ("get_batch_run", {"batchId": "batch_2", "agentId": "agent_A"}, "Details of the newest batch run")
    ]


def test_older_batch_runs_are_on_the_next_page() -> None:
    summary = summarize_page({"data": [run()], "hasNext": True}, page=2, size=5)
    assert ("list_batch_runs", {"agentId": "agent_A", "page": 3, "size": 5}, "Older batch runs") in steps(summary)
    last = summarize_page({"data": [run()], "hasNext": True}, page=MAX_LIST_PAGE, size=5)
    assert [s.tool for s in last.nextSteps] == ["get_batch_run"]


def test_an_empty_page_says_to_check_the_agent() -> None:
    summary = summarize_page({"data": []})
    assert (summary.nextSteps, summary.advice) == (
        [],
        ["Check the agentId: it is the id shown on the agent's page in the SigmaMind dashboard."],
    )
    demo = summarize_page({"data": []}, source="demo")
    assert demo.advice == [DEMO_HINT]


# compare_batch_runs


def test_the_test_case_that_dropped_the_most_and_the_candidates_failures() -> None:
    base = batch(delta_case("tc_down", 2, 0), delta_case("tc bad", 2, 0), delta_case("tc_less", 2, 0))
    candidate = batch(
        delta_case("tc_down", 0, 2), delta_case("tc bad", 0, 2), delta_case("tc_less", 1, 1), passed=1, failed=5
    )
    summary = compare_runs(base, candidate)
    assert steps(summary) == [
        (
            "get_batch_run",
            {"batchId": "batch_new", "agentId": "agent_A", "testCaseId": "tc_down"},
            "Find out why test case tc_down dropped the most, then call get_test_run on one of its failed attempts",
        ),
        ("get_batch_run", {"batchId": "batch_new", "agentId": "agent_A"}, "See the candidate's failures"),
    ]
    assert summary.advice == []


def test_a_drop_only_in_a_test_case_without_a_usable_id_is_not_suggested() -> None:
    base = batch(delta_case("tc bad", 2, 0), delta_case("tc_same", 1, 1))
    candidate = batch(delta_case("tc bad", 0, 2), delta_case("tc_same", 1, 1), passed=1, failed=0)
    assert [s.reason for s in compare_runs(base, candidate).nextSteps] == []


def test_no_drop_no_test_case_to_look_into() -> None:
    base = batch(delta_case("tc_same", 1, 1), delta_case("tc_up", 1, 1))
    candidate = batch(delta_case("tc_same", 1, 1), delta_case("tc_up", 2, 0), passed=3, failed=0)
    summary = compare_runs(base, candidate)
    assert summary.nextSteps == []
    assert summary.advice == ["Nothing to triage: the candidate has no failed attempts."]


@pytest.mark.parametrize("cut", ["added", "removed", "changed", "deltas"])
def test_lists_cut_short_are_said(cut: str) -> None:
    base = [case("kept", successCriteria="a")]
    candidate = [case("kept", successCriteria="a")]
    if cut == "added":
        candidate += [case("new_1"), case("new_2")]
    elif cut == "removed":
        base += [case("gone_1"), case("gone_2")]
    elif cut == "changed":
        base += [case("c1", successCriteria="a"), case("c2", successCriteria="a")]
        candidate += [case("c1", successCriteria="b"), case("c2", successCriteria="b")]
    else:
        base += [delta_case("d1", 1, 0), delta_case("d2", 1, 0)]
        candidate += [delta_case("d1", 1, 0), delta_case("d2", 1, 0)]
    summary = compare_runs(batch(*base), batch(*candidate, passed=1, failed=0), max_listed=1)
    not_listed = (
        "Not every test case is listed: get_batch_run with testCaseId=<id> on either batch run shows one test case "
        "in full, and get_batch_run pages through each batch run with offset."
    )
    assert summary.advice[0] == not_listed
    whole = compare_runs(batch(*base), batch(*candidate, passed=1, failed=0), max_listed=2)
    assert not_listed not in whole.advice


def test_test_case_differences_are_weighed_before_blaming_the_agent() -> None:
    weigh = (
        "Before blaming the agent, weigh the test-case differences: changed criteria or personas can move the "
        "success rate on their own."
    )
    for base, candidate in (
        ([case("a")], [case("a"), case("b")]),
        ([case("a"), case("b")], [case("a")]),
        ([case("a", successCriteria="x")], [case("a", successCriteria="y")]),
    ):
        summary = compare_runs(batch(*base), batch(*candidate, passed=1, failed=0))
        assert summary.advice == [weigh]
    assert weigh not in compare_runs(batch(case("a")), batch(case("a"))).advice


def test_a_comparison_of_demo_data_says_how_to_see_real_data() -> None:
    summary = compare_runs(batch(), batch(passed=1, failed=0), source="demo")
    assert summary.advice == [DEMO_HINT]

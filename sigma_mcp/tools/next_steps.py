"""What to do next, for each summary: the exact calls (`nextSteps`) and advice that is not a call.

One source for both channels: the summary carries them as `nextSteps` and `advice`, and the markdown's
"Next steps" section is rendered from those fields (see `render.next_step_lines`). Only ids that pass
`is_id` are ever put in a call's arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigma_mcp.safety.ids import is_id
from sigma_mcp.tools.common import NextStep
from sigma_mcp.tools.spec import DEFAULT_MAX_TURNS, MAX_LIST_PAGE

if TYPE_CHECKING:
    from sigma_mcp.tools.compare_batch_runs.output import ComparisonSummary
    from sigma_mcp.tools.get_batch_run.output import BatchRunSummary
    from sigma_mcp.tools.get_test_run.output import AttemptSummary
    from sigma_mcp.tools.list_batch_runs.output import BatchRunListSummary

Steps = tuple[list[NextStep], list[str]]
"""The calls to make next, and advice that is not a call."""

DEMO_HINT = "To see real data, set SIGMAMIND_API_KEY and start sigma-mcp without --demo (and without SIGMAMIND_DEMO)."
MAX_ATTEMPTS_TO_READ = 3
"""get_test_run calls suggested for a batch run: one per group of remarks, the largest groups first."""


def _step(tool: str, reason: str, **arguments: str | int) -> NextStep:
    return NextStep(tool=tool, arguments=arguments, reason=reason)


def for_batch_run(summary: BatchRunSummary) -> Steps:
    ids = {"batchId": summary.batchId, "agentId": summary.agentId}
    steps: list[NextStep] = []
    advice: list[str] = []
    groups = sorted(
        (
            (group.count, job, tc.testCaseId if tc.testCaseId and is_id(tc.testCaseId) else None)
            for tc in summary.testCases
            if tc.results
            for group in tc.results.failureRemarks
            for job in group.jobIds[:1]
            if is_id(job)
        ),
        key=lambda item: -item[0],
    )
    for count, job, test_case in groups[:MAX_ATTEMPTS_TO_READ]:
        of = f" of test case {test_case}" if test_case else ""
        which = (
            f"the failed attempt{of} with remarks of its own"
            if count == 1
            else f"one of the {count} failed attempts{of} whose remarks say the same thing"
        )
        reason = f"Read {which} (its transcript and the judge's remarks in full)"
        steps.append(_step("get_test_run", reason, jobId=job, **ids))
    if not groups and summary.failedAttempts and summary.testCasesWithFailures is None:
        advice.append(
            "The API sent no per-attempt results for this batch run, so the judge's remarks are not in it. "
            "get_test_run explains one attempt (verdict, remarks, transcript) given its jobId, which the SigmaMind "
            "dashboard shows; meanwhile compare each test case's success criteria with its persona and the "
            "agent's prompt."
        )
    if summary.nextOffset is not None:
        left = len(summary.testCases) + summary.testCasesNotShown - summary.nextOffset
        steps.append(
            _step(
                "get_batch_run",
                f"See the next test cases ({left} more; testCaseId=<id> shows one in full)",
                **ids,
                offset=summary.nextOffset,
            )
        )
    if summary.configuredAttempts is not None and (summary.totalAttempts or 0) < summary.configuredAttempts:
        steps.append(_step("get_batch_run", "Call again later for the final counts: it may still be running", **ids))
    if summary.failedAttempts:
        steps.append(
            _step(
                "list_batch_runs",
                "Did it get worse? List the earlier batch runs to compare one with this one (compare_batch_runs "
                f"with baseBatchId=<an earlier one>, candidateBatchId={summary.batchId})",
                agentId=summary.agentId,
            )
        )
    if summary.failedAttempts == 0 and summary.totalAttempts:
        advice.append("Nothing failed in this batch run; no triage is needed.")
    _finish(summary.source, steps, advice, "Check the warnings before drawing conclusions from these counts.")
    return steps, advice


def for_test_run(summary: AttemptSummary) -> Steps:
    ids = {"jobId": summary.jobId, "batchId": summary.batchId, "agentId": summary.agentId}
    steps: list[NextStep] = []
    advice: list[str] = []
    if summary.nextTurnOffset is not None:
        start = summary.nextTurnOffset
        end = next((t.turn - 1 for t in summary.conversation if t.turn - 1 > start), summary.turnCount or start)
        # As many as a default call shows, so they are read whole; one when none fitted this time.
        count = max(1, min(end - start, DEFAULT_MAX_TURNS if summary.conversation else 1))
        span = f"turn {start + 1}" if count == 1 else f"turns {start + 1}–{start + count}"
        steps.append(
            _step(
                "get_test_run",
                f"Turns {start + 1}–{end} are not shown: read {span}",
                **ids,
                turnOffset=start,
                maxTurns=count,
            )
        )
    if any(turn.content.endswith("more characters not shown]") for turn in summary.conversation):
        advice.append(
            "Long turns are shortened when many are shown; ask for fewer turns (e.g. maxTurns=5) to read them whole."
        )
    if summary.isSuccessful is False:
        advice.append(
            "Check the remarks against the success criteria and the transcript: did the agent miss a requirement, "
            "or does the test case ask for something the persona never lets the agent do?"
        )
    steps.append(
        _step(
            "get_batch_run",
            "Other attempts of this batch run and their remarks",
            batchId=summary.batchId,
            agentId=summary.agentId,
        )
    )
    _finish(summary.source, steps, advice, "")
    return steps, advice


def for_batch_run_list(summary: BatchRunListSummary) -> Steps:
    agent = summary.agentId
    runs = [row.batchId for row in summary.batchRuns if row.batchId is not None and is_id(row.batchId)]
    steps: list[NextStep] = []
    advice: list[str] = []
    if runs:
        steps.append(_step("get_batch_run", "Details of the newest batch run", batchId=runs[0], agentId=agent))
    if len(runs) >= 2:
        steps.append(
            _step(
                "compare_batch_runs",
                "Better or worse than the one before?",
                agentId=agent,
                baseBatchId=runs[1],
                candidateBatchId=runs[0],
            )
        )
    if summary.hasNext and summary.page < MAX_LIST_PAGE:
        steps.append(
            _step("list_batch_runs", "Older batch runs", agentId=agent, page=summary.page + 1, size=summary.size)
        )

    _finish(
        summary.source,
        steps,
        advice,
        "Check the agentId: it is the id shown on the agent's page in the SigmaMind dashboard.",
    )
    return steps, advice


def for_comparison(summary: ComparisonSummary) -> Steps:
    agent = summary.agentId
    candidate = summary.candidate.batchId
    steps: list[NextStep] = []
    advice: list[str] = []
    worst = next(
        (
            d
            for d in summary.testCaseDeltas
            if d.changePoints is not None and d.changePoints < 0 and d.testCaseId is not None and is_id(d.testCaseId)
        ),
        None,
    )
    if worst is not None and worst.testCaseId is not None:
        steps.append(
            _step(
                "get_batch_run",
                f"Find out why test case {worst.testCaseId} dropped the most, then call get_test_run on one of its "
                "failed attempts",
                batchId=candidate,
                agentId=agent,
                testCaseId=worst.testCaseId,
            )
        )
    if summary.candidate.failedAttempts:
        steps.append(_step("get_batch_run", "See the candidate's failures", batchId=candidate, agentId=agent))
    listed = (
        len(summary.testCasesChanged) < summary.testCasesChangedCount
        or len(summary.testCasesAdded) < summary.testCasesAddedCount
        or len(summary.testCasesRemoved) < summary.testCasesRemovedCount
        or len(summary.testCaseDeltas) < summary.testCaseDeltasCount
    )
    if listed:
        advice.append(
            "Not every test case is listed: get_batch_run with testCaseId=<id> on either batch run shows one test "
            "case in full, and get_batch_run pages through each batch run with offset."
        )
    if summary.testCasesChangedCount or summary.testCasesAddedCount or summary.testCasesRemovedCount:
        advice.append(
            "Before blaming the agent, weigh the test-case differences: changed criteria or personas can move the "
            "success rate on their own."
        )
    _finish(summary.source, steps, advice, "Nothing to triage: the candidate has no failed attempts.")
    return steps, advice


def _finish(source: str, steps: list[NextStep], advice: list[str], otherwise: str) -> None:
    if source == "demo":
        advice.append(DEMO_HINT)
    if not steps and not advice and otherwise:
        advice.append(otherwise)

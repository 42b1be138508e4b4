"""The whole-batch checks of get_batch_run: attempts configured against attempts run, per-attempt records against
the counts, fields the API left out, and the verdict line."""

from __future__ import annotations

from collections.abc import Sequence

from sigma_mcp.safety.text import percent
from sigma_mcp.sigmamind.payloads import AgentRef, BatchRunPayload
from sigma_mcp.sigmamind.scan import (
    CHECKED_FIELDS,
    CaseScan,
)
from sigma_mcp.tools.common import (
    Counts,
    Source,
    demo_prefix,
)


def configured_attempts(cases: Sequence[CaseScan], not_objects: int) -> int | None:
    if not cases or not_objects or any(case.attempt is None for case in cases):
        return None
    return sum(case.attempt or 0 for case in cases)


def check_progress(total: int | None, configured: int | None, warnings: list[str]) -> None:
    if total is None or configured is None:
        return
    if total < configured:
        warnings.append(
            f"Only {total} of the {configured} attempts the test cases configure have results: "
            "the batch run may still be running. Call get_batch_run again later for the final counts."
        )
    elif total > configured:
        warnings.append(
            f"{total} attempts have results but the test cases configure only {configured}; "
            "the test cases may have been edited after this run."
        )


def check_records(with_records: Sequence[CaseScan], case_count: int, counts: Counts, warnings: list[str]) -> None:
    """Per-attempt results that cover the whole batch must agree with the batch's counts."""
    if not with_records or len(with_records) != case_count:
        if with_records:
            warnings.append(
                f"Only {len(with_records)} of the {case_count} test cases carry per-attempt results; "
                "the others show their configuration only."
            )
        return
    passed = sum(case.passed for case in with_records)
    failed = sum(case.failed for case in with_records)
    if (counts.successful, counts.failed) != (passed, failed) and counts.successful is not None:
        warnings.append(
            f"The per-attempt results add up to {passed} passed and {failed} failed, but the batch run's counts "
            f"say {counts.successful} passed and {counts.failed} failed."
        )


_TOP_LEVEL = ("batchId", "workspaceId", "createdDate", "testCases", "successfulAttempts", "failedAttempts")
_AGENT_FIELDS = ("name", "agentId", "status")


def missing_fields(run: BatchRunPayload, agent: AgentRef, cases: Sequence[CaseScan]) -> list[str]:
    missing = [name for name in _TOP_LEVEL if getattr(run, name) is None]
    if run.totalAttempts is None:
        missing.append("totalAttempts")
    if run.agent is None:
        missing.append("agent")
    else:
        missing.extend(f"agent.{name}" for name in _AGENT_FIELDS if getattr(agent, name) is None)
    absent: dict[str, int] = {}
    for case in cases:
        for name in case.missing:
            absent[name] = absent.get(name, 0) + 1
    for name in CHECKED_FIELDS:
        if absent.get(name):
            missing.append(f"testCases[].{name} (in {absent[name]} of {len(cases)} test cases)")
    return missing


def verdict_line(
    batch_id: str,
    counts: Counts,
    configured: int | None,
    source: Source,
    flaky: int | None = None,
    failing: int | None = None,
) -> str:
    subject = f"{demo_prefix(source)}Batch run {batch_id}"
    s, f, t, rate = counts.successful, counts.failed, counts.total, counts.rate
    if s is None or f is None:
        return f"{subject}: the API did not report how many attempts passed or failed."
    judged = s + f
    if judged == 0 or rate is None:
        planned = f" ({configured} configured)" if configured else ""
        return f"{subject}: no attempts have results yet{planned}; it may still be running."
    if f == 0:
        verdict = f"{subject} passed: all {judged} attempts succeeded (100%)."
    elif s == 0:
        verdict = f"{subject} failed: all {judged} attempts failed (0%)."
    else:
        verdict = f"{subject}: {s} of {judged} attempts passed ({percent(rate)}), {f} failed."
    if configured is not None and t is not None and t < configured:
        verdict = verdict[:-1] + f" — possibly still running ({t} of {configured} configured attempts have results)."
    if flaky:
        # The news a success rate hides: tests that both passed and failed, apart from the consistent failures.
        consistent = f"; {failing} failed every attempt" if failing else ""
        are = "test case is" if flaky == 1 else "test cases are"
        verdict += f" {flaky} {are} flaky (passed some attempts, failed others){consistent}."
    return verdict

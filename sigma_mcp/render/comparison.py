"""Markdown for compare_batch_runs."""

from __future__ import annotations

from sigma_mcp.ids import is_id
from sigma_mcp.render import DATA_NOTE, DEMO_HINT, warning_lines
from sigma_mcp.summaries.comparison import ComparisonSummary, ConfigChange, TestCaseRef
from sigma_mcp.text import cell, code, fence, percent, plural, points


def render_comparison(summary: ComparisonSummary) -> str:
    base, candidate = summary.base, summary.candidate

    def rate(value: float | None) -> str:
        return percent(value) if value is not None else "–"

    def number(value: int | None) -> str:
        return "–" if value is None else str(value)

    lines = [
        f"**{summary.verdict}**",
        "",
        "| | base | candidate |",
        "|---|---|---|",
        f"| batch run | {code(base.batchId)} | {code(candidate.batchId)} |",
        f"| created | {_date(base.createdDate)} | {_date(candidate.createdDate)} |",
        f"| attempts with results | {number(base.totalAttempts)} | {number(candidate.totalAttempts)} |",
        f"| passed | {number(base.successfulAttempts)} | {number(candidate.successfulAttempts)} |",
        f"| failed | {number(base.failedAttempts)} | {number(candidate.failedAttempts)} |",
        f"| success rate | {rate(base.successRate)} | {rate(candidate.successRate)} |",
        f"| test cases | {base.testCaseCount} | {candidate.testCaseCount} |",
    ]
    if summary.successRateChangePoints is not None:
        lines += ["", f"Success rate change: {points(summary.successRateChangePoints)} percentage points."]
    lines += warning_lines(summary.warnings)
    lines += ["", "## Test cases", ""]
    lines.append(_refs("Added (only in the candidate)", summary.testCasesAdded, summary.testCasesAddedCount))
    lines.append(_refs("Removed (only in the base)", summary.testCasesRemoved, summary.testCasesRemovedCount))
    lines.append(f"- Same configuration in both: {summary.testCasesUnchangedCount}")
    lines.append(f"- Configured differently: {summary.testCasesChangedCount}")
    if summary.testCasesChanged:
        lines += ["", DATA_NOTE]
        for changed in summary.testCasesChanged:
            lines += ["", *_change(changed)]
        if summary.testCasesChangedCount > len(summary.testCasesChanged):
            more = summary.testCasesChangedCount - len(summary.testCasesChanged)
            lines += ["", f"({plural(more, 'more changed test case')} not listed.)"]
    if summary.testCaseDeltas:
        lines += ["", "## Per test case (where both batch runs carry per-attempt results), biggest drop first", ""]
        lines += ["| test case | base passed | candidate passed | change |", "|---|---|---|---|"]
        for delta in summary.testCaseDeltas:
            change = f"{points(delta.changePoints)} pp" if delta.changePoints is not None else "–"
            lines.append(
                f"| {_name(delta)} | {delta.basePassed} of {delta.basePassed + delta.baseFailed} | "
                f"{delta.candidatePassed} of {delta.candidatePassed + delta.candidateFailed} | {change} |"
            )
        if summary.testCaseDeltasCount > len(summary.testCaseDeltas):
            lines.append(f"\n({summary.testCaseDeltasCount - len(summary.testCaseDeltas)} more not listed.)")
    lines += ["", "## Next steps"]
    lines.extend(f"- {hint}" for hint in _next_steps(summary))
    return "\n".join(lines) + "\n"


def _name(ref: TestCaseRef) -> str:
    name = code(cell(ref.label)) if ref.label else "(unnamed)"
    return f"{name} ({code(cell(ref.testCaseId))})" if ref.testCaseId else name


def _date(value: str | None) -> str:
    return code(cell(value)) if value else "–"


def _refs(title: str, refs: list[TestCaseRef], count: int) -> str:
    if not count:
        return f"- {title}: none"
    listed = ", ".join(_name(ref) for ref in refs)
    more = f", and {count - len(refs)} more" if count > len(refs) else ""
    return f"- {title}: {count} — {listed}{more}"


def _change(change: ConfigChange) -> list[str]:
    fields = ", ".join(item.field for item in change.changes)
    lines = [f"### {_name(change)}: {fields} changed"]
    for item in change.changes:
        lines += ["", f"{item.field} in the base:", fence(item.before) if item.before else "(not given)"]
        lines += [f"{item.field} in the candidate:", fence(item.after) if item.after else "(not given)"]
    return lines


def _next_steps(summary: ComparisonSummary) -> list[str]:
    agent = f"agentId={summary.agentId}"
    hints = []
    worst = next(
        (
            d
            for d in summary.testCaseDeltas
            if d.changePoints is not None and d.changePoints < 0 and is_id(d.testCaseId)
        ),
        None,
    )
    if worst is not None:
        hints.append(
            f"Find out why {_name(worst)} dropped: call get_batch_run with batchId={summary.candidate.batchId}, "
            f"{agent}, testCaseId={worst.testCaseId}, then get_test_run on one of its failed attempts."
        )
    if summary.candidate.failedAttempts:
        hints.append(
            f"See the candidate's failures: call get_batch_run with batchId={summary.candidate.batchId}, {agent}."
        )
    if summary.testCasesChangedCount or summary.testCasesAddedCount or summary.testCasesRemovedCount:
        hints.append(
            "Before blaming the agent, weigh the test-case differences above: changed criteria or personas can "
            "move the success rate on their own."
        )
    if summary.source == "demo":
        hints.append(DEMO_HINT)
    if not hints:
        hints.append("Nothing to triage: the candidate has no failed attempts.")
    return hints

"""Markdown for compare_batch_runs."""

from __future__ import annotations

from sigma_mcp.safety.text import cell, code, fence, percent, plural, points
from sigma_mcp.tools.compare_batch_runs.output import CaseRef, ComparisonSummary, ConfigChange
from sigma_mcp.tools.markdown import DATA_NOTE, next_step_lines, warning_lines


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
        *(
            [f"| fetched | {_fetched(base.cacheAgeSeconds)} | {_fetched(candidate.cacheAgeSeconds)} |"]
            if base.cacheAgeSeconds is not None or candidate.cacheAgeSeconds is not None
            else []
        ),
    ]
    if summary.successRateChangePoints is not None:
        lines += ["", f"Success rate change: {points(summary.successRateChangePoints)} percentage points."]
    lines += warning_lines(summary.warnings)
    lines += ["", "## Test cases", "", DATA_NOTE, ""]
    lines.append(_refs("Added (only in the candidate)", summary.testCasesAdded, summary.testCasesAddedCount))
    lines.append(_refs("Removed (only in the base)", summary.testCasesRemoved, summary.testCasesRemovedCount))
    lines.append(f"- Same configuration in both: {summary.testCasesUnchangedCount}")
    lines.append(f"- Configured differently: {summary.testCasesChangedCount}")
    if summary.testCasesChanged:
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
    lines += next_step_lines(summary.nextSteps, summary.advice)
    return "\n".join(lines) + "\n"


def _name(ref: CaseRef) -> str:
    name = code(cell(ref.label)) if ref.label else "(unnamed)"
    return f"{name} ({code(cell(ref.testCaseId))})" if ref.testCaseId else name


def _date(value: str | None) -> str:
    return code(cell(value)) if value else "–"


def _refs(title: str, refs: list[CaseRef], count: int) -> str:
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


def _fetched(age: float | None) -> str:
    """When a side was fetched: for this answer, or from sigma-mcp's cache."""
    return "for this answer" if age is None else f"{age:.0f} s ago (sigma-mcp's cache)"

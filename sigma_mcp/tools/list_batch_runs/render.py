"""Markdown for list_batch_runs."""

from __future__ import annotations

from sigma_mcp.safety.text import cell, code, percent
from sigma_mcp.tools.list_batch_runs.output import BatchRunListSummary, BatchRunRow
from sigma_mcp.tools.markdown import DATA_NOTE, next_step_lines, warning_lines


def render_batch_run_list(summary: BatchRunListSummary) -> str:
    lines = [f"**{summary.verdict}**", ""]
    if summary.batchRuns:
        lines += [
            "| # | batchId | created | test cases | attempts | passed | failed | success rate |",
            "|---|---|---|---|---|---|---|---|",
        ]
        first = summary.page * summary.size + 1
        lines.extend(_row(number, row) for number, row in enumerate(summary.batchRuns, start=first))
        lines.append("")
    lines.append(_paging(summary))
    if summary.batchRuns:
        lines += ["", DATA_NOTE]
    lines += warning_lines(summary.warnings)
    lines += next_step_lines(summary.nextSteps, summary.advice)
    return "\n".join(lines) + "\n"


def _row(number: int, row: BatchRunRow) -> str:
    def number_or_dash(value: int | None) -> str:
        return "–" if value is None else str(value)

    rate = percent(row.successRate) if row.successRate is not None else "–"
    if row.possiblyRunning:
        rate += " (may still be running)"
    cells = [
        str(number),
        code(cell(row.batchId)) if row.batchId else "–",
        code(cell(row.createdDate)) if row.createdDate else "–",
        number_or_dash(row.testCaseCount),
        number_or_dash(row.totalAttempts),
        number_or_dash(row.successfulAttempts),
        number_or_dash(row.failedAttempts),
        rate,
    ]
    return "| " + " | ".join(cells) + " |"


def _paging(summary: BatchRunListSummary) -> str:
    text = f"Page {summary.page} (0-based, {summary.size} per page)"
    if summary.totalPages is not None:
        text += f" of {summary.totalPages}"
    if summary.totalCount is not None:
        text += f"; {summary.totalCount} batch runs in all"
    if summary.hasNext:
        text += f"; older batch runs are on page {summary.page + 1}"
    return text + "."

"""Markdown for list_batch_runs."""

from __future__ import annotations

from sigma_mcp.safety.text import cell, code, percent, plural, points
from sigma_mcp.tools.list_batch_runs.output import BatchRunListSummary, BatchRunRow, BatchRunTrend, TrendPoint
from sigma_mcp.tools.markdown import DATA_NOTE, next_step_lines, warning_lines

MAX_TREND_RATES = 20
"""Rates the trend line shows at most: the newest ones."""


def render_batch_run_list(summary: BatchRunListSummary) -> str:
    lines = [f"**{summary.verdict}**", ""]
    if summary.trend is not None:
        lines += [*_trend(summary.trend), ""]
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


def _trend(trend: BatchRunTrend) -> list[str]:
    """Two lines: the rates oldest first (the newest MAX_TREND_RATES of them) and the direction; best, worst and
    what was left out."""
    shown = trend.runs[-MAX_TREND_RATES:]
    earlier = len(trend.runs) - len(shown)
    which = f" (the last {len(shown)}; the {earlier} earlier ones are in the table)" if earlier else ""
    rates = " → ".join(percent(point.successRate) for point in shown)
    direction: str = trend.direction
    if trend.direction == "steady":
        direction += f": all within {trend.steadyWithinPoints:g} points of each other"
    elif trend.direction == "mixed":
        direction += f": more than {trend.steadyWithinPoints:g} points apart, not one way"
    first = (
        f"Trend over the {plural(len(trend.runs), 'batch run')} with final results, oldest first{which}: {rates} "
        f"({direction}; {points(trend.changePoints)} points from the oldest to the newest)."
    )
    second = f"Best: {_point(trend.best)}; worst: {_point(trend.worst)}."
    left_out = []
    if trend.runsWithoutResults:
        left_out.append(f"{plural(trend.runsWithoutResults, 'batch run')} without results")
    if trend.runsPossiblyRunning:
        left_out.append(f"{plural(trend.runsPossiblyRunning, 'batch run')} that may still be running")
    if left_out:
        second += f" Left out: {' and '.join(left_out)}."
    return [first, second]


def _point(point: TrendPoint) -> str:
    return f"{code(point.batchId) if point.batchId else 'a batch run without id'} ({percent(point.successRate)})"


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

"""One page of an agent's batch runs, newest first: a compact row each and the paging facts."""

from __future__ import annotations

from collections.abc import Sequence

from sigma_mcp.safety.text import code, percent, points
from sigma_mcp.sigmamind.payloads import BatchRunPage, BatchRunPayload
from sigma_mcp.sigmamind.scan import scan_test_cases
from sigma_mcp.tools import next_steps
from sigma_mcp.tools.common import (
    Source,
    bounded_warnings,
    demo_prefix,
    derive_counts,
    first_warnings,
    line,
)
from sigma_mcp.tools.list_batch_runs.output import (
    NOTICE,
    STEADY_POINTS,
    BatchRunListSummary,
    BatchRunRow,
    BatchRunTrend,
    TrendDirection,
    TrendPoint,
)
from sigma_mcp.tools.spec import MAX_PAGE_SIZE

NO_DATA_LIST = "The API's answer has no 'data' list, so no batch runs can be shown."


def summarize_batch_run_page(
    listing_page: BatchRunPage,
    *,
    agent_id: str,
    page: int,
    size: int,
    source: Source = "sigmamind",
    ignored: Sequence[str] = (),
    max_rows: int = MAX_PAGE_SIZE,
) -> BatchRunListSummary:
    warnings = first_warnings(source, ignored)
    if listing_page.data is None:
        warnings.append(NO_DATA_LIST)
    runs = listing_page.data or []
    if len(runs) > max_rows:
        warnings.append(
            f"{len(runs) - max_rows} of the {len(runs)} batch runs on this page are not shown, to keep the answer "
            "within its size budget; ask for a smaller size to see them all."
        )
        runs = runs[:max_rows]
    if listing_page.page is not None and listing_page.page != page:
        warnings.append(f"Asked for page {page}, but the API answered with page {listing_page.page}.")
    rows = [_row(run, warnings) for run in runs]
    has_next = listing_page.hasNext
    if has_next is None and listing_page.totalPages is not None:
        has_next = page + 1 < listing_page.totalPages
    agent_name = next((run.agent.name for run in runs if run.agent and run.agent.name), None)
    trend = summarize_trend(rows)
    summary = BatchRunListSummary(
        verdict=_verdict(agent_id, page, rows, listing_page.totalCount, source, trend),
        source=source,
        notice=NOTICE,
        agentId=agent_id,
        agentName=line(agent_name),
        page=page,
        size=size,
        totalCount=listing_page.totalCount,
        totalPages=listing_page.totalPages,
        hasNext=has_next,
        hasPrevious=listing_page.hasPrevious if listing_page.hasPrevious is not None else page > 0,
        trend=trend,
        batchRuns=rows,
        warnings=bounded_warnings(warnings),
        nextSteps=[],
        advice=[],
    )
    summary.nextSteps, summary.advice = next_steps.for_batch_run_list(summary)
    return summary


def _row(run: BatchRunPayload, warnings: list[str]) -> BatchRunRow:
    notes: list[str] = []
    counts = derive_counts(run.successfulAttempts, run.failedAttempts, run.totalAttempts, notes)
    scans, not_objects = scan_test_cases(run.testCases or [])
    configured = (
        sum(case.attempt or 0 for case in scans)
        if scans and not not_objects and all(case.attempt is not None for case in scans)
        else None
    )
    if run.batchId is None:
        warnings.append("A batch run on this page has no batchId.")
    return BatchRunRow(
        batchId=line(run.batchId),
        createdDate=line(run.createdDate),
        testCaseCount=None if run.testCases is None else len(scans),
        totalAttempts=counts.total,
        successfulAttempts=counts.successful,
        failedAttempts=counts.failed,
        successRate=counts.rate,
        possiblyRunning=configured is not None and counts.total is not None and counts.total < configured,
    )


def summarize_trend(rows: Sequence[BatchRunRow]) -> BatchRunTrend | None:
    """The success rate across `rows` (newest first), oldest first; None when fewer than two have a final rate.

    Rows without a rate, and rows that may still be running (their rate is not final), are left out and counted.
    """
    shown = [
        TrendPoint(batchId=row.batchId, successRate=row.successRate)
        for row in reversed(rows)
        if row.successRate is not None and not row.possiblyRunning
    ]
    if len(shown) < 2:
        return None
    best = worst = shown[0]
    for point in shown[1:]:  # oldest to newest, so of equal rates the newest wins
        if point.successRate >= best.successRate:
            best = point
        if point.successRate <= worst.successRate:
            worst = point
    rates = [point.successRate for point in shown]
    return BatchRunTrend(
        runs=shown,
        direction=_direction(rates),
        changePoints=_points(rates[0], rates[-1]),
        steadyWithinPoints=STEADY_POINTS,
        best=best,
        worst=worst,
        runsWithoutResults=sum(1 for row in rows if row.successRate is None),
        runsPossiblyRunning=sum(1 for row in rows if row.successRate is not None and row.possiblyRunning),
    )


def _direction(rates: Sequence[float]) -> TrendDirection:
    """See `BatchRunTrend.direction`: `rates` oldest first, compared in percentage points."""
    rise = fall = 0.0  # the largest rise and fall from one run to any later one
    low = high = rates[0]
    for rate in rates[1:]:
        rise = max(rise, _points(low, rate))
        fall = max(fall, _points(rate, high))
        low, high = min(low, rate), max(high, rate)
    change = _points(rates[0], rates[-1])
    if _points(low, high) <= STEADY_POINTS:
        return "steady"
    if change > STEADY_POINTS and fall <= STEADY_POINTS:
        return "improving"
    if change < -STEADY_POINTS and rise <= STEADY_POINTS:
        return "declining"
    return "mixed"


def _points(before: float, after: float) -> float:
    """`after - before` in percentage points, to one decimal."""
    return round((after - before) * 100, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def _date(value: str | None) -> str:
    return code(value) if value else "date unknown"


def _verdict(
    agent_id: str,
    page: int,
    rows: Sequence[BatchRunRow],
    total: int | None,
    source: Source,
    trend: BatchRunTrend | None,
) -> str:
    prefix = demo_prefix(source)
    if not rows:
        if page > 0:
            return f"{prefix}Agent {agent_id} has no batch runs on page {page}" + (
                f" (it has {total} in all)." if total is not None else "."
            )
        return f"{prefix}Agent {agent_id} has no batch runs."
    newest = rows[0]
    rate = f", {percent(newest.successRate)} of attempts passed" if newest.successRate is not None else ""
    where = "The newest" if page == 0 else f"Page {page}'s newest"
    of_total = f" of {total}" if total is not None else ""
    text = (
        f"{prefix}Agent {agent_id}: {len(rows)}{of_total} batch runs on page {page}, newest first. "
        f"{where} is {code(newest.batchId or '?')} ({_date(newest.createdDate)}{rate})."
    )
    if trend is not None:
        text += (
            f" Success rate across the {len(trend.runs)} with final results: {trend.direction} "
            f"({points(trend.changePoints)} points, oldest to newest)."
        )
    return text

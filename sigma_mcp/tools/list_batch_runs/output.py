"""list_batch_runs's structuredContent: the summary model, whose JSON schema is `output_schema.json` beside it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sigma_mcp.tools.common import (
    NextStep,
    OutputModel,
    ToolOutput,
    third_party_notice,
)


class BatchRunRow(OutputModel):
    batchId: str | None = Field(description="The batch run's id, for get_batch_run.")
    createdDate: str | None = Field(description="When it was created (UTC, ISO-8601).")
    testCaseCount: int | None = Field(description="Test cases in the batch run.")
    totalAttempts: int | None = Field(description="Attempts with a result.")
    successfulAttempts: int | None = Field(description="Attempts that passed.")
    failedAttempts: int | None = Field(description="Attempts that failed.")
    successRate: float | None = Field(description="successful / (successful + failed), 0-1, or null.")
    possiblyRunning: bool = Field(description="True when fewer attempts have results than the test cases configure.")


STEADY_POINTS = 5.0
"""Percentage points within which shown success rates count as steady."""

TrendDirection = Literal["improving", "declining", "steady", "mixed"]


class TrendPoint(OutputModel):
    batchId: str | None = Field(description="The batch run's id.")
    successRate: float = Field(description="Its success rate, 0-1.")


class BatchRunTrend(OutputModel):
    runs: list[TrendPoint] = Field(
        description="The shown batch runs with a final success rate, oldest first (the list's order reversed)."
    )
    direction: TrendDirection = Field(
        description="Over `runs`, with rates compared in percentage points: 'steady' when all are within "
        f"{STEADY_POINTS:g} points of each other; otherwise 'improving' when the newest is more than "
        f"{STEADY_POINTS:g} points above the oldest and no run is more than {STEADY_POINTS:g} points below any "
        f"earlier one; 'declining' when the newest is more than {STEADY_POINTS:g} points below the oldest and no "
        f"run is more than {STEADY_POINTS:g} points above any earlier one; 'mixed' otherwise (the rates rose and "
        f"fell by more than {STEADY_POINTS:g} points, or moved and came back)."
    )
    changePoints: float = Field(
        description="The newest rate minus the oldest, in percentage points (one decimal; +10.5 is 60% -> 70.5%)."
    )
    steadyWithinPoints: float = Field(description="The threshold of `direction`, in percentage points.")
    best: TrendPoint = Field(description="The run with the highest rate (of equal ones, the newest).")
    worst: TrendPoint = Field(description="The run with the lowest rate (of equal ones, the newest).")
    runsWithoutResults: int = Field(description="Shown batch runs left out of `runs`: no judged attempts yet.")
    runsPossiblyRunning: int = Field(
        description="Shown batch runs left out of `runs`: they may still be running, so their rate is not final."
    )


class BatchRunListSummary(ToolOutput):
    agentId: str = Field(description="The agent whose batch runs these are.")
    agentName: str | None = Field(description="The agent's name, from the first batch run.")
    page: int = Field(description="This page, 0-based.")
    size: int = Field(description="Batch runs per page.")
    totalCount: int | None = Field(description="Batch runs of the agent in all, as the API reports it.")
    totalPages: int | None = Field(description="Pages in all, as the API reports it.")
    hasNext: bool | None = Field(description="Whether a next page exists.")
    hasPrevious: bool | None = Field(description="Whether a previous page exists.")
    trend: BatchRunTrend | None = Field(
        description="The success rate across the shown batch runs, oldest first; null when fewer than two of "
        "them have a final success rate."
    )
    warnings: list[str] = Field(description="Things that look wrong or incomplete, worth telling the user.")
    nextSteps: list[NextStep] = Field(description="The calls to make next, most useful first.")
    advice: list[str] = Field(description="What to do next that is not a call.")
    batchRuns: list[BatchRunRow] = Field(description="This page's batch runs, newest first (the API's order).")


NOTICE = third_party_notice(
    "agentName, batchRuns[].batchId and createdDate, the trend's batchIds, and the values quoted in warnings"
)

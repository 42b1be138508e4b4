"""list_batch_runs's structuredContent: the summary model, whose JSON schema is `output_schema.json` beside it."""

from __future__ import annotations

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


class BatchRunListSummary(ToolOutput):
    agentId: str = Field(description="The agent whose batch runs these are.")
    agentName: str | None = Field(description="The agent's name, from the first batch run.")
    page: int = Field(description="This page, 0-based.")
    size: int = Field(description="Batch runs per page.")
    totalCount: int | None = Field(description="Batch runs of the agent in all, as the API reports it.")
    totalPages: int | None = Field(description="Pages in all, as the API reports it.")
    hasNext: bool | None = Field(description="Whether a next page exists.")
    hasPrevious: bool | None = Field(description="Whether a previous page exists.")
    warnings: list[str] = Field(description="Things that look wrong or incomplete, worth telling the user.")
    nextSteps: list[NextStep] = Field(description="The calls to make next, most useful first.")
    advice: list[str] = Field(description="What to do next that is not a call.")
    batchRuns: list[BatchRunRow] = Field(description="This page's batch runs, newest first (the API's order).")


NOTICE = third_party_notice("agentName, batchRuns[].batchId and createdDate, and the values quoted in warnings")

"""compare_batch_runs's structuredContent: the summary model, whose JSON schema is `output_schema.json` beside it."""

from __future__ import annotations

from pydantic import Field

from sigma_mcp.tools.common import (
    NextStep,
    OutputModel,
    ToolOutput,
    third_party_notice,
)


class BatchSide(OutputModel):
    batchId: str = Field(description="The batch run's id.")
    createdDate: str | None = Field(description="When it was created (UTC, ISO-8601).")
    totalAttempts: int | None = Field(description="Attempts with a result.")
    successfulAttempts: int | None = Field(description="Attempts that passed.")
    failedAttempts: int | None = Field(description="Attempts that failed.")
    successRate: float | None = Field(description="successful / (successful + failed), 0-1, or null.")
    testCaseCount: int = Field(description="Test cases in the batch run.")
    cacheAgeSeconds: float | None = Field(
        description="How long ago sigma-mcp fetched it, when it came from its cache; null: fetched for this answer.",
    )


class CaseRef(OutputModel):
    testCaseId: str | None = Field(description="The test case's id.")
    label: str | None = Field(description="The test case's name.")


class FieldChange(OutputModel):
    field: str = Field(description="successCriteria, userPrompt, llmModel, mockData or attempt.")
    before: str | None = Field(description="The base batch run's value (capped).")
    after: str | None = Field(description="The candidate batch run's value (capped).")


class ConfigChange(CaseRef):
    changes: list[FieldChange] = Field(description="What differs between the two batch runs.")


class CaseDelta(CaseRef):
    basePassed: int = Field(description="Passed attempts in the base batch run.")
    baseFailed: int = Field(description="Failed attempts in the base batch run.")
    candidatePassed: int = Field(description="Passed attempts in the candidate batch run.")
    candidateFailed: int = Field(description="Failed attempts in the candidate batch run.")
    changePoints: float | None = Field(description="Change of the test case's success rate, in percentage points.")


class ComparisonSummary(ToolOutput):
    agentId: str = Field(description="The agent both batch runs tested.")
    base: BatchSide = Field(description="The earlier batch run, compared against.")
    candidate: BatchSide = Field(description="The later batch run, being judged.")
    successRateChangePoints: float | None = Field(
        description="candidate - base success rate, in percentage points; null if either has no rate."
    )
    warnings: list[str] = Field(description="Things that look wrong or incomplete, worth telling the user.")
    nextSteps: list[NextStep] = Field(description="The calls to make next, most useful first.")
    advice: list[str] = Field(description="What to do next that is not a call.")
    testCasesAdded: list[CaseRef] = Field(description="Test cases only the candidate ran (at most 25 listed).")
    testCasesAddedCount: int = Field(description="How many test cases only the candidate ran.")
    testCasesRemoved: list[CaseRef] = Field(description="Test cases only the base ran (at most 25 listed).")
    testCasesRemovedCount: int = Field(description="How many test cases only the base ran.")
    testCasesChanged: list[ConfigChange] = Field(description="Test cases configured differently (at most 25).")
    testCasesChangedCount: int = Field(description="How many test cases are configured differently.")
    testCasesUnchangedCount: int = Field(description="Test cases both ran with the same configuration.")
    testCaseDeltas: list[CaseDelta] = Field(
        description="Per-test-case results where both sides carry per-attempt data, biggest drop first (at most 25)."
    )
    testCaseDeltasCount: int = Field(description="Test cases with per-attempt data on both sides.")


NOTICE = third_party_notice(
    "test cases' label, testCasesChanged[].changes[].before and after (criteria, personas, mock data) and the "
    "values quoted in warnings"
)

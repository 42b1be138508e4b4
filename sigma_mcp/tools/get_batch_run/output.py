"""get_batch_run's structuredContent: the summary model, whose JSON schema is `output_schema.json` beside it."""

from __future__ import annotations

from pydantic import Field

from sigma_mcp.tools.common import (
    NextStep,
    OutputModel,
    ToolOutput,
    third_party_notice,
)


class RemarkGroup(OutputModel):
    remarks: str | None = Field(
        description="The judge's remarks (third-party text), the most frequent wording of the group; null when it "
        "gave none."
    )
    count: int = Field(
        description="Failed attempts with these remarks, or with remarks the batch's failure themes put with them."
    )
    jobIds: list[str] = Field(description="Their jobIds (at most 10), for get_test_run.")
    wordings: int = Field(
        description="Distinct wordings of the remarks in the group (1: all alike; 0: no remarks); get_test_run shows "
        "each attempt's."
    )


class FailureTheme(OutputModel):
    remarks: str | None = Field(
        description="The judge's remarks (third-party text) in the theme's most frequent wording; null for the "
        "failed attempts without remarks."
    )
    count: int = Field(description="Failed attempts in the theme, over the whole batch.")
    jobIds: list[str] = Field(description="Some of their jobIds (at most 10), for get_test_run.")
    jobIdsNotShown: int = Field(description="Failed attempts of the theme whose jobIds are not listed.")
    testCaseIds: list[str] = Field(description="The test cases they belong to, most failures first (at most 5).")
    testCaseIdsNotShown: int = Field(description="Test cases of the theme not listed.")
    wordings: int = Field(description="Distinct wordings of the remarks merged into the theme.")


class AttemptResults(OutputModel):
    passed: int = Field(description="Attempts the judge marked successful.")
    failed: int = Field(description="Attempts the judge marked failed.")
    pending: int = Field(description="Attempts without a verdict yet.")
    failureRemarks: list[RemarkGroup] = Field(
        description="Failed attempts grouped by their remarks (the same remarks, or remarks that differ only in "
        "details such as turn numbers, names or amounts), most frequent first (at most 5 groups)."
    )
    moreRemarkGroups: int = Field(description="Groups of remarks not listed.")


class CaseSummary(OutputModel):
    testCaseId: str | None = Field(description="The test case's id.")
    label: str | None = Field(description="The test case's name.")
    llmModel: str | None = Field(description="The model that plays the simulated user.")
    attempts: int | None = Field(description="How many times the test case is configured to run (`attempt`).")
    userPrompt: str | None = Field(description="The simulated user's persona and goal (third-party text).")
    successCriteria: str | None = Field(description="What the judge checks each attempt against (third-party text).")
    mockData: dict[str, str | None] = Field(description="Mock variables fed to the agent, name -> value.")
    mockDataNotShown: int = Field(description="Mock variables left out of mockData (see testCaseId).")
    flaky: bool = Field(
        description="True when some attempts passed and others failed: a flaky agent, test or judge rather than a "
        "consistent failure; false otherwise, also when there are no per-attempt results."
    )
    results: AttemptResults | None = Field(
        description="Per-attempt results, when the API sends them for this test case; otherwise null."
    )


class BatchRunSummary(ToolOutput):
    batchId: str = Field(description="The batch run's id.")
    agentId: str = Field(description="The id of the agent under test.")
    agentName: str | None = Field(description="The agent's name.")
    agentStatus: str | None = Field(description="The agent's status, e.g. 'Live'.")
    workspaceId: str | None = Field(description="The workspace (organisation) that owns the batch run.")
    createdDate: str | None = Field(description="When the batch run was created (UTC, ISO-8601).")
    totalAttempts: int | None = Field(description="Attempts with a result, over the whole batch.")
    successfulAttempts: int | None = Field(description="Attempts the judge marked successful, over the whole batch.")
    failedAttempts: int | None = Field(description="Attempts the judge marked failed, over the whole batch.")
    successRate: float | None = Field(
        description="successfulAttempts / (successfulAttempts + failedAttempts), 0-1; null with no attempts."
    )
    configuredAttempts: int | None = Field(
        description="Sum of the test cases' configured attempts; null if any test case does not say."
    )
    testCaseCount: int = Field(description="Number of test cases in the whole batch run.")
    testCasesWithFailures: int | None = Field(
        description="Test cases with at least one failed attempt; null when the API sends no per-attempt results."
    )
    flakyTestCases: int | None = Field(
        description="Test cases whose attempts both passed and failed; null without per-attempt results."
    )
    consistentlyFailingTestCases: int | None = Field(
        description="Test cases that failed every judged attempt; null without per-attempt results."
    )
    failureThemes: list[FailureTheme] = Field(
        description="Failed attempts over the whole batch grouped by what the judge's remarks say (wordings that "
        "differ only in details such as turn numbers, names, amounts, quotes or clause order fall together), "
        "largest first (at most 8); empty without per-attempt results."
    )
    moreFailureThemes: int = Field(description="Failure themes not listed.")
    cacheAgeSeconds: float | None = Field(
        description="How long ago sigma-mcp fetched the batch run, when this answer came from its cache (a "
        "finished batch run does not change); null when it was fetched for this answer."
    )
    offset: int = Field(description="Position of the first test case shown in that order.")
    testCasesNotShown: int = Field(
        description="Test cases of the batch (or of the filter) not in testCases, before and after them."
    )
    nextOffset: int | None = Field(description="The offset that shows the next test cases, or null.")
    testCaseFilter: str | None = Field(description="The testCaseId asked for, if any.")
    missingFields: list[str] = Field(description="Fields the API left out or sent as null.")
    warnings: list[str] = Field(description="Things that look wrong or incomplete, worth telling the user.")
    nextSteps: list[NextStep] = Field(description="The calls to make next, most useful first.")
    advice: list[str] = Field(description="What to do next that is not a call.")
    testCases: list[CaseSummary] = Field(
        description="The test cases shown: failures first, then those without per-attempt results, then passes."
    )


NOTICE = third_party_notice(
    "agentName, failureThemes[].remarks, testCases[].label, userPrompt, successCriteria, mockData, "
    "results.failureRemarks[].remarks and "
    "the values quoted in warnings"
)

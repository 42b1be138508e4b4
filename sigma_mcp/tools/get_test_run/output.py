"""get_test_run's structuredContent: the summary model, whose JSON schema is `output_schema.json` beside it."""

from __future__ import annotations

from pydantic import Field

from sigma_mcp.tools.common import (
    NextStep,
    OutputModel,
    ToolOutput,
    third_party_notice,
)


class TurnSummary(OutputModel):
    turn: int = Field(description="1-based position of the turn in the whole transcript.")
    role: str | None = Field(description="Who spoke: e.g. 'user' (the simulated user) or 'assistant' (the agent).")
    content: str = Field(description="What was said (third-party text, capped per turn).")


class AttemptSummary(ToolOutput):
    jobId: str = Field(description="The attempt's id.")
    batchId: str = Field(description="The batch run it belongs to.")
    agentId: str = Field(description="The agent under test.")
    chatId: str | None = Field(description="The conversation's id.")
    isSuccessful: bool | None = Field(description="The judge's verdict; null while there is none.")
    remarks: str | None = Field(description="The judge's explanation of its verdict (third-party text).")
    testCaseId: str | None = Field(description="The test case's id.")
    label: str | None = Field(description="The test case's name.")
    llmModel: str | None = Field(description="The model that played the simulated user.")
    userPrompt: str | None = Field(description="The simulated user's persona and goal (third-party text).")
    successCriteria: str | None = Field(description="What the judge checked the attempt against (third-party text).")
    mockData: dict[str, str | None] = Field(description="Mock variables fed to the agent, name -> value.")
    mockDataNotShown: int = Field(description="Mock variables left out of mockData.")
    createdDate: str | None = Field(description="When the attempt started (UTC, ISO-8601).")
    completedDate: str | None = Field(description="When the attempt finished (UTC, ISO-8601).")
    durationSeconds: float | None = Field(description="completedDate - createdDate, in seconds.")
    turnCount: int | None = Field(description="Turns in the whole transcript; null when the API sent none.")
    turnsOmitted: int = Field(description="Turns of the transcript not in `conversation`.")
    nextTurnOffset: int | None = Field(description="turnOffset that shows the next turns not shown, or null.")
    missingFields: list[str] = Field(description="Fields the API left out or sent as null.")
    warnings: list[str] = Field(description="Things that look wrong or incomplete, worth telling the user.")
    nextSteps: list[NextStep] = Field(description="The calls to make next, most useful first.")
    advice: list[str] = Field(description="What to do next that is not a call.")
    conversation: list[TurnSummary] = Field(description="The turns shown (see turnsOmitted).")


NOTICE = third_party_notice(
    "remarks, label (quoted in verdict too), userPrompt, successCriteria, mockData, conversation[].content and the "
    "values quoted in warnings"
)

"""The pure core: from a parsed batch run to the facts an assistant needs, with warnings.

No I/O and no globals: `summarize_batch_run` is a function of its arguments.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sigma_mcp.models import AgentRef, BatchRunPayload, MockVariable, TestCasePayload
from sigma_mcp.text import clean_block, clean_line, percent

Source = Literal["sigmamind", "demo"]

LINE_LIMIT = 200
BLOCK_LIMIT = 2000
VALUE_LIMIT = 500
MAX_LISTED_PROBLEMS = 10
DEMO_NOTICE = (
    "This is built-in demo data (sigma-mcp is running with --demo or SIGMAMIND_DEMO=1), not a real SigmaMind batch run."
)


def _drop_titles(schema: dict[str, Any]) -> None:
    """Field titles pydantic derives from names ("Batchid") only add noise to the output schema."""
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)


class OutputModel(BaseModel):
    """Base of the structured results: camelCase wire names, no generated titles."""

    model_config = ConfigDict(json_schema_extra=_drop_titles)


class TestCaseSummary(OutputModel):
    __test__ = False  # not a pytest class

    testCaseId: str | None = Field(description="The test case's id.")
    label: str | None = Field(description="The test case's name.")
    llmModel: str | None = Field(description="The model that plays the simulated user.")
    attempts: int | None = Field(description="How many times the test case is configured to run (`attempt`).")
    userPrompt: str | None = Field(description="The simulated user's persona and goal (third-party text).")
    successCriteria: str | None = Field(description="What the judge checks each attempt against (third-party text).")
    mockData: dict[str, str | None] = Field(description="Mock variables fed to the agent, name -> value.")


class BatchRunSummary(OutputModel):
    source: Source = Field(description="'sigmamind' for live API data, 'demo' for built-in demo data.")
    verdict: str = Field(description="One-line verdict on the batch run.")
    batchId: str = Field(description="The batch run's id.")
    agentId: str = Field(description="The id of the agent under test.")
    agentName: str | None = Field(description="The agent's name.")
    agentStatus: str | None = Field(description="The agent's status, e.g. 'Live'.")
    workspaceId: str | None = Field(description="The workspace (organisation) that owns the batch run.")
    createdDate: str | None = Field(description="When the batch run was created (UTC, ISO-8601).")
    totalAttempts: int | None = Field(description="Attempts with a result, over the whole batch.")
    successfulAttempts: int | None = Field(description="Attempts the judge marked successful.")
    failedAttempts: int | None = Field(description="Attempts the judge marked failed.")
    successRate: float | None = Field(
        description="successfulAttempts / (successfulAttempts + failedAttempts), 0-1; null with no attempts."
    )
    configuredAttempts: int | None = Field(
        description="Sum of the test cases' configured attempts; null if any test case does not say."
    )
    testCaseCount: int = Field(description="Number of test cases in the batch run.")
    testCases: list[TestCaseSummary] = Field(description="The batch run's test cases.")
    missingFields: list[str] = Field(description="Fields the API left out or sent as null.")
    warnings: list[str] = Field(description="Things that look wrong or incomplete, worth telling the user.")


def summarize_batch_run(
    run: BatchRunPayload,
    *,
    batch_id: str,
    agent_id: str,
    source: Source = "sigmamind",
    ignored: Sequence[str] = (),
) -> BatchRunSummary:
    """Summarise a batch run fetched with `batch_id` and `agent_id`.

    `ignored` lists values the parser dropped because of their type (see `models.parse_object`).
    """
    warnings: list[str] = [DEMO_NOTICE] if source == "demo" else []
    agent = run.agent or AgentRef()
    test_cases = run.testCases or []

    counts = _counts(run, warnings)
    configured = _configured_attempts(test_cases)
    _check_progress(counts.total, configured, warnings)
    _check_ids(run, agent, batch_id, agent_id, warnings)
    if ignored:
        warnings.append("The API sent values of unexpected types, which were ignored: " + _listing(ignored) + ".")
    missing = _missing_fields(run, agent, test_cases)
    if run.testCases is not None and not test_cases:
        warnings.append("The batch run lists no test cases.")

    summaries = [_test_case(tc, warnings) for tc in test_cases]
    rate = _rate(counts)
    return BatchRunSummary(
        source=source,
        verdict=_verdict(batch_id, counts, rate, configured, source),
        batchId=batch_id,
        agentId=agent_id,
        agentName=_line(agent.name),
        agentStatus=_line(agent.status),
        workspaceId=_line(run.workspaceId),
        createdDate=_line(run.createdDate),
        totalAttempts=counts.total,
        successfulAttempts=counts.successful,
        failedAttempts=counts.failed,
        successRate=rate,
        configuredAttempts=configured,
        testCaseCount=len(test_cases),
        testCases=summaries,
        missingFields=missing,
        warnings=warnings,
    )


class _Counts:
    def __init__(self, successful: int | None, failed: int | None, total: int | None) -> None:
        self.successful = successful
        self.failed = failed
        self.total = total


def _counts(run: BatchRunPayload, warnings: list[str]) -> _Counts:
    s, f, t = run.successfulAttempts, run.failedAttempts, run.totalAttempts
    if t is None and s is not None and f is not None:
        t = s + f
        warnings.append(f"totalAttempts was missing; derived as successfulAttempts + failedAttempts = {t}.")
    elif s is None and t is not None and f is not None and t >= f:
        s = t - f
        warnings.append(f"successfulAttempts was missing; derived as totalAttempts - failedAttempts = {s}.")
    elif f is None and t is not None and s is not None and t >= s:
        f = t - s
        warnings.append(f"failedAttempts was missing; derived as totalAttempts - successfulAttempts = {f}.")
    elif s is not None and f is not None and t is not None and s + f != t:
        warnings.append(
            f"The counts do not add up: {s} successful + {f} failed = {s + f}, but totalAttempts is {t}. "
            "The success rate is computed over the successful and failed attempts."
        )
    elif s is None or f is None:
        warnings.append("The API did not say how many attempts passed and failed, so there is no success rate.")
    return _Counts(s, f, t)


def _rate(counts: _Counts) -> float | None:
    if counts.successful is None or counts.failed is None:
        return None
    judged = counts.successful + counts.failed
    return counts.successful / judged if judged else None


def _configured_attempts(test_cases: Sequence[TestCasePayload]) -> int | None:
    if not test_cases or any(tc.attempt is None for tc in test_cases):
        return None
    return sum(tc.attempt or 0 for tc in test_cases)


def _check_progress(total: int | None, configured: int | None, warnings: list[str]) -> None:
    if total is None or configured is None:
        return
    if total < configured:
        warnings.append(
            f"Only {total} of the {configured} attempts the test cases configure have results: "
            "the batch run may still be running. Call get_batch_run again later for the final counts."
        )
    elif total > configured:
        warnings.append(
            f"{total} attempts have results but the test cases configure only {configured}; "
            "the test cases may have been edited after this run."
        )


def _check_ids(run: BatchRunPayload, agent: AgentRef, batch_id: str, agent_id: str, warnings: list[str]) -> None:
    if run.batchId and _bare(run.batchId, "batch_") != _bare(batch_id, "batch_"):
        warnings.append(
            f"The API answered with batch run {clean_line(run.batchId, LINE_LIMIT)!r}, not the requested {batch_id!r}."
        )
    if agent.agentId and _bare(agent.agentId, "agent_") != _bare(agent_id, "agent_"):
        warnings.append(
            f"The batch run belongs to agent {clean_line(agent.agentId, LINE_LIMIT)!r}, not the requested {agent_id!r}."
        )


def _bare(value: str, prefix: str) -> str:
    # The API's id prefixes are not reliable ("agent_X" and "X" name the same agent).
    return value.removeprefix(prefix)


_TOP_LEVEL = ("batchId", "workspaceId", "createdDate", "testCases", "successfulAttempts", "failedAttempts")
_AGENT_FIELDS = ("name", "agentId", "status")
_TEST_CASE_FIELDS = ("testCaseId", "label", "llmModel", "userPrompt", "successCriteria", "attempt")


def _missing_fields(run: BatchRunPayload, agent: AgentRef, test_cases: Sequence[TestCasePayload]) -> list[str]:
    missing = [name for name in _TOP_LEVEL if getattr(run, name) is None]
    if run.totalAttempts is None:
        missing.append("totalAttempts")
    if run.agent is None:
        missing.append("agent")
    else:
        missing.extend(f"agent.{name}" for name in _AGENT_FIELDS if getattr(agent, name) is None)
    absent: Counter[str] = Counter()
    for tc in test_cases:
        absent.update(name for name in _TEST_CASE_FIELDS if getattr(tc, name) is None)
    for name in _TEST_CASE_FIELDS:
        if absent[name]:
            missing.append(f"testCases[].{name} (in {absent[name]} of {len(test_cases)} test cases)")
    return missing


def _test_case(tc: TestCasePayload, warnings: list[str]) -> TestCaseSummary:
    return TestCaseSummary(
        testCaseId=_line(tc.testCaseId),
        label=_line(tc.label),
        llmModel=_line(tc.llmModel),
        attempts=tc.attempt,
        userPrompt=_block(tc.userPrompt),
        successCriteria=_block(tc.successCriteria),
        mockData=_mock_data(tc.mockData or [], tc, warnings),
    )


def _mock_data(variables: Sequence[MockVariable], tc: TestCasePayload, warnings: list[str]) -> dict[str, str | None]:
    data: dict[str, str | None] = {}
    seen: Counter[str] = Counter()
    for number, variable in enumerate(variables, start=1):
        name = clean_line(variable.variableName, LINE_LIMIT) if variable.variableName else f"(unnamed {number})"
        seen[name] += 1
        data[name if seen[name] == 1 else f"{name} ({seen[name]})"] = _value(variable.value)
    duplicates = sorted(name for name, count in seen.items() if count > 1)
    if duplicates:
        label = clean_line(tc.label or tc.testCaseId or "a test case", LINE_LIMIT)
        warnings.append(
            f"Test case {label!r} defines the mock variable(s) {', '.join(duplicates)} more than once; "
            "every value is kept, numbered in order."
        )
    return data


def _value(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return clean_line(text, VALUE_LIMIT)


def _line(value: str | None) -> str | None:
    return None if value is None else clean_line(value, LINE_LIMIT)


def _block(value: str | None) -> str | None:
    return None if value is None else clean_block(value, BLOCK_LIMIT)


def _verdict(batch_id: str, counts: _Counts, rate: float | None, configured: int | None, source: Source) -> str:
    prefix = "DEMO DATA — " if source == "demo" else ""
    subject = f"{prefix}Batch run {batch_id}"
    s, f, t = counts.successful, counts.failed, counts.total
    if s is None or f is None:
        return f"{subject}: the API did not report how many attempts passed or failed."
    judged = s + f
    if judged == 0 or rate is None:
        planned = f" ({configured} configured)" if configured else ""
        return f"{subject}: no attempts have results yet{planned}; it may still be running."
    if f == 0:
        verdict = f"{subject} passed: all {judged} attempts succeeded (100%)."
    elif s == 0:
        verdict = f"{subject} failed: all {judged} attempts failed (0%)."
    else:
        verdict = f"{subject}: {s} of {judged} attempts passed ({percent(rate)}), {f} failed."
    if configured is not None and t is not None and t < configured:
        verdict = verdict[:-1] + f" — possibly still running ({t} of {configured} configured attempts have results)."
    return verdict


def _listing(items: Sequence[str]) -> str:
    shown = [clean_line(item, LINE_LIMIT) for item in items[:MAX_LISTED_PROBLEMS]]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")

"""One attempt (test run): the judge's verdict and remarks first, then the test case, then a window
of the transcript that keeps its first and last turns and says what it left out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sigma_mcp.safety.text import clean_block, clean_line, code
from sigma_mcp.sigmamind.payloads import AttemptPayload, CasePayload, Turn
from sigma_mcp.tools import next_steps
from sigma_mcp.tools.common import (
    BLOCK_LIMIT,
    Source,
    block,
    bounded_warnings,
    demo_prefix,
    first_warnings,
    line,
    mock_data,
    parse_timestamp,
    warn_if_other_agent,
    warn_if_other_id,
)
from sigma_mcp.tools.get_test_run.output import NOTICE, AttemptSummary, TurnSummary
from sigma_mcp.tools.spec import DEFAULT_MAX_TURNS, MAX_TURNS

REMARKS_LIMIT = 3000
MOCK_VARIABLES = 20
MOCK_VALUE_LIMIT = 500
TRANSCRIPT_BUDGET = 12000
"""Characters of transcript in one result, shared by the turns shown."""
TURN_LIMIT = 4000


@dataclass(frozen=True)
class TurnWindow:
    """Which turns to show: `max_turns` from `offset`, or (offset None) the first and last turns."""

    max_turns: int = DEFAULT_MAX_TURNS
    offset: int | None = None
    compact: bool = False
    """Shorten remarks, criteria, persona and mock data too (for an attempt too large otherwise)."""


def summarize_test_run(
    run: AttemptPayload,
    *,
    job_id: str,
    batch_id: str,
    agent_id: str,
    source: Source = "sigmamind",
    ignored: Sequence[str] = (),
    window: TurnWindow = TurnWindow(),
) -> AttemptSummary:
    warnings = first_warnings(source, ignored)
    warn_if_other_id("attempt", run.jobId, job_id, "job_", warnings)
    warn_if_other_id("batch run", run.batchId, batch_id, "batch_", warnings)
    warn_if_other_agent(run.agent, agent_id, warnings)
    if run.isSuccessful is not None and run.isSuccesful is not None and run.isSuccessful != run.isSuccesful:
        warnings.append("The API sent two different verdicts (isSuccessful and isSuccesful); isSuccessful is used.")

    test_case = run.testCase or CasePayload()
    variables = test_case.mockData or []
    divisor = 4 if window.compact else 1
    data, duplicates = mock_data(variables, value_limit=MOCK_VALUE_LIMIT // divisor, most=MOCK_VARIABLES // divisor)
    if duplicates:
        warnings.append(
            f"Mock variables defined more than once (all kept, numbered): {', '.join(map(code, duplicates))}."
        )
    duration = _duration(run.createdDate, run.completedDate, warnings)

    turns = run.conversation or []
    shown, next_offset = _turn_window(turns, window, warnings)
    summary = AttemptSummary(
        verdict=_verdict(job_id, run.passed, test_case.label, source),
        source=source,
        notice=NOTICE,
        jobId=job_id,
        batchId=batch_id,
        agentId=agent_id,
        chatId=line(run.chatId),
        isSuccessful=run.passed,
        remarks=block(run.remarks, REMARKS_LIMIT // divisor),
        testCaseId=line(test_case.testCaseId),
        label=line(test_case.label),
        llmModel=line(test_case.llmModel),
        userPrompt=block(test_case.userPrompt, BLOCK_LIMIT // divisor),
        successCriteria=block(test_case.successCriteria, BLOCK_LIMIT // divisor),
        mockData=data,
        mockDataNotShown=len(variables) - len(data),
        createdDate=line(run.createdDate),
        completedDate=line(run.completedDate),
        durationSeconds=duration,
        turnCount=None if run.conversation is None else len(turns),
        conversation=shown,
        turnsOmitted=len(turns) - len(shown),
        nextTurnOffset=next_offset,
        missingFields=_missing_fields(run),
        warnings=bounded_warnings(warnings),
        nextSteps=[],
        advice=[],
    )
    summary.nextSteps, summary.advice = next_steps.for_test_run(summary)
    return summary


def _turn_window(
    turns: Sequence[Turn], window: TurnWindow, warnings: list[str]
) -> tuple[list[TurnSummary], int | None]:
    """The turns to show, and the turnOffset of the first turn not shown after them (or None)."""
    count = len(turns)
    size = max(0, min(window.max_turns, MAX_TURNS))
    if window.offset is None:
        if count <= size:
            indexes = list(range(count))
            next_offset = None
        else:
            head = (size + 1) // 2
            indexes = [*range(head), *range(count - (size - head), count)]
            next_offset = head
    else:
        if window.offset >= count and count:
            warnings.append(f"turnOffset {window.offset} is past the last of the {count} turns; none are shown.")
        indexes = list(range(window.offset, min(count, window.offset + size)))
        end = window.offset + len(indexes)
        next_offset = end if end < count else None
    divisor = 4 if window.compact else 1
    limit = min(TURN_LIMIT // divisor, TRANSCRIPT_BUDGET // divisor // max(1, len(indexes)))
    return [_turn(index, turns[index], limit) for index in indexes], next_offset


def _turn(index: int, turn: Turn, limit: int) -> TurnSummary:
    content = turn.content
    text = content if isinstance(content, str) else ("" if content is None else json.dumps(content, ensure_ascii=False))
    return TurnSummary(
        turn=index + 1,
        role=None if turn.role is None else clean_line(turn.role, 40),
        content=clean_block(text, limit),
    )


def _duration(created: str | None, completed: str | None, warnings: list[str]) -> float | None:
    start, end = parse_timestamp(created), parse_timestamp(completed)
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    if seconds < 0:
        warnings.append("completedDate is before createdDate, so there is no duration.")
        return None
    return round(seconds, 3)


def _verdict(job_id: str, passed: bool | None, label: str | None, source: Source) -> str:
    subject = f"{demo_prefix(source)}Attempt {job_id}"
    if label:
        subject += f" of test case {code(clean_line(label, 120))}"
    if passed is True:
        return f"{subject} passed: the judge marked it successful."
    if passed is False:
        return f"{subject} failed: the judge marked it unsuccessful."
    return f"{subject} has no verdict yet: it may still be running, or it was not judged."


_FIELDS = ("jobId", "batchId", "remarks", "testCase", "conversation", "createdDate", "completedDate")


def _missing_fields(run: AttemptPayload) -> list[str]:
    missing = [name for name in _FIELDS if getattr(run, name) is None]
    if run.passed is None:
        missing.insert(2, "isSuccessful")
    if run.testCase is not None:
        missing.extend(
            f"testCase.{name}"
            for name in ("testCaseId", "label", "userPrompt", "successCriteria")
            if getattr(run.testCase, name) is None
        )
    return missing

"""Markdown for get_test_run."""

from __future__ import annotations

from sigma_mcp.safety.text import code, fence, plural
from sigma_mcp.tools.get_test_run.output import AttemptSummary, TurnSummary
from sigma_mcp.tools.markdown import DATA_NOTE, mock_data_lines, next_step_lines, warning_lines


def render_test_run(summary: AttemptSummary) -> str:
    lines = [f"**{summary.verdict}**", ""]
    if summary.remarks:
        lines += ["Judge's remarks:", fence(summary.remarks), ""]
    elif summary.isSuccessful is not None:
        lines += ["The judge gave no remarks.", ""]
    lines.extend(_facts(summary))
    lines += warning_lines(summary.warnings)
    if summary.missingFields:
        lines += ["", "Missing from the API's answer: " + ", ".join(summary.missingFields) + "."]
    lines += ["", DATA_NOTE]
    lines += ["", "## Success criteria", fence(summary.successCriteria) if summary.successCriteria else "(not given)"]
    lines += ["", "## Persona (userPrompt)", fence(summary.userPrompt) if summary.userPrompt else "(not given)"]
    lines += mock_data_lines("## Mock data", summary.mockData, summary.mockDataNotShown)
    lines += ["", _transcript_heading(summary)]
    if summary.turnCount:
        lines.append(fence(_transcript(summary.conversation, summary.turnCount)) if summary.conversation else "")
    lines += next_step_lines(summary.nextSteps, summary.advice)
    return "\n".join(line for line in lines if line is not None) + "\n"


def _facts(summary: AttemptSummary) -> list[str]:
    test_case = code(summary.label) if summary.label else "(unnamed test case)"
    test_case += f" ({code(summary.testCaseId)})" if summary.testCaseId else ""
    if summary.llmModel:
        test_case += f", simulated user played by {code(summary.llmModel)}"
    facts = [
        f"- Test case: {test_case}",
        f"- Batch run: {code(summary.batchId)} · agent {code(summary.agentId)}"
        + (f" · chat {code(summary.chatId)}" if summary.chatId else ""),
    ]
    timing = []
    if summary.createdDate:
        timing.append(f"started {code(summary.createdDate)}")
    if summary.completedDate:
        timing.append(f"finished {code(summary.completedDate)}")
    if summary.durationSeconds is not None:
        timing.append(f"took {_duration(summary.durationSeconds)}")
    if timing:
        facts.append(f"- Timing: {', '.join(timing)}")
    return facts


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _transcript_heading(summary: AttemptSummary) -> str:
    if summary.turnCount is None:
        return "## Transcript\n(The API sent no transcript for this attempt.)"
    if summary.turnCount == 0:
        return "## Transcript\n(The transcript is empty.)"
    if not summary.turnsOmitted:
        return f"## Transcript ({plural(summary.turnCount, 'turn')})"
    return f"## Transcript ({len(summary.conversation)} of {summary.turnCount} turns shown)"


def _transcript(turns: list[TurnSummary], count: int) -> str:
    lines: list[str] = []
    expected = 1
    for turn in turns:
        if turn.turn > expected:
            lines.append(_gap(expected, turn.turn - 1))
        lines.append(f"[{turn.turn}] {turn.role or 'unknown'}: {turn.content}")
        expected = turn.turn + 1
    if expected <= count:
        lines.append(_gap(expected, count))
    return "\n".join(lines)


def _gap(first: int, last: int) -> str:
    span = f"turn {first}" if first == last else f"turns {first}–{last}"
    return f"… {plural(last - first + 1, 'turn')} not shown ({span}) …"

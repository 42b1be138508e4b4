"""Markdown for get_batch_run."""

from __future__ import annotations

from sigma_mcp.safety.text import code, fence, percent, plural
from sigma_mcp.tools.get_batch_run.output import AttemptResults, BatchRunSummary, CaseSummary
from sigma_mcp.tools.markdown import DATA_NOTE, mock_data_lines, next_step_lines, warning_lines


def render_batch_run(summary: BatchRunSummary, bodies: Rendered | None = None) -> str:
    """The answer's markdown; `bodies` holds test cases' markdown already rendered for the budget."""
    lines = [f"**{summary.verdict}**", ""]
    lines.extend(_facts(summary))
    lines += warning_lines(summary.warnings)
    if summary.missingFields:
        lines += ["", "Missing from the API's answer: " + ", ".join(summary.missingFields) + "."]
    if summary.failureThemes:
        lines += ["", *_themes(summary)]
    if summary.testCaseCount:
        lines += ["", _test_cases_heading(summary)]
        if not summary.failureThemes:  # said once, above the first quoted text
            lines += ["", DATA_NOTE]
        for number, test_case in enumerate(summary.testCases, start=summary.offset + 1):
            lines += ["", render_test_case(number, test_case, bodies)]
        if summary.testCasesNotShown:
            lines += ["", _not_shown(summary)]
    lines += next_step_lines(summary.nextSteps, summary.advice)
    return "\n".join(lines) + "\n"


def _themes(summary: BatchRunSummary) -> list[str]:
    """The failure section's lead: the themes of the whole batch, largest first."""
    failed = sum(theme.count for theme in summary.failureThemes)
    more = f", {plural(summary.moreFailureThemes, 'smaller theme')} not shown" if summary.moreFailureThemes else ""
    lines = [
        f"## Failure themes ({plural(failed, 'failed attempt')} in {plural(len(summary.failureThemes), 'theme')}"
        f"{more}, largest first)",
        "",
        DATA_NOTE,
    ]
    for number, theme in enumerate(summary.failureThemes, start=1):
        cases = ", ".join(code(tc) for tc in theme.testCaseIds)
        if theme.testCaseIdsNotShown:
            cases += f" and {theme.testCaseIdsNotShown} more"
        where = (
            f" in {plural(len(theme.testCaseIds) + theme.testCaseIdsNotShown, 'test case')} ({cases})" if cases else ""
        )
        jobs = ", ".join(code(job) for job in theme.jobIds[:5])
        left = theme.count - min(len(theme.jobIds), 5)
        jobs = f"{jobs} and {left} more" if jobs and left > 0 else jobs or "no jobIds"
        wordings = f", {theme.wordings} wordings" if theme.wordings > 1 else ""
        lines += ["", f"{number}. **{plural(theme.count, 'failed attempt')}**{where}{wordings}; jobIds {jobs}:"]
        lines.append(fence(theme.remarks) if theme.remarks else "(no remarks)")
    return lines


def render_test_case(number: int, tc: CaseSummary, bodies: Rendered | None = None) -> str:
    body = bodies.body(tc) if bodies is not None else None
    return f"{_heading(number, tc)}\n{_test_case_body(tc) if body is None else body}"


def _heading(number: int, tc: CaseSummary) -> str:
    return f"### {number}. {code(tc.label) if tc.label else '(unnamed test case)'}"


class Rendered:
    """Within one call: each test case's markdown as rendered to measure it for the budget (`size`), kept so
    that the answer's text (`render`) does not render it again."""

    def __init__(self) -> None:
        self._bodies: dict[int, tuple[CaseSummary, str]] = {}  # by id; the summary is kept, so its id stays its own

    def size(self, tc: CaseSummary) -> int:
        """Bytes the test case adds to the markdown: its lines, the blank line before it, the break after."""
        body = _test_case_body(tc)
        self._bodies[id(tc)] = (tc, body)
        return len(_heading(0, tc).encode()) + 1 + len(body.encode()) + 2

    def body(self, tc: CaseSummary) -> str | None:
        kept = self._bodies.get(id(tc))
        return None if kept is None else kept[1]

    def render(self, summary: BatchRunSummary) -> str:
        return render_batch_run(summary, self)


def _test_case_body(tc: CaseSummary) -> str:
    details = [code(tc.testCaseId) if tc.testCaseId else "no id"]
    if tc.llmModel:
        details.append(f"simulated user played by {code(tc.llmModel)}")
    if tc.attempts is not None:
        details.append(f"{plural(tc.attempts, 'attempt')} configured")
    lines = [" · ".join(details)]
    if tc.results is not None:
        lines += ["", _results_line(tc.results, tc.flaky)]
        for group in tc.results.failureRemarks:
            jobs = ", ".join(code(job) for job in group.jobIds[:5])
            more = group.count - min(len(group.jobIds), 5)
            jobs = f"{jobs} and {more} more" if jobs and more > 0 else jobs or "no jobIds"
            said = (
                f"judge's remarks in {group.wordings} wordings, for example"
                if group.wordings > 1
                else "judge's remarks"
            )
            lines += ["", f"Failed {plural(group.count, 'time')} ({jobs}), {said}:"]
            lines.append(fence(group.remarks) if group.remarks else "(no remarks)")
        if tc.results.moreRemarkGroups:
            lines += ["", f"({plural(tc.results.moreRemarkGroups, 'more distinct remark')} not shown.)"]
    lines += ["", "Persona (userPrompt):", fence(tc.userPrompt) if tc.userPrompt else "(not given)"]
    lines += ["", "Success criteria:", fence(tc.successCriteria) if tc.successCriteria else "(not given)"]
    lines += mock_data_lines("Mock data:", tc.mockData, tc.mockDataNotShown, "; testCaseId shows more")
    return "\n".join(lines)


def _results_line(results: AttemptResults, flaky: bool) -> str:
    judged = results.passed + results.failed
    text = f"Results: {results.passed} of {plural(judged, 'attempt')} passed, {results.failed} failed"
    if results.pending:
        text += f", {results.pending} without a verdict yet"
    if flaky:
        text += " — flaky: the same test both passed and failed"
    elif results.failed and not results.passed:
        text += " — failed every judged attempt"
    return text + "."


def _facts(summary: BatchRunSummary) -> list[str]:
    agent = code(summary.agentName) if summary.agentName else "(name not given)"
    status = f", status {code(summary.agentStatus)}" if summary.agentStatus else ""
    facts = [f"- Agent: {agent} ({code(summary.agentId)}{status})"]
    if summary.workspaceId:
        facts.append(f"- Workspace: {code(summary.workspaceId)}")
    if summary.createdDate:
        facts.append(f"- Created: {code(summary.createdDate)}")
    facts.append(f"- Attempts: {_attempts(summary)}")
    configured = (
        f", {summary.configuredAttempts} attempts configured in all" if summary.configuredAttempts is not None else ""
    )
    with_failures = (
        f", {summary.testCasesWithFailures} with failed attempts" if summary.testCasesWithFailures is not None else ""
    )
    split = [
        f"{summary.consistentlyFailingTestCases} failed every attempt" if summary.consistentlyFailingTestCases else "",
        f"{summary.flakyTestCases} flaky: passed some attempts, failed others" if summary.flakyTestCases else "",
    ]
    split_text = f" ({'; '.join(part for part in split if part)})" if any(split) else ""
    facts.append(f"- Test cases: {summary.testCaseCount}{configured}{with_failures}{split_text}")
    if summary.cacheAgeSeconds is not None:
        facts.append(
            f"- Served from sigma-mcp's cache: fetched {_age(summary.cacheAgeSeconds)} ago (a finished batch run "
            "does not change)"
        )
    return facts


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _attempts(summary: BatchRunSummary) -> str:
    parts = []
    if summary.totalAttempts is not None:
        parts.append(f"{summary.totalAttempts} with results")
    if summary.successfulAttempts is not None:
        parts.append(f"{summary.successfulAttempts} passed")
    if summary.failedAttempts is not None:
        parts.append(f"{summary.failedAttempts} failed")
    rate = f"success rate {percent(summary.successRate)}" if summary.successRate is not None else "no success rate"
    return ", ".join([*parts, rate])


def _test_cases_heading(summary: BatchRunSummary) -> str:
    if summary.testCaseFilter is not None:
        return f"## Test case {summary.testCaseFilter}"
    shown = len(summary.testCases)
    failures_first = summary.testCasesWithFailures is not None
    if shown == summary.testCaseCount:
        return f"## Test cases ({summary.testCaseCount}{', failures first' if failures_first else ''})"
    if not shown:
        return f"## Test cases: none of {summary.testCaseCount} shown"
    first = summary.offset + 1
    order = " (failures first)" if failures_first else ""
    if shown == 1:
        return f"## Test case {first} of {summary.testCaseCount}{order}"
    return f"## Test cases {first}–{first + shown - 1} of {summary.testCaseCount}{order}"


def _not_shown(summary: BatchRunSummary) -> str:
    matched = len(summary.testCases) + summary.testCasesNotShown
    before = min(summary.offset, matched)
    after = matched - before - len(summary.testCases)
    notes = []
    if after:
        notes.append(f"{plural(after, 'more test case')} after these: see Next steps.")
    if before:
        notes.append(f"{plural(before, 'test case')} before these: offset=0 shows the first.")
    return "(" + " ".join(notes) + ")"

"""A batch run: counts and rate over the whole batch, and a bounded window of its test cases,
failures first, with per-attempt results and the judge's remarks grouped when the API sends them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING

from sigma_mcp.safety.text import clean_block, clean_line, code
from sigma_mcp.sigmamind.payloads import AgentRef, BatchRunPayload, CasePayload
from sigma_mcp.sigmamind.runs import batch_themes, remarks_key
from sigma_mcp.sigmamind.scan import (
    AttemptRecord,
    CaseScan,
    Failed,
    attempt_records,
    parse_test_case,
    scan_test_cases,
)
from sigma_mcp.sigmamind.themes import Failure, Theme, ThemeOf, themes_as
from sigma_mcp.tools import next_steps
from sigma_mcp.tools.common import (
    BLOCK_LIMIT,
    DATA_BUDGET,
    TEXT_BUDGET,
    VALUE_LIMIT,
    Source,
    block,
    bounded_warnings,
    derive_counts,
    first_warnings,
    json_size,
    line,
    listing,
    mock_data,
    warn_if_other_agent,
    warn_if_other_id,
)
from sigma_mcp.tools.get_batch_run.checks import (
    check_progress,
    check_records,
    configured_attempts,
    missing_fields,
    verdict_line,
)
from sigma_mcp.tools.get_batch_run.output import (
    NOTICE,
    AttemptResults,
    BatchRunSummary,
    CaseSummary,
    FailureTheme,
    RemarkGroup,
)
from sigma_mcp.tools.spec import MAX_PAGE

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.runs import ScannedRun

HEADER_TEXT_RESERVE = 6 * 1024
HEADER_DATA_RESERVE = 6 * 1024
MAX_THEMES = 8
THEMES_BUDGET = 5 * 1024
"""Bytes of JSON the failure themes may take, of each channel's budget."""
THEME_REMARKS_LIMIT = 300


@dataclass(frozen=True)
class Window:
    """Which test cases to show: `limit` from `offset` on, or only `test_case_id`."""

    offset: int = 0
    limit: int | None = None
    test_case_id: str | None = None


TextCost = Callable[[CaseSummary], int]
"""Bytes a test case adds to the markdown (supplied by the renderer)."""


def summarize_batch_run(
    run: BatchRunPayload,
    *,
    batch_id: str,
    agent_id: str,
    source: Source = "sigmamind",
    ignored: Sequence[str] = (),
    window: Window = Window(),
    text_cost: TextCost | None = None,
    text_budget: int | None = None,
    data_budget: int | None = None,
    scanned: ScannedRun | None = None,
    cache_age: float | None = None,
) -> BatchRunSummary:
    """Summarise a batch run fetched with `batch_id` and `agent_id`.

    Counts and rates cover the whole batch; `testCases` holds the window that fits the budgets.
    `ignored` lists values the parser dropped because of their type (see `models.parse_object`). `scanned` is the
    batch run already scanned (`sigmamind.runs`: with the test-run listing's attempts, perhaps from the cache,
    `cache_age` seconds ago); without it, `run`'s test cases are scanned here.
    """
    warnings: list[str] = first_warnings(source, ())
    agent = run.agent or AgentRef()
    failed: Failed = []  # the failed attempts a scan here meets (a scanned run's themes are worked out already)
    if scanned is not None:
        cases, not_objects = scanned.cases, scanned.not_objects
    else:
        cases, not_objects = scan_test_cases(run.testCases or [], failed)

    counts = derive_counts(run.successfulAttempts, run.failedAttempts, run.totalAttempts, warnings)
    configured = configured_attempts(cases, len(not_objects))
    check_progress(counts.total, configured, warnings)
    warn_if_other_id("batch run", run.batchId, batch_id, "batch_", warnings)
    warn_if_other_agent(run.agent, agent_id, warnings)
    if run.testCases is not None and not cases:
        warnings.append("The batch run lists no test cases.")
    with_records = [case for case in cases if case.has_records]
    if scanned is not None:
        warnings += scanned.notes
    check_records(with_records, len(cases), counts, warnings)
    theme_of: ThemeOf = {}
    if scanned is not None:
        themes, theme_of = scanned.themes, scanned.theme_of
    else:
        themes = batch_themes(cases, (), failed, theme_of)
    shown_themes, themes_size = _shown_themes(themes)
    if text_budget is None:
        text_budget = TEXT_BUDGET - HEADER_TEXT_RESERVE - themes_size
    if data_budget is None:
        data_budget = DATA_BUDGET - HEADER_DATA_RESERVE - themes_size

    ordered = sorted(cases, key=attrgetter("order"))
    if window.test_case_id is not None:
        ordered = [case for case in ordered if case.test_case_id == window.test_case_id]
    if window.offset >= len(ordered) and ordered:
        warnings.append(f"offset {window.offset} is past the last of the {len(ordered)} test cases; none are shown.")
    full_text = window.test_case_id is not None
    shown, notes, duplicates = _window(ordered, window, full_text, text_cost, text_budget, data_budget, theme_of)
    if duplicates:
        warnings.append(
            "Mock variables defined more than once in a test case (every value is kept, numbered in order): "
            + listing(duplicates, 5)
            + "."
        )
    end = window.offset + len(shown)
    ignored = [*ignored, *not_objects, *(note for case in cases for note in case.notes), *notes]
    if ignored:
        warnings.append("The API sent values of unexpected types, which were ignored: " + listing(ignored) + ".")

    flaky = sum(1 for case in with_records if case.failed and case.passed) if with_records else None
    failing = sum(1 for case in with_records if case.failed and not case.passed) if with_records else None
    summary = BatchRunSummary(
        verdict=verdict_line(batch_id, counts, configured, source, flaky, failing),
        source=source,
        notice=NOTICE,
        batchId=batch_id,
        agentId=agent_id,
        agentName=line(agent.name),
        agentStatus=line(agent.status),
        workspaceId=line(run.workspaceId),
        createdDate=line(run.createdDate),
        totalAttempts=counts.total,
        successfulAttempts=counts.successful,
        failedAttempts=counts.failed,
        successRate=counts.rate,
        configuredAttempts=configured,
        testCaseCount=len(cases),
        testCasesWithFailures=sum(1 for case in with_records if case.failed) if with_records else None,
        flakyTestCases=flaky,
        consistentlyFailingTestCases=failing,
        failureThemes=shown_themes,
        moreFailureThemes=len(themes) - len(shown_themes),
        cacheAgeSeconds=None if cache_age is None else round(cache_age, 1),
        testCases=shown,
        offset=window.offset,
        testCasesNotShown=len(ordered) - len(shown),
        nextOffset=end if end < len(ordered) else None,
        testCaseFilter=window.test_case_id,
        missingFields=missing_fields(run, agent, cases),
        warnings=bounded_warnings(warnings),
        nextSteps=[],
        advice=[],
    )
    summary.nextSteps, summary.advice = next_steps.for_batch_run(summary)
    return summary


def _shown_themes(themes: Sequence[Theme]) -> tuple[list[FailureTheme], int]:
    """The largest themes, at most MAX_THEMES and THEMES_BUDGET bytes of JSON (always the first), and their size."""
    shown: list[FailureTheme] = []
    used = 0
    for theme in themes[:MAX_THEMES]:
        summary = _theme(theme)
        size = json_size(summary.model_dump()) + 1
        if shown and used + size > THEMES_BUDGET:
            break
        shown.append(summary)
        used += size
    return shown, used


def _theme(theme: Theme) -> FailureTheme:
    job_ids = [clean_line(job, 128) or "" for job in theme.job_ids]
    return FailureTheme(
        remarks=None if theme.remarks is None else clean_block(theme.remarks, THEME_REMARKS_LIMIT),
        count=theme.count,
        jobIds=[job for job in job_ids if job],
        jobIdsNotShown=theme.count - len([job for job in job_ids if job]),
        testCaseIds=[clean_line(tc, 128) or "" for tc in theme.test_case_ids],
        testCaseIdsNotShown=theme.test_case_ids_not_shown,
        wordings=theme.variants,
    )


@dataclass(frozen=True)
class Detail:
    """How much of each test case to show."""

    text: int
    """Characters of persona and of success criteria."""
    mock_variables: int
    mock_value: int
    remark_groups: int
    remarks: int
    job_ids: int


FULL = Detail(BLOCK_LIMIT, 100, VALUE_LIMIT, 5, 1000, 10)
"""One test case asked for by testCaseId."""
NORMAL = Detail(1000, 20, 200, 5, 500, 10)
COMPACT = Detail(300, 5, 100, 2, 200, 3)
"""For a test case too large to show at all otherwise."""


def _window(
    ordered: Sequence[CaseScan],
    window: Window,
    full_text: bool,
    text_cost: TextCost | None,
    text_budget: int,
    data_budget: int,
    theme_of: ThemeOf,
) -> tuple[list[CaseSummary], list[str], list[str]]:
    """Build summaries from `window.offset` on until the limit or either budget is reached; and, for the
    test cases shown, the notes on values of unexpected types and the mock variables defined twice.

    The first test case is shown in less detail rather than not at all when it alone is too large.
    """
    limit = MAX_PAGE if window.limit is None else min(window.limit, MAX_PAGE)
    details = (FULL, NORMAL, COMPACT) if full_text else (NORMAL, COMPACT)
    shown: list[CaseSummary] = []
    notes: list[str] = []
    duplicates: list[str] = []
    text_used = data_used = 0
    for case in ordered[window.offset :]:
        if len(shown) >= limit:
            break
        raw = case.full()  # a kept test case's JSON, parsed once for both
        parsed = parse_test_case(case, raw)
        records, record_notes = attempt_records(case, raw) if case.has_records else ([], [])
        for detail in details if not shown else details[:1]:
            summary = _test_case(case, parsed.value, records, detail, theme_of)
            text = text_cost(summary) if text_cost else 0
            data = json_size(summary)
            if text_used + text <= text_budget and data_used + data <= data_budget:
                break
        else:
            if shown:
                break  # the page is full; a test case alone too large is shown compact (below)
        shown.append(summary)
        notes += [*parsed.ignored, *record_notes]
        names = [variable.variableName for variable in parsed.value.mockData or ()]
        repeated = mock_data(parsed.value.mockData or [])[1] if len(set(names)) < len(names) else []
        if repeated:
            duplicates.append(f"{code(clean_line(case.name(), 80))}: {', '.join(code(name) for name in repeated)}")
        text_used += text
        data_used += data
    return shown, notes, duplicates


def _test_case(
    case: CaseScan, tc: CasePayload, records: Sequence[AttemptRecord], detail: Detail, theme_of: ThemeOf
) -> CaseSummary:
    variables = tc.mockData or []
    data, _ = mock_data(variables, value_limit=detail.mock_value, most=detail.mock_variables)
    return CaseSummary(
        flaky=bool(case.passed and case.failed),
        testCaseId=line(tc.testCaseId),
        label=line(tc.label),
        llmModel=line(tc.llmModel),
        attempts=tc.attempt,
        userPrompt=block(tc.userPrompt, detail.text),
        successCriteria=block(tc.successCriteria, detail.text),
        mockData=data,
        mockDataNotShown=len(variables) - len(data),
        results=_results(case, records, detail, theme_of) if case.has_records else None,
    )


def _results(case: CaseScan, records: Sequence[AttemptRecord], detail: Detail, theme_of: ThemeOf) -> AttemptResults:
    # Grouped as the whole batch's themes grouped them (the remarks as they will show), so that both agree.
    failures = [
        Failure(remarks_key(record.remarks), clean_line(record.job_id, 128) if record.job_id else None, None)
        for record in records
        if record.passed is False
    ]
    ranked = themes_as(failures, theme_of, max_job_ids=detail.job_ids) if failures else []
    return AttemptResults(
        passed=case.passed,
        failed=case.failed,
        pending=case.pending,
        failureRemarks=[
            RemarkGroup(
                remarks=None if group.remarks is None else clean_block(group.remarks, detail.remarks),
                count=group.count,
                jobIds=[job for job in group.job_ids if job][: detail.job_ids],
                wordings=group.variants,
            )
            for group in ranked[: detail.remark_groups]
        ],
        moreRemarkGroups=max(0, len(ranked) - detail.remark_groups),
    )

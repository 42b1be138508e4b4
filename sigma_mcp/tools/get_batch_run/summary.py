"""A batch run: counts and rate over the whole batch, and a bounded window of its test cases,
failures first, with per-attempt results and the judge's remarks grouped when the API sends them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from sigma_mcp.safety.text import clean_block, clean_line, code
from sigma_mcp.sigmamind.payloads import AgentRef, BatchRunPayload, CasePayload
from sigma_mcp.sigmamind.scan import (
    AttemptRecord,
    CaseScan,
    attempt_records,
    parse_test_case,
    scan_test_cases,
)
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
from sigma_mcp.tools.get_batch_run.output import NOTICE, AttemptResults, BatchRunSummary, CaseSummary, RemarkGroup
from sigma_mcp.tools.spec import MAX_PAGE

REMARKS_KEY_LIMIT = 20_000
"""Characters of remarks compared when grouping them (more than any group shows)."""
HEADER_TEXT_RESERVE = 6 * 1024
HEADER_DATA_RESERVE = 6 * 1024


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
    text_budget: int = TEXT_BUDGET - HEADER_TEXT_RESERVE,
    data_budget: int = DATA_BUDGET - HEADER_DATA_RESERVE,
) -> BatchRunSummary:
    """Summarise a batch run fetched with `batch_id` and `agent_id`.

    Counts and rates cover the whole batch; `testCases` holds the window that fits the budgets.
    `ignored` lists values the parser dropped because of their type (see `models.parse_object`).
    """
    warnings: list[str] = first_warnings(source, ())
    agent = run.agent or AgentRef()
    cases, not_objects = scan_test_cases(run.testCases or [])

    counts = derive_counts(run.successfulAttempts, run.failedAttempts, run.totalAttempts, warnings)
    configured = configured_attempts(cases, len(not_objects))
    check_progress(counts.total, configured, warnings)
    warn_if_other_id("batch run", run.batchId, batch_id, "batch_", warnings)
    warn_if_other_agent(run.agent, agent_id, warnings)
    if run.testCases is not None and not cases:
        warnings.append("The batch run lists no test cases.")
    with_records = [case for case in cases if case.has_records]
    check_records(with_records, len(cases), counts, warnings)

    ordered = sorted(cases, key=attrgetter("order"))
    if window.test_case_id is not None:
        ordered = [case for case in ordered if case.test_case_id == window.test_case_id]
    if window.offset >= len(ordered) and ordered:
        warnings.append(f"offset {window.offset} is past the last of the {len(ordered)} test cases; none are shown.")
    full_text = window.test_case_id is not None
    shown, notes, duplicates = _window(ordered, window, full_text, text_cost, text_budget, data_budget)
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

    summary = BatchRunSummary(
        verdict=verdict_line(batch_id, counts, configured, source),
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
        parsed = parse_test_case(case)
        records, record_notes = attempt_records(case) if case.has_records else ([], [])
        for detail in details if not shown else details[:1]:
            summary = _test_case(case, parsed.value, records, detail)
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


def _test_case(case: CaseScan, tc: CasePayload, records: Sequence[AttemptRecord], detail: Detail) -> CaseSummary:
    variables = tc.mockData or []
    data, _ = mock_data(variables, value_limit=detail.mock_value, most=detail.mock_variables)
    return CaseSummary(
        testCaseId=line(tc.testCaseId),
        label=line(tc.label),
        llmModel=line(tc.llmModel),
        attempts=tc.attempt,
        userPrompt=block(tc.userPrompt, detail.text),
        successCriteria=block(tc.successCriteria, detail.text),
        mockData=data,
        mockDataNotShown=len(variables) - len(data),
        results=_results(case, records, detail) if case.has_records else None,
    )


def _results(case: CaseScan, records: Sequence[AttemptRecord], detail: Detail) -> AttemptResults:
    # Grouped by the remarks as they will show: cleaned, white space folded, blank ones with the missing ones.
    groups: dict[str | None, list[str]] = {}
    for record in records:
        if record.passed is False:
            remarks = " ".join(clean_block(record.remarks, REMARKS_KEY_LIMIT).split()) if record.remarks else None
            job_id = clean_line(record.job_id, 128) if record.job_id else ""
            groups.setdefault(remarks or None, []).append(job_id)
    ranked = sorted(groups.items(), key=lambda item: -len(item[1]))
    return AttemptResults(
        passed=case.passed,
        failed=case.failed,
        pending=case.pending,
        failureRemarks=[
            RemarkGroup(
                remarks=None if remarks is None else clean_block(remarks, detail.remarks),
                count=len(job_ids),
                jobIds=[job for job in job_ids if job][: detail.job_ids],
            )
            for remarks, job_ids in ranked[: detail.remark_groups]
        ],
        moreRemarkGroups=max(0, len(ranked) - detail.remark_groups),
    )

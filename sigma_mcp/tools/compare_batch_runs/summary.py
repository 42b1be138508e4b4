"""Two batch runs of one agent side by side: did it get better or worse, and did the tests change?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sigma_mcp.safety.text import clean_block, clean_line, percent
from sigma_mcp.safety.text import points as signed
from sigma_mcp.sigmamind.payloads import BatchRunPayload
from sigma_mcp.sigmamind.scan import COMPARED_FIELDS, CaseScan, parse_test_case, scan_test_cases
from sigma_mcp.tools import next_steps
from sigma_mcp.tools.common import (
    Counts,
    Source,
    bounded_warnings,
    demo_prefix,
    derive_counts,
    first_warnings,
    line,
    mock_data,
    parse_timestamp,
    warn_if_other_agent,
)
from sigma_mcp.tools.compare_batch_runs.output import (
    NOTICE,
    BatchSide,
    CaseDelta,
    CaseRef,
    ComparisonSummary,
    ConfigChange,
    FieldChange,
)

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.runs import ScannedRun

MAX_LISTED = 25
CHANGE_LIMIT = 300
NO_CHANGE_POINTS = 0.05


@dataclass(frozen=True)
class _Side:
    batch_id: str
    run: BatchRunPayload
    counts: Counts
    cases: dict[str, CaseScan]
    entries: int
    """The batch run's testCases entries, objects or not."""


def compare_batch_runs(
    base: BatchRunPayload,
    candidate: BatchRunPayload,
    *,
    agent_id: str,
    base_batch_id: str,
    candidate_batch_id: str,
    source: Source = "sigmamind",
    ignored: Sequence[str] = (),
    max_listed: int = MAX_LISTED,
    scanned: tuple[ScannedRun, ScannedRun] | None = None,
    cache_ages: tuple[float | None, float | None] = (None, None),
) -> ComparisonSummary:
    """`scanned`: both batch runs already scanned (`sigmamind.runs`); without it, their test cases are scanned here."""
    warnings = first_warnings(source, ignored)
    if base_batch_id == candidate_batch_id:
        warnings.append("baseBatchId and candidateBatchId are the same batch run, so nothing can differ.")
    old = _side(base_batch_id, base, "base", agent_id, warnings, scanned[0] if scanned else None)
    new = _side(candidate_batch_id, candidate, "candidate", agent_id, warnings, scanned[1] if scanned else None)
    _check_order(old, new, warnings)

    added = [key for key in new.cases if key not in old.cases]
    removed = [key for key in old.cases if key not in new.cases]
    common = [key for key in new.cases if key in old.cases]
    changed = [change for key in common if (change := _config_change(old.cases[key], new.cases[key])) is not None]
    deltas = sorted(
        (delta for key in common if (delta := _delta(old.cases[key], new.cases[key])) is not None),
        key=lambda delta: delta.changePoints if delta.changePoints is not None else 0.0,
    )
    points = _points(old.counts.rate, new.counts.rate)
    summary = ComparisonSummary(
        verdict=_verdict(old, new, points, len(added), len(removed), len(changed), source),
        source=source,
        notice=NOTICE,
        agentId=agent_id,
        base=_batch_side(old, cache_ages[0]),
        candidate=_batch_side(new, cache_ages[1]),
        successRateChangePoints=points,
        testCasesAdded=[_ref(new.cases[key]) for key in added[:max_listed]],
        testCasesAddedCount=len(added),
        testCasesRemoved=[_ref(old.cases[key]) for key in removed[:max_listed]],
        testCasesRemovedCount=len(removed),
        testCasesChanged=changed[:max_listed],
        testCasesChangedCount=len(changed),
        testCasesUnchangedCount=len(common) - len(changed),
        testCaseDeltas=deltas[:max_listed],
        testCaseDeltasCount=len(deltas),
        warnings=bounded_warnings(warnings),
        nextSteps=[],
        advice=[],
    )
    summary.nextSteps, summary.advice = next_steps.for_comparison(summary)
    return summary


def _side(
    batch_id: str,
    run: BatchRunPayload,
    name: str,
    agent_id: str,
    warnings: list[str],
    scanned: ScannedRun | None,
) -> _Side:
    notes: list[str] = []
    counts = derive_counts(run.successfulAttempts, run.failedAttempts, run.totalAttempts, notes)
    warnings.extend(f"{name.capitalize()} batch run {batch_id}: {note}" for note in notes)
    warn_if_other_agent(run.agent, agent_id, warnings)
    cases: dict[str, CaseScan] = {}
    unkeyed = 0
    duplicated = 0
    if scanned is None:
        scans, not_objects = scan_test_cases(run.testCases or [])
    else:
        scans, not_objects = scanned.cases, scanned.not_objects
    for case in scans:
        label = case.label
        key = (
            f"id:{case.test_case_id}"
            if case.test_case_id
            else (f"label:{label}" if isinstance(label, str) and label else None)
        )
        if key is None:
            unkeyed += 1
        elif key in cases:
            duplicated += 1
        else:
            cases[key] = case
    if unkeyed:
        warnings.append(f"{unkeyed} test cases of the {name} batch run have neither id nor label and are not compared.")
    if duplicated:
        warnings.append(f"{duplicated} test cases of the {name} batch run repeat an id; only the first is compared.")
    return _Side(batch_id, run, counts, cases, len(scans) + len(not_objects))


def _check_order(old: _Side, new: _Side, warnings: list[str]) -> None:
    before, after = parse_timestamp(old.run.createdDate), parse_timestamp(new.run.createdDate)
    if before is not None and after is not None and before > after:
        warnings.append(
            "The base batch run is newer than the candidate; if you meant to judge the newer one, swap "
            "baseBatchId and candidateBatchId."
        )


def _batch_side(side: _Side, age: float | None) -> BatchSide:
    return BatchSide(
        batchId=side.batch_id,
        createdDate=line(side.run.createdDate),
        totalAttempts=side.counts.total,
        successfulAttempts=side.counts.successful,
        failedAttempts=side.counts.failed,
        successRate=side.counts.rate,
        testCaseCount=side.entries,
        cacheAgeSeconds=None if age is None else round(age, 1),
    )


def _ref(case: CaseScan) -> CaseRef:
    label = case.label
    return CaseRef(testCaseId=line(case.test_case_id), label=line(label) if isinstance(label, str) else None)


def _config_change(old_case: CaseScan, new_case: CaseScan) -> ConfigChange | None:
    before, after = old_case.full(), new_case.full()  # a kept batch run's test cases are parsed again here
    if all(before.get(name) == after.get(name) for name in COMPARED_FIELDS):
        return None  # the same values: nothing to look at in full
    old, new = parse_test_case(old_case).value, parse_test_case(new_case).value
    changes = []
    for field in ("successCriteria", "userPrompt", "llmModel"):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            changes.append(FieldChange(field=field, before=_capped(before), after=_capped(after)))
    old_mock, _ = mock_data(old.mockData or [])
    new_mock, _ = mock_data(new.mockData or [])
    if old_mock != new_mock:
        changes.append(FieldChange(field="mockData", before=_mock_text(old_mock), after=_mock_text(new_mock)))
    if old.attempt != new.attempt:
        changes.append(FieldChange(field="attempt", before=_number(old.attempt), after=_number(new.attempt)))
    if not changes:
        return None
    return ConfigChange(testCaseId=line(new.testCaseId), label=line(new.label), changes=changes)


def _capped(value: str | None) -> str | None:
    return None if value is None else clean_block(value, CHANGE_LIMIT)


def _number(value: int | None) -> str | None:
    return None if value is None else str(value)


def _mock_text(data: dict[str, str | None]) -> str:
    return clean_line("; ".join(f"{name}={value}" for name, value in data.items()), CHANGE_LIMIT)


def _delta(old: CaseScan, new: CaseScan) -> CaseDelta | None:
    if not old.has_records or not new.has_records:
        return None
    before, after = (old.passed, old.failed), (new.passed, new.failed)
    ref = _ref(new)
    return CaseDelta(
        testCaseId=ref.testCaseId,
        label=ref.label,
        basePassed=before[0],
        baseFailed=before[1],
        candidatePassed=after[0],
        candidateFailed=after[1],
        changePoints=_points(_rate(*before), _rate(*after)),
    )


def _rate(passed: int, failed: int) -> float | None:
    return passed / (passed + failed) if passed + failed else None


def _points(before: float | None, after: float | None) -> float | None:
    if before is None or after is None:
        return None
    return round((after - before) * 100, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def _verdict(
    old: _Side, new: _Side, change: float | None, added: int, removed: int, changed: int, source: Source
) -> str:
    prefix = demo_prefix(source)
    old_rate, new_rate = old.counts.rate, new.counts.rate
    if change is None or old_rate is None or new_rate is None:
        missing = old.batch_id if old_rate is None else new.batch_id
        return f"{prefix}Cannot compare success rates: batch run {missing} has no judged attempts."
    rates = f"{percent(new_rate)} of attempts passed in {new.batch_id} against {percent(old_rate)} in {old.batch_id}"
    if abs(change) < NO_CHANGE_POINTS:
        verdict = f"{prefix}No change: {rates}."
    elif change < 0:
        verdict = f"{prefix}Regression: {rates} ({signed(change)} percentage points)."
    else:
        verdict = f"{prefix}Improvement: {rates} ({signed(change)} percentage points)."
    differences = [
        f"{count} test case{'s' if count != 1 else ''} {what}"
        for count, what in ((added, "added"), (removed, "removed"), (changed, "changed"))
        if count
    ]
    if differences:
        verdict += (
            f" The two did not run the same tests ({', '.join(differences)}), so not all of the change is the agent's."
        )
    return verdict


def listed(summary: ComparisonSummary) -> int:
    """How many items the longest of a comparison's lists shows (what the fit loop shrinks)."""
    return max(
        len(summary.testCasesAdded),
        len(summary.testCasesRemoved),
        len(summary.testCasesChanged),
        len(summary.testCaseDeltas),
    )

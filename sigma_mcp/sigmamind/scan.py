"""Test cases as the API sends them inside a batch run.

A batch run can hold thousands. Every one gets a cheap, tolerant scan of the raw JSON — what whole-batch
facts need: its id, configured attempts, missing fields, and its per-attempt records, read once (the counts
are the records' own). Only the few that are shown are parsed in full (`parse_test_case`). The API documents
per-attempt results but no field for them: any list of objects carrying a jobId, a verdict (isSuccessful, or
the older isSuccesful) or remarks is taken for them, whatever its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sigma_mcp.sigmamind.payloads import CasePayload, Parsed, validate_tolerant

ATTEMPT_MARKERS = frozenset({"jobId", "isSuccessful", "isSuccesful", "remarks"})
KNOWN_FIELDS = frozenset(CasePayload.model_fields)
CHECKED_FIELDS = ("testCaseId", "label", "llmModel", "userPrompt", "successCriteria", "attempt")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    job_id: str | None
    passed: bool | None
    remarks: str | None


@dataclass(slots=True)
class CaseScan:
    """What the whole batch needs to know of one test case."""

    index: int
    raw: dict[str, Any]
    test_case_id: str | None
    attempt: int | None
    missing: list[str]
    has_records: bool = False
    records: list[AttemptRecord] = field(default_factory=list)
    """The per-attempt results, in the order sent."""
    record_notes: list[str] = field(default_factory=list)
    """Values of unexpected types in the records (reported for the test cases shown)."""
    passed: int = 0
    failed: int = 0
    pending: int = 0
    notes: list[str] = field(default_factory=list)
    order: tuple[int, int, int] = (1, 0, 0)
    """Failures first (most first), then test cases without per-attempt results, then passes."""

    def name(self) -> str:
        label = self.raw.get("label")
        return label if isinstance(label, str) and label else self.test_case_id or f"#{self.index + 1}"


def scan_test_cases(values: Sequence[Any]) -> tuple[list[CaseScan], list[str]]:
    """A scan of every test case that is an object; a note for every entry that is not."""
    scans: list[CaseScan] = []
    notes: list[str] = []
    for index, raw in enumerate(values):
        if isinstance(raw, dict):
            scans.append(_scan(index, raw))
        else:
            notes.append(f"testCases[{index}] (not an object)")
    return scans, notes


def _scan(index: int, raw: dict[str, Any]) -> CaseScan:
    # Run for every test case of a batch run, so written for speed: plain lookups, the usual case first.
    get = raw.get
    attempt_value = get("attempt")
    attempt = attempt_value if type(attempt_value) is int and attempt_value >= 0 else _count(attempt_value)
    identifier = get("testCaseId")
    if (
        identifier is None
        or get("label") is None
        or get("llmModel") is None
        or get("userPrompt") is None
        or get("successCriteria") is None
        or attempt_value is None
    ):
        missing = [name for name in CHECKED_FIELDS if get(name) is None]
    else:
        missing = []
    notes: list[str] = []
    if attempt is None and attempt_value is not None:
        notes.append(f"testCases[{index}].attempt (not a whole number of at least 0)")
        missing.append("attempt")
    has_records = False
    records: list[AttemptRecord] = []
    record_notes: list[str] = []
    for key in raw:
        if key in KNOWN_FIELDS:
            continue
        values = raw[key]
        if type(values) is not list or not values:
            continue
        first = values[0]
        if (type(first) is not dict or ATTEMPT_MARKERS.isdisjoint(first)) and not _holds_attempts(values):
            continue
        has_records = True
        _read_records(f"testCases[{index}].{key}", values, records, record_notes)
    passed = failed = pending = 0
    for record in records:
        if record.passed is True:
            passed += 1
        elif record.passed is False:
            failed += 1
        else:
            pending += 1
    # Failures first (most first), then test cases without per-attempt results, then passes.
    order = ((0, -failed, index) if failed else (2, 0, index)) if has_records else (1, 0, index)
    return CaseScan(
        index,
        raw,
        identifier if type(identifier) is str else _text(identifier),
        attempt,
        missing,
        has_records,
        records,
        record_notes,
        passed,
        failed,
        pending,
        notes,
        order,
    )


def _read_records(where: str, values: list[Any], records: list[AttemptRecord], notes: list[str]) -> None:
    """Append the attempt records of one list to `records`, tolerantly read, and a note for each value of an
    unexpected type to `notes`."""
    for position, record in enumerate(values):
        if type(record) is not dict:
            notes.append(f"{where}[{position}] (not an object)")
            continue
        job_id, remarks, verdict = record.get("jobId"), record.get("remarks"), record.get("isSuccessful")
        if type(verdict) is not bool or "isSuccesful" in record:
            verdict = _verdict(record)
            for name in ("isSuccessful", "isSuccesful"):
                if record.get(name) is not None and _boolean(record[name]) is None:
                    notes.append(f"{where}[{position}].{name} (not true or false)")
        if type(job_id) is not str and job_id is not None:
            job_id = _text(job_id)
            if job_id is None:
                notes.append(f"{where}[{position}].jobId (not text)")
        if type(remarks) is not str and remarks is not None:
            if _text(remarks) is None:
                notes.append(f"{where}[{position}].remarks (not text)")
            remarks = None
        records.append(AttemptRecord(job_id, verdict, remarks))


def parse_test_case(scan: CaseScan) -> Parsed[CasePayload]:
    """The test case in full, tolerantly parsed; notes name it by its place in the batch run."""
    known = {key: value for key, value in scan.raw.items() if key in KNOWN_FIELDS}
    parsed = validate_tolerant(CasePayload, known)
    return Parsed(parsed.value, tuple(f"testCases[{scan.index}].{note}" for note in parsed.ignored))


def _holds_attempts(values: list[Any]) -> bool:
    return any(isinstance(item, dict) and not ATTEMPT_MARKERS.isdisjoint(item) for item in values)


def _verdict(record: dict[str, Any]) -> bool | None:
    verdict = _boolean(record.get("isSuccessful"))
    return verdict if verdict is not None else _boolean(record.get("isSuccesful"))


def _boolean(value: Any) -> bool | None:
    """A verdict as the API may spell it: true/false, 1/0, or their usual words."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None

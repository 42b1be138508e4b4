"""Test cases as the API sends them inside a batch run.

A batch run can hold thousands. Every one gets a cheap, tolerant scan of the raw JSON — what whole-batch
facts need: its id, configured attempts, missing fields, the lists that hold its per-attempt records (found
once) and their verdicts counted. The records of the few test cases shown are read from those same lists,
with the same verdicts (`attempt_records`), and only those test cases are parsed in full
(`parse_test_case`). The API documents per-attempt results but no field for them: any list of objects
carrying a jobId, a verdict (isSuccessful, or the older isSuccesful) or remarks is taken for them, whatever
its key.
"""

from __future__ import annotations

import copy
import marshal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import ValidationError

from sigma_mcp.sigmamind.payloads import CasePayload, Parsed, validate_tolerant

ATTEMPT_MARKERS = frozenset({"jobId", "isSuccessful", "isSuccesful", "remarks"})
KNOWN_FIELDS = frozenset(CasePayload.model_fields)
CHECKED_FIELDS = ("testCaseId", "label", "llmModel", "userPrompt", "successCriteria", "attempt")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class AttemptRecord(NamedTuple):
    """One attempt's result, as read from the test case's per-attempt records."""

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
    missing: tuple[str, ...]
    has_records: bool = False
    record_lists: Sequence[tuple[str, list[Any]]] = ()
    """The lists that hold the per-attempt records, with their keys: what the counts and `attempt_records` read."""
    passed: int = 0
    failed: int = 0
    pending: int = 0
    notes: tuple[str, ...] = ()
    order: tuple[int, int, int] = (1, 0, 0)
    """Failures first (most first), then test cases without per-attempt results, then passes."""
    label: Any = None
    """The test case's `label`, as sent."""
    blob: bytes | None = None
    """The test case's parsed JSON serialized (`marshal`), once `compact` let go of `raw`: what `full` reads back."""
    listed: Sequence[Any] = ()
    """Per-attempt records from the test-run listing (`add_records`), which `raw` does not hold."""

    def name(self) -> str:
        label = self.label
        return label if isinstance(label, str) and label else self.test_case_id or f"#{self.index + 1}"

    def full(self) -> dict[str, Any]:
        """The test case as the API sent it."""
        if self.blob is None:
            return self.raw
        value: dict[str, Any] = marshal.loads(self.blob)  # noqa: S302 - written by `compact`, from parsed JSON
        return value


LISTED_KEY = "(test-run listing)"
"""The key of the records read from the test-run listing (`runs`), which notes on their values show."""
COMPARED_FIELDS = ("successCriteria", "userPrompt", "llmModel", "mockData", "attempt")
"""What makes two runs of a test case the same test (compare_batch_runs)."""


def compact(scan: CaseScan) -> None:
    """Let go of the test case's parsed JSON for a serialized copy (`blob`), to read again when it is shown: a kept
    batch run of thousands of test cases then takes little more memory than its answer's bytes. Records from
    elsewhere (the listing) are kept; the test case's own are found again in `blob`.

    The copy is `marshal`'s: the fastest way in the standard library to write and read back values of JSON's types,
    all of them as they are (text that is not Unicode, integers of any size). It is made and read by this process
    only, and holds only what the JSON parser made."""
    try:
        scan.blob = marshal.dumps(scan.raw)
    except ValueError:  # nested deeper than marshal writes: kept as it is
        return
    scan.raw = {}
    scan.record_lists = ()


Failed = list[tuple[int, str | None, str | None]]
"""Failed attempts as a scan meets them: the test case's index, the record's jobId and remarks
(`job_and_remarks`)."""


def scan_test_cases(values: Sequence[Any], failed: Failed | None = None) -> tuple[list[CaseScan], list[str]]:
    """A scan of every test case that is an object; a note for every entry that is not. `failed`, when given, gets
    every failed attempt of their records, in order (what the failure themes group)."""
    scans: list[CaseScan] = []
    notes: list[str] = []
    for index, raw in enumerate(values):
        if isinstance(raw, dict):
            scans.append(_scan(index, raw, failed))
        else:
            notes.append(f"testCases[{index}] (not an object)")
    return scans, notes


def _scan(index: int, raw: dict[str, Any], failed_records: Failed | None = None) -> CaseScan:
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
        missing = tuple(name for name in CHECKED_FIELDS if get(name) is None)
    else:
        missing = ()  # tuples, shared when empty: a kept batch run's test cases are objects the collector need not scan
    notes: tuple[str, ...] = ()
    if attempt is None and attempt_value is not None:
        notes = (f"testCases[{index}].attempt (not a whole number of at least 0)",)
        missing += ("attempt",)
    has_records = False
    record_lists: list[tuple[str, list[Any]]] = []
    passed = failed = pending = 0
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
        record_lists.append((key, values))
        for record in values:
            if type(record) is dict:
                verdict = record.get("isSuccessful")  # `record_verdict`, inline
                if verdict is not True and verdict is not False:
                    verdict = _verdict(record)
                if verdict is True:
                    passed += 1
                elif verdict is False:
                    failed += 1
                    if failed_records is not None:
                        failed_records.append((index, *job_and_remarks(record)))
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
        record_lists,
        passed,
        failed,
        pending,
        notes,
        order,
        get("label"),
    )


def add_records(scan: CaseScan, records: list[Any]) -> None:
    """Give a test case per-attempt records from elsewhere (the test-run listing), counted as its own are."""
    scan.has_records = True
    scan.listed = [*scan.listed, *records]
    for record in records:
        if type(record) is dict:
            verdict = record_verdict(record)
            if verdict is True:
                scan.passed += 1
            elif verdict is False:
                scan.failed += 1
            else:
                scan.pending += 1
    scan.order = (0, -scan.failed, scan.index) if scan.failed else (2, 0, scan.index)


def listed_failures(scan: CaseScan) -> list[tuple[str | None, str | None]]:
    """The jobId and remarks of each failed attempt the test-run listing gave a test case (`add_records`); its own
    records' are collected by its scan (`scan_test_cases`)."""
    return [
        job_and_remarks(record) for record in scan.listed if type(record) is dict and record_verdict(record) is False
    ]


def job_and_remarks(record: dict[str, Any]) -> tuple[str | None, str | None]:
    """A failed attempt's jobId and remarks, as `attempt_records` reads them: what the failure themes group."""
    remarks = record.get("remarks")
    return _text(record.get("jobId")), remarks if isinstance(remarks, str) else None


def attempt_records(scan: CaseScan, raw: dict[str, Any] | None = None) -> tuple[list[AttemptRecord], list[str]]:
    """The per-attempt results of a test case, from the lists its scan counted, with the same verdicts, and a
    note for each value of an unexpected type. `raw`: the test case's JSON, when already parsed (`CaseScan.full`)."""
    records: list[AttemptRecord] = []
    notes: list[str] = []
    lists: Sequence[tuple[str, Sequence[Any]]]
    lists = _scan(scan.index, raw or scan.full()).record_lists if scan.blob is not None else scan.record_lists
    if scan.listed:
        lists = [*lists, (LISTED_KEY, scan.listed)]
    for key, values in lists:
        for position, record in enumerate(values):
            if type(record) is not dict:
                notes.append(f"testCases[{scan.index}].{key}[{position}] (not an object)")
                continue
            job_id, remarks, verdict = record.get("jobId"), record.get("remarks"), record.get("isSuccessful")
            usual = type(job_id) is str and (remarks is None or type(remarks) is str) and type(verdict) is bool
            if not usual or record.get("isSuccesful") is not None:
                notes += _record_notes(record, f"testCases[{scan.index}].{key}[{position}]")
            records.append(
                AttemptRecord(
                    _text(job_id),
                    verdict if type(verdict) is bool else _verdict(record),
                    remarks if isinstance(remarks, str) else None,
                )
            )
    return records, notes


def _record_notes(record: dict[str, Any], where: str) -> list[str]:
    """Notes on an attempt record's values of unexpected types; `where` names the record."""
    notes = []
    for name in ("jobId", "remarks"):
        if record.get(name) is not None and _text(record[name]) is None:
            notes.append(f"{where}.{name} (not text)")
    for name in ("isSuccessful", "isSuccesful"):
        if record.get(name) is not None and _boolean(record[name]) is None:
            notes.append(f"{where}.{name} (not true or false)")
    return notes


def record_verdict(record: dict[str, Any]) -> bool | None:
    """An attempt's verdict: what the counts and the records both use."""
    verdict = record.get("isSuccessful")
    return verdict if type(verdict) is bool else _verdict(record)


def parse_test_case(scan: CaseScan, raw: dict[str, Any] | None = None) -> Parsed[CasePayload]:
    """The test case in full, tolerantly parsed; notes name it by its place in the batch run."""
    known = {key: value for key, value in (raw or scan.full()).items() if key in KNOWN_FIELDS}
    try:
        parsed = Parsed(CasePayload.model_validate(known))
    except ValidationError:
        # The repair drops values in place: on a copy, so that a kept (cached) batch run stays as it came.
        parsed = validate_tolerant(CasePayload, copy.deepcopy(known))
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

"""A batch run as the tools read it: fetched, parsed and scanned once (`ScannedRun`), with the per-attempt results
the test-run listing adds when the batch run does not embed them, and kept in the client's cache (`sigmamind.cache`)
while it may be asked for again.

The test-run listing is inferred, not documented: the API reference's Create Batch Run page says the batchId "is
required for subsequent get and list test-run calls", so `GET /v1/test-runs?batchId=&agentId=&page=&size=` is
asked for when a batch run has failed attempts but no per-attempt records. Its answer may be the envelope List
Batch Runs uses (`data`, `page`, `size`, `totalCount`, `totalPages`, `hasNext`) or a bare array of test runs
shaped like Get Test Run's. An answer of 404 or 405, or one that is not such a listing, means the API has no
listing: the client remembers that for its life (it serves one base URL) and never asks again.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio

from sigma_mcp.safety.text import clean_block
from sigma_mcp.sigmamind.errors import SigmaMindError, UpstreamError, UpstreamInvalidResponse
from sigma_mcp.sigmamind.payloads import BatchRunPayload
from sigma_mcp.sigmamind.scan import (
    CaseScan,
    Failed,
    add_records,
    compact,
    listed_failures,
    record_verdict,
    scan_test_cases,
)
from sigma_mcp.sigmamind.themes import Failure, Theme, ThemeOf, failure_themes
from sigma_mcp.tools.memory import FREE_AFTER, in_one_stretch

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import Body, SigmaMindClient

LISTING_PAGE_SIZE = 100
"""Attempts asked for per page of the test-run listing."""
MAX_LISTING_PAGES = 200
LISTING_TIME_SHARE = 0.5
"""Of SIGMAMIND_TIMEOUT, the time the listing's pages may take together; the rest is the batch run's own."""
ABSENT_STATUSES = frozenset({404, 405})
REMARKS_KEY_LIMIT = 2_000
"""Characters of remarks compared when grouping them (more than any group shows: 1,000 at most)."""
THEME_JOB_IDS = 10
THEME_TEST_CASES = 5


@dataclass
class ScannedRun:
    """A batch run parsed and scanned: what every summary of it reads, and what the cache keeps."""

    run: BatchRunPayload
    ignored: tuple[str, ...]
    cases: list[CaseScan]
    not_objects: list[str]
    size: int
    """Bytes of the answers it was read from (what the cache counts)."""
    notes: list[str] = field(default_factory=list)
    """What to tell about where the per-attempt results came from, or why there are none."""
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    """Listed attempts whose test case is not in the batch run."""
    fetched: float = field(default_factory=time.monotonic)
    themes: list[Theme] = field(default_factory=list)
    """The failure themes of the whole batch, once worked out (`load_batch_run`)."""
    theme_of: ThemeOf = field(default_factory=dict)
    """Where the themes put each remarks (a test case's are grouped the same way: `themes.themes_as`)."""
    partial: bool = False
    """Whether the listing stopped before its last page (then it is kept only briefly, like a running one)."""

    @property
    def held_bytes(self) -> int:
        return self.size

    def release(self) -> list[Any]:
        """Itself, for a stretch to free after the reply when nothing else (the cache) keeps it (`tools.memory`)."""
        return [self]

    def finished(self) -> bool:
        """Whether its counts say every configured attempt has a verdict (a running one is kept only briefly)."""
        run = self.run
        if self.partial or not self.cases or self.not_objects or any(case.attempt is None for case in self.cases):
            return False
        configured = sum(case.attempt or 0 for case in self.cases)
        total = run.totalAttempts
        if total is None and run.successfulAttempts is not None and run.failedAttempts is not None:
            total = run.successfulAttempts + run.failedAttempts
        return total is not None and configured > 0 and total >= configured


async def load_batch_run(
    client: SigmaMindClient, batch_id: str, agent_id: str, *, keep_small: bool = False
) -> tuple[ScannedRun, float | None]:
    """The batch run, scanned, with the listing's attempts when it needs them; and, when it came from the cache,
    how many seconds ago it was fetched (None: fetched for this call). `keep_small`: held while another is read
    (a comparison), so compacted even when the cache does not keep it (`scan.compact`)."""
    key = client.cache_key(agent_id, batch_id)
    cached = client.runs.get(key)
    if cached is not None:
        return cached, time.monotonic() - cached.fetched
    body = await client.get_batch_run(batch_id, agent_id)
    compact_waiting(client)  # before another batch run is parsed (the other side of a comparison)
    # The body's objects live on in the scan: handed to no stretch, which would free them after the reply.
    scanned, failed = in_one_stretch(lambda: scan_run(body), outliving=len(body.content))
    body.release()
    keep = True
    if needs_listing(scanned):
        if client.no_test_run_listing is not None:
            scanned.notes.append(absent_note(batch_id, client.no_test_run_listing))
        else:
            listed = await read_listing(client, batch_id, agent_id)
            if isinstance(listed, str):
                scanned.notes.append(listed)
                # Found absent, it stays so; failed this time, the next call asks again: nothing to keep.
                keep = client.no_test_run_listing is not None
            else:
                attach(scanned, listed, batch_id)
    scanned.themes = in_one_stretch(lambda: batch_themes(scanned.cases, scanned.unmatched, failed, scanned.theme_of))
    if keep_small or (keep and client.runs.fits(scanned)):
        compact_later(client, scanned)
    if keep:
        client.runs.put(key, scanned)
    return scanned, None


def scan_run(body: Body) -> tuple[ScannedRun, Failed]:
    """Parse and scan a batch run's body (within a stretch: see `tools.memory`); and the failed attempts of its test
    cases' records, for the themes."""
    parsed = body.parse(BatchRunPayload)
    failed: Failed = []
    cases, not_objects = scan_test_cases(parsed.value.testCases or [], failed)
    return ScannedRun(parsed.value, parsed.ignored, cases, not_objects, len(body.content)), failed


def compact_later(client: SigmaMindClient, scanned: ScannedRun) -> None:
    """Have a batch run that is kept beyond its call (by the cache, or while a comparison reads its other side) let
    go of its test cases' parsed JSON for a serialized copy (`scan.compact`): once the reply is on its way, or before
    the next batch run is parsed, whichever comes first, if it is still held then; at once when there is no event
    loop, and so no reply. The client's cache holds only weak references to those waiting."""
    client.runs.pending.append(weakref.ref(scanned))
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        compact_waiting(client)
        return
    loop.call_later(FREE_AFTER, compact_waiting, client)


def compact_waiting(client: SigmaMindClient) -> None:
    """Compact every batch run of the client waiting to be and still held (`compact_later`). What they let go of is
    freed at once: after the reply that is no one's wait, and before another batch run is parsed it is the point."""
    waiting = [scanned for held in client.runs.pending if (scanned := held()) is not None]
    client.runs.pending.clear()
    for scanned in waiting:
        in_one_stretch(partial(compact_run, scanned))


def compact_run(scanned: ScannedRun) -> None:
    """Its test cases' parsed JSON let go for a serialized copy (`scan.compact`)."""
    if not scanned.run.testCases:
        return
    for case in scanned.cases:
        compact(case)
    scanned.run.testCases = []  # the entries are counted by cases and not_objects


def batch_themes(
    cases: Sequence[CaseScan],
    unmatched: Sequence[dict[str, Any]],
    failed: Failed,
    theme_of: ThemeOf | None = None,
) -> list[Theme]:
    """The failure themes of the whole batch: every failed attempt's remarks, grouped (`sigmamind.themes`); and, in
    `theme_of`, where each remarks went. `failed`: the failed attempts of the test cases' own records, as their scan
    met them (`scan_test_cases`); those of the listing are read from the test cases, then the `unmatched` ones."""
    keys: dict[str, str | None] = {}  # the same remarks recur: cleaned once each

    def key(remarks: str | None) -> str | None:
        if remarks is None:
            return None
        found = keys.get(remarks, "")
        if found == "":
            found = keys[remarks] = remarks_key(remarks)
        return found

    ids = {case.index: case.test_case_id for case in cases}
    failures = [Failure(key(remarks), job_id, ids[index]) for index, job_id, remarks in failed]
    failures += [
        Failure(key(remarks), job_id, case.test_case_id)
        for case in cases
        if case.listed and case.failed
        for job_id, remarks in listed_failures(case)
    ]
    for listed in unmatched:
        if record_verdict(listed) is False:
            remarks, job_id = listed.get("remarks"), listed.get("jobId")
            failures.append(
                Failure(
                    key(remarks if isinstance(remarks, str) else None),
                    job_id if isinstance(job_id, str) else None,
                    None,
                )
            )
    if not failures:
        return []
    return failure_themes(failures, max_job_ids=THEME_JOB_IDS, max_test_cases=THEME_TEST_CASES, theme_of=theme_of)


def remarks_key(remarks: str | None) -> str | None:
    """Remarks as they will show, white space folded: what grouping compares (blank ones with the missing ones)."""
    # Cleaned from a slice: a remark of megabytes is not read whole for the characters it is compared by.
    return (
        (" ".join(clean_block(remarks[: 2 * REMARKS_KEY_LIMIT], REMARKS_KEY_LIMIT).split()) or None)
        if remarks
        else None
    )


def needs_listing(scanned: ScannedRun) -> bool:
    """A batch run with failed attempts and no per-attempt records of its own."""
    failed = scanned.run.failedAttempts
    return bool(scanned.cases) and bool(failed) and not any(case.has_records for case in scanned.cases)


@dataclass
class Listed:
    """What the test-run listing gave, page by page."""

    records: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    total: int | None = None
    complete: bool = False
    size: int = 0


async def read_listing(client: SigmaMindClient, batch_id: str, agent_id: str) -> Listed | str:
    """Every page of the test-run listing that fits the time share, or a note on why there is none."""
    listed = Listed()
    started = anyio.current_time()
    budget = client.settings.timeout * LISTING_TIME_SHARE
    seen: set[str] = set()
    page = 0
    while page < MAX_LISTING_PAGES:
        left = budget - (anyio.current_time() - started)
        if page and left <= 0:
            break
        try:
            body = None
            # Each page within what is left of the listing's time (the first within its own deadline).
            with anyio.move_on_after(left if page else client.settings.timeout):
                body = await client.list_test_runs(batch_id, agent_id, page, LISTING_PAGE_SIZE)
            if body is None:
                break
            items, has_next, total = listing_items(body.content)
        except UpstreamError as exc:
            if not listed.pages:
                if exc.status in ABSENT_STATUSES or isinstance(exc, UpstreamInvalidResponse):
                    client.no_test_run_listing = f"answered {exc.status}" if exc.status else "answered with no listing"
                    return absent_note(batch_id, client.no_test_run_listing)
                return unreadable_note(exc)
            # A page past the last may be answered 404: what was read is the listing.
            listed.complete = exc.status in ABSENT_STATUSES
            break
        except _NotAListing:
            if not listed.pages:
                client.no_test_run_listing = "answered with something other than a listing"
                return absent_note(batch_id, client.no_test_run_listing)
            break
        except SigmaMindError as exc:
            if not listed.pages:
                return unreadable_note(exc)
            break
        listed.pages += 1
        listed.size += len(body.content)
        listed.total = total if total is not None else listed.total
        new = _new(items, seen)
        listed.records += new
        if not items or not new or has_next is False or (has_next is None and len(items) < LISTING_PAGE_SIZE):
            listed.complete = True  # the last page, or one that repeats what was read (an API ignoring `page`)
            break
        if total is not None and len(listed.records) >= total:
            listed.complete = True
            break
        page += 1
    return listed


def _new(items: list[dict[str, Any]], seen: set[str]) -> list[dict[str, Any]]:
    """The attempts not read before (by jobId; one without a jobId is always new)."""
    new = []
    for item in items:
        job_id = item.get("jobId")
        if isinstance(job_id, str):
            if job_id in seen:
                continue
            seen.add(job_id)
        new.append(item)
    return new


class _NotAListing(Exception):
    pass


def listing_items(content: bytes) -> tuple[list[dict[str, Any]], bool | None, int | None]:
    """The attempts of one page, whether there is a next page (None: not said), and the total (if said).

    Raises `_NotAListing` for anything but the listing envelope or a bare array of objects."""
    import pydantic_core

    try:
        data = pydantic_core.from_json(content.removeprefix(b"\xef\xbb\xbf"))
    except ValueError:
        raise _NotAListing from None
    has_next: bool | None = None
    total: int | None = None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        has_next = data["hasNext"] if type(data.get("hasNext")) is bool else None
        total = data["totalCount"] if type(data.get("totalCount")) is int and data["totalCount"] >= 0 else None
        pages, number = data.get("totalPages"), data.get("page")
        if has_next is None and type(pages) is int and type(number) is int:
            has_next = number + 1 < pages
        data = data["data"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise _NotAListing
    return [_record(item) for item in data], has_next, total


def _record(item: dict[str, Any]) -> dict[str, Any]:
    """A listed attempt as a per-attempt record (its transcript and test case dropped), with its test case's id."""
    record: dict[str, Any] = {
        key: item[key] for key in ("jobId", "isSuccessful", "isSuccesful", "remarks") if key in item
    }
    test_case = item.get("testCase")
    test_case_id = test_case.get("testCaseId") if isinstance(test_case, dict) else item.get("testCaseId")
    record["testCaseId"] = test_case_id if isinstance(test_case_id, str | int) else None
    return record


def attach(scanned: ScannedRun, listed: Listed, batch_id: str) -> None:
    """Give each test case the listed attempts that name it, as if the batch run had embedded them."""
    by_case: dict[str, list[dict[str, Any]]] = {}
    for record in listed.records:
        identifier = record.pop("testCaseId")
        by_case.setdefault(str(identifier) if identifier is not None else "", []).append(record)
    for case in scanned.cases:
        records = by_case.pop(case.test_case_id, None) if case.test_case_id else None
        if records:
            add_records(case, records)
    scanned.unmatched = [record for records in by_case.values() for record in records]
    scanned.size += listed.size
    read = len(listed.records)
    source = f"GET /v1/test-runs?batchId={batch_id} (a listing the API reference implies but does not document)"
    scanned.partial = not listed.complete
    if not read:
        scanned.notes.append(
            f"Per-attempt results are unavailable: the batch run embeds none, and {source} lists no attempts for it."
        )
    elif listed.complete:
        scanned.notes.append(f"Per-attempt results ({read} attempts) were read from {source}.")
    else:
        of = f" of {listed.total}" if listed.total is not None else ""
        scanned.notes.append(
            f"Per-attempt results of {read}{of} attempts were read from {source}, {listed.pages} pages of "
            f"{LISTING_PAGE_SIZE}; the rest did not fit the call's time budget. The counts above cover the whole "
            "batch; the remarks and themes cover the attempts read."
        )
    if scanned.unmatched:
        scanned.notes.append(
            f"{len(scanned.unmatched)} listed attempts name no test case of this batch run; their remarks are in "
            "the failure themes only."
        )


def absent_note(batch_id: str, how: str) -> str:
    return (
        "Per-attempt results are unavailable: the batch run embeds none, and the API offers no listing of a batch "
        f"run's attempts (GET /v1/test-runs?batchId={batch_id} {how} when first asked; it is not asked for again)."
    )


def unreadable_note(error: SigmaMindError) -> str:
    return (
        "Per-attempt results could not be read from the test-run listing this time: "
        + error.message
        + " The counts above are the batch run's own; call get_batch_run again for the judge's remarks."
    )

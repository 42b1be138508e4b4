"""Invariants of get_batch_run over generated batch runs, read through the MCP protocol from the fake API.

Whatever the number of test cases, of attempts and of their verdicts, and however the answer is paged:
every count shown is the count generated, the pages together show every test case exactly once in the
failures-first order, and the markdown says what structuredContent says — the same counts and the same
next calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult, TextContent

from tests.conftest import connect, settings_for
from tests.factories import AGENT, REMARKS, make_batch_run, make_test_case
from tests.fake_api import FakeSigmaMind
from tests.test_both_channels import next_steps_section

AGENT_ID = str(AGENT["agentId"])
BATCH = "batch_invariants"
RECORD_KEYS = ["testRuns", "results", "attempts", "simulations"]
"""Keys per-attempt records may come under: the API documents none."""
REMARK_POOL = [None, *REMARKS, "", "   ", "  " + REMARKS[0].replace(" ", "\n  ", 3) + " "]
"""The factories' remarks, none, empty, blank, and one that is the first once its white space is folded."""

EXAMPLES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Generated:
    """A batch run and what it holds, computed from the generated values alone."""

    body: dict[str, Any]
    counts: dict[str, tuple[int, int, int] | None]
    """testCaseId -> (passed, failed, pending), or None for a test case without per-attempt records."""
    failed_jobs: dict[str, set[str]]
    """testCaseId -> the jobIds of its failed attempts."""

    @property
    def passed(self) -> int:
        return sum(c[0] for c in self.counts.values() if c)

    @property
    def failed(self) -> int:
        return sum(c[1] for c in self.counts.values() if c)

    def order(self) -> list[str]:
        """Failures first (most first), then test cases without records, then passes; else the API's order."""

        def key(item: tuple[int, str]) -> tuple[int, int, int]:
            index, test_case_id = item
            counts = self.counts[test_case_id]
            if counts is None:
                return (1, 0, index)
            return (0, -counts[1], index) if counts[1] else (2, 0, index)

        return [tc for _, tc in sorted(enumerate(self.counts), key=key)]


verdicts = st.sampled_from([True, False, None])
attempt = st.tuples(verdicts, st.sampled_from(range(len(REMARK_POOL))), st.booleans(), st.booleans())
"""(verdict, remark, spelled the older way, has a jobId)."""
records = st.lists(attempt, max_size=7)
test_case = st.tuples(
    st.one_of(st.none(), records, records, records),  # None: no per-attempt records at all
    st.sampled_from(RECORD_KEYS),
)
MAX_TEST_CASES = 30
"""Enough for the answer's byte budget, not only `limit`, to cut some pages short."""


@st.composite
def batch_runs(draw: st.DrawFn) -> Generated:
    size = draw(st.sampled_from(range(MAX_TEST_CASES + 1)))  # about uniform: lists and integers stay short
    cases = draw(st.lists(test_case, min_size=size, max_size=size))
    padding = draw(st.sampled_from([0, 0, 700]))  # longer personas: the byte budget ends pages sooner
    bodies: list[dict[str, Any]] = []
    counts: dict[str, tuple[int, int, int] | None] = {}
    failed_jobs: dict[str, set[str]] = {}
    for number, (records, key) in enumerate(cases):
        body = make_test_case(number, attempts=len(records or ()))
        body["userPrompt"] += " They repeat themselves." * (padding // 24)
        test_case_id = body["testCaseId"]
        failed_jobs[test_case_id] = set()
        if not records:  # no list, or an empty one: nothing says what the list would hold
            if records is not None:
                body[key] = []
            counts[test_case_id] = None
            bodies.append(body)
            continue
        body[key] = []
        for position, (verdict, remark, old_spelling, has_job) in enumerate(records):
            job = f"job_{number}_{position}"
            record: dict[str, Any] = {"isSuccesful" if old_spelling else "isSuccessful": verdict}
            if has_job:
                record["jobId"] = job
            if REMARK_POOL[remark] is not None:
                record["remarks"] = REMARK_POOL[remark]
            body[key].append(record)
            if verdict is False and has_job:
                failed_jobs[test_case_id].add(job)
        counts[test_case_id] = (
            sum(1 for r in records if r[0] is True),
            sum(1 for r in records if r[0] is False),
            sum(1 for r in records if r[0] is None),
        )
        bodies.append(body)
    body = make_batch_run(0, batch_id=BATCH)
    generated = Generated(body, counts, failed_jobs)
    body.update(testCases=bodies, successfulAttempts=generated.passed, failedAttempts=generated.failed)
    if draw(st.booleans()):  # sometimes left for the server to derive
        body["totalAttempts"] = generated.passed + generated.failed
    else:
        body.pop("totalAttempts", None)
    return generated


@pytest.fixture(scope="module")
def session() -> Iterator[tuple[FakeSigmaMind, anyio.from_thread.BlockingPortal, Client]]:
    api = FakeSigmaMind().start()
    try:
        with (
            anyio.from_thread.start_blocking_portal() as portal,
            portal.wrap_async_context_manager(connect(settings_for(api, SIGMA_MCP_CACHE_MB="0"))) as client,
        ):
            yield api, portal, client
    finally:
        api.stop()


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def pages(session: Any, generated: Generated, limit: int | None) -> list[tuple[str, dict[str, Any]]]:
    """Every page from offset 0, following nextOffset: (markdown, structuredContent) of each."""
    api, portal, client = session
    api.add_batch_run(generated.body, batch_id=BATCH, agent_id=AGENT_ID)
    read: list[tuple[str, dict[str, Any]]] = []
    offset: int | None = 0
    while offset is not None:
        arguments: dict[str, Any] = {"batchId": BATCH, "agentId": AGENT_ID, "offset": offset}
        if limit is not None:
            arguments["limit"] = limit
        result: CallToolResult = portal.call(client.call_tool, "get_batch_run", arguments)
        assert result.is_error is False, text_of(result)
        data = result.structured_content
        assert data is not None
        read.append((text_of(result), data))
        offset = data["nextOffset"]
        assert len(read) <= len(generated.counts) + 1, "paging never ends"
    return read


# --- Parsing the markdown, independently of how it was rendered -------------------------------------

ATTEMPTS = re.compile(
    r"^- Attempts: (?P<total>\d+) with results, (?P<passed>\d+) passed, (?P<failed>\d+) failed, "
    r"(?:success rate (?P<rate>[\d.]+)%|no success rate)$",
    re.MULTILINE,
)
TEST_CASES = re.compile(
    r"^- Test cases: (?P<count>\d+)(?:, \d+ attempts configured in all)?"
    r"(?:, (?P<with_failures>\d+) with failed attempts)?"
    r"(?: \((?:(?P<failing>\d+) failed every attempt)?(?:; )?(?:(?P<flaky>\d+) flaky: passed some attempts, failed "
    r"others)?\))?$",
    re.MULTILINE,
)
HEADING = re.compile(r"^### (?P<number>\d+)\. ", re.MULTILINE)
RESULTS = re.compile(
    r"^Results: (?P<passed>\d+) of (?P<judged>\d+) attempts? passed, (?P<failed>\d+) failed"
    r"(?:, (?P<pending>\d+) without a verdict yet)?(?: — (?:flaky: the same test both passed and failed|failed every judged attempt))?\.$",
    re.MULTILINE,
)
FAILED_GROUP = re.compile(r"^Failed (?P<count>\d+) times? \((?P<jobs>.*)\), judge's remarks:$", re.MULTILINE)
CALL = re.compile(r"^- (?P<reason>.+): call (?P<tool>\w+) with (?P<arguments>[^:]*)\.$")


def calls_in(text: str) -> tuple[list[tuple[str, str, dict[str, str]]], list[str]]:
    """The markdown's Next steps: its calls as (reason, tool, arguments as text), then the other lines."""
    calls: list[tuple[str, str, dict[str, str]]] = []
    other: list[str] = []
    for line in next_steps_section(text):
        match = CALL.match(line)
        if match is None:
            assert line.startswith("- "), line
            other.append(line[2:])
            continue
        assert not other, "a call after the advice"
        pairs = [pair.partition("=") for pair in match["arguments"].split(", ")]
        assert all(sep == "=" for _, sep, _ in pairs), line
        calls.append((match["reason"], match["tool"], {name: value for name, _, value in pairs}))
    return calls, other


def case_sections(text: str) -> list[str]:
    """The markdown of each test case shown, in order."""
    body = text.partition("\n## Next steps\n")[0]
    starts = [match.start() for match in HEADING.finditer(body)]
    return [body[start:end] for start, end in zip(starts, [*starts[1:], len(body)][: len(starts)], strict=True)]


def assert_channels_agree(text: str, data: dict[str, Any]) -> None:
    assert text.startswith(f"**{data['verdict']}**\n")
    attempts = ATTEMPTS.search(text)
    assert attempts is not None, text[:600]
    assert int(attempts["total"]) == data["totalAttempts"]
    assert int(attempts["passed"]) == data["successfulAttempts"]
    assert int(attempts["failed"]) == data["failedAttempts"]
    if data["successRate"] is None:
        assert attempts["rate"] is None
    else:
        shown = float(attempts["rate"])
        assert abs(shown - 100 * data["successRate"]) <= 0.1
        assert (shown == 100) is (data["successRate"] == 1)
        assert (shown == 0) is (data["successRate"] == 0)
    facts = TEST_CASES.search(text)
    assert facts is not None
    assert int(facts["count"]) == data["testCaseCount"]
    with_failures = facts["with_failures"]
    assert (None if with_failures is None else int(with_failures)) == data["testCasesWithFailures"]
    # Flaky test cases and consistent failures, counted apart, and together the test cases with failures.
    for group, key in (("failing", "consistentlyFailingTestCases"), ("flaky", "flakyTestCases")):
        assert int(facts[group] or 0) == (data[key] or 0)
    if data["testCasesWithFailures"] is not None:
        assert data["flakyTestCases"] + data["consistentlyFailingTestCases"] == data["testCasesWithFailures"]

    sections = case_sections(text)
    assert len(sections) == len(data["testCases"])
    for number, (section, tc) in enumerate(zip(sections, data["testCases"], strict=True), start=data["offset"] + 1):
        assert section.startswith(f"### {number}. ")
        assert f"`{tc['testCaseId']}`" in section
        results = RESULTS.search(section)
        if tc["results"] is None:
            assert results is None
            continue
        assert results is not None, section
        expected = tc["results"]
        assert int(results["passed"]) == expected["passed"]
        assert int(results["failed"]) == expected["failed"]
        assert int(results["judged"]) == expected["passed"] + expected["failed"]
        assert int(results["pending"] or 0) == expected["pending"]
        groups = [(int(m["count"]), m["jobs"]) for m in FAILED_GROUP.finditer(section)]
        assert [count for count, _ in groups] == [group["count"] for group in expected["failureRemarks"]]
        for (count, jobs), group in zip(groups, expected["failureRemarks"], strict=True):
            # At most five jobIds in the text, then how many more failed attempts the group counts.
            if not group["jobIds"]:
                assert jobs == "no jobIds"
                continue
            assert re.findall(r"`([^`]*)`", jobs) == group["jobIds"][:5]
            more = re.search(r"and (\d+) more$", jobs)
            assert (int(more[1]) if more else 0) == count - min(len(group["jobIds"]), 5)

    calls, other = calls_in(text)
    assert calls == [
        (step["reason"], step["tool"], {name: str(value) for name, value in step["arguments"].items()})
        for step in data["nextSteps"]
    ]
    assert other == data["advice"]


@EXAMPLES
@given(generated=batch_runs(), limit=st.sampled_from([None, None, 1, 2, 3, 5, 8]))
def test_pages_of_a_batch_run_add_up_and_both_channels_agree(
    session: Any, generated: Generated, limit: int | None
) -> None:
    read = pages(session, generated, limit)
    count = len(generated.counts)
    shown_ids: list[str] = []
    for text, data in read:
        # The whole batch's counts, on every page.
        assert data["testCaseCount"] == count
        assert data["successfulAttempts"] == generated.passed
        assert data["failedAttempts"] == generated.failed
        assert data["totalAttempts"] == generated.passed + generated.failed
        judged = generated.passed + generated.failed
        assert data["successRate"] == (generated.passed / judged if judged else None)
        with_records = [c for c in generated.counts.values() if c is not None]
        assert data["testCasesWithFailures"] == (sum(1 for c in with_records if c[1]) if with_records else None)
        # What this page shows, and what it leaves out.
        shown = data["testCases"]
        assert len(shown) + data["testCasesNotShown"] == count
        assert len(shown) <= (limit or count)
        end = data["offset"] + len(shown)
        assert data["nextOffset"] == (end if end < count else None)
        if data["offset"] < count:
            assert shown, "a page before the end that shows nothing"
        paging = [s for s in data["nextSteps"] if s["tool"] == "get_batch_run" and "offset" in s["arguments"]]
        expected_paging = [{"batchId": BATCH, "agentId": AGENT_ID, "offset": data["nextOffset"]}]
        assert [s["arguments"] for s in paging] == (expected_paging if data["nextOffset"] is not None else [])
        for tc in shown:
            shown_ids.append(tc["testCaseId"])
            expected = generated.counts[tc["testCaseId"]]
            if expected is None:
                assert tc["results"] is None
                continue
            results = tc["results"]
            assert (results["passed"], results["failed"], results["pending"]) == expected
            assert results["passed"] + results["failed"] + results["pending"] == tc["attempts"]
            groups = results["failureRemarks"]
            listed = [job for group in groups for job in group["jobIds"]]
            assert set(listed) <= generated.failed_jobs[tc["testCaseId"]]
            assert len(listed) == len(set(listed))  # each failed attempt under one group of remarks
            if not results["moreRemarkGroups"]:
                assert sum(group["count"] for group in groups) == results["failed"]
                if all(len(group["jobIds"]) == min(group["count"], 10) for group in groups):
                    assert set(listed) == generated.failed_jobs[tc["testCaseId"]]
        assert_channels_agree(text, data)
    # Over the pages: every test case exactly once, in the failures-first order.
    assert shown_ids == generated.order()


@EXAMPLES
@given(generated=batch_runs(), test_case=st.integers(min_value=0, max_value=MAX_TEST_CASES + 2))
def test_one_test_case_by_id_keeps_the_whole_batch_counts(session: Any, generated: Generated, test_case: int) -> None:
    api, portal, client = session
    api.add_batch_run(generated.body, batch_id=BATCH, agent_id=AGENT_ID)
    test_case_id = f"tc_{test_case:06d}"
    arguments = {"batchId": BATCH, "agentId": AGENT_ID, "testCaseId": test_case_id}
    result: CallToolResult = portal.call(client.call_tool, "get_batch_run", arguments)
    if test_case_id not in generated.counts:
        assert result.is_error is True
        assert text_of(result).startswith(f"Batch run {BATCH} has no test case with testCaseId {test_case_id} ")
        return
    data = result.structured_content
    assert data is not None
    assert [tc["testCaseId"] for tc in data["testCases"]] == [test_case_id]
    assert data["testCasesNotShown"] == 0
    assert data["nextOffset"] is None
    assert data["testCaseCount"] == len(generated.counts)
    assert (data["successfulAttempts"], data["failedAttempts"]) == (generated.passed, generated.failed)
    expected = generated.counts[test_case_id]
    results = data["testCases"][0]["results"]
    assert (None if results is None else (results["passed"], results["failed"], results["pending"])) == expected
    assert_channels_agree(text_of(result), data)

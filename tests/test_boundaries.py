"""Boundaries the core logic must hold exactly, each where a one-character change of the code (a `<` for a
`<=`, a `//` that rounds the other way, a dropped fallback) would otherwise go unnoticed.

Everything is exercised through surfaces that do not move with the package's layout: the MCP protocol (in
process, over stdio, over HTTP), the `sigma-mcp` command line, and the fake SigmaMind API.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mcp.types import CallToolResult, TextContent

from tests.conftest import clean_env, connect, settings_for, sigma_mcp_script
from tests.factories import AGENT, make_batch_run, make_test_case, make_test_run
from tests.fake_api import FakeSigmaMind, Reply, Seen, api_error
from tests.http_driver import http_server
from tests.stdio_driver import RawSession

AGENT_ID = str(AGENT["agentId"])
BATCH = "batch_b0undary"
JOB = "job_1"


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def data_of(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, text_of(result)
    data: dict[str, Any] | None = result.structured_content
    assert data is not None
    return data


async def get_batch_run(api: FakeSigmaMind, body: dict[str, Any], **arguments: Any) -> CallToolResult:
    api.add_batch_run(body, batch_id=BATCH, agent_id=AGENT_ID)
    async with connect(settings_for(api)) as client:
        return await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT_ID, **arguments})


def steps(data: dict[str, Any], tool: str | None = None) -> list[dict[str, Any]]:
    return [step for step in data["nextSteps"] if tool is None or step["tool"] == tool]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sigma_mcp_script(), *args], env=clean_env(**env), capture_output=True, text=True, timeout=60, check=False
    )


# --- The API key echoed back by the API -----------------------------------------------------------------

KEY = "Qx7Vm2Lz9Tp4Rw6Nk8Bs3Df5Hj1Gc0YaEe"
"""A key with no generic prefix, so that even its first four characters are secret."""
LEAK = KEY[:4]
"""No output may hold this much of the key's start: more would be a fragment of it."""
ESCAPED = "@@ESCAPED_KEY@@"
"""Replaced, in the encoded body, by the key written as JSON \\u escapes: raw bytes no longer hold the key,
so only the redaction of what the server emits can catch it."""


def encoded(body: Any) -> bytes:
    return json.dumps(body).replace(ESCAPED, "".join(f"\\u{ord(ch):04x}" for ch in KEY)).encode()


def echoing_batch_run() -> bytes:
    body = make_batch_run(2, batch_id=BATCH, records_key="testRuns", failure_rate=1.0)
    body["agent"] = {**AGENT, "name": ESCAPED}  # agentName equal to the key
    first, second = body["testCases"]
    first["label"] = f"Label {KEY} inside"
    records = first["testRuns"]
    records[0]["remarks"] = KEY  # a remark equal to the key
    # Cut by the 500-character cap of a remark shown in a batch run: 10 characters of the key are left,
    # which only the masking of a key's leading fragments catches.
    records[1]["remarks"] = "x" * 490 + ESCAPED
    # Cut by the same cap 5 characters into the key: too short a fragment to mask afterwards, so only the
    # redaction of the raw body, before anything is cut, keeps it out.
    records[2]["remarks"] = "y" * 495 + KEY
    second["testRuns"][0]["remarks"] = f"The judge quoted {ESCAPED} here."
    return encoded(body)


def echoing_test_run() -> bytes:
    # Cut by the 3000-character cap of an attempt's remarks, 10 characters into the escaped key.
    return encoded(make_test_run(JOB, turns=4, remarks="z" * 2990 + ESCAPED, chatId=ESCAPED))


# (the reply, the tool, its arguments)
ECHOES: list[tuple[Callable[[], Reply], str, dict[str, Any]]] = [
    (lambda: Reply(body=echoing_batch_run()), "get_batch_run", {"batchId": BATCH, "agentId": AGENT_ID}),
    (lambda: Reply(body=echoing_test_run()), "get_test_run", {"jobId": JOB, "batchId": BATCH, "agentId": AGENT_ID}),
    (lambda: api_error(404, "Not Found", KEY), "get_batch_run", {"batchId": BATCH, "agentId": AGENT_ID}),
    (
        lambda: Reply(body=encoded({"error": "Unauthorized", "message": f"bad key {ESCAPED}"}), status=401),
        "get_batch_run",
        {"batchId": BATCH, "agentId": AGENT_ID},
    ),
    # "E: " and 292 characters before the key: the API's message is cut at 300 characters, 4 into the key.
    (lambda: api_error(404, "E", "x" * 292 + KEY), "get_batch_run", {"batchId": BATCH, "agentId": AGENT_ID}),
    # The key as an id: in the log line of the call and of the request, and in the 404's message.
    (lambda: api_error(404, "Not Found", "none"), "get_batch_run", {"batchId": KEY, "agentId": AGENT_ID}),
]


def echo_everything(api: FakeSigmaMind) -> list[Callable[[], Reply]]:
    current: list[Callable[[], Reply]] = []

    def handler(seen: Seen) -> Reply:
        return current[-1]()

    api.handler = handler
    return current


def assert_no_key(where: str, written: str) -> None:
    assert KEY not in written, where
    assert LEAK not in written, f"{where} holds the start of the key: {written[written.find(LEAK) - 40 :][:80]!r}"


def test_an_echoed_key_is_redacted_in_text_structured_content_and_logs(api: FakeSigmaMind) -> None:
    current = echo_everything(api)
    env = clean_env(
        SIGMAMIND_API_KEY=KEY, SIGMAMIND_BASE_URL=api.url, SIGMAMIND_LOG_LEVEL="DEBUG", SIGMA_MCP_CACHE_MB="0"
    )  # each call answered by its own reply
    results = []
    with RawSession(env) as session:
        session.initialize()
        for reply, tool, arguments in ECHOES:
            current.append(reply)
            results.append(session.call_tool(tool, arguments))
        assert session.close() == 0
    assert [result["isError"] for result in results] == [False, False, True, True, True, True]
    for result, (_, tool, _) in zip(results, ECHOES, strict=True):
        assert_no_key(f"{tool} text", result["content"][0]["text"])
        assert_no_key(f"{tool} structuredContent", json.dumps(result.get("structuredContent")))
        assert "[RED" in result["content"][0]["text"]  # the echo was there, and masked (cut, in one)
    batch = results[0]["structuredContent"]
    assert batch["agentName"] == "[REDACTED]"
    assert f"- Agent: `[REDACTED]` (`{AGENT_ID}`" in results[0]["content"][0]["text"]
    remarks = [group["remarks"] for group in batch["testCases"][0]["results"]["failureRemarks"]]
    assert "[REDACTED]" in remarks
    cut = 490 + len(KEY) - 500  # characters the 500-character cap left out
    assert "x" * 490 + f"[REDACTED]… [{cut} more characters not shown]" in remarks  # the fragment masked
    assert "y" * 495 + "[REDA… [5 more characters not shown]" in remarks  # the key gone before the cut
    attempt = results[1]["structuredContent"]
    assert attempt["chatId"] == "[REDACTED]"
    assert attempt["remarks"].endswith(f"z[REDACTED]… [{2990 + len(KEY) - 3000} more characters not shown]")
    assert "SigmaMind has no batch run" in results[2]["content"][0]["text"]
    assert results[2]["content"][0]["text"].endswith("The API said: Not Found: [REDACTED]")
    assert "bad key [REDACTED]" in results[3]["content"][0]["text"]
    assert "x[RED…" in results[4]["content"][0]["text"]
    # The logs, at their most talkative, name every call and request, and never the key.
    logs = session.stderr.decode()
    assert " DEBUG " in logs
    assert "tool get_batch_run batchId='[REDACTED]'" in logs
    assert_no_key("stderr", logs)
    assert_no_key("stdout", session.stdout.decode())


def test_an_echoed_key_is_redacted_by_the_command_line(api: FakeSigmaMind) -> None:
    current = echo_everything(api)
    current.append(lambda: Reply(body=echoing_batch_run()))
    env = {"SIGMAMIND_API_KEY": KEY, "SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_LOG_LEVEL": "DEBUG"}
    markdown = run_cli("batch-run", BATCH, "--agent", AGENT_ID, env=env)
    as_json = run_cli("batch-run", BATCH, "--agent", AGENT_ID, "--json", env=env)
    current.append(lambda: Reply(body=encoded({"error": "Not Found", "message": f"no {ESCAPED}"}), status=404))
    error = run_cli("batch-run", BATCH, "--agent", AGENT_ID, env=env)
    assert (markdown.returncode, as_json.returncode, error.returncode) == (0, 0, 1)
    assert f"- Agent: `[REDACTED]` (`{AGENT_ID}`" in markdown.stdout
    assert json.loads(as_json.stdout)["agentName"] == "[REDACTED]"
    last = error.stderr.splitlines()[-1]  # after the DEBUG log lines
    assert last.startswith("sigma-mcp: error: SigmaMind has no batch run")
    assert last.endswith("The API said: Not Found: no [REDACTED]")
    for name, completed in (("markdown", markdown), ("json", as_json), ("error", error)):
        assert_no_key(f"{name} stdout", completed.stdout)
        assert_no_key(f"{name} stderr", completed.stderr)


# --- get_batch_run's offset at the end of the test cases ------------------------------------------------


def five_test_cases() -> dict[str, Any]:
    """Five test cases whose failures-first order is tc 4, 1, 3, then 0 and 2 (no failures)."""
    failed = [0, 2, 0, 1, 3]
    cases = [make_test_case(n, attempts=3, failed=k, records_key="testRuns") for n, k in enumerate(failed)]
    body = make_batch_run(0, batch_id=BATCH)
    body.update(testCases=cases, successfulAttempts=15 - sum(failed), failedAttempts=sum(failed), totalAttempts=15)
    return body


ORDER = ["tc_000004", "tc_000001", "tc_000003", "tc_000000", "tc_000002"]


@pytest.mark.anyio
async def test_offset_one_before_the_end_shows_the_last_test_case(api: FakeSigmaMind) -> None:
    result = await get_batch_run(api, five_test_cases(), offset=4)
    data = data_of(result)
    assert [tc["testCaseId"] for tc in data["testCases"]] == ORDER[4:]
    assert (data["offset"], data["testCasesNotShown"], data["nextOffset"], data["testCaseCount"]) == (4, 4, None, 5)
    assert steps(data, "get_batch_run") == []  # nothing after it to page to
    assert not any("past the last" in warning for warning in data["warnings"])
    text = text_of(result)
    assert "## Test case 5 of 5 (failures first)" in text
    assert "### 5. `Scenario 2:" in text
    assert "(4 test cases before these: offset=0 shows the first.)" in text
    assert "after these" not in text


@pytest.mark.anyio
async def test_offset_equal_to_the_number_of_test_cases_shows_none_with_a_warning(api: FakeSigmaMind) -> None:
    # Offset 5 of 5 is past the last (0-based), as get_test_run's turnOffset is.
    result = await get_batch_run(api, five_test_cases(), offset=5)
    data = data_of(result)
    assert data["testCases"] == []
    assert (data["offset"], data["testCasesNotShown"], data["nextOffset"], data["testCaseCount"]) == (5, 5, None, 5)
    assert (data["totalAttempts"], data["failedAttempts"], data["testCasesWithFailures"]) == (15, 6, 3)
    assert "offset 5 is past the last of the 5 test cases; none are shown." in data["warnings"]
    assert steps(data, "get_batch_run") == []
    text = text_of(result)
    assert "## Test cases: none of 5 shown" in text
    assert "(5 test cases before these: offset=0 shows the first.)" in text
    assert "###" not in text
    assert "offset 5 is past the last of the 5 test cases" in text


@pytest.mark.anyio
async def test_offset_past_the_number_of_test_cases_is_warned_about(api: FakeSigmaMind) -> None:
    result = await get_batch_run(api, five_test_cases(), offset=6)
    data = data_of(result)
    assert data["testCases"] == []
    assert (data["offset"], data["testCasesNotShown"], data["nextOffset"]) == (6, 5, None)
    warning = "offset 6 is past the last of the 5 test cases; none are shown."
    assert warning in data["warnings"]
    assert f"- {warning}" in text_of(result)
    assert "(5 test cases before these: offset=0 shows the first.)" in text_of(result)  # never "6 before"
    assert steps(data, "get_batch_run") == []


@pytest.mark.anyio
async def test_the_last_page_by_limit_ends_exactly_at_the_last_test_case(api: FakeSigmaMind) -> None:
    first = data_of(await get_batch_run(api, five_test_cases(), limit=4))
    assert [tc["testCaseId"] for tc in first["testCases"]] == ORDER[:4]
    assert (first["testCasesNotShown"], first["nextOffset"]) == (1, 4)
    (paging,) = steps(first, "get_batch_run")
    assert paging["arguments"] == {"batchId": BATCH, "agentId": AGENT_ID, "offset": 4}
    assert paging["reason"].startswith("See the next test cases (1 more;")
    exact = data_of(await get_batch_run(api, five_test_cases(), limit=5))
    assert [tc["testCaseId"] for tc in exact["testCases"]] == ORDER
    assert (exact["testCasesNotShown"], exact["nextOffset"]) == (0, None)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "name", "edge", "past", "problem"),
    [
        ("get_batch_run", "offset", 1_000_000, 1_000_001, "must be at most 1000000, got 1000001"),
        ("get_batch_run", "offset", 0, -1, "must be at least 0, got -1"),
        ("get_batch_run", "limit", 1, 0, "must be at least 1, got 0"),
        ("get_batch_run", "limit", 200, 201, "must be at most 200, got 201"),
        ("get_test_run", "maxTurns", 1, 0, "must be at least 1, got 0"),
        ("get_test_run", "maxTurns", 200, 201, "must be at most 200, got 201"),
        ("get_test_run", "turnOffset", 0, -1, "must be at least 0, got -1"),
        ("list_batch_runs", "size", 1, 0, "must be at least 1, got 0"),
        ("list_batch_runs", "size", 100, 101, "must be at most 100, got 101"),
    ],
)
async def test_arguments_one_past_their_range_are_refused_before_any_request(
    api: FakeSigmaMind, tool: str, name: str, edge: int, past: int, problem: str
) -> None:
    ids = {
        "get_batch_run": {"batchId": BATCH, "agentId": AGENT_ID},
        "get_test_run": {"jobId": JOB, "batchId": BATCH, "agentId": AGENT_ID},
        "list_batch_runs": {"agentId": AGENT_ID},
    }[tool]
    async with connect(settings_for(api)) as client:
        refused = await client.call_tool(tool, {**ids, name: past})
        api.handler = lambda seen: Reply.json({})
        accepted = await client.call_tool(tool, {**ids, name: edge})
    assert refused.is_error is True
    assert text_of(refused).startswith(f"Invalid {name} for {tool}: {problem}.")
    assert accepted.is_error is False, text_of(accepted)
    assert len(api.requests) == 1  # only the call at the edge of the range was sent


# --- get_test_run with an odd maxTurns -----------------------------------------------------------------


async def read_attempt(api: FakeSigmaMind, turns: int, **arguments: Any) -> CallToolResult:
    api.add_test_run(make_test_run(JOB, turns=turns), job_id=JOB, batch_id=BATCH, agent_id=AGENT_ID)
    async with connect(settings_for(api)) as client:
        return await client.call_tool(
            "get_test_run", {"jobId": JOB, "batchId": BATCH, "agentId": AGENT_ID, **arguments}
        )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("turns", "max_turns", "shown", "head", "gap"),
    [
        (50, 3, [1, 2, 50], 2, "… 47 turns not shown (turns 3–49) …"),
        (50, 5, [1, 2, 3, 49, 50], 3, "… 45 turns not shown (turns 4–48) …"),
        (50, 1, [1], 1, "… 49 turns not shown (turns 2–50) …"),
        (4, 3, [1, 2, 4], 2, "… 1 turn not shown (turn 3) …"),
        (6, 5, [1, 2, 3, 5, 6], 3, "… 1 turn not shown (turn 4) …"),
        (3, 3, [1, 2, 3], None, None),
    ],
)
async def test_an_odd_max_turns_splits_first_and_last_turns_exactly(
    api: FakeSigmaMind, turns: int, max_turns: int, shown: list[int], head: int | None, gap: str | None
) -> None:
    """The first (maxTurns + 1) // 2 turns and the last maxTurns // 2: exactly maxTurns, none twice."""
    result = await read_attempt(api, turns, maxTurns=max_turns)
    data = data_of(result)
    numbers = [turn["turn"] for turn in data["conversation"]]
    assert numbers == shown
    assert len(numbers) == len(set(numbers)) == min(max_turns, turns)  # exactly maxTurns, none twice
    assert data["turnsOmitted"] == turns - len(shown)
    text = text_of(result)
    paging = steps(data, "get_test_run")
    if head is None or gap is None:
        assert data["nextTurnOffset"] is None
        assert paging == []
        assert f"## Transcript ({turns} turns)" in text
        return
    assert shown[:head] == list(range(1, head + 1))
    assert data["nextTurnOffset"] == head
    assert gap in text
    assert f"## Transcript ({len(shown)} of {turns} turns shown)" in text
    # The paging step starts at the first turn not shown; following the paging steps reads every turn of the
    # gap exactly once, in order.
    (step,) = paging
    assert step["arguments"]["turnOffset"] == head
    read: list[int] = []
    arguments: dict[str, Any] | None = step["arguments"]
    async with connect(settings_for(api)) as client:
        while arguments is not None:
            page = data_of(await client.call_tool("get_test_run", arguments))
            assert page["conversation"], arguments
            read += [turn["turn"] for turn in page["conversation"]]
            more = steps(page, "get_test_run")
            arguments = more[0]["arguments"] if more else None
            assert len(read) <= turns
    assert read == list(range(head + 1, turns + 1))
    assert set(read) | set(shown) == set(range(1, turns + 1))


@pytest.mark.anyio
async def test_the_paging_step_after_an_odd_split_names_the_gap(api: FakeSigmaMind) -> None:
    three = data_of(await read_attempt(api, 50, maxTurns=3))
    assert steps(three, "get_test_run") == [
        {
            "tool": "get_test_run",
            "arguments": {"jobId": JOB, "batchId": BATCH, "agentId": AGENT_ID, "turnOffset": 2, "maxTurns": 20},
            "reason": "Turns 3–49 are not shown: read turns 3–22",
        }
    ]
    one_missing = await read_attempt(api, 4, maxTurns=3)
    (step,) = steps(data_of(one_missing), "get_test_run")
    assert step["arguments"] == {"jobId": JOB, "batchId": BATCH, "agentId": AGENT_ID, "turnOffset": 2, "maxTurns": 1}
    assert step["reason"].endswith(": read turn 3")
    shown = ", ".join(f"{name}={value}" for name, value in step["arguments"].items())
    assert f"- {step['reason']}: call get_test_run with {shown}." in text_of(one_missing)


# --- Retry-After at the retry policy's cap ---------------------------------------------------------------

RETRYING = re.compile(r"attempt 1 failed after \d+ ms: (\w+); retrying in (\d+\.\d\d) s")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "retry_after", "retried", "message"),
    [
        (429, "10", 10.0, None),  # exactly the cap: waited for
        (429, "10.0", 10.0, None),
        (429, "10.001", None, "Wait 11 seconds (the API's Retry-After) and try again."),  # just above: at once
        (429, "11", None, "Wait 11 seconds (the API's Retry-After) and try again."),
        # A 503's Retry-After is not read at all: the usual backoff (under a second), whatever it says.
        (503, "10", "backoff", None),
        (503, "11", "backoff", None),
    ],
)
async def test_retry_after_at_and_above_the_cap(
    api: FakeSigmaMind,
    caplog: pytest.LogCaptureFixture,
    status: int,
    retry_after: str,
    retried: float | str | None,
    message: str | None,
) -> None:
    api.add_batch_run(five_test_cases(), batch_id=BATCH, agent_id=AGENT_ID)
    default = api.handler
    api.handler = lambda seen: (
        Reply(status=status, headers={"Retry-After": retry_after}) if len(api.requests) == 1 else default(seen)
    )
    caplog.set_level(logging.INFO)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT_ID})
    waits = [match.groups() for record in caplog.records if (match := RETRYING.search(record.getMessage()))]
    if retried is None:
        assert result.is_error is True
        assert message is not None
        assert message in text_of(result)
        assert len(api.requests) == 1
        assert waits == []
        return
    assert result.is_error is False, text_of(result)
    assert len(api.requests) == 2
    ((error, wait),) = waits
    assert error == ("UpstreamRateLimited" if status == 429 else "UpstreamServerError")
    if retried == "backoff":
        assert 0.25 <= float(wait) <= 0.5  # the first backoff, 0.5 s scaled by the jitter (shown to 0.01 s)
    else:
        assert float(wait) == retried


# --- Every attempt failed, or none did ------------------------------------------------------------------


def counted(successful: int, failed: int, *, records: bool, test_cases: int = 4) -> dict[str, Any]:
    """A batch whose test cases' per-attempt results (or configured attempts) add up to these counts."""
    total = successful + failed
    each, extra = divmod(total, test_cases)
    cases = []
    left = failed
    for n in range(test_cases):
        attempts = each + (n < extra)
        failures = min(left, attempts)
        left -= failures
        cases.append(make_test_case(n, attempts=attempts, failed=failures, records_key="testRuns" if records else None))
    body = make_batch_run(0, batch_id=BATCH)
    body.update(testCases=cases, successfulAttempts=successful, failedAttempts=failed, totalAttempts=total)
    return body


NO_RECORDS_ADVICE = "The API sent no per-attempt results for this batch run"
NOTHING_FAILED = "Nothing failed in this batch run; no triage is needed."


@pytest.mark.anyio
@pytest.mark.parametrize("records", [True, False], ids=["records", "counts-only"])
async def test_every_attempt_failed(api: FakeSigmaMind, records: bool) -> None:
    result = await get_batch_run(api, counted(0, 12, records=records))
    data = data_of(result)
    assert data["verdict"] == f"Batch run {BATCH} failed: all 12 attempts failed (0%)."
    assert (data["totalAttempts"], data["successfulAttempts"], data["failedAttempts"]) == (12, 0, 12)
    assert data["successRate"] == 0.0
    assert data["testCasesWithFailures"] == (4 if records else None)
    text = text_of(result)
    assert text.startswith(f"**{data['verdict']}**\n")
    assert "- Attempts: 12 with results, 0 passed, 12 failed, success rate 0%\n" in text
    tools = [step["tool"] for step in data["nextSteps"]]
    assert tools[-1] == "list_batch_runs"
    assert NOTHING_FAILED not in data["advice"]
    if records:
        # One failed attempt to read per group of remarks, the largest groups first, three at most.
        assert tools == ["get_test_run"] * 3 + ["list_batch_runs"]
        failed_jobs = {r["jobId"] for tc in counted(0, 12, records=True)["testCases"] for r in tc["testRuns"]}
        assert {step["arguments"]["jobId"] for step in steps(data, "get_test_run")} <= failed_jobs
        assert data["advice"] == []
    else:
        assert tools == ["list_batch_runs"]
        assert len(data["advice"]) == 1
        assert data["advice"][0].startswith(NO_RECORDS_ADVICE)


@pytest.mark.anyio
@pytest.mark.parametrize("records", [True, False], ids=["records", "counts-only"])
async def test_no_attempt_failed(api: FakeSigmaMind, records: bool) -> None:
    result = await get_batch_run(api, counted(12, 0, records=records))
    data = data_of(result)
    assert data["verdict"] == f"Batch run {BATCH} passed: all 12 attempts succeeded (100%)."
    assert (data["totalAttempts"], data["successfulAttempts"], data["failedAttempts"]) == (12, 12, 0)
    assert data["successRate"] == 1.0
    assert data["testCasesWithFailures"] == (0 if records else None)
    assert data["nextSteps"] == []
    assert data["advice"] == [NOTHING_FAILED]
    text = text_of(result)
    assert "- Attempts: 12 with results, 12 passed, 0 failed, success rate 100%\n" in text
    assert f"## Next steps\n- {NOTHING_FAILED}\n" in text
    if records:
        assert all(tc["results"]["failed"] == 0 and tc["results"]["failureRemarks"] == [] for tc in data["testCases"])


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("successful", "failed", "shown"),
    [(2999, 1, "99.9%"), (1, 2999, "0.1%"), (1, 1, "50%"), (2, 1, "66.7%")],
)
async def test_nearly_all_or_nearly_none_is_never_rounded_to_all_or_none(
    api: FakeSigmaMind, successful: int, failed: int, shown: str
) -> None:
    data = data_of(await get_batch_run(api, counted(successful, failed, records=False, test_cases=1)))
    total = successful + failed
    assert data["verdict"] == f"Batch run {BATCH}: {successful} of {total} attempts passed ({shown}), {failed} failed."
    assert data["successRate"] == successful / total
    assert [step["tool"] for step in data["nextSteps"]] == ["list_batch_runs"]
    assert NOTHING_FAILED not in data["advice"]


@pytest.mark.anyio
async def test_no_attempt_judged_yet(api: FakeSigmaMind) -> None:
    body = counted(0, 0, records=False)
    for case in body["testCases"]:
        case["attempt"] = 3
    data = data_of(await get_batch_run(api, body))
    assert (
        data["verdict"] == f"Batch run {BATCH}: no attempts have results yet (12 configured); it may still be running."
    )
    assert data["successRate"] is None
    assert [step["tool"] for step in data["nextSteps"]] == ["get_batch_run"]  # call again later
    assert NOTHING_FAILED not in data["advice"]


# --- A request's own key at the bounds of its accepted length ------------------------------------------

KEY_15 = "sk_live_a1B2c3D"
KEY_16 = "sk_live_a1B2c3D4"
KEY_512 = "sk_live_" + "a1B2c3D4" * 63
KEY_513 = KEY_512 + "e"


def tool_call(request_id: int, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "get_batch_run", "arguments": arguments},
    }


@pytest.mark.anyio
async def test_request_keys_at_the_bounds_of_their_length(api: FakeSigmaMind) -> None:
    def handler(seen: Seen) -> Reply:
        body = make_batch_run(1, batch_id=BATCH)
        body["testCases"][0]["label"] = f"key seen: {seen.headers.get('x-api-key')}"
        return Reply.json(body)

    api.handler = handler
    answers: dict[str, dict[str, Any]] = {}
    with http_server(env={"SIGMAMIND_BASE_URL": api.url}) as server:
        async with httpx.AsyncClient(timeout=30) as http:
            for number, key in enumerate((KEY_15, KEY_16, KEY_512, KEY_513)):
                response = await http.post(
                    server.url,
                    json=tool_call(number, {"batchId": BATCH, "agentId": AGENT_ID}),
                    headers={
                        "Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream",
                        "MCP-Protocol-Version": "2025-11-25",
                        "X-SigmaMind-Api-Key": key,
                    },
                )
                assert response.status_code == 200
                answers[key] = response.json()["result"]
    # Exactly 16 and exactly 512 characters are accepted, sent upstream, and masked where the API echoes them.
    assert [seen.headers["x-api-key"] for seen in api.requests] == [KEY_16, KEY_512]
    for key in (KEY_16, KEY_512):
        assert answers[key]["isError"] is False
        assert "key seen: [REDACTED]" in answers[key]["content"][0]["text"]
        assert key not in json.dumps(answers[key])
    # One fewer or one more is refused before any request, saying how long a key is.
    for key in (KEY_15, KEY_513):
        assert answers[key]["isError"] is True
        text = answers[key]["content"][0]["text"]
        assert f"The X-SigmaMind-Api-Key header holds {len(key)} characters; an API key has between 16 and 512." in text
        assert key not in text
    assert KEY_15 not in server.stderr()
    assert KEY_16 not in server.stderr()


# --- The command line's numeric options at the bounds of their ranges ---------------------------------

DEMO_BATCH = "batch_Xk3pQ9mLrT2vWs7d"
"""A demo batch run with three test cases."""
DEMO_JOB = ["job_Es02hI6v", "--batch", DEMO_BATCH, "--agent", AGENT_ID]


@pytest.mark.parametrize(
    ("args", "parameter", "bound", "value"),
    [
        (["batch-run", DEMO_BATCH, "--agent", AGENT_ID, "--limit", "0"], "limit", 1, 0),
        (["batch-run", DEMO_BATCH, "--agent", AGENT_ID, "--limit", "201"], "limit", 200, 201),
        (["batch-run", DEMO_BATCH, "--agent", AGENT_ID, "--offset", "-1"], "offset", 0, -1),
        # The message names the tool's parameter (maxTurns, turnOffset), not the option as typed.
        (["test-run", *DEMO_JOB, "--max-turns", "0"], "maxTurns", 1, 0),
        (["test-run", *DEMO_JOB, "--max-turns", "201"], "maxTurns", 200, 201),
        (["test-run", *DEMO_JOB, "--turn-offset", "-1"], "turnOffset", 0, -1),
        (["batch-runs", "--agent", AGENT_ID, "--size", "0"], "size", 1, 0),
        (["batch-runs", "--agent", AGENT_ID, "--size", "101"], "size", 100, 101),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_an_option_outside_its_range_exits_2_naming_it_and_the_range(
    args: list[str], parameter: str, bound: int, value: int
) -> None:
    completed = run_cli(*args, "--demo", env={})
    assert completed.returncode == 2
    assert completed.stdout == ""
    # One line: the parameter, the bound it broke and the value given ("must be from 1 to 200, got 0", or
    # "must be at least 1, got 0"), and nothing was sent anywhere.
    line = completed.stderr
    assert line.startswith(f"sigma-mcp: error: Invalid {parameter}")
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert re.search(rf": must be .*\b{bound}\b.*, got {value}\.", line), line


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (
            ["batch-run", DEMO_BATCH, "--agent", AGENT_ID, "--limit", "1"],
            lambda data: (len(data["testCases"]), data["testCasesNotShown"], data["nextOffset"]) == (1, 2, 1),
        ),
        (
            ["batch-run", DEMO_BATCH, "--agent", AGENT_ID, "--limit", "200"],
            lambda data: (len(data["testCases"]), data["nextOffset"]) == (3, None),
        ),
        (["test-run", *DEMO_JOB, "--max-turns", "1"], lambda data: len(data["conversation"]) == 1),
        (
            ["batch-runs", "--agent", AGENT_ID, "--size", "1"],
            lambda data: (
                len(data["batchRuns"]) == 1
                and {"tool": "list_batch_runs", "arguments": {"agentId": AGENT_ID, "page": 1, "size": 1}}
                in [{"tool": s["tool"], "arguments": s["arguments"]} for s in data["nextSteps"]]
            ),
        ),
    ],
)
def test_an_option_at_the_edge_of_its_range_is_accepted(args: list[str], check: Callable[[Any], bool]) -> None:
    completed = run_cli(*args, "--demo", "--json", env={})
    assert completed.returncode == 0, completed.stderr
    assert check(json.loads(completed.stdout))


# --- Per-attempt records: what is counted is what is listed ---------------------------------------------

R1 = "The agent asked for the order number twice."
R2 = "The agent never stated the refund timeline."
R3 = "The agent did not confirm the appointment slot."


def awkward_records() -> list[Any]:
    """Per-attempt records in every spelling the scans accept, and some they must not count."""
    return [
        {"jobId": "job_a", "isSuccessful": False, "remarks": R1},
        {"jobId": "job_a", "isSuccessful": False, "remarks": R1},  # the same jobId twice
        {"isSuccessful": False, "remarks": R1},  # no jobId
        {"jobId": "job_b", "isSuccesful": False, "remarks": R2},  # the older spelling
        {"jobId": "job_c", "isSuccessful": "false", "remarks": f"  {R2}\n"},  # a word, and stray white space
        {"jobId": "job_d", "isSuccessful": 0, "remarks": R3},  # a number
        {"jobId": "job_e", "isSuccessful": "perhaps", "remarks": R1},  # an unknown value: pending
        {"jobId": "job_f", "isSuccessful": None, "isSuccesful": True},  # null, then the older spelling: passed
        {"jobId": "job_g", "status": "FAILED"},  # a status field the API does not document: pending
        "junk",  # not objects: not attempts at all
        42,
        None,
        [{"jobId": "job_nested", "isSuccessful": False, "remarks": R1}],
        {"jobId": "job_h", "isSuccessful": 2},  # pending
        {"jobId": "job_i", "isSuccessful": "TRUE"},  # passed
        {"jobId": "job_j", "isSuccessful": True, "remarks": R1},  # passed: its remarks are no failure's
    ]


def awkward_batch() -> dict[str, Any]:
    awkward = make_test_case(1, attempts=10)
    awkward["testRuns"] = awkward_records()
    awkward["history"] = [{"jobId": "job_k", "isSuccessful": False, "remarks": R3}]  # a second list of records
    # Records where the documented shape does not put them: not counted, not listed.
    awkward["details"] = {"runs": [{"jobId": "job_x", "isSuccessful": False, "remarks": R1}]}
    awkward["mockData"].append({"variableName": "v", "value": 1, "jobId": "job_m", "isSuccessful": False})
    plain = make_test_case(2, attempts=2)
    plain["testRuns"] = [
        {"jobId": "job_p", "isSuccessful": True, "remarks": "ok"},
        {"jobId": "job_q", "isSuccessful": False, "remarks": R2},
    ]
    body = make_batch_run(0, batch_id=BATCH)
    body.update(testCases=[plain, awkward], successfulAttempts=4, failedAttempts=8, totalAttempts=12)
    return body


@pytest.mark.anyio
async def test_counts_of_a_test_case_equal_the_records_its_remarks_list(api: FakeSigmaMind) -> None:
    result = await get_batch_run(api, awkward_batch())
    data = data_of(result)
    # The test case with more failures first, though most of them are not spelled `"isSuccessful": false`.
    assert [tc["testCaseId"] for tc in data["testCases"]] == ["tc_000001", "tc_000002"]
    awkward, plain = (tc["results"] for tc in data["testCases"])
    assert (awkward["passed"], awkward["failed"], awkward["pending"]) == (3, 7, 3)
    assert [(g["remarks"], g["count"], g["jobIds"]) for g in awkward["failureRemarks"]] == [
        (R1, 3, ["job_a", "job_a"]),  # listed as often as counted; the record without a jobId counted, unlisted
        (R2, 2, ["job_b", "job_c"]),
        (R3, 2, ["job_d", "job_k"]),
    ]
    assert awkward["moreRemarkGroups"] == 0
    assert sum(group["count"] for group in awkward["failureRemarks"]) == awkward["failed"]
    assert (plain["passed"], plain["failed"], plain["pending"]) == (1, 1, 0)
    assert [(g["remarks"], g["count"], g["jobIds"]) for g in plain["failureRemarks"]] == [(R2, 1, ["job_q"])]
    # The batch's counts agree with the records', so nothing is flagged; the records that are not objects are.
    assert (data["successfulAttempts"], data["failedAttempts"], data["testCasesWithFailures"]) == (4, 8, 2)
    assert not any("add up to" in warning for warning in data["warnings"])
    ignored = next(warning for warning in data["warnings"] if "unexpected types" in warning)
    for position in (9, 10, 11, 12):
        assert f"testCases[1].testRuns[{position}] (not an object)" in ignored
    assert "testCases[1].testRuns[6].isSuccessful (not true or false)" in ignored
    # The same in the text.
    text = text_of(result)
    assert "Results: 3 of 10 attempts passed, 7 failed, 3 without a verdict yet — flaky: the same test both " in text
    assert "Results: 1 of 2 attempts passed, 1 failed — flaky: the same test both passed and failed." in text
    assert f"Failed 3 times (`job_a`, `job_a` and 1 more), judge's remarks:\n```text\n{R1}\n```" in text
    assert f"Failed 2 times (`job_b`, `job_c`), judge's remarks:\n```text\n{R2}\n```" in text
    assert f"Failed 2 times (`job_d`, `job_k`), judge's remarks:\n```text\n{R3}\n```" in text
    for hidden in ("job_nested", "job_x", "job_m", "job_e", "job_g", "job_h"):
        assert hidden not in text
        assert hidden not in json.dumps(data["testCases"][0]["results"])
    # One failed attempt to read per group, the largest group first.
    assert [step["arguments"]["jobId"] for step in steps(data, "get_test_run")] == ["job_a", "job_b", "job_d"]


@pytest.mark.anyio
async def test_records_in_a_list_whose_first_item_is_not_one_are_still_counted(api: FakeSigmaMind) -> None:
    case = make_test_case(1, attempts=2)
    case["runs"] = ["header", {"jobId": "job_a", "isSuccessful": False, "remarks": R1}, {"isSuccesful": True}]
    not_records = make_test_case(2, attempts=1)
    not_records["tags"] = [{"name": "refund"}, {"name": "voice"}]
    body = make_batch_run(0, batch_id=BATCH)
    body.update(testCases=[case, not_records], successfulAttempts=1, failedAttempts=1, totalAttempts=2)
    data = data_of(await get_batch_run(api, body))
    results = {tc["testCaseId"]: tc["results"] for tc in data["testCases"]}
    counted_results = results["tc_000001"]
    assert counted_results is not None
    assert (counted_results["passed"], counted_results["failed"], counted_results["pending"]) == (1, 1, 0)
    assert counted_results["failureRemarks"] == [{"remarks": R1, "count": 1, "jobIds": ["job_a"], "wordings": 1}]
    assert results["tc_000002"] is None  # a list of objects without jobId, verdict or remarks is not records


def one_case_with(records: list[dict[str, Any]]) -> dict[str, Any]:
    case = make_test_case(1, attempts=len(records))
    case["testRuns"] = records
    body = make_batch_run(0, batch_id=BATCH)
    body.update(testCases=[case], successfulAttempts=0, failedAttempts=len(records), totalAttempts=len(records))
    return body


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("failures", "listed", "shown"),
    [
        (5, 5, "(`job_0`, `job_1`, `job_2`, `job_3`, `job_4`)"),  # five: every one in the text
        (6, 6, "(`job_0`, `job_1`, `job_2`, `job_3`, `job_4` and 1 more)"),  # six: the text stops at five
        (12, 10, "(`job_0`, `job_1`, `job_2`, `job_3`, `job_4` and 7 more)"),  # twelve: ten in structuredContent
    ],
)
async def test_a_large_group_lists_ten_job_ids_and_the_text_five(
    api: FakeSigmaMind, failures: int, listed: int, shown: str
) -> None:
    records = [{"jobId": f"job_{n}", "isSuccessful": False, "remarks": R1} for n in range(failures)]
    result = await get_batch_run(api, one_case_with(records))
    (group,) = data_of(result)["testCases"][0]["results"]["failureRemarks"]
    assert group["count"] == failures
    assert group["jobIds"] == [f"job_{n}" for n in range(listed)]
    assert f"Failed {failures} times {shown}, judge's remarks:" in text_of(result)


# --- Defects found by these tests, fixed ------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_job_id_that_cleans_to_nothing_is_not_listed(api: FakeSigmaMind) -> None:
    result = await get_batch_run(api, one_case_with([{"jobId": "  ", "isSuccessful": False, "remarks": R1}]))
    (group,) = data_of(result)["testCases"][0]["results"]["failureRemarks"]
    assert group["count"] == 1
    assert group["jobIds"] == []
    assert "(``)" not in text_of(result)


@pytest.mark.anyio
async def test_white_space_remarks_are_grouped_with_no_remarks(api: FakeSigmaMind) -> None:
    records = [
        {"jobId": "job_a", "isSuccessful": False, "remarks": None},
        {"jobId": "job_b", "isSuccessful": False, "remarks": "   "},
    ]
    groups = data_of(await get_batch_run(api, one_case_with(records)))["testCases"][0]["results"]["failureRemarks"]
    assert [(g["remarks"], g["count"], g["jobIds"]) for g in groups] == [(None, 2, ["job_a", "job_b"])]


@pytest.mark.anyio
async def test_remarks_that_show_the_same_are_one_group(api: FakeSigmaMind) -> None:
    records = [
        {"jobId": "job_a", "isSuccessful": False, "remarks": R3},
        {"jobId": "job_b", "isSuccessful": False, "remarks": R3.replace(" ", " \u200b", 1)},
    ]
    groups = data_of(await get_batch_run(api, one_case_with(records)))["testCases"][0]["results"]["failureRemarks"]
    assert [(g["remarks"], g["count"]) for g in groups] == [(R3, 2)]


@pytest.mark.anyio
async def test_a_group_without_job_ids_says_so(api: FakeSigmaMind) -> None:
    records = [{"isSuccessful": False, "remarks": R1}, {"isSuccessful": False, "remarks": R1}]
    result = await get_batch_run(api, one_case_with(records))
    assert "Failed 2 times (no jobIds), judge's remarks:" in text_of(result)

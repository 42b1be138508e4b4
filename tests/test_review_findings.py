"""Regressions found in review: key fragments at cuts, schema keys under short keys, ranges of nullable
arguments, non-ASCII digits, bounded attempts, paging wording, rounding, JSON the fast parser refuses,
prompt argument errors and suggested calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from sigma_mcp.config import Settings
from sigma_mcp.safety.text import percent
from sigma_mcp.tools.common import DATA_BUDGET, TEXT_BUDGET, json_size
from sigma_mcp.tools.fit import cut_text
from tests.conftest import API_KEY, connect, env_for, settings_for
from tests.factories import make_batch_run, make_test_case, make_test_run
from tests.fake_api import FakeSigmaMind, Reply, api_error
from tests.test_server import AGENT, ARGS, BATCH, text_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("cut", [300, 320])
async def test_a_key_cut_by_the_message_limit_does_not_leak(api: FakeSigmaMind, cut: int) -> None:
    # The API's message is trimmed to 300 characters; place the key across that cut.
    api.handler = lambda seen: api_error(400, "Bad Request", "y" * (cut - 30) + API_KEY + "z" * 50)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert API_KEY[:8] not in text_of(result)


async def test_a_key_cut_by_a_field_limit_does_not_leak(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    documented_example["testCases"][0]["userPrompt"] = "p" * 990 + API_KEY
    documented_example["testCases"][0]["label"] = "l" * 190 + API_KEY
    api.add_batch_run(documented_example)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert API_KEY[:8] not in text_of(result)
    assert API_KEY[:8] not in json.dumps(result.structured_content)


async def test_a_key_passed_as_an_argument_does_not_leak(api: FakeSigmaMind) -> None:
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": "x/" + API_KEY, "agentId": AGENT})
    assert result.is_error is True
    assert API_KEY[:8] not in text_of(result)


@pytest.mark.parametrize("key", ["test", "e", "abc123"])
async def test_short_keys_break_nothing(api: FakeSigmaMind, documented_example: dict[str, Any], key: str) -> None:
    api.add_batch_run(documented_example)
    settings = Settings.from_env({**env_for(api), "SIGMAMIND_API_KEY": key})
    async with connect(settings) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert result.is_error is False, text_of(result)
    assert text_of(result).startswith(f"**Batch run {BATCH}: 4 of 5 attempts passed")
    assert result.structured_content is not None
    assert result.structured_content["testCases"][0]["testCaseId"] == "tc_d17T6uReChpyfFeP"


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("get_batch_run", {"limit": 0}, "Invalid limit for get_batch_run: must be at least 1, got 0."),
        ("get_batch_run", {"limit": 500}, "Invalid limit for get_batch_run: must be at most 200, got 500."),
        (
            "get_batch_run",
            {"limit": "²"},
            "Invalid limit for get_batch_run: expected an integer or null, got a string.",
        ),
        ("get_batch_run", {"offset": "١٢"}, "Invalid offset for get_batch_run: expected an integer, got a string."),
        (
            "get_batch_run",
            {"offset": 10**40},
            "Invalid offset for get_batch_run: must be at most 1000000, got a number",
        ),
        (
            "get_test_run",
            {"jobId": "job_1", "turnOffset": -1},
            "Invalid turnOffset for get_test_run: must be at least 0",
        ),
    ],
)
async def test_nullable_and_odd_numbers_are_refused_clearly(
    api: FakeSigmaMind, tool: str, arguments: dict[str, Any], message: str
) -> None:
    async with connect(settings_for(api)) as client:
        result = await client.call_tool(tool, {**ARGS, **arguments})
    assert result.is_error is True
    assert text_of(result).startswith(message)
    assert "pydantic" not in text_of(result)
    assert api.requests == []


async def test_an_attempt_with_huge_mock_data_stays_within_budget(api: FakeSigmaMind) -> None:
    body = make_test_run("job_1", turns=40)
    body["testCase"]["mockData"] = [{"variableName": f"v{n}", "value": "値" * 500} for n in range(300)]
    body["remarks"] = "理由" * 5_000
    body["testCase"]["userPrompt"] = "ペ" * 5_000
    body["testCase"]["successCriteria"] = "基" * 5_000
    api.add_test_run(body, job_id="job_1", batch_id=BATCH, agent_id=AGENT)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_test_run", {"jobId": "job_1", **ARGS})
    assert len(text_of(result).encode()) <= TEXT_BUDGET
    assert json_size(result.structured_content) <= DATA_BUDGET
    assert result.structured_content is not None
    assert result.structured_content["mockDataNotShown"] >= 280
    assert "## Next steps" in text_of(result)


def test_a_cut_closes_its_fence_and_keeps_the_next_steps() -> None:
    text = "**verdict**\n\n````text\n" + "line of data\n" * 5_000 + "````\n\n## Next steps\n- call something\n"
    cut = cut_text(text)
    assert len(cut.encode()) <= TEXT_BUDGET
    assert cut.startswith("**verdict**")
    assert "````\n\n[The rest of this answer was cut to stay within 24 KB.]\n\n## Next steps\n- call something\n" in cut


def test_rounding_never_hides_a_failure_or_a_pass() -> None:
    assert percent(2999 / 3000) == "99.9%"
    assert percent(1 / 3000) == "0.1%"
    assert percent(1.0) == "100%"
    assert percent(0.0) == "0%"
    assert percent(0.5) == "50%"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda body: body.replace(b'"John Doe"', b'"John \\ud800 Doe"'),
        lambda body: body.replace(b'"totalAttempts": 5', b'"totalAttempts": ' + b"9" * 5000),
        lambda body: b"\xef\xbb\xbf" + body,
    ],
    ids=["lone surrogate", "5000-digit integer", "byte order mark"],
)
async def test_json_the_fast_parser_refuses_still_gives_a_summary(
    api: FakeSigmaMind, documented_example: dict[str, Any], mutate: Any
) -> None:
    api.handler = lambda seen: Reply(body=mutate(json.dumps(documented_example).encode()))
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert result.is_error is False, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["testCaseCount"] == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"batchId": BATCH}, "Missing required parameter agentId for triage_batch_run."),
        ({**ARGS, "extra": "1"}, "Unknown parameter 'extra' for triage_batch_run."),
        ({"batchId": "b c", "agentId": AGENT}, "Invalid batchId 'b c': it contains whitespace."),
    ],
)
async def test_prompt_argument_errors_are_clear(api: FakeSigmaMind, arguments: dict[str, str], message: str) -> None:
    async with connect(settings_for(api)) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("triage_batch_run", arguments)
    assert caught.value.error.code == -32602
    assert caught.value.error.message.startswith(message)


async def test_suggested_calls_only_carry_ids_that_would_work(api: FakeSigmaMind) -> None:
    bad_id = make_test_case(1)
    bad_id["testCaseId"] = "has spaces / slashes"
    bad_id["testRuns"] = [{"jobId": "job 1/bad", "isSuccessful": False, "remarks": "x"}]
    good = make_test_case(2)
    good["testRuns"] = [{"jobId": "job_ok", "isSuccessful": False, "remarks": "y"}]
    body = make_batch_run(0, batch_id=BATCH)
    body.update(testCases=[bad_id, good], successfulAttempts=0, failedAttempts=2, totalAttempts=2)
    api.add_batch_run(body, agent_id=AGENT)
    async with connect(settings_for(api)) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    steps = text_of(result).split("## Next steps", 1)[1]
    assert "jobId=job_ok" in steps
    assert "job 1/bad" not in steps

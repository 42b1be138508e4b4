"""get_test_run: one attempt's verdict and remarks first, then a bounded window of its transcript."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import CallToolResult

from sigma_mcp import __version__
from sigma_mcp.tools.common import json_size
from tests.conftest import API_KEY, connect, settings_for
from tests.factories import make_test_run
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT, BATCH, text_of

pytestmark = pytest.mark.anyio

JOB = "job_1"
IDS = {"jobId": JOB, "batchId": BATCH, "agentId": AGENT}


async def call_test_run(api: FakeSigmaMind, body: Any, mode: str = "legacy", **arguments: Any) -> CallToolResult:
    api.add_test_run(body, job_id=JOB, batch_id=BATCH, agent_id=AGENT)
    async with connect(settings_for(api), mode) as client:
        return await client.call_tool("get_test_run", {**IDS, **arguments})


def within_budget(result: CallToolResult) -> None:
    assert len(text_of(result).encode()) <= 24 * 1024
    assert json_size(result.structured_content) <= 24 * 1024


def assert_next_call(result: CallToolResult, reason: str, **arguments: Any) -> None:
    """The same call in both channels: the markdown's Next steps and structuredContent's nextSteps."""
    shown = ", ".join(f"{name}={value}" for name, value in {**IDS, **arguments}.items())
    assert f"- {reason}: call get_test_run with {shown}." in text_of(result)
    step = {"tool": "get_test_run", "arguments": {**IDS, **arguments}, "reason": reason}
    assert step in result.structured_content["nextSteps"]  # type: ignore[index]


async def test_request_and_verdict_and_remarks_first(api: FakeSigmaMind, mode: str) -> None:
    result = await call_test_run(api, make_test_run(JOB), mode)
    assert result.is_error is False
    text = text_of(result)
    assert text.startswith(
        f"**Attempt {JOB} of test case `Scenario 1: caller wants a refund for order ORD-10001` failed: "
        "the judge marked it unsuccessful.**\n\nJudge's remarks:\n```text\nThe agent asked for the order number twice."
    )
    assert "took 1 min 14 s" in text
    assert "## Transcript (6 turns)" in text
    assert "[1] assistant: Turn 1 says something." in text
    data = result.structured_content
    assert data is not None
    assert data["isSuccessful"] is False
    assert data["remarks"] == "The agent asked for the order number twice."
    assert data["durationSeconds"] == 74.5
    assert data["turnCount"] == 6
    assert data["turnsOmitted"] == 0
    assert data["testCaseId"] == "tc_000001"
    assert data["conversation"][1] == {"turn": 2, "role": "user", "content": "Turn 2 says something."}

    (request,) = api.requests
    assert request.path == f"/v1/test-runs/{JOB}"
    assert request.query == {"batchId": [BATCH], "agentId": [AGENT]}
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["user-agent"] == f"sigma-mcp/{__version__}"


@pytest.mark.parametrize(
    ("field", "value", "verdict"), [("isSuccesful", True, "passed"), ("isSuccessful", None, "no verdict")]
)
async def test_old_spelling_and_no_verdict(api: FakeSigmaMind, field: str, value: Any, verdict: str) -> None:
    body = make_test_run(JOB)
    del body["isSuccessful"]
    body[field] = value
    result = await call_test_run(api, body)
    assert verdict in result.structured_content["verdict"]  # type: ignore[index]
    assert result.structured_content["isSuccessful"] is value  # type: ignore[index]


async def test_long_transcript_keeps_first_and_last_turns(api: FakeSigmaMind, mode: str) -> None:
    result = await call_test_run(api, make_test_run(JOB, turns=500), mode)
    data = result.structured_content
    assert data is not None
    turns = [turn["turn"] for turn in data["conversation"]]
    assert turns == [*range(1, 11), *range(491, 501)]
    assert data["turnCount"] == 500
    assert data["turnsOmitted"] == 480
    assert data["nextTurnOffset"] == 10
    text = text_of(result)
    assert "## Transcript (20 of 500 turns shown)" in text
    assert "… 480 turns not shown (turns 11–490) …" in text
    # As many as a default call shows, so that they come whole, not shortened to fit 200 in one answer.
    assert_next_call(result, "Turns 11–490 are not shown: read turns 11–30", turnOffset=10, maxTurns=20)
    within_budget(result)


async def test_paging_through_a_transcript(api: FakeSigmaMind) -> None:
    result = await call_test_run(api, make_test_run(JOB, turns=50), turnOffset=10, maxTurns=5)
    data = result.structured_content
    assert data is not None
    assert [turn["turn"] for turn in data["conversation"]] == [11, 12, 13, 14, 15]
    assert data["nextTurnOffset"] == 15
    assert data["turnsOmitted"] == 45
    text = text_of(result)
    assert "… 10 turns not shown (turns 1–10) …" in text
    assert "… 35 turns not shown (turns 16–50) …" in text
    assert_next_call(result, "Turns 16–50 are not shown: read turns 16–35", turnOffset=15, maxTurns=20)


async def test_offset_past_the_end(api: FakeSigmaMind) -> None:
    result = await call_test_run(api, make_test_run(JOB, turns=4), turnOffset=9)
    assert result.structured_content is not None
    assert result.structured_content["conversation"] == []
    assert any("turnOffset 9 is past the last of the 4 turns" in w for w in result.structured_content["warnings"])


async def test_huge_turns_and_remarks_stay_within_budget(api: FakeSigmaMind) -> None:
    body = make_test_run(JOB, turns=200, remarks="é" * 100_000)
    for turn in body["conversation"]:
        turn["content"] = "日本語" * 2_000
    result = await call_test_run(api, body, maxTurns=200)
    within_budget(result)
    assert result.structured_content is not None
    assert result.structured_content["turnCount"] == 200
    assert "more characters not shown]" in result.structured_content["remarks"]


async def test_one_turn_can_be_read_much_longer(api: FakeSigmaMind) -> None:
    body = make_test_run(JOB, turns=30)
    body["conversation"][12]["content"] = "word " * 1000
    many = await call_test_run(api, body, turnOffset=0, maxTurns=30)
    one = await call_test_run(api, body, turnOffset=12, maxTurns=1)
    assert many.structured_content is not None
    assert one.structured_content is not None
    assert len(one.structured_content["conversation"][0]["content"]) > 3 * len(
        many.structured_content["conversation"][12]["content"]
    )
    assert "ask for fewer turns" in text_of(many)


async def test_transcript_drift(api: FakeSigmaMind) -> None:
    body = make_test_run(JOB)
    body["conversation"] = [
        {"speaker": "user", "text": "Hello"},
        "just a string",
        {"role": "assistant", "content": {"parts": ["Hi", "there"]}},
        {"role": 7, "content": None},
    ]
    result = await call_test_run(api, body)
    assert result.is_error is False
    data = result.structured_content
    assert data is not None
    assert data["conversation"][0] == {"turn": 1, "role": "user", "content": "Hello"}
    assert data["conversation"][1]["content"] == '{"parts": ["Hi", "there"]}'
    assert data["conversation"][2]["role"] == "7"
    assert any("conversation[1]" in w for w in data["warnings"])


async def test_no_transcript(api: FakeSigmaMind) -> None:
    body = make_test_run(JOB)
    del body["conversation"]
    result = await call_test_run(api, body)
    assert "(The API sent no transcript for this attempt.)" in text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["turnCount"] is None
    assert "conversation" in result.structured_content["missingFields"]


async def test_not_found_names_all_three_ids(api: FakeSigmaMind, mode: str) -> None:
    async with connect(settings_for(api), mode) as client:
        result = await client.call_tool("get_test_run", IDS)
    assert result.is_error is True
    assert f"SigmaMind has no attempt '{JOB}' of batch run '{BATCH}' (agent '{AGENT}') (HTTP 404" in text_of(result)
    assert "Check all three ids" in text_of(result)

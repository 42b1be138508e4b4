"""Arguments the SDK's request models would refuse with a bare "Invalid request parameters" before a tool or
the prompt sees them: a tool's arguments that are not an object, and prompt arguments that are not strings.
They get the same messages as every other refusal, over the real stdio server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import clean_env
from tests.stdio_driver import RawSession

ARGS = {"batchId": "batch_Xk3pQ9mLrT2vWs7d", "agentId": "agent_D5D0p7TUs66TTAEAx"}


@pytest.fixture(scope="module")
def session() -> Iterator[RawSession]:
    with RawSession(clean_env(), ("--demo",)) as raw:
        raw.initialize()
        yield raw
        raw.close()


@pytest.mark.parametrize("arguments", [list(ARGS.values()), "x", 5, True])
def test_tool_arguments_that_are_not_an_object(session: RawSession, arguments: object) -> None:
    answer = session.request("tools/call", {"name": "get_batch_run", "arguments": arguments})
    result = answer["result"]
    assert result["isError"] is True
    assert result["content"][0]["text"] == (
        "Invalid arguments for get_batch_run: expected an object of named parameters "
        "(batchId, agentId, offset, limit, testCaseId)."
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({**ARGS, "batchId": 5}, "Invalid batchId for triage_batch_run: expected a string, got a number."),
        ({**ARGS, "x": "1"}, "Unknown parameter 'x' for triage_batch_run. It accepts: batchId, agentId."),
        ({"batchId": ARGS["batchId"]}, "Missing required parameter agentId for triage_batch_run."),
        ({**ARGS, "batchId": "a/b"}, "Invalid batchId 'a/b': it contains '/' (a path separator)."),
    ],
)
def test_prompt_arguments_get_the_same_messages(session: RawSession, arguments: object, message: str) -> None:
    answer = session.request("prompts/get", {"name": "triage_batch_run", "arguments": arguments})
    assert answer["error"]["code"] == -32602
    assert answer["error"]["message"].startswith(message), answer["error"]


def test_a_good_prompt_request_still_works(session: RawSession) -> None:
    answer = session.request("prompts/get", {"name": "triage_batch_run", "arguments": ARGS})
    assert ARGS["batchId"] in answer["result"]["messages"][0]["content"]["text"]

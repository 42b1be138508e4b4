"""The upstream fault matrix: every way the API can fail or misbehave ends in a correct summary or an
actionable isError, and the server answers the next call normally."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from sigma_mcp.config import Settings
from sigma_mcp.demo.data import DOCUMENTED_EXAMPLE
from tests.conftest import API_KEY, connect, env_for
from tests.fake_api import FakeSigmaMind, Reply, Seen, api_error
from tests.test_server import ARGS, BATCH, text_of

pytestmark = pytest.mark.anyio

GOOD = json.dumps(DOCUMENTED_EXAMPLE).encode()


def wrong_types_everywhere() -> bytes:
    body: dict[str, Any] = {
        "batchId": ["not", "a", "string"],
        "workspaceId": {"nested": True},
        "agent": "New AI Agent",
        "createdDate": 20260326,
        "testCases": [
            {
                "testCaseId": None,
                "label": ["x"],
                "llmModel": {},
                "mockData": "none",
                "userPrompt": 42,
                "attempt": "five",
                "successCriteria": False,
                "testRuns": "oops",
            },
            7,
        ],
        "successfulAttempts": "many",
        "failedAttempts": -3,
        "totalAttempts": 5.5,
    }
    return json.dumps(body).encode()


@dataclass
class Fault:
    name: str
    replies: list[Reply]
    """Answers in order; the last one repeats."""
    expect: list[str]
    """Fragments of the text; a summary when the first is a verdict ("**..."), else an isError."""
    env: dict[str, str] = field(default_factory=dict)
    base_url: str | None = None


FAULTS = [
    Fault("200 as documented", [Reply(body=GOOD)], [f"**Batch run {BATCH}: 4 of 5 attempts passed (80%), 1 failed.**"]),
    Fault(
        "400 with the API's message",
        [api_error(400, "Bad Request", "Invalid request parameters")],
        ["(HTTP 400 Bad Request)", "The API said: Bad Request: Invalid request parameters"],
    ),
    Fault("401", [api_error(401, "Unauthorized", "bad key")], ["rejected the API key", "SIGMAMIND_API_KEY"]),
    Fault("403", [api_error(403, "Forbidden", "no")], ["has no access", "SIGMAMIND_API_KEY"]),
    Fault("404", [api_error(404, "Not Found", "gone")], ["SigmaMind has no batch run", "Check both ids"]),
    Fault("409", [api_error(409, "Conflict", "busy")], ["(HTTP 409 Conflict)", "The API said: Conflict: busy"]),
    Fault(
        "429 with a short Retry-After, then 200",
        [Reply(status=429, headers={"Retry-After": "2"}), Reply(body=GOOD)],
        [f"**Batch run {BATCH}: 4 of 5"],
    ),
    Fault(
        "429 with a long Retry-After",
        [Reply(status=429, headers={"Retry-After": "3600"})],
        ["rate limiting", "Wait 60 minutes (the API's Retry-After)"],
    ),
    Fault(
        "500 every time", [api_error(500, "Internal Server Error", "boom")], ["on SigmaMind's side", "(Tried 3 times.)"]
    ),
    Fault(
        "502 HTML error page",
        [Reply(status=502, body=b"<html><head><title>502 Bad Gateway</title></head></html>")],
        ["(HTTP 502 Bad Gateway)", "(an HTML page) 502 Bad Gateway"],
    ),
    Fault("503 once, then 200", [Reply(status=503), Reply(body=GOOD)], [f"**Batch run {BATCH}: 4 of 5"]),
    Fault("504 every time", [Reply(status=504)], ["(HTTP 504 Gateway Timeout)", "(Tried 3 times.)"]),
    Fault(
        "200 with an HTML page",
        [Reply(body=b"<!DOCTYPE html><html><body>Maintenance</body></html>")],
        ["not valid JSON", "<!DOCTYPE html>"],
    ),
    Fault("200 with truncated JSON", [Reply(body=GOOD[:200])], ["not valid JSON", "200 bytes"]),
    Fault(
        "200 whose connection closes early",
        [Reply(body=GOOD[:200], declared_length=len(GOOD))],
        ["failed before a full answer arrived", "(Tried 3 times.)"],
    ),
    Fault("200 with an empty body", [Reply(body=b"")], ["not valid JSON", "0 bytes"]),
    Fault("200 with a JSON array", [Reply(body=b"[1, 2, 3]")], ["not an object (got an array of 3 items)"]),
    Fault("200 with a JSON string", [Reply(body=b'"ok"')], ["not an object (got a string)"]),
    Fault("200 with JSON nested 100000 deep", [Reply(body=b"[" * 100_000 + b"]" * 100_000)], ["not valid JSON"]),
    Fault(
        "200 with wrong types in every field",
        [Reply(body=wrong_types_everywhere())],
        [f"**Batch run {BATCH}: the API did not report", "The API sent values of unexpected types"],
    ),
    Fault(
        "200 declaring 60 MB",
        [Reply(body=b"{}", declared_length=60_000_000)],
        ["larger than the 50 MB sigma-mcp reads (60.0 MB)", "SIGMAMIND_MAX_RESPONSE_MB"],
    ),
    Fault(
        "200 streaming 2 MB past a 1 MB cap",
        [Reply(body=b'{"a": "' + b"x" * 2_000_000 + b'"}', chunked=True)],
        ["larger than the 1 MB sigma-mcp reads"],
        env={"SIGMAMIND_MAX_RESPONSE_MB": "1"},
    ),
    Fault(
        "headers slower than the deadline",
        [Reply(body=GOOD, delay=3)],
        ["did not give a full answer within 1 second"],
        env={"SIGMAMIND_TIMEOUT": "1"},
    ),
    Fault(
        "a body dripping past the deadline",
        [Reply(body=GOOD, drip=0.05)],
        ["did not give a full answer within 1 second"],
        env={"SIGMAMIND_TIMEOUT": "1"},
    ),
    Fault("connection reset every time", [Reply(reset=True)], ["SIGMAMIND_BASE_URL", "(Tried 3 times.)"]),
    Fault(
        "redirect elsewhere",
        [Reply(status=302, headers={"Location": "https://elsewhere.example/"})],
        ["redirect (HTTP 302 Found", "does not follow"],
    ),
    Fault("connection refused", [], ["Could not connect to SigmaMind", "(Tried 3 times.)"], base_url="refused"),
]


def serve(api: FakeSigmaMind, replies: list[Reply]) -> None:
    answers: Iterator[Reply] = iter(replies)
    last = replies[-1] if replies else None

    def handler(seen: Seen) -> Reply:
        return next(answers, None) or last or Reply(status=500)

    api.handler = handler


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
async def test_fault(api: FakeSigmaMind, mode: str, fault: Fault) -> None:
    serve(api, fault.replies)
    env = env_for(api, **fault.env)
    if fault.base_url == "refused":
        env["SIGMAMIND_BASE_URL"] = refused_url()
    async with connect(Settings.from_env(env), mode) as client:
        result = await client.call_tool("get_batch_run", ARGS)
        text = text_of(result)
        assert result.is_error is not fault.expect[0].startswith("**"), text
        for fragment in fault.expect:
            assert fragment in text
        assert "Traceback" not in text
        assert "internal error" not in text
        assert API_KEY not in text
        if fault.base_url is None:
            # The same server, the same session: the next call is answered normally.
            api.handler = lambda seen: Reply(body=GOOD)
            assert (await client.call_tool("get_batch_run", ARGS)).is_error is False

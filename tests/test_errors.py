"""Every upstream failure ends in an isError result a model can act on: no traceback, never the key."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from sigma_mcp.sigmamind.failures import api_message, format_seconds, parse_retry_after
from tests.conftest import API_KEY, settings_for
from tests.fake_api import FakeSigmaMind, Reply, api_error
from tests.test_server import ARGS, call, text_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            api_error(401, "Unauthorized", "Invalid API key"),
            [
                "SigmaMind rejected the API key (HTTP 401 Unauthorized)",
                "SIGMAMIND_API_KEY",
                "Invalid API key",
            ],
        ),
        (
            api_error(403, "Forbidden", "Access denied"),
            ["no access to the batch run", "(HTTP 403 Forbidden)", "SIGMAMIND_API_KEY", "workspace"],
        ),
        (
            api_error(404, "Not Found", "Batch run not found"),
            [
                "SigmaMind has no batch run 'batch_s0OJu2JWR8R45Fai' of agent 'agent_D5D0p7TUs66TTAEAx'",
                "Check both ids",
            ],
        ),
        (
            Reply.json({"message": "Too many requests"}, status=429, headers={"Retry-After": "17"}),
            ["rate limiting", "(HTTP 429 Too Many Requests)", "Wait 17 seconds (the API's Retry-After)"],
        ),
        (Reply(status=429), ["rate limiting", "Wait a few seconds and try again."]),
        (
            api_error(400, "Bad Request", "Invalid request parameters"),
            [
                "refused the request",
                "(HTTP 400 Bad Request)",
                "The API said: Bad Request: Invalid request parameters",
            ],
        ),
        (Reply(status=418, body=b"I'm a teapot\n\x1b[31m"), ["(HTTP 418", "The API said: I'm a teapot"]),
        (Reply(status=410, body=b""), ["(HTTP 410 Gone)", "No reason given."]),
        (
            Reply(
                status=422,
                body=b"<!DOCTYPE html><html><head><title>Unprocessable</title></head><body>x</body></html>",
                headers={"Content-Type": "text/html"},
            ),
            ["(HTTP 422", "The API said: (an HTML page) Unprocessable"],
        ),
        (
            api_error(500, "Internal Server Error", "NullPointerException"),
            ["(HTTP 500 Internal Server Error)", "on SigmaMind's side", "Try again in a minute"],
        ),
        (
            Reply(status=502, body=b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
            ["(HTTP 502 Bad Gateway)", "on SigmaMind's side", "(an HTML page) 502 Bad Gateway"],
        ),
        (Reply(status=503), ["(HTTP 503 Service Unavailable)", "Try again in a minute"]),
        (Reply(status=200, body=b'{"batchId": "b", '), ["not valid JSON", "17 bytes"]),
        (Reply(status=200, body=b"<html>maintenance</html>"), ["not valid JSON", "<html>maintenance"]),
        (Reply(status=200, body=b"[]"), ["not an object (got an array of 0 items)"]),
        (
            Reply(status=302, headers={"Location": "https://evil.example/steal"}),
            [
                "redirect (HTTP 302 Found to https://evil.example/steal)",
                "does not follow",
                "SIGMAMIND_BASE_URL",
            ],
        ),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else None,
)
async def test_upstream_errors(api: FakeSigmaMind, mode: str, reply: Reply, expected: list[str]) -> None:
    api.handler = lambda seen: reply
    result = await call(settings_for(api), mode, ARGS)
    assert result.is_error is True
    text = text_of(result)
    for fragment in expected:
        assert fragment in text
    assert "Traceback" not in text
    assert API_KEY not in text
    # Retried: 429 when the API asks for at most 10 seconds, and the transient 5xx.
    retried = reply.status in (500, 502, 503, 504) or (
        reply.status == 429 and float(reply.headers.get("Retry-After", 0)) <= 10
    )
    assert len(api.requests) == (3 if retried else 1)
    assert text.endswith(" (Tried 3 times.)") is retried


async def test_redirect_is_not_followed(api: FakeSigmaMind) -> None:
    target = FakeSigmaMind().start()
    try:
        api.handler = lambda seen: Reply(status=307, headers={"Location": f"{target.url}/v1/batch-runs/x"})
        result = await call(settings_for(api), "legacy", ARGS)
    finally:
        target.stop()
    assert result.is_error is True
    assert target.requests == []


async def test_timeout(api: FakeSigmaMind, mode: str) -> None:
    api.handler = lambda seen: Reply.json({}, delay=1.5)
    result = await call(settings_for(api, SIGMAMIND_TIMEOUT="0.3"), mode, ARGS)
    assert result.is_error is True
    assert text_of(result).startswith(f"SigmaMind at {api.url} did not give a full answer within 0.3 seconds")
    assert "(SIGMAMIND_TIMEOUT, which bounds the whole call, retries included)" in text_of(result)
    assert len(api.requests) == 1  # the deadline left no time to try again


async def test_connection_refused_names_the_base_url(mode: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port once the socket is closed.
    from sigma_mcp.config import Settings

    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": f"http://127.0.0.1:{port}"})
    result = await call(settings, mode, ARGS)
    assert result.is_error is True
    assert text_of(result).startswith(f"Could not connect to SigmaMind at http://127.0.0.1:{port}")
    assert "SIGMAMIND_BASE_URL" in text_of(result)


async def test_connection_reset(api: FakeSigmaMind, mode: str) -> None:
    api.handler = lambda seen: Reply(reset=True)
    result = await call(settings_for(api), mode, ARGS)
    assert result.is_error is True
    assert "failed before a full answer arrived" in text_of(result) or "Could not connect" in text_of(result)
    assert "SIGMAMIND_BASE_URL" in text_of(result)


async def test_the_server_answers_normally_after_an_error(api: FakeSigmaMind, documented_example: dict) -> None:
    from tests.conftest import connect

    api.add_batch_run(documented_example)
    default = api.handler
    async with connect(settings_for(api)) as client:
        for reply in (Reply(status=500), Reply(reset=True), Reply(status=404)):
            api.handler = lambda seen, reply=reply: reply
            assert (await client.call_tool("get_batch_run", ARGS)).is_error is True
        api.handler = default
        assert (await client.call_tool("get_batch_run", ARGS)).is_error is False


def test_retry_after_forms() -> None:
    now = datetime(2026, 3, 26, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("17") == 17
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") == 0
    assert parse_retry_after("nan") is None


def test_format_seconds() -> None:
    assert format_seconds(0.2) == "0.2 seconds"
    assert format_seconds(1) == "1 second"
    assert format_seconds(2.5) == "2.5 seconds"
    assert format_seconds(17.2) == "18 seconds"
    assert format_seconds(600) == "10 minutes"


def test_api_message_is_trimmed_and_cleaned() -> None:
    long = httpx.Response(400, json={"message": "x" * 1000 + "\n\x07"})
    message = api_message(long)
    assert len(message) == 300
    assert message.endswith("…")
    assert api_message(httpx.Response(400, json={"error": "Bad", "message": "Why"})) == "Bad: Why"
    assert api_message(httpx.Response(400, json={"unrelated": 1})) == ""
    assert api_message(httpx.Response(400, content=b"  ")) == ""

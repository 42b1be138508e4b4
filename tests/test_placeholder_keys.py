"""A placeholder copied from the docs or the example configuration is refused with how to set a real key,
before any request: from the environment, and from a request's X-SigmaMind-Api-Key header over HTTP."""

from __future__ import annotations

import json

import pytest

from sigma_mcp.config import Settings
from sigma_mcp.safety.keys import PLACEHOLDER_KEY, REQUEST_KEY_HEADER, parse_request_key
from tests.conftest import API_KEY, connect
from tests.fake_api import FakeSigmaMind
from tests.http_driver import http_server
from tests.test_http import post, tool_call
from tests.test_server import ARGS, text_of

pytestmark = pytest.mark.anyio

PLACEHOLDERS = [
    "your-key",
    "<api-key>",
    "YOUR_API_KEY",
    "sk-...",
    PLACEHOLDER_KEY,
    "<your-sigmamind-api-key>",
    "Your_SigmaMind_API_Key",
    "<key>",
    "sk-xxxx",
    "xxxxxxxxxxxxxxxx",
]
UNEXPANDED = [
    "${SIGMAMIND_API_KEY}",
    "$SIGMAMIND_API_KEY",
    "%SIGMAMIND_API_KEY%",
    # the one-click installs' own references (Cursor, VS Code, the Claude Desktop bundle), were one left unexpanded
    "${env:SIGMAMIND_API_KEY}",
    "${input:sigmamind_api_key}",
    "${user_config.api_key}",
]
HOW = "Create a key in the SigmaMind dashboard (API Keys, the Production API key) and put the key itself in"


@pytest.mark.parametrize("key", PLACEHOLDERS + UNEXPANDED)
async def test_a_placeholder_key_is_refused_and_nothing_is_sent(api: FakeSigmaMind, key: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": key, "SIGMAMIND_BASE_URL": api.url})
    async with connect(settings) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert result.is_error is True
    text = text_of(result)
    kind = "the name of a variable" if key in UNEXPANDED else "a placeholder from an example"
    assert text == (
        f"SIGMAMIND_API_KEY holds {kind}"
        + (
            ", not a SigmaMind API key. "
            if key not in UNEXPANDED
            else ", not a key: MCP clients pass these values on as written, without expanding variables. "
        )
        + f"{HOW} SIGMAMIND_API_KEY, then restart the server (or the client). To try sigma-mcp without a key, "
        "start it with --demo."
    )
    assert api.requests == []


@pytest.mark.parametrize(
    "key",
    [
        API_KEY,
        "sk_live_yourkey_9fQ2mX7rT4vB8nK1",
        "0123456789abcdef0123",
        "key_with.dot_not_three_dots",
        "$9fQ2-mX7r.T4vB8nK1pL6",  # a $ that does not start a variable name
    ],
)
def test_real_looking_keys_are_not_placeholders(key: str) -> None:
    assert Settings.from_env({"SIGMAMIND_API_KEY": key}).problems == ()
    assert parse_request_key(key).problem is None


@pytest.mark.parametrize("key", PLACEHOLDERS + UNEXPANDED)
def test_a_placeholder_in_the_header_is_refused(key: str) -> None:
    refused = parse_request_key(key)
    assert refused.value is None  # nothing to send, nothing to mask
    assert refused.problem is not None
    assert refused.problem.startswith(f"The {REQUEST_KEY_HEADER} header holds ")
    assert HOW in refused.problem


async def test_a_placeholder_in_the_header_is_refused_over_http(api: FakeSigmaMind) -> None:
    with http_server(env={"SIGMAMIND_BASE_URL": api.url}) as server:
        answered = await post(server.url, tool_call(1, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: "your-key"})
    result = answered.json()["result"]
    assert result["isError"] is True
    assert "holds a placeholder from an example" in json.dumps(result)
    assert api.requests == []

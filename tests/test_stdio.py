"""The installed `sigma-mcp` script over stdio: real sessions, and nothing but protocol on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import API_KEY, clean_env, env_for, sigma_mcp_script
from tests.fake_api import FakeSigmaMind, Seen, api_error
from tests.test_render import DOCUMENTED_EXAMPLE_MARKDOWN
from tests.test_server import AGENT, ARGS, BATCH, TOOL_NAMES, text_of

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


@pytest.mark.anyio
async def test_stdio_session_through_the_installed_script(
    api: FakeSigmaMind, mode: str, documented_example: dict[str, Any]
) -> None:
    api.add_batch_run(documented_example)
    params = StdioServerParameters(command=sigma_mcp_script(), args=[], env=clean_env(**env_for(api)))
    async with Client(params, mode=mode) as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == TOOL_NAMES
        result = await client.call_tool("get_batch_run", ARGS)
    assert result.is_error is False
    assert text_of(result) == DOCUMENTED_EXAMPLE_MARKDOWN
    assert result.structured_content is not None
    assert result.structured_content["successRate"] == 0.8
    assert [request.path for request in api.requests] == [f"/v1/batch-runs/{BATCH}"]


@pytest.mark.anyio
async def test_python_dash_m_runs_the_same_server(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    params = StdioServerParameters(command=sys.executable, args=["-m", "sigma_mcp"], env=clean_env(**env_for(api)))
    async with Client(params, mode="legacy") as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert text_of(result) == DOCUMENTED_EXAMPLE_MARKDOWN


def _echo_key_for_bad_batch(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    default = api.handler

    def handler(seen: Seen) -> Any:
        if seen.path.endswith("/batch_bad"):
            return api_error(401, "Unauthorized", f"key {seen.headers.get('x-api-key')} rejected")
        return default(seen)

    api.handler = handler


@pytest.mark.parametrize("level", LOG_LEVELS)
def test_stdout_carries_only_protocol_messages(
    api: FakeSigmaMind, level: str, documented_example: dict[str, Any]
) -> None:
    _echo_key_for_bad_batch(api, documented_example)
    requests: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw-test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "get_batch_run", "arguments": ARGS},
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "get_batch_run", "arguments": {"batchId": "batch_bad", "agentId": AGENT}},
        },
        {
            "jsonrpc": "2.0",
            "id": 5,
            "method": "tools/call",
            "params": {"name": "get_batch_run", "arguments": {"batchId": "../x", "agentId": AGENT}},
        },
    ]
    process = subprocess.Popen(
        [sigma_mcp_script()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(**env_for(api, SIGMAMIND_LOG_LEVEL=level)),
    )
    assert process.stdin is not None
    assert process.stdout is not None
    responses: dict[int, dict[str, Any]] = {}
    for request in requests:
        process.stdin.write(json.dumps(request).encode() + b"\n")
        process.stdin.flush()
        if "id" in request:
            while request["id"] not in responses:
                line = process.stdout.readline()
                assert line, "the server closed stdout early"
                message = json.loads(line)  # every stdout line is a JSON-RPC message
                assert message["jsonrpc"] == "2.0"
                responses[message.get("id", -1)] = message
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    for line in out.splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"

    assert responses[3]["result"]["isError"] is False
    assert responses[4]["result"]["isError"] is True
    assert "[REDACTED]" in responses[4]["result"]["content"][0]["text"]
    assert responses[5]["result"]["isError"] is True
    everything = b"".join(json.dumps(r).encode() for r in responses.values()) + out + err
    assert API_KEY.encode() not in everything
    if level == "DEBUG":
        assert b" DEBUG " in err
        assert b"tool get_batch_run" in err
    if level in ("ERROR", "CRITICAL"):
        assert err == b""

"""The installed `sigma-mcp` script over stdio: real sessions, and nothing but protocol on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import API_KEY, clean_env, env_for, sigma_mcp_script
from tests.fake_api import FakeSigmaMind, Seen, api_error
from tests.stdio_driver import RawSession
from tests.test_render import DOCUMENTED_EXAMPLE_SERVED_MARKDOWN
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
    assert text_of(result) == DOCUMENTED_EXAMPLE_SERVED_MARKDOWN
    assert result.structured_content is not None
    assert result.structured_content["successRate"] == 0.8
    assert [request.path for request in api.requests] == [f"/v1/batch-runs/{BATCH}", "/v1/test-runs"]


@pytest.mark.anyio
async def test_python_dash_m_runs_the_same_server(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    params = StdioServerParameters(command=sys.executable, args=["-m", "sigma_mcp"], env=clean_env(**env_for(api)))
    async with Client(params, mode="legacy") as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert text_of(result) == DOCUMENTED_EXAMPLE_SERVED_MARKDOWN


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
    with RawSession(clean_env(**env_for(api, SIGMAMIND_LOG_LEVEL=level))) as session:
        session.initialize()
        assert [tool["name"] for tool in session.request("tools/list")["result"]["tools"]] == TOOL_NAMES
        ok = session.call_tool("get_batch_run", ARGS)
        rejected = session.call_tool("get_batch_run", {"batchId": "batch_bad", "agentId": AGENT})
        refused = session.call_tool("get_batch_run", {"batchId": "../x", "agentId": AGENT})
        out_of_range = session.call_tool("list_batch_runs", {"agentId": AGENT, "page": -1})
        assert session.close() == 0
    for line in bytes(session.stdout).splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert ok["isError"] is False
    assert rejected["isError"] is True
    assert "[REDACTED]" in rejected["content"][0]["text"]
    assert refused["isError"] is True
    assert out_of_range["isError"] is True
    assert API_KEY.encode() not in bytes(session.stdout) + bytes(session.stderr)
    if level == "DEBUG":
        assert b" DEBUG " in session.stderr
        assert b"tool get_batch_run" in session.stderr
    if level == "INFO":
        lines = bytes(session.stderr).decode().splitlines()
        assert len(lines) == 5, "one line at start-up, then one per tool call and no library's chatter"
        assert "serving on stdio" in lines[0]
        assert [line.split(" -> ")[1].split(" in ")[0] for line in lines[1:]] == [
            "ok",
            "UpstreamAuthError",
            "InvalidArgument",
            "InvalidArgument",
        ]
        assert f"INFO sigma_mcp.tools: tool list_batch_runs agentId='{AGENT}' page='-1' -> InvalidArgument" in lines[4]
    if level in ("ERROR", "CRITICAL"):
        assert session.stderr == b""

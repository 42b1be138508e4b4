"""The official Python SDK clients at each protocol version, against `sigma-mcp --demo` over stdio and HTTP.

`ClientSession` offers a handshake-era version in `initialize`; the server must answer with that same
version, then list the tools and run one. `Client` in its default mode probes `server/discover` and
settles on the 2026-07-28 protocol. Both clients check each `structuredContent` against the tool's
`outputSchema` once the tools are listed, so a schema the answers do not fit fails here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2  # the HTTP client the MCP SDK's streamable HTTP transport is built on
import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client, types
from mcp.client import Transport
from mcp.client.streamable_http import streamable_http_client
from mcp.types.version import LATEST_HANDSHAKE_VERSION

import sigma_mcp
from tests.conftest import DEMO_HTTP_TOKEN, clean_env, sigma_mcp_script
from tests.test_server import TOOL_NAMES, text_of

pytestmark = pytest.mark.anyio

HANDSHAKE_VERSIONS = ["2025-06-18", "2025-11-25"]
MODERN_VERSION = "2026-07-28"


REGRESSION = {"batchId": "batch_Xk3pQ9mLrT2vWs7d", "agentId": "agent_D5D0p7TUs66TTAEAx"}
"""A demo batch run: 12 attempts of 3 test cases, 7 passed, the failures in 2 of the test cases."""

REGRESSION_FACTS = {
    "source": "demo",
    "batchId": "batch_Xk3pQ9mLrT2vWs7d",
    "agentName": "New AI Agent",
    "totalAttempts": 12,
    "successfulAttempts": 7,
    "failedAttempts": 5,
    "successRate": 7 / 12,
    "testCaseCount": 3,
    "testCasesWithFailures": 2,
}
REGRESSION_VERDICT = (
    "DEMO DATA — Batch run batch_Xk3pQ9mLrT2vWs7d: 7 of 12 attempts passed (58.3%), 5 failed. 2 test cases are "
    "flaky (passed some attempts, failed others)."
)


@asynccontextmanager
async def http_transport(url: str, token: str | None = None) -> AsyncIterator[Any]:
    """The SDK's streamable HTTP transport to `url`, sending `Authorization: Bearer <token>` when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


@pytest.fixture(params=["stdio", "http", "http+token"])
def transport(request: pytest.FixtureRequest) -> Callable[[], Transport]:
    """A new connection to the demo server each call: a `sigma-mcp --demo` process, or the shared HTTP one."""
    if request.param == "stdio":
        params = StdioServerParameters(command=sigma_mcp_script(), args=["--demo"], env=clean_env())
        return lambda: stdio_client(params)
    if request.param == "http":
        url = request.getfixturevalue("http_url")
        return lambda: http_transport(url)
    url = request.getfixturevalue("http_url_with_token")
    return lambda: http_transport(url, DEMO_HTTP_TOKEN)


async def initialize_offering(session: ClientSession, version: str) -> types.InitializeResult:
    """The initialize handshake with `version` offered: the SDK's own for its latest, else the same by hand."""
    if version == LATEST_HANDSHAKE_VERSION:
        return await session.initialize()
    result = await session.send_request(
        types.InitializeRequest(
            params=types.InitializeRequestParams(
                protocol_version=version,
                capabilities=types.ClientCapabilities(),
                client_info=types.Implementation(name="sigma-mcp-tests", version=sigma_mcp.__version__),
            )
        ),
        types.InitializeResult,
    )
    session.adopt(result)
    await session.send_notification(types.InitializedNotification())
    return result


def assert_regression_summary(result: types.CallToolResult) -> None:
    assert result.is_error is False, text_of(result)
    summary = result.structured_content or {}
    assert {key: summary.get(key) for key in REGRESSION_FACTS} == REGRESSION_FACTS
    assert summary["verdict"] == REGRESSION_VERDICT
    assert text_of(result).startswith(f"**{REGRESSION_VERDICT}**\n")


@pytest.mark.parametrize("version", HANDSHAKE_VERSIONS)
async def test_client_session_gets_the_version_it_offers(transport: Callable[[], Transport], version: str) -> None:
    async with transport() as (read, write), ClientSession(read, write) as session:
        initialized = await initialize_offering(session, version)
        tools = (await session.list_tools()).tools
        result = await session.call_tool("get_batch_run", REGRESSION)
    assert initialized.protocol_version == version
    assert session.protocol_version == version
    assert (initialized.server_info.name, initialized.server_info.version) == ("sigma-mcp", sigma_mcp.__version__)
    assert "DEMO MODE" in (initialized.instructions or "")
    assert initialized.capabilities.tools is not None
    assert [tool.name for tool in tools] == TOOL_NAMES
    assert all(tool.output_schema is not None for tool in tools)
    assert_regression_summary(result)


async def test_sdk_client_by_default_speaks_the_2026_protocol(transport: Callable[[], Transport]) -> None:
    async with Client(transport()) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("get_batch_run", REGRESSION)
        assert client.protocol_version == MODERN_VERSION
        # Settled by server/discover, not by falling back to the initialize handshake.
        assert client.session.discover_result is not None
        assert client.session.initialize_result is None
        assert client.server_info is not None
        assert client.server_info.name == "sigma-mcp"
    assert [tool.name for tool in tools] == TOOL_NAMES
    assert_regression_summary(result)

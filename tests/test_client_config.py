"""claude_desktop_config.example.json is in Claude Desktop's format and runs as written once installed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from sigma_mcp.safety.keys import PLACEHOLDER_KEY
from tests.conftest import clean_env, sigma_mcp_script
from tests.test_server import AGENT, BATCH, TOOL_NAMES, text_of

EXAMPLE = Path(__file__).resolve().parent.parent / "claude_desktop_config.example.json"


def test_example_config_shape() -> None:
    config = json.loads(EXAMPLE.read_text())
    assert list(config) == ["mcpServers"]
    server = config["mcpServers"]["sigmamind"]
    assert server["command"] == "sigma-mcp"
    assert isinstance(server["args"], list)
    assert server["env"] == {"SIGMAMIND_API_KEY": PLACEHOLDER_KEY}


@pytest.mark.anyio
async def test_example_config_starts_the_server_as_written() -> None:
    server = json.loads(EXAMPLE.read_text())["mcpServers"]["sigmamind"]
    # An MCP client resolves the command on its PATH; the installed script's folder is on it.
    path = os.pathsep.join([str(Path(sigma_mcp_script()).parent), os.environ.get("PATH", "")])
    params = StdioServerParameters(
        command=server["command"], args=server["args"], env=clean_env(**server["env"], PATH=path)
    )
    async with Client(params, mode="legacy") as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == TOOL_NAMES
        result = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
    # The placeholder key is recognised before any request is made.
    assert result.is_error is True
    assert "SIGMAMIND_API_KEY holds a placeholder from an example, not a SigmaMind API key." in text_of(result)

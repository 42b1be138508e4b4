"""The stdio transport sigma-mcp serves with, the MCP SDK's own (`MCPServer.run_stdio_async`): stray output
from a tool, a `print()` or a write to fd 1, never reaches the protocol stream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MESSAGES: list[dict[str, Any]] = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "noisy", "arguments": {}}},
]

NOISY_SERVER = """
import os, sys
import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("noisy")

@server.tool()
async def noisy() -> str:
    print("stray print")
    sys.stdout.flush()
    os.write(1, b"stray write to fd 1\\n")
    return "done"

if sys.argv[1] == "run_stdio_async":
    anyio.run(server.run_stdio_async)  # as sigma_mcp.cli.serve runs it
else:
    server.run("stdio")
"""


@pytest.mark.parametrize("entry", ["run_stdio_async", "run"])
def test_stray_output_goes_to_stderr(tmp_path: Path, entry: str) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(NOISY_SERVER)
    process = subprocess.Popen(
        [sys.executable, str(script), entry], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdin is not None
    assert process.stdout is not None
    answers = []
    try:
        for message in MESSAGES:
            process.stdin.write(json.dumps(message).encode() + b"\n")
            process.stdin.flush()
            if "id" in message:
                answers.append(json.loads(process.stdout.readline()))
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0, err
    assert out == b""  # nothing after the answers
    assert [answer["id"] for answer in answers] == [1, 2, 3]
    assert answers[2]["result"]["content"][0]["text"] == "done"
    assert b"stray print" in err
    assert b"stray write to fd 1" in err

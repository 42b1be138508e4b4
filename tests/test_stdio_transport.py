"""The stdio transport: the event loop reads and writes the pipes itself; stray output never reaches the
protocol stream; and where stdin is not a pipe, the SDK's transport serves instead."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import clean_env, sigma_mcp_script

MESSAGES = [
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
from sigma_mcp.stdio import serve_stdio

server = MCPServer("noisy")

@server.tool()
async def noisy() -> str:
    print("stray print")
    sys.stdout.flush()
    os.write(1, b"stray write to fd 1\\n")
    return "done"

anyio.run(serve_stdio, server)
"""


def lines(out: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_stray_output_goes_to_stderr(tmp_path: Path) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(NOISY_SERVER)
    process = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdin is not None
    assert process.stdout is not None
    answers = []
    for message in MESSAGES:
        process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.flush()
        if "id" in message:
            answers.append(json.loads(process.stdout.readline()))
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert out == b""  # nothing after the answers
    assert [answer["id"] for answer in answers] == [1, 2, 3]
    assert answers[2]["result"]["content"][0]["text"] == "done"
    assert b"stray print" in err
    assert b"stray write to fd 1" in err


def test_stdin_that_is_not_a_pipe_falls_back_to_the_sdk_transport(tmp_path: Path) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(m) + "\n" for m in MESSAGES[:3]))
    with requests.open("rb") as stdin:
        completed = subprocess.run(
            [sigma_mcp_script(), "--demo"], stdin=stdin, capture_output=True, env=clean_env(), timeout=60, check=False
        )
    assert completed.returncode == 0, completed.stderr
    answers = lines(completed.stdout)
    assert [answer["id"] for answer in answers] == [1, 2]
    tools = answers[1]["result"]["tools"]  # type: ignore[index]
    assert [tool["name"] for tool in tools] == [
        "get_batch_run",
        "get_test_run",
        "list_batch_runs",
        "compare_batch_runs",
    ]

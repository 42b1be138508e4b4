"""The stdio transport: the event loop reads and writes the pipes itself; stray output never reaches the
protocol stream; and where stdin is not a pipe, the SDK's transport serves instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import termios
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


def test_stdin_that_is_not_a_pipe_falls_back_to_the_sdk_transport() -> None:
    # A terminal is neither a pipe nor a socket. Each request is answered before the next is written, and
    # the end of input (^D) comes last: no request races it.
    controller, terminal = os.openpty()
    attributes = termios.tcgetattr(terminal)
    attributes[3] &= ~termios.ECHO  # lines as typed, without echoing them back
    termios.tcsetattr(terminal, termios.TCSANOW, attributes)
    process = subprocess.Popen(
        [sigma_mcp_script(), "--demo"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(SIGMAMIND_LOG_LEVEL="DEBUG"),
    )
    os.close(terminal)
    assert process.stdout is not None
    answers = []
    try:
        for message in MESSAGES[:3]:
            os.write(controller, json.dumps(message).encode() + b"\n")
            if "id" in message:
                answers.append(json.loads(process.stdout.readline()))
        os.write(controller, b"\x04")  # ^D at the start of a line: end of input
        _, err = process.communicate(timeout=60)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert b"not a pipe or socket: serving with the SDK's stdio transport" in err
    assert [answer["id"] for answer in answers] == [1, 2]
    tools = answers[1]["result"]["tools"]
    assert [tool["name"] for tool in tools] == [
        "get_batch_run",
        "get_test_run",
        "list_batch_runs",
        "compare_batch_runs",
    ]

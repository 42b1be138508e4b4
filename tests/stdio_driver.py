"""A raw JSON-RPC session with the installed `sigma-mcp` over stdio, keeping every byte it writes.

The SDK's client would hide stdout from the tests; this driver reads it line by line, checks that each
line is a JSON-RPC message, and drains stderr as it comes so that DEBUG logging cannot block the server.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from typing import Any

from tests.conftest import sigma_mcp_script


class RawSession:
    def __init__(
        self,
        env: dict[str, str],
        args: tuple[str, ...] = (),
        *,
        command: list[str] | None = None,
        cwd: str | None = None,
    ) -> None:
        """The installed `sigma-mcp` with `args`, or `command` (a built wheel's script, a bundle's `mcp_config`)."""
        self.process = subprocess.Popen(
            command or [sigma_mcp_script(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
        )
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.responses: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout.extend(line)
            message = json.loads(line)  # anything else on stdout fails the test that reads it
            assert message["jsonrpc"] == "2.0", line
            self.messages.put(message)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.extend(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def start_request(self, method: str, params: dict[str, Any] | None = None) -> int:
        request_id = self._next_id
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, **({"params": params} if params else {})})
        return request_id

    def wait(self, request_id: int, timeout: float = 60) -> dict[str, Any]:
        while request_id not in self.responses:
            message = self.messages.get(timeout=timeout)
            if "id" in message:
                self.responses[message["id"]] = message
        return self.responses[request_id]

    def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        return self.wait(self.start_request(method, params), timeout)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, **({"params": params} if params else {})})

    def initialize(self, timeout: float = 60) -> dict[str, Any]:
        response = self.request(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "1"}},
            timeout,
        )
        self.notify("notifications/initialized")
        return response

    def call_tool(self, name: str, arguments: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        response = self.request("tools/call", {"name": name, "arguments": arguments}, timeout)
        result: dict[str, Any] = response["result"]
        return result

    def close(self, timeout: float = 30) -> int:
        """Close stdin, wait for the server to exit, and return its exit code."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=timeout)
        return code

    def __enter__(self) -> RawSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

"""Starts `sigma-mcp --transport http` as a real process on a free loopback port, for tests."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import clean_env, sigma_mcp_script

URL = re.compile(r"serving MCP over streamable HTTP at (http://\S+/mcp)")


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    stderr_path: Path
    stdout_path: Path
    _final: tuple[str, str] | None = None
    """stderr and stdout as the process left them, once it has stopped."""

    @property
    def base(self) -> str:
        return self.url.removesuffix("/mcp")

    def stderr(self) -> str:
        return self._final[0] if self._final else self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self._final[1] if self._final else self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self._final is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._final = (self.stderr(), self.stdout())


@contextmanager
def http_server(*args: str, env: dict[str, str], port: str = "0") -> Iterator[RunningServer]:
    """`sigma-mcp --transport http --port 0 ARGS` until the block ends; its URL read from its first line."""
    with tempfile.TemporaryDirectory() as folder:
        stderr_path, stdout_path = Path(folder) / "stderr", Path(folder) / "stdout"
        with stderr_path.open("wb") as stderr, stdout_path.open("wb") as stdout:
            process = subprocess.Popen(
                [sigma_mcp_script(), "--transport", "http", "--port", port, *args],
                env=clean_env(**env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        running = RunningServer("", process, stderr_path, stdout_path)
        try:
            deadline = time.monotonic() + 60
            while not (found := URL.search(running.stderr())):
                if process.poll() is not None:
                    raise AssertionError(f"sigma-mcp exited with {process.returncode}: {running.stderr()}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"sigma-mcp did not start: {running.stderr()}")
                time.sleep(0.05)
            running.url = found.group(1)
            yield running
        finally:
            running.stop()


def run_http(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`sigma-mcp --transport http ARGS` expected to exit at once (refused configuration)."""
    return subprocess.run(
        [sigma_mcp_script(), "--transport", "http", *args],
        env=clean_env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from sigma_mcp.config import Settings
from sigma_mcp.demo.data import DOCUMENTED_EXAMPLE
from sigma_mcp.server import create_server
from sigma_mcp.sigmamind.retry import RetryPolicy
from tests.fake_api import FakeSigmaMind

API_KEY = "sk_live_9fQ2mX7rT4vB8nK1pL6wZ3cY5hJ0dG"
"""A fake key that looks real; tests check that it never appears in any output."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def api() -> Iterator[FakeSigmaMind]:
    server = FakeSigmaMind().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def documented_example() -> dict[str, Any]:
    return copy.deepcopy(DOCUMENTED_EXAMPLE)


def env_for(api: FakeSigmaMind, **extra: str) -> dict[str, str]:
    return {"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": api.url, **extra}


def settings_for(api: FakeSigmaMind, **extra: str) -> Settings:
    return Settings.from_env(env_for(api, **extra))


@pytest.fixture(params=["legacy", "auto"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both ways an MCP client connects: the initialize handshake and the 2026-07-28 modern path."""
    return str(request.param)


class Sleeps:
    """A stand-in for `anyio.sleep` that records the waits asked for and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@asynccontextmanager
async def connect(
    settings: Settings, mode: str = "legacy", *, retry: RetryPolicy | None = None
) -> AsyncIterator[Client]:
    """An MCP client connected in process; retries wait for nothing unless `retry` says otherwise."""
    server = create_server(settings, retry=retry or RetryPolicy(sleep=Sleeps()))
    async with Client(server, mode=mode) as client:  # type: ignore[arg-type]
        yield client


def sigma_mcp_script() -> str:
    """The installed `sigma-mcp` console script of the Python running the tests."""
    candidate = Path(sys.executable).parent / ("sigma-mcp.exe" if os.name == "nt" else "sigma-mcp")
    found = str(candidate) if candidate.exists() else shutil.which("sigma-mcp")
    if found is None:
        pytest.fail("the sigma-mcp console script is not installed; run pip install -e '.[dev]'")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: this one without SIGMAMIND_* and SIGMA_MCP_* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGMAMIND_", "SIGMA_MCP_"))}
    env.update(extra)
    return env


@contextmanager
def demo_over_http(token: str | None = None) -> Iterator[str]:
    """`sigma-mcp --transport http --demo` on a free loopback port until the block ends; its /mcp URL."""
    from tests.http_driver import http_server  # it imports this module

    env = {"SIGMA_MCP_AUTH_TOKEN": token} if token else {}
    with http_server("--host", "127.0.0.1", "--demo", env=env) as running:
        yield running.url


DEMO_HTTP_TOKEN = "tok_Vq8sN2xLw5Rk9Tz3Hm7Pc4Yd"
"""The token of `http_url_with_token` (SIGMA_MCP_AUTH_TOKEN needs at least 16 characters)."""


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    """A demo server over HTTP shared by a module's tests."""
    with demo_over_http() as url:
        yield url


@pytest.fixture(scope="module")
def http_url_with_token() -> Iterator[str]:
    """The same, requiring DEMO_HTTP_TOKEN."""
    with demo_over_http(DEMO_HTTP_TOKEN) as url:
        yield url


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_client(problem: str | None, client: str) -> None:
    """A real client that cannot run here (`problem`) fails the test in CI, and skips it elsewhere."""
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"{problem} (CI=true: the {client} tests must run)")
    pytest.skip(problem)


def npm_package_problem(folder: Path, package: str, name: str, install: str, binary: Path) -> str | None:
    """Why `package`, pinned in `folder`/package.json, is not installed there as pinned (None when it is).
    `name` names it in the message, `install` says how to install it, `binary` is what the tests run."""
    manifest = folder / "package.json"
    if not manifest.exists():
        return f"{manifest} is missing: it pins {package}"
    pinned = json.loads(manifest.read_text())["dependencies"][package]
    installed = folder / "node_modules" / package / "package.json"
    if shutil.which("node") is None:
        return f"node is not on PATH; {name} needs Node.js"
    if not installed.exists() or not binary.exists():
        return f"{name} {pinned} is not installed; {install}"
    version = json.loads(installed.read_text())["version"]
    if version != pinned:
        return f"tests/{folder.name} holds {name} {version} but {pinned} is pinned; {install}"
    return None

"""Cancellation abandons the upstream request and leaves the server responsive; 200 concurrent calls
share a bounded connection pool; memory stays flat over 1,000 calls."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sigma_mcp.sigmamind.client import MAX_CONNECTIONS
from tests.conftest import clean_env, env_for
from tests.fake_api import FakeSigmaMind, Reply, Seen
from tests.stdio_driver import RawSession
from tests.test_server import AGENT, ARGS


def until(condition: Any, timeout: float = 10) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def test_a_cancelled_call_abandons_its_request(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    default = api.handler

    def handler(seen: Seen) -> Reply:
        if seen.path.endswith("/batch_slow"):
            return Reply(body=b"{}", delay=30)
        return default(seen)

    api.handler = handler
    with RawSession(clean_env(**env_for(api))) as session:
        session.initialize()
        slow = session.start_request(
            "tools/call", {"name": "get_batch_run", "arguments": {"batchId": "batch_slow", "agentId": AGENT}}
        )
        assert until(lambda: len(api.requests) == 1)
        session.notify("notifications/cancelled", {"requestId": slow, "reason": "the user gave up"})
        # The upstream connection is closed: the fake API sees its client leave.
        assert until(lambda: len(api.abandoned) == 1)
        # The server stays responsive on the same session.
        fast = session.call_tool("get_batch_run", ARGS, timeout=10)
        assert fast["isError"] is False
        time.sleep(0.3)
        assert session.close() == 0
    answered = [json.loads(line).get("id") for line in bytes(session.stdout).splitlines()]
    assert slow not in answered  # a cancelled request is never answered


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def call_many(session: RawSession, count: int) -> list[dict[str, Any]]:
    ids = [session.start_request("tools/call", {"name": "get_batch_run", "arguments": ARGS}) for _ in range(count)]
    return [session.wait(request_id)["result"] for request_id in ids]


def test_two_hundred_concurrent_calls_share_ten_connections(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    body = json.dumps(documented_example).encode()
    api.handler = lambda seen: Reply(body=body, delay=0.05)
    with RawSession(clean_env(**env_for(api, SIGMA_MCP_CACHE_MB="0"))) as session:  # every call goes upstream
        session.initialize()
        results = call_many(session, 200)
        assert session.close() == 0
    assert all(result["isError"] is False for result in results)
    assert len(api.batch_run_requests()) == 200
    connections = {seen.client_port for seen in api.requests}
    assert len(connections) <= MAX_CONNECTIONS
    print(f"\n200 concurrent calls: {len(connections)} upstream connections")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_memory_stays_flat_over_a_thousand_calls(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    with RawSession(clean_env(**env_for(api))) as session:
        session.initialize()
        for _ in range(4):
            call_many(session, 50)  # warm up: imports, caches, the connection pool
        before = rss_kib(session.process.pid)
        for _ in range(20):
            assert all(result["isError"] is False for result in call_many(session, 50))
        after = rss_kib(session.process.pid)
        assert session.close() == 0
    print(f"\nRSS after 200 warm-up calls: {before / 1024:.1f} MiB; after 1,000 more: {after / 1024:.1f} MiB")
    assert after - before < 16 * 1024, (before, after)

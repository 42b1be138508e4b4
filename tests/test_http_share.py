"""A shared HTTP server under one noisy user: each user's own key has at most SIGMA_MCP_PER_USER_CONCURRENCY
requests upstream at once, so another user's calls never queue behind theirs; a client that leaves abandons
its upstream request at once. The real command, real HTTP, a stand-in upstream that holds one user's requests.

The latencies (B's median before, during and after A's flood) are measured by `python -m bench.team`; these
tests check what makes them hold, without timing anything."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.fake_api import FakeSigmaMind, Reply, Seen
from tests.http_driver import http_server
from tests.test_http import post, tool_call
from tests.test_server import ARGS

pytestmark = pytest.mark.anyio

NOISY_KEY = "sk_noisy_4Rt7Yp2Wq9Lm5Nv8Xc3Bz6Df1Gh0Jk"
QUIET_KEY = "sk_quiet_8Hj3Kl6Mn9Pq2Rs5Tv8Wx1Yz4Ab7Cd"
HOLD = 30.0
"""Seconds the stand-in holds the noisy user's requests: longer than any test waits."""


def holding(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    def handler(seen: Seen) -> Reply:
        if seen.headers.get("x-api-key") == NOISY_KEY:
            return Reply.json(documented_example, delay=HOLD)
        return Reply.json(documented_example)

    api.handler = handler


def noisy_upstream(api: FakeSigmaMind) -> list[Seen]:
    return [seen for seen in api.requests if seen.headers.get("x-api-key") == NOISY_KEY]


async def wait_for(condition: Any, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_one_users_flood_holds_only_their_share(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    holding(api, documented_example)
    env = {"SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_TIMEOUT": "60"}
    with http_server(env=env) as server:
        flood = [
            asyncio.create_task(
                post(server.url, tool_call(n, "get_batch_run", ARGS), **{"X-SigmaMind-Api-Key": NOISY_KEY})
            )
            for n in range(12)
        ]
        await wait_for(lambda: len(noisy_upstream(api)) >= 4, "the noisy user's first four calls reach upstream")
        await asyncio.sleep(0.5)  # time for any more of them to get through, were they not held back
        assert len(noisy_upstream(api)) == 4, "the default share: 4 of the pool's 10 connections"
        # The quiet user's calls go straight through, one after another, while the noisy user's wait.
        for n in range(10):
            quiet = await post(
                server.url, tool_call(100 + n, "get_batch_run", ARGS), **{"X-SigmaMind-Api-Key": QUIET_KEY}
            )
            assert quiet.status_code == 200
            assert quiet.json()["result"]["isError"] is False
        assert len(noisy_upstream(api)) == 4
        assert not any(task.done() for task in flood)
        for task in flood:
            task.cancel()
        await asyncio.gather(*flood, return_exceptions=True)
        # The noisy client has gone: its upstream requests are abandoned, not left to run for HOLD seconds (a
        # waiting call may have taken a freed slot before its own client's leaving was seen: it is abandoned too)...
        await wait_for(
            lambda: len(api.abandoned) == len(noisy_upstream(api)), "the abandoned calls' upstream requests are closed"
        )
        await asyncio.sleep(0.5)
        sent = len(noisy_upstream(api))
        assert len(api.abandoned) == sent
        # ...and its share is free again: its next call reaches upstream at once.
        again = asyncio.create_task(
            post(server.url, tool_call(200, "get_batch_run", ARGS), **{"X-SigmaMind-Api-Key": NOISY_KEY})
        )
        await wait_for(lambda: len(noisy_upstream(api)) == sent + 1, "a new call of the noisy user reaches upstream")
        again.cancel()
        await asyncio.gather(again, return_exceptions=True)


async def test_a_share_is_configurable_and_its_wait_is_bounded(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    holding(api, documented_example)
    env = {"SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_TIMEOUT": "2", "SIGMA_MCP_PER_USER_CONCURRENCY": "1"}
    with http_server(env=env) as server:
        held = asyncio.create_task(
            post(server.url, tool_call(1, "get_batch_run", ARGS), **{"X-SigmaMind-Api-Key": NOISY_KEY})
        )
        await wait_for(lambda: len(noisy_upstream(api)) == 1, "the first call reaches upstream")
        waited = await post(server.url, tool_call(2, "get_batch_run", ARGS), **{"X-SigmaMind-Api-Key": NOISY_KEY})
        first = await held
    # The second call waited for the first until the first gave up (its own 2 s), then had too little time left.
    result = waited.json()["result"]
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert "lets each user have 1 SigmaMind request in flight at a time (SIGMA_MCP_PER_USER_CONCURRENCY)" in text
    assert " of the 2 seconds it may take (SIGMAMIND_TIMEOUT) for one of your other calls to finish" in text
    assert first.json()["result"]["isError"] is True  # the held one timed out upstream: a different message
    assert "SIGMA_MCP_PER_USER_CONCURRENCY" not in first.json()["result"]["content"][0]["text"]
    assert NOISY_KEY not in server.stderr()


async def test_a_server_key_shares_the_whole_pool(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    """With the server's own key every request is the same user to SigmaMind: no per-user bound applies."""

    def handler(seen: Seen) -> Reply:
        return Reply.json(documented_example, delay=HOLD)

    api.handler = handler
    env = {"SIGMAMIND_API_KEY": QUIET_KEY, "SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_TIMEOUT": "60"}
    with http_server(env=env) as server:
        calls = [asyncio.create_task(post(server.url, tool_call(n, "get_batch_run", ARGS))) for n in range(8)]
        await wait_for(lambda: len(api.requests) == 8, "all eight calls reach upstream at once")
        for task in calls:
            task.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        await wait_for(lambda: len(api.abandoned) == 8, "and are abandoned when their clients leave")


@pytest.mark.parametrize("value", ["0", "eleven", "11", "-1"])
def test_a_bad_share_is_refused_at_start(value: str) -> None:
    from tests.http_driver import run_http

    completed = run_http("--demo", "--port", "0", env={"SIGMA_MCP_PER_USER_CONCURRENCY": value})
    assert completed.returncode == 2
    assert f"SIGMA_MCP_PER_USER_CONCURRENCY={value!r} is not a whole number from 1 to 10" in completed.stderr


async def test_a_client_that_leaves_stops_its_call(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    """Closing the connection mid-call (what an MCP client does when its user cancels) abandons the upstream
    request; the server carries on serving."""
    holding(api, documented_example)
    env = {"SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_TIMEOUT": "60", "SIGMAMIND_LOG_LEVEL": "INFO"}
    with http_server(env=env) as server:
        async with httpx.AsyncClient(timeout=30) as http:
            call = asyncio.create_task(
                http.post(
                    server.url,
                    json=tool_call(1, "get_batch_run", ARGS),
                    headers={
                        "Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream",
                        "X-SigmaMind-Api-Key": NOISY_KEY,
                    },
                )
            )
            await wait_for(lambda: len(noisy_upstream(api)) == 1, "the call reaches upstream")
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
        await wait_for(lambda: len(api.abandoned) == 1, "its upstream request is abandoned")
        after = await post(server.url, tool_call(2, "get_batch_run", ARGS), **{"X-SigmaMind-Api-Key": QUIET_KEY})
        assert after.json()["result"]["isError"] is False
    assert "POST /mcp -> no answer in " in server.stderr()

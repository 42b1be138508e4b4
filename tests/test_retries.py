"""Retries: bounded, with backoff and jitter, honouring Retry-After up to a cap, within one deadline;
never for a 4xx other than 429."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from sigma_mcp.config import Settings
from sigma_mcp.sigmamind.errors import UpstreamNotFound, UpstreamRateLimited, UpstreamServerError, UpstreamUnreachable
from sigma_mcp.sigmamind.retry import RetryPolicy
from tests.conftest import API_KEY, Sleeps, connect, settings_for
from tests.fake_api import FakeSigmaMind, Reply, Seen, api_error
from tests.test_server import ARGS, text_of

pytestmark = pytest.mark.anyio


def replies(api: FakeSigmaMind, *sequence: Reply) -> None:
    """Answer with `sequence` in order, then with the fake API's registered data."""
    pending: Iterator[Reply] = iter(sequence)
    default = api.handler

    def handler(seen: Seen) -> Reply:
        return next(pending, None) or default(seen)

    api.handler = handler


async def call(api: FakeSigmaMind, sleeps: Sleeps, settings: Settings | None = None) -> Any:
    async with connect(settings or settings_for(api), retry=RetryPolicy(sleep=sleeps, jitter=lambda: 0.5)) as client:
        return await client.call_tool("get_batch_run", ARGS)


async def test_retries_are_logged_at_info_and_the_final_failure_only_at_debug(
    api: FakeSigmaMind, caplog: pytest.LogCaptureFixture
) -> None:
    api.handler = lambda seen: Reply(status=503)
    with caplog.at_level(logging.DEBUG, logger="sigma_mcp"):
        await call(api, Sleeps())
    attempts = [(r.levelno, r.getMessage()) for r in caplog.records if " attempt " in r.getMessage()]
    assert [level for level, _ in attempts] == [logging.INFO, logging.INFO, logging.DEBUG]
    assert attempts[0][1].endswith("UpstreamServerError; retrying in 0.38 s")
    assert attempts[2][1].endswith("UpstreamServerError")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_transient_errors_are_retried_until_success(
    api: FakeSigmaMind, documented_example: dict[str, Any], status: int
) -> None:
    api.add_batch_run(documented_example)
    replies(api, Reply(status=status), Reply(status=status))
    sleeps = Sleeps()
    result = await call(api, sleeps)
    assert result.is_error is False
    assert len(api.batch_run_requests()) == 3
    assert sleeps.waits == [0.375, 0.75]  # 0.5 s and 1 s, each scaled by the jitter (0.5 + 0.5 / 2)


async def test_three_attempts_at_most(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: Reply(status=503)
    sleeps = Sleeps()
    result = await call(api, sleeps)
    assert result.is_error is True
    assert len(api.requests) == 3
    assert len(sleeps.waits) == 2
    assert text_of(result).endswith("(Tried 3 times.)")


async def test_retry_after_seconds_is_honoured(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    replies(api, Reply(status=429, headers={"Retry-After": "4"}))
    sleeps = Sleeps()
    assert (await call(api, sleeps)).is_error is False
    assert sleeps.waits == [4.0]


async def test_retry_after_http_date_is_honoured(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=6), usegmt=True)
    replies(api, Reply(status=429, headers={"Retry-After": when}))
    sleeps = Sleeps()
    assert (await call(api, sleeps)).is_error is False
    (wait,) = sleeps.waits
    assert 4 <= wait <= 6


@pytest.mark.parametrize(("retry_after", "said"), [("3600", "Wait 60 minutes"), ("11", "Wait 11 seconds")])
async def test_a_longer_wait_than_the_cap_returns_at_once(api: FakeSigmaMind, retry_after: str, said: str) -> None:
    api.handler = lambda seen: Reply(status=429, headers={"Retry-After": retry_after})
    sleeps = Sleeps()
    result = await call(api, sleeps)
    assert result.is_error is True
    assert f"{said} (the API's Retry-After) and try again." in text_of(result)
    assert len(api.requests) == 1
    assert sleeps.waits == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 422, 501, 505])
async def test_other_errors_are_never_retried(api: FakeSigmaMind, status: int) -> None:
    api.handler = lambda seen: api_error(status, "Error", "no")
    sleeps = Sleeps()
    assert (await call(api, sleeps)).is_error is True
    assert len(api.requests) == 1
    assert sleeps.waits == []


async def test_connection_failures_are_retried(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    replies(api, Reply(reset=True))
    sleeps = Sleeps()
    assert (await call(api, sleeps)).is_error is False
    assert len(sleeps.waits) == 1


async def test_refused_connections_are_tried_three_times() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": f"http://127.0.0.1:{port}"})
    sleeps = Sleeps()
    async with connect(settings, retry=RetryPolicy(sleep=sleeps)) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert text_of(result).startswith(f"Could not connect to SigmaMind at http://127.0.0.1:{port}")
    assert text_of(result).endswith("(Tried 3 times.)")
    assert len(sleeps.waits) == 2


async def test_no_retry_that_would_pass_the_deadline(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: Reply(status=503)
    sleeps = Sleeps()
    settings = settings_for(api, SIGMAMIND_TIMEOUT="0.5")
    async with connect(settings, retry=RetryPolicy(sleep=sleeps, base_delay=2.0)) as client:
        result = await client.call_tool("get_batch_run", ARGS)
    assert result.is_error is True
    assert len(api.requests) == 1
    assert sleeps.waits == []


def test_policy_delays() -> None:
    policy = RetryPolicy(jitter=lambda: 0.0)
    server_error = UpstreamServerError("x")
    server_error.status = 503
    assert policy.delay(1, server_error) == 0.25
    assert policy.delay(2, server_error) == 0.5
    assert policy.delay(3, server_error) is None
    assert RetryPolicy(jitter=lambda: 0.999).delay(1, server_error) == pytest.approx(0.5, abs=0.001)
    assert RetryPolicy(max_attempts=10, jitter=lambda: 1.0).delay(9, server_error) == 8.0  # capped
    assert policy.delay(1, UpstreamRateLimited("x", retry_after=3)) == 3
    assert policy.delay(1, UpstreamRateLimited("x", retry_after=10.5)) is None
    assert policy.delay(1, UpstreamUnreachable("x")) == 0.25
    assert policy.delay(1, UpstreamNotFound("x")) is None
    not_implemented = UpstreamServerError("x")
    not_implemented.status = 501
    assert policy.delay(1, not_implemented) is None

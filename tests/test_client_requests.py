"""The HTTP client for the SigmaMind API, driven through `SigmaMindClient` with an in-memory transport: what each
request carries, how much of an answer is read, how failures become errors, and the retry loop around them
(attempts, waits, the total deadline, the "Tried N times" the error ends with, and the log lines).

tests/test_retries.py and tests/test_errors.py check the same through the MCP protocol against a real HTTP server."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from sigma_mcp.config import Settings
from sigma_mcp.demo import DEMO_BASE_URL
from sigma_mcp.safety.keys import request_key
from sigma_mcp.safety.redaction import REDACTED, Redactor
from sigma_mcp.sigmamind.client import MAX_CONNECTIONS, SigmaMindClient
from sigma_mcp.sigmamind.errors import (
    SigmaMindError,
    UpstreamAuthError,
    UpstreamInvalidResponse,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamTLSError,
    UpstreamTooLarge,
)
from sigma_mcp.sigmamind.payloads import BatchRunPayload
from sigma_mcp.sigmamind.retry import RetryPolicy
from tests.conftest import API_KEY, Sleeps
from tests.fake_api import FakeSigmaMind, Reply

pytestmark = pytest.mark.anyio

BASE = "https://api.example.test"
BATCH, AGENT, JOB = "batch_1", "agent_1", "job_1"
OK = json.dumps({"batchId": BATCH, "successfulAttempts": 1}).encode()

Handler = Callable[[httpx.Request], httpx.Response]


def settings(**env: str) -> Settings:
    return Settings.from_env({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": BASE, **env})


class Upstream:
    """A fake API in memory: answers in order (the last one again), and every request it saw."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers) or [httpx.Response(200, content=OK)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer


def client(
    upstream: Upstream, config: Settings | None = None, *, sleeps: Sleeps | None = None, **kwargs: Any
) -> SigmaMindClient:
    retry = RetryPolicy(sleep=sleeps or Sleeps(), jitter=lambda: 0.5)
    return SigmaMindClient(config or settings(), transport=httpx.MockTransport(upstream), retry=retry, **kwargs)


async def fetch(upstream: Upstream, config: Settings | None = None, **kwargs: Any) -> bytes:
    async with client(upstream, config, **kwargs) as sigmamind:
        return (await sigmamind.get_batch_run(BATCH, AGENT)).content


async def failure(upstream: Upstream, config: Settings | None = None, **kwargs: Any) -> SigmaMindError:
    with pytest.raises(SigmaMindError) as raised:
        await fetch(upstream, config, **kwargs)
    return raised.value


# What each request carries


async def test_each_endpoint_is_a_get_with_the_key_and_our_headers() -> None:
    upstream = Upstream()
    async with client(upstream) as sigmamind:
        await sigmamind.get_batch_run(BATCH, AGENT)
        await sigmamind.get_test_run(JOB, BATCH, AGENT)
        await sigmamind.list_batch_runs(AGENT, 2, 5)
    assert [(r.method, r.url.path, dict(r.url.params)) for r in upstream.requests] == [
        ("GET", f"/v1/batch-runs/{BATCH}", {"agentId": AGENT}),
        ("GET", f"/v1/test-runs/{JOB}", {"batchId": BATCH, "agentId": AGENT}),
        ("GET", "/v1/batch-runs", {"agentId": AGENT, "page": "2", "size": "5"}),
    ]
    for request in upstream.requests:
        assert request.url.host == "api.example.test"
        assert request.headers["x-api-key"] == API_KEY
        assert request.headers["accept"] == "application/json"
        assert request.headers["user-agent"].startswith("sigma-mcp/")


async def test_each_phase_of_a_request_has_its_limit() -> None:
    upstream = Upstream()
    await fetch(upstream, settings(SIGMAMIND_TIMEOUT="30"))
    await fetch(upstream, settings(SIGMAMIND_TIMEOUT="4"))
    assert [r.extensions["timeout"] for r in upstream.requests] == [
        {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0},
        {"connect": 4.0, "read": 4.0, "write": 4.0, "pool": 4.0},
    ]


async def test_no_cookie_is_kept_or_sent() -> None:
    upstream = Upstream(httpx.Response(200, content=OK, headers={"Set-Cookie": "session=abc; Path=/"}))
    async with client(upstream) as sigmamind:
        await sigmamind.get_batch_run(BATCH, AGENT)
        await sigmamind.get_batch_run(BATCH, AGENT)
    assert "cookie" not in upstream.requests[1].headers


async def test_a_redirect_is_not_followed_and_names_the_base_url() -> None:
    upstream = Upstream(httpx.Response(302, headers={"Location": "https://elsewhere.example/x"}))
    error = await failure(upstream)
    assert isinstance(error, UpstreamInvalidResponse)
    assert len(upstream.requests) == 1
    assert f"so that the API key only ever goes to {BASE}. Check SIGMAMIND_BASE_URL." in error.message


async def test_a_request_brings_its_own_key_and_a_rejection_names_its_header() -> None:
    upstream = Upstream(httpx.Response(401, json={"message": "bad key"}))
    config = Settings(api_key=None, base_url=BASE, request_keys=True)
    own_key = "sk_request_0123456789abcdef"
    with request_key(own_key):
        error = await failure(upstream, config)
    assert upstream.requests[0].headers["x-api-key"] == own_key
    assert isinstance(error, UpstreamAuthError)
    assert error.message.startswith("SigmaMind rejected the API key sent in X-SigmaMind-Api-Key (HTTP 401")


async def test_demo_mode_needs_no_key_and_no_network() -> None:
    config = Settings.from_env({}, demo=True)
    async with SigmaMindClient(config) as sigmamind:
        assert sigmamind.base_url == DEMO_BASE_URL
        body = await sigmamind.get_batch_run("batch_Xk3pQ9mLrT2vWs7d", "agent_D5D0p7TUs66TTAEAx")
    assert json.loads(body.content)["batchId"] == "batch_Xk3pQ9mLrT2vWs7d"


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A listening socket set as every proxy in the environment: it only records that someone connected."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        for name in ("ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "all_proxy", "https_proxy", "http_proxy"):
            monkeypatch.setenv(name, url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        listener.settimeout(0)
        yield listener


def connected(listener: socket.socket) -> bool:
    try:
        listener.accept()[0].close()
    except BlockingIOError:
        return False
    return True


async def test_proxy_settings_apply_to_the_real_api(proxy: socket.socket) -> None:
    config = settings(SIGMAMIND_TIMEOUT="0.5")
    async with SigmaMindClient(config, retry=RetryPolicy(sleep=Sleeps())) as sigmamind:
        with pytest.raises(SigmaMindError):
            await sigmamind.get_batch_run(BATCH, AGENT)
    assert connected(proxy)


async def test_proxy_settings_never_apply_to_a_loopback_server(
    proxy: socket.socket, api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    api.add_batch_run(documented_example, batch_id=BATCH, agent_id=AGENT)
    config = settings(SIGMAMIND_BASE_URL=api.url, SIGMAMIND_TIMEOUT="2")
    async with SigmaMindClient(config, retry=RetryPolicy(sleep=Sleeps())) as sigmamind:
        body = await sigmamind.get_batch_run(BATCH, AGENT)
    assert json.loads(body.content)["batchId"] == documented_example["batchId"]
    assert not connected(proxy)


async def test_concurrent_calls_share_at_most_ten_connections(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: Reply(body=OK, delay=0.2)
    config = settings(SIGMAMIND_BASE_URL=api.url)
    async with SigmaMindClient(config, retry=RetryPolicy(sleep=Sleeps())) as sigmamind, anyio.create_task_group() as tg:
        for _ in range(15):
            tg.start_soon(sigmamind.get_batch_run, BATCH, AGENT)
    assert len(api.requests) == 15
    assert len({seen.client_port for seen in api.requests}) == MAX_CONNECTIONS


# How much of an answer is read


async def test_an_answer_that_says_it_is_too_large_is_refused_unread() -> None:
    cap = settings(SIGMAMIND_MAX_RESPONSE_MB="0.001").max_response_bytes
    assert cap == 1000
    exact = Upstream(httpx.Response(200, content=b" " * cap))
    assert len(await fetch(exact, settings(SIGMAMIND_MAX_RESPONSE_MB="0.001"))) == cap
    over = Upstream(httpx.Response(200, content=b" " * (cap + 1)))
    error = await failure(over, settings(SIGMAMIND_MAX_RESPONSE_MB="0.001"))
    assert isinstance(error, UpstreamTooLarge)
    assert error.message.startswith(
        f"SigmaMind's answer for the batch run '{BATCH}' of agent '{AGENT}' is larger than the 0.001 MB sigma-mcp "
        "reads (0.0 MB), so it was not read."
    )


class Chunks(httpx.AsyncByteStream):
    """A body streamed in chunks, without a Content-Length; counts what was read of it."""

    def __init__(self, chunk: bytes, count: int) -> None:
        self.chunk, self.count, self.read = chunk, count, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.read += 1
            yield self.chunk


def streamed(status: int, stream: Chunks) -> Handler:
    return lambda request: httpx.Response(status, stream=stream)


@pytest.mark.parametrize(("chunks", "too_large"), [(10, False), (11, True)])
async def test_an_answer_without_a_length_is_read_up_to_the_cap(chunks: int, too_large: bool) -> None:
    config = settings(SIGMAMIND_MAX_RESPONSE_MB="0.001")
    upstream = Upstream(streamed(200, Chunks(b" " * 100, chunks)))
    if too_large:
        error = await failure(upstream, config)
        assert isinstance(error, UpstreamTooLarge)
        assert "reads, so it was not read." in error.message
    else:
        assert len(await fetch(upstream, config)) == 1000


async def test_an_error_answer_is_read_for_its_message_only() -> None:
    stream = Chunks(b'{"message": "x"}' + b" " * 16_368, 100)  # 16 KiB chunks, 1.6 MB in all
    upstream = Upstream(streamed(500, stream))
    error = await failure(upstream, settings(SIGMAMIND_MAX_RESPONSE_MB="10"), sleeps=Sleeps())
    assert isinstance(error, UpstreamServerError)
    assert error.message.endswith("The API said: x (Tried 3 times.)")
    assert stream.read <= 3 * 5  # at most 64 KiB of each of the 3 answers


async def test_the_key_is_masked_in_bodies_and_headers_and_other_secrets_too() -> None:
    other = "other_secret_0123456789"
    body = json.dumps({"agent": {"name": f"{API_KEY} and {other}"}}).encode()
    content = await fetch(Upstream(httpx.Response(200, content=body)), redactor=Redactor([API_KEY, other]))
    assert json.loads(content)["agent"]["name"] == f"{REDACTED} and {REDACTED}"
    plain = await fetch(Upstream(httpx.Response(200, content=body)))
    assert json.loads(plain)["agent"]["name"] == f"{REDACTED} and {other}"
    redirect = Upstream(httpx.Response(302, headers={"Location": f"https://x.example/?key={API_KEY}"}))
    error = await failure(redirect)
    assert API_KEY not in error.message
    assert f"to https://x.example/?key={REDACTED})" in error.message


async def test_a_body_parses_into_its_model() -> None:
    async with client(Upstream()) as sigmamind:
        body = await sigmamind.get_batch_run(BATCH, AGENT)
    parsed = body.parse(BatchRunPayload)
    assert (parsed.value.batchId, parsed.value.successfulAttempts, parsed.ignored) == (BATCH, 1, ())
    assert body.target.description == f"batch run '{BATCH}' of agent '{AGENT}'"


async def test_each_endpoint_names_its_target_in_errors() -> None:
    upstream = Upstream(httpx.Response(404))
    async with client(upstream) as sigmamind:
        with pytest.raises(UpstreamNotFound) as batch:
            await sigmamind.get_batch_run(BATCH, AGENT)
        with pytest.raises(UpstreamNotFound) as attempt:
            await sigmamind.get_test_run(JOB, BATCH, AGENT)
        with pytest.raises(UpstreamNotFound) as listing:
            await sigmamind.list_batch_runs(AGENT, 0, 20)
    assert batch.value.message == (
        f"SigmaMind has no batch run '{BATCH}' of agent '{AGENT}' (HTTP 404 Not Found). Check both ids: batchId is "
        "the batch run's id (e.g. batch_s0OJu2JWR8R45Fai) and agentId the id of the agent it ran against (e.g. "
        "agent_D5D0p7TUs66TTAEAx); the batch run must belong to that agent."
    )
    assert attempt.value.message == (
        f"SigmaMind has no attempt '{JOB}' of batch run '{BATCH}' (agent '{AGENT}') (HTTP 404 Not Found). Check all "
        "three ids: jobId is one attempt's id (get_batch_run lists them under each test case's results when the API "
        "sends them; the SigmaMind dashboard shows them too), batchId the batch run it belongs to, and agentId that "
        "batch run's agent."
    )
    assert listing.value.message == (
        f"SigmaMind has no batch runs of agent '{AGENT}' (HTTP 404 Not Found). Check agentId: it is the id shown on "
        "the agent's page in the SigmaMind dashboard."
    )


async def test_bodies_of_each_endpoint_know_their_target() -> None:
    async with client(Upstream(httpx.Response(200, content=b"[]"))) as sigmamind:
        bodies = [
            await sigmamind.get_test_run(JOB, BATCH, AGENT),
            await sigmamind.list_batch_runs(AGENT, 0, 20),
        ]
    descriptions = [body.target.description for body in bodies]
    assert descriptions == [
        f"attempt '{JOB}' of batch run '{BATCH}' (agent '{AGENT}')",
        f"batch runs of agent '{AGENT}'",
    ]
    with pytest.raises(UpstreamInvalidResponse, match="batch runs of agent 'agent_1' with JSON that is not an object"):
        bodies[1].parse(BatchRunPayload)


# Retries


async def test_a_failure_at_the_first_attempt_says_nothing_of_tries() -> None:
    error = await failure(Upstream(httpx.Response(404)))
    assert error.message.endswith(
        "Check both ids: batchId is the batch run's id (e.g. batch_s0OJu2JWR8R45Fai) and "
        "agentId the id of the agent it ran against (e.g. agent_D5D0p7TUs66TTAEAx); the "
        "batch run must belong to that agent."
    )


async def test_a_failure_after_retries_says_how_many_attempts_were_made() -> None:
    sleeps = Sleeps()
    upstream = Upstream(httpx.Response(503), httpx.Response(404))
    error = await failure(upstream, sleeps=sleeps)
    assert isinstance(error, UpstreamNotFound)
    assert error.message.endswith(" (Tried 2 times.)")
    assert sleeps.waits == [0.375]


async def test_a_transient_failure_is_retried_until_an_answer() -> None:
    sleeps = Sleeps()
    upstream = Upstream(httpx.Response(502), httpx.ConnectError("refused"), httpx.Response(200, content=OK))
    assert await fetch(upstream, sleeps=sleeps) == OK
    assert sleeps.waits == [0.375, 0.75]


async def test_a_timeout_of_one_attempt_is_retried_and_named() -> None:
    sleeps = Sleeps()
    upstream = Upstream(httpx.ReadTimeout("slow"))
    error = await failure(upstream, settings(SIGMAMIND_TIMEOUT="30"), sleeps=sleeps)
    assert isinstance(error, UpstreamTimeout)
    assert error.message.startswith(f"Could not get an answer from SigmaMind at {BASE} within 30 seconds")
    assert error.message.endswith(" (Tried 3 times.)")
    assert len(upstream.requests) == 3


async def test_a_failed_tls_handshake_is_not_retried() -> None:
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "self-signed certificate"
    refused = httpx.ConnectError("failed")
    refused.__cause__ = cause
    sleeps = Sleeps()
    upstream = Upstream(refused)
    error = await failure(upstream, sleeps=sleeps)
    assert isinstance(error, UpstreamTLSError)
    assert len(upstream.requests) == 1
    assert sleeps.waits == []


async def test_retry_after_up_to_the_cap_is_waited_for() -> None:
    sleeps = Sleeps()
    upstream = Upstream(httpx.Response(429, headers={"Retry-After": "10"}), httpx.Response(200, content=OK))
    assert await fetch(upstream, sleeps=sleeps) == OK
    assert sleeps.waits == [10.0]


async def test_a_wait_that_would_pass_the_deadline_is_not_made() -> None:
    sleeps = Sleeps()
    upstream = Upstream(httpx.Response(429, headers={"Retry-After": "5"}))
    error = await failure(upstream, settings(SIGMAMIND_TIMEOUT="4"), sleeps=sleeps)
    assert isinstance(error, UpstreamRateLimited)
    assert sleeps.waits == []
    assert len(upstream.requests) == 1


async def test_an_attempt_past_the_deadline_ends_the_call() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(200, content=OK)

    upstream = Upstream()
    transport = httpx.MockTransport(slow)
    config = settings(SIGMAMIND_TIMEOUT="0.2")
    async with SigmaMindClient(config, transport=transport, retry=RetryPolicy(sleep=Sleeps())) as sigmamind:
        with pytest.raises(UpstreamTimeout) as raised:
            await sigmamind.get_batch_run(BATCH, AGENT)
    assert raised.value.message.startswith(f"SigmaMind at {BASE} did not give a full answer within 0.2 seconds")
    assert upstream.requests == []


def slowly(response: httpx.Response, seconds: float) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        time.sleep(seconds)
        return response

    return answer


async def test_each_attempt_is_logged_with_its_path_status_size_and_time(caplog: pytest.LogCaptureFixture) -> None:
    upstream = Upstream(httpx.Response(503), slowly(httpx.Response(200, content=OK), 0.05))
    with caplog.at_level(logging.DEBUG, logger="sigma_mcp"):
        async with client(upstream) as sigmamind:
            body = await sigmamind.get_batch_run(BATCH, AGENT)
            body.parse(BatchRunPayload)
    messages = [record.getMessage() for record in caplog.records if record.name == "sigma_mcp.sigmamind.client"]
    path = f"/v1/batch-runs/{BATCH}"
    assert messages[0].startswith(f"GET {path} -> 503, 0 bytes in ")
    assert messages[1].startswith(f"GET {path} attempt 1 failed after ")
    assert messages[1].endswith(" ms: UpstreamServerError; retrying in 0.38 s")
    assert messages[2].startswith(f"GET {path} -> 200, {len(OK)} bytes in ")
    assert messages[3].startswith(f"parsed {len(OK)} bytes in ")
    milliseconds = []
    for message in (messages[0], messages[2], messages[3]):
        assert message.endswith(" ms")
        milliseconds.append(float(message.rsplit(" ", 2)[1]))
    assert 0 <= milliseconds[0] < 10_000
    assert 45 <= milliseconds[1] < 10_000  # the answer took 50 ms
    assert 0 <= milliseconds[2] < 10_000

"""The HTTP client for the SigmaMind API: one `httpx.AsyncClient` for the life of the server.

Every request is a read-only GET to the configured base URL, carrying `X-API-Key` and a
`User-Agent`. Every failure leaves this module as a `SigmaMindError` from `errors`.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import logging
import time
import urllib.request
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import httpx

from sigma_mcp import __version__
from sigma_mcp.config import AGENT_ID_VAR, Settings, is_loopback_host
from sigma_mcp.demo import DEMO_BASE_URL, demo_transport
from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.sigmamind.cache import CacheKey, RunCache
from sigma_mcp.sigmamind.errors import SigmaMindError, Target, UpstreamError
from sigma_mcp.sigmamind.failures import (
    deadline_exceeded,
    error_for_response,
    error_for_transport,
    over_share,
    too_large,
)
from sigma_mcp.sigmamind.payloads import M, Parsed, parse_object
from sigma_mcp.sigmamind.retry import RetryPolicy
from sigma_mcp.sigmamind.share import FairShare, fingerprint

USER_AGENT = f"sigma-mcp/{__version__}"
MAX_CONNECTIONS = 10
CONNECT_TIMEOUT = 10.0
ERROR_BODY_LIMIT = 64 * 1024
"""Bytes of an error answer read for its message; the rest is not read."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Body:
    """An answer's body, redacted, and what it was asked for (for messages about it)."""

    content: bytes
    target: Target
    _parsed: list[Parsed[Any]] = field(default_factory=list, init=False, repr=False, compare=False)

    def parse(self, model: type[M]) -> Parsed[M]:
        """The body as `model` (see `payloads.parse_object`), kept until `release` (see `tools.memory`)."""
        started = time.perf_counter()
        parsed = parse_object(model, self.content, self.target)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("parsed %d bytes in %.0f ms", len(self.content), _ms(started))
        self._parsed.append(parsed)
        return parsed

    @property
    def held_bytes(self) -> int:
        return len(self.content)

    def release(self) -> list[Parsed[Any]]:
        """What `parse` returned, no longer kept here: the caller decides when it is freed."""
        parsed = self._parsed[:]
        self._parsed.clear()
        return parsed


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Keep no cookie and send none: every request stands on its own key alone."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False


class SigmaMindClient:
    """Read-only access to the SigmaMind API."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        """`transport` replaces the network (tests); in demo mode the demo API replaces it."""
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.redactor = redactor or Redactor([settings.api_key])
        self.base_url = DEMO_BASE_URL if settings.demo else settings.base_url
        self.runs = RunCache(settings.cache_bytes)
        """Batch runs read before, for the next call about them (`sigmamind.cache`, `sigmamind.runs`)."""
        self.no_test_run_listing: str | None = None
        """How the API answered when it was found to offer no test-run listing (see `runs`); None: not found so."""
        per_user = settings.per_user_concurrency
        self._share = FairShare(per_user) if per_user is not None and per_user < MAX_CONNECTIONS else None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            # Per-phase limits; the total deadline (settings.timeout) bounds each call as a whole.
            timeout=httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT, settings.timeout)),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            follow_redirects=False,
            # One client serves every caller (over HTTP, each with their own key): a cookie one
            # caller's answer set must never ride along with another's request.
            cookies=http.cookiejar.CookieJar(policy=NoCookies()),
            transport=demo_transport() if settings.demo else transport,
            # Proxies and CA settings from the environment apply to the real API, never to a
            # loopback test server.
            trust_env=not settings.demo and not is_loopback_host(httpx.URL(settings.base_url).host),
        )

    async def __aenter__(self) -> SigmaMindClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def key_fingerprint(self) -> str:
        """The fingerprint of the current request's key, never the key (demo mode: ""); `ConfigurationError` when
        there is no key."""
        key, _ = self.settings.credentials()
        return fingerprint(key) if key else ""

    def cache_key(self, agent_id: str, batch_id: str) -> CacheKey:
        """The cache's key for a batch run fetched with the current request's key: its fingerprint, never the key."""
        return (self.key_fingerprint(), self.base_url, agent_id, batch_id)

    def _default_agent_hint(self, agent_id: str) -> str:
        """What a 404's hint adds when the agent is the default one: where that id came from."""
        if agent_id != self.settings.default_agent_id:
            return ""
        return (
            f" This agentId is the default agent, set by {AGENT_ID_VAR} in the server's environment: if it is not "
            "the right one, name the agent in the call, or have the variable corrected."
        )

    async def get_batch_run(self, batch_id: str, agent_id: str) -> Body:
        """The body of `GET /v1/batch-runs/{batchId}?agentId={agentId}`; ids must already be validated."""
        target = Target(
            description=f"batch run '{batch_id}' of agent '{agent_id}'",
            not_found_hint=(
                "Check both ids: batchId is the batch run's id (e.g. batch_s0OJu2JWR8R45Fai) and agentId "
                "the id of the agent it ran against (e.g. agent_D5D0p7TUs66TTAEAx); the batch run must "
                "belong to that agent." + self._default_agent_hint(agent_id)
            ),
        )
        return Body(await self._get(f"/v1/batch-runs/{batch_id}", {"agentId": agent_id}, target), target)

    async def get_test_run(self, job_id: str, batch_id: str, agent_id: str) -> Body:
        """`GET /v1/test-runs/{jobId}?batchId=&agentId=`; ids must already be validated."""
        target = Target(
            description=f"attempt '{job_id}' of batch run '{batch_id}' (agent '{agent_id}')",
            not_found_hint=(
                "Check all three ids: jobId is one attempt's id (get_batch_run lists them under each test "
                "case's results when the API sends them; the SigmaMind dashboard shows them too), batchId the "
                "batch run it belongs to, and agentId that batch run's agent." + self._default_agent_hint(agent_id)
            ),
        )
        return Body(
            await self._get(f"/v1/test-runs/{job_id}", {"batchId": batch_id, "agentId": agent_id}, target), target
        )

    async def list_batch_runs(self, agent_id: str, page: int, size: int) -> Body:
        """`GET /v1/batch-runs?agentId=&page=&size=`, newest first; the id must already be validated."""
        target = Target(
            description=f"batch runs of agent '{agent_id}'",
            not_found_hint="Check agentId: it is the id shown on the agent's page in the SigmaMind dashboard."
            + self._default_agent_hint(agent_id),
        )
        params = {"agentId": agent_id, "page": str(page), "size": str(size)}
        return Body(await self._get("/v1/batch-runs", params, target), target)

    async def list_test_runs(self, batch_id: str, agent_id: str, page: int, size: int) -> Body:
        """`GET /v1/test-runs?batchId=&agentId=&page=&size=`: a batch run's attempts, a page of them. Not
        documented: the API reference says a batch run's id "is required for subsequent get and list test-run
        calls", so the listing is inferred from it (see `sigmamind.runs`). Ids must already be validated."""
        target = Target(
            description=f"attempts (test runs) of batch run '{batch_id}' (agent '{agent_id}')",
            not_found_hint="The API may not offer a listing of a batch run's attempts.",
        )
        params = {"batchId": batch_id, "agentId": agent_id, "page": str(page), "size": str(size)}
        return Body(await self._get("/v1/test-runs", params, target), target)

    async def _get(self, path: str, params: dict[str, str], target: Target) -> bytes:
        """The body of a successful GET, retried per `RetryPolicy` within the total deadline."""
        key, from_header = self.settings.credentials()
        headers = {"X-API-Key": key} if key else {}
        deadline = anyio.current_time() + self.settings.timeout
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            queued = anyio.current_time() if self._share is not None else 0.0
            waited: float | None = None
            try:
                with anyio.CancelScope(deadline=deadline):
                    async with self._slot(key if from_header else None):
                        waited = anyio.current_time() - queued if self._share is not None else None
                        return await self._attempt(path, params, headers, target, from_header)
                # Here only when the deadline cancelled the scope.
                error: SigmaMindError = deadline_exceeded(self.base_url, self.settings.timeout)
                if self._share is not None and (waited is None or waited >= self.settings.timeout / 2):
                    # Most of the time went to waiting for the user's own other calls: that is what to say.
                    spent = anyio.current_time() - queued if waited is None else waited
                    error = over_share(self._share.per_user, self.settings.timeout, spent, waited is not None)
            except httpx.TransportError as exc:
                error = error_for_transport(exc, base_url=self.base_url, timeout=self.settings.timeout)
            except UpstreamError as exc:
                error = exc
            wait = self.retry.delay(attempt, error)
            if wait is not None and anyio.current_time() + wait >= deadline:
                wait = None
            # A retry is news at INFO; a final failure is already the tool call's own INFO line.
            logger.log(
                logging.DEBUG if wait is None else logging.INFO,
                "GET %s attempt %d failed after %.0f ms: %s%s",
                path,
                attempt,
                _ms(started),
                type(error).__name__,
                "" if wait is None else f"; retrying in {wait:.2f} s",
            )
            if wait is None:
                raise error.amended(suffix=f" (Tried {attempt} times.)" if attempt > 1 else "")
            await self.retry.sleep(wait)

    def _slot(self, key: str | None) -> contextlib.AbstractAsyncContextManager[None]:
        """One of the user's slots (`share`) when requests carry their users' own keys; else nothing to wait for."""
        if self._share is None or key is None:
            return contextlib.nullcontext()
        return self._share.slot(key)

    async def _attempt(
        self, path: str, params: dict[str, str], headers: dict[str, str], target: Target, key_from_header: bool
    ) -> bytes:
        """One GET: the body of a 2xx answer, read up to the size cap; any other answer raised."""
        started = time.perf_counter()
        cap = self.settings.max_response_bytes
        async with self._http.stream("GET", path, params=params, headers=headers) as response:
            length = response.headers.get("content-length", "")
            if response.is_success and length.isdigit() and int(length) > cap:
                raise too_large(target, cap, int(length))
            limit = cap if response.is_success else ERROR_BODY_LIMIT
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    if response.is_success:
                        raise too_large(target, cap, None)
                    break
                chunks.append(chunk)
        # Redacted before anything can shorten it: an echoed key is never cut into a fragment.
        body = self.redactor.bytes(b"".join(chunks))
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("GET %s -> %s, %d bytes in %.0f ms", path, response.status_code, len(body), _ms(started))
        if not response.is_success:
            kept = [(name, self.redactor.text(value)) for name, value in response.headers.items()]
            answered = httpx.Response(response.status_code, headers=kept, content=body)
            raise error_for_response(answered, target, base_url=self.base_url, key_from_header=key_from_header)
        return body


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000

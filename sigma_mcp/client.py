"""The HTTP client for the SigmaMind API: one `httpx.AsyncClient` for the life of the server.

Every request is a read-only GET to the configured base URL, carrying `X-API-Key` and a
`User-Agent`. Every failure leaves this module as a `SigmaMindError` from `errors`.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType

import httpx

from sigma_mcp import __version__
from sigma_mcp.config import Settings, is_loopback_host
from sigma_mcp.demo import DEMO_BASE_URL, demo_transport
from sigma_mcp.errors import Target, error_for_response, error_for_transport
from sigma_mcp.models import BatchRunPage, BatchRunPayload, Parsed, TestRunPayload, parse_object

USER_AGENT = f"sigma-mcp/{__version__}"
MAX_CONNECTIONS = 10

logger = logging.getLogger(__name__)


class SigmaMindClient:
    """Read-only access to the SigmaMind API."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """`transport` replaces the network (tests); in demo mode the demo API replaces it."""
        self.settings = settings
        self.base_url = DEMO_BASE_URL if settings.demo else settings.base_url
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(settings.timeout),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            follow_redirects=False,
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

    async def get_batch_run(self, batch_id: str, agent_id: str) -> Parsed[BatchRunPayload]:
        """`GET /v1/batch-runs/{batchId}?agentId={agentId}`; ids must already be validated."""
        target = Target(
            description=f"batch run '{batch_id}' of agent '{agent_id}'",
            not_found_hint=(
                "Check both ids: batchId is the batch run's id (e.g. batch_s0OJu2JWR8R45Fai) and agentId "
                "the id of the agent it ran against (e.g. agent_D5D0p7TUs66TTAEAx); the batch run must "
                "belong to that agent."
            ),
        )
        body = await self._get(f"/v1/batch-runs/{batch_id}", {"agentId": agent_id}, target)
        return parse_object(BatchRunPayload, body, target)

    async def get_test_run(self, job_id: str, batch_id: str, agent_id: str) -> Parsed[TestRunPayload]:
        """`GET /v1/test-runs/{jobId}?batchId=&agentId=`; ids must already be validated."""
        target = Target(
            description=f"attempt '{job_id}' of batch run '{batch_id}' (agent '{agent_id}')",
            not_found_hint=(
                "Check all three ids: jobId is one attempt's id (get_batch_run lists them under each test "
                "case's results when the API sends them; the SigmaMind dashboard shows them too), batchId the "
                "batch run it belongs to, and agentId that batch run's agent."
            ),
        )
        body = await self._get(f"/v1/test-runs/{job_id}", {"batchId": batch_id, "agentId": agent_id}, target)
        return parse_object(TestRunPayload, body, target)

    async def list_batch_runs(self, agent_id: str, page: int, size: int) -> Parsed[BatchRunPage]:
        """`GET /v1/batch-runs?agentId=&page=&size=`, newest first; the id must already be validated."""
        target = Target(
            description=f"batch runs of agent '{agent_id}'",
            not_found_hint="Check agentId: it is the id shown on the agent's page in the SigmaMind dashboard.",
        )
        params = {"agentId": agent_id, "page": str(page), "size": str(size)}
        body = await self._get("/v1/batch-runs", params, target)
        return parse_object(BatchRunPage, body, target)

    async def _get(self, path: str, params: dict[str, str], target: Target) -> bytes:
        self.settings.check_ready()
        key = None if self.settings.demo else self.settings.api_key
        headers = {"X-API-Key": key} if key else {}
        started = time.perf_counter()
        try:
            response = await self._http.get(path, params=params, headers=headers)
        except httpx.TransportError as exc:
            logger.info("GET %s failed after %.0f ms: %s", path, _ms(started), type(exc).__name__)
            raise error_for_transport(exc, base_url=self.base_url, timeout=self.settings.timeout) from None
        logger.debug("GET %s -> %s in %.0f ms", path, response.status_code, _ms(started))
        if not response.is_success:
            raise error_for_response(response, target, base_url=self.base_url)
        return response.content


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000

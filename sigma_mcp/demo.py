"""Demo mode: an in-process stand-in for the SigmaMind API serving `demo_data`.

It plugs in as the HTTP client's transport, so demo calls take exactly the path real calls take:
the same client, error mapping, parsing, summary and rendering. No key, no network.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from sigma_mcp.demo_data import BATCH_RUNS

DEMO_BASE_URL = "https://demo-api.sigmamind.invalid"
"""Where demo requests appear to go (`.invalid` never resolves): nothing leaves the process."""


def demo_transport() -> httpx.MockTransport:
    return httpx.MockTransport(_handle)


def demo_batch_runs() -> list[tuple[str, str]]:
    """(batchId, agentId) of every demo batch run."""
    return [(run["batchId"], run["agent"]["agentId"]) for run in BATCH_RUNS]


def _handle(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if request.method != "GET":
        return _error(405, "Method Not Allowed", "The demo API is read-only.", path)
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[:2] == ["v1", "batch-runs"]:
        agent_id = request.url.params.get("agentId")
        for run in BATCH_RUNS:
            if run["batchId"] == parts[2] and run["agent"]["agentId"] == agent_id:
                return httpx.Response(200, content=json.dumps(run).encode())
        listing = ", ".join(f"{batch} (agent {agent})" for batch, agent in demo_batch_runs())
        return _error(404, "Not Found", f"Demo batch runs: {listing}", path)
    return _error(404, "Not Found", "The demo API does not serve this path.", path)


def _error(status: int, error: str, message: str, path: str) -> httpx.Response:
    body: dict[str, Any] = {
        "error": error,
        "message": message,
        "path": path,
        "status": status,
        "timestamp": "2026-04-03T12:00:00.000Z",
    }
    return httpx.Response(status, content=json.dumps(body).encode())

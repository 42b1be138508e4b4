"""Demo mode: an in-process stand-in for the SigmaMind API serving `demo.data`.

It plugs in as the HTTP client's transport, so demo calls take exactly the path real calls take:
the same client, error mapping, parsing, summary and rendering. No key, no network.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from sigma_mcp.demo.data import ATTEMPTS_KEY, BATCH_RUNS, LISTED_KEY, demo_batch_runs

DEMO_BASE_URL = "https://demo-api.sigmamind.invalid"
"""Where demo requests appear to go (`.invalid` never resolves): nothing leaves the process."""


def demo_transport() -> httpx.MockTransport:
    return httpx.MockTransport(_handle)


def _handle(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    params = request.url.params
    if request.method != "GET":
        return _error(405, "Method Not Allowed", "The demo API is read-only.", path)
    parts = path.strip("/").split("/")
    if parts == ["v1", "batch-runs"]:
        return _list(params.get("agentId", ""), params.get("page", "0"), params.get("size", "20"), path)
    if len(parts) == 3 and parts[:2] == ["v1", "batch-runs"]:
        run = _find_run(parts[2], params.get("agentId"))
        if run is not None:
            return _json(_public(run))
        listing = ", ".join(f"{batch} (agent {agent})" for batch, agent in demo_batch_runs()[:4])
        return _error(404, "Not Found", f"Demo batch runs include: {listing}", path)
    if parts == ["v1", "test-runs"]:
        return _list_attempts(
            params.get("batchId", ""), params.get("agentId"), params.get("page", "0"), params.get("size", "20"), path
        )
    if len(parts) == 3 and parts[:2] == ["v1", "test-runs"]:
        found = _find_attempt(parts[2], params.get("batchId"), params.get("agentId"))
        if found is not None:
            return _json(found)
        return _error(404, "Not Found", "No demo test run with these ids; get_batch_run lists demo jobIds.", path)
    return _error(404, "Not Found", "The demo API does not serve this path.", path)


def _find_run(batch_id: str, agent_id: str | None) -> dict[str, Any] | None:
    return next((r for r in BATCH_RUNS if r["batchId"] == batch_id and r["agent"]["agentId"] == agent_id), None)


def _public(run: dict[str, Any]) -> dict[str, Any]:
    """A batch run as the API would send it: attempts without their transcripts, listed ones not at all."""
    test_cases = []
    for test_case in run["testCases"]:
        if ATTEMPTS_KEY in test_case:
            attempts = [{k: v for k, v in a.items() if k != "_turns"} for a in test_case[ATTEMPTS_KEY]]
            test_case = {**test_case, ATTEMPTS_KEY: attempts}
        test_cases.append(test_case)
    return {**{key: value for key, value in run.items() if key != LISTED_KEY}, "testCases": test_cases}


def _attempts(run: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every attempt of a demo batch run with its test case: embedded ones, then listed ones."""
    by_id = {test_case["testCaseId"]: test_case for test_case in run["testCases"]}
    found = [(test_case, attempt) for test_case in run["testCases"] for attempt in test_case.get(ATTEMPTS_KEY, ())]
    found += [(by_id[attempt["testCaseId"]], attempt) for attempt in run.get(LISTED_KEY, ())]
    return found


def _list_attempts(batch_id: str, agent_id: str | None, page_text: str, size_text: str, path: str) -> httpx.Response:
    """The test-run listing (inferred from the API reference): a batch run's attempts, paged, without transcripts."""
    if not (page_text.isdigit() and size_text.isdigit()) or int(size_text) < 1:
        return _error(400, "Bad Request", "Invalid request parameters", path)
    run = _find_run(batch_id, agent_id)
    if run is None:
        return _error(404, "Not Found", "No demo batch run with these ids.", path)
    page, size = int(page_text), int(size_text)
    attempts = [_test_run(run, test_case, attempt, transcript=False) for test_case, attempt in _attempts(run)]
    return _page(attempts, page, size)


def _list(agent_id: str, page_text: str, size_text: str, path: str) -> httpx.Response:
    if not (page_text.isdigit() and size_text.isdigit()) or int(size_text) < 1:
        return _error(400, "Bad Request", "Invalid request parameters", path)
    page, size = int(page_text), int(size_text)
    runs = [_public(run) for run in BATCH_RUNS if run["agent"]["agentId"] == agent_id]
    return _page(runs, page, size)


def _page(items: list[Any], page: int, size: int) -> httpx.Response:
    """One page of `items` in the listing envelope of List Batch Runs."""
    total_pages = (len(items) + size - 1) // size
    return _json(
        {
            "data": items[page * size : (page + 1) * size],
            "page": page,
            "size": size,
            "totalCount": len(items),
            "totalPages": total_pages,
            "hasNext": page + 1 < total_pages,
            "hasPrevious": page > 0,
        }
    )


def _find_attempt(job_id: str, batch_id: str | None, agent_id: str | None) -> dict[str, Any] | None:
    run = _find_run(batch_id or "", agent_id)
    if run is None:
        return None
    for test_case, attempt in _attempts(run):
        if attempt["jobId"] == job_id:
            return _test_run(run, test_case, attempt, transcript=True)
    return None


def _test_run(
    run: dict[str, Any], test_case: dict[str, Any], attempt: dict[str, Any], *, transcript: bool
) -> dict[str, Any]:
    """One attempt as Get Test Run answers it; in the listing, without its transcript."""
    job_id = attempt["jobId"]
    body = {
        "batchId": run["batchId"],
        "workspaceId": run["workspaceId"],
        "agent": run["agent"],
        "testCase": {k: v for k, v in test_case.items() if k != ATTEMPTS_KEY},
        "jobId": job_id,
        "chatId": "chat_" + job_id.removeprefix("job_"),
        "createdDate": attempt["createdDate"],
        "completedDate": attempt["completedDate"],
        "isSuccessful": attempt["isSuccessful"],
        "remarks": attempt["remarks"],
    }
    if transcript:
        body["conversation"] = [{"role": role, "content": content} for role, content in attempt["_turns"]]
    return body


def _json(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode())


def _error(status: int, error: str, message: str, path: str) -> httpx.Response:
    body: dict[str, Any] = {
        "error": error,
        "message": message,
        "path": path,
        "status": status,
        "timestamp": "2026-04-03T12:00:00.000Z",
    }
    return httpx.Response(status, content=json.dumps(body).encode())

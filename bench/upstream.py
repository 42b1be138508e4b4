"""A stand-in SigmaMind API for the benchmarks, in a process of its own so that it never competes with
the measuring client for the interpreter: `python -m bench.upstream` prints its URL, then serves
realistic batch runs of 1, 100 and 10,000 test cases until its standard input closes.

`/v1/batch-runs/<id>.<n>` (`batch_10000.3`, say) is the batch run `<id>` under another id, for calls that no
cache has answered before. `GET /_stats` answers with the requests served and the TCP connections opened so far.

For the soak (bench/soak.py) it also serves, whichever batch runs are named:

- fault batch ids (`FAULTS`), each failing the same way every time: `batch_slow` answers after
  `SLOW_DELAY` seconds (longer than the soak's SIGMAMIND_TIMEOUT), `batch_500` and `batch_503` answer
  with a server error (a JSON error body; an HTML page), `batch_429` rate-limits with `Retry-After: 0`,
  and `batch_reset` drops the connection with a TCP reset instead of answering;
- `GET /v1/batch-runs?agentId=` (a page of the batch runs served) and `GET /v1/test-runs/{TEST_RUN_ID}`
  (one attempt of six turns).
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from tests.factories import make_batch_run, make_test_run
from tests.fake_api import FakeSigmaMind, Reply, Seen, api_error

AGENT_ID = "agent_D5D0p7TUs66TTAEAx"
SIZES = {
    "batch_1": 1,
    "batch_100": 100,
    "batch_10000": 10_000,
    "batch_100_base": 100,
    "batch_10000_base": 10_000,
}
"""Test cases per batch run; the `_base` ones are earlier runs of the same test cases (for compare_batch_runs)."""
SLOW_DELAY = 5.0
"""Seconds `batch_slow` waits before answering."""
TEST_RUN_ID = "job_000000_0"
_HTML_503 = b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>busy</body></html>"


def faults() -> dict[str, Reply]:
    """The fault batch ids and their answers; each fails the same way every time."""
    return {
        "batch_slow": Reply.json(make_batch_run(1, batch_id="batch_slow"), delay=SLOW_DELAY),
        "batch_500": api_error(500, "Internal Server Error", "Something went wrong", "/v1/batch-runs/batch_500"),
        "batch_503": Reply(status=503, body=_HTML_503, headers={"Content-Type": "text/html"}),
        "batch_429": Reply.json(
            {"error": "Too Many Requests", "message": "slow down", "status": 429},
            status=429,
            headers={"Retry-After": "0"},
        ),
        "batch_reset": Reply(reset=True),
    }


FAULTS = tuple(faults())


def bodies(sizes: dict[str, int]) -> dict[str, bytes]:
    # The judge's remarks in many wordings per cause (about 3,000 failed attempts in the 10,000-test-case one).
    return {
        batch_id: json.dumps(
            make_batch_run(
                count, batch_id=batch_id, records_key="testRuns", varied=True, seed=8 if "_base" in batch_id else 7
            )
        ).encode()
        for batch_id, count in sizes.items()
    }


def listing(sizes: dict[str, int]) -> bytes:
    """`GET /v1/batch-runs`: the served batch runs (without their test cases' results), newest first."""
    runs = []
    for number, (batch_id, count) in enumerate(sizes.items()):
        run = make_batch_run(min(count, 3), batch_id=batch_id, seed=number)
        run["createdDate"] = f"2026-04-{28 - number:02d}T10:00:00Z"
        runs.append(run)
    page = {"data": runs, "page": 0, "size": 20, "totalCount": len(runs), "totalPages": 1}
    return json.dumps({**page, "hasNext": False, "hasPrevious": False}).encode()


def main() -> None:
    sizes = {name: count for name, count in SIZES.items() if name in sys.argv[1:]} or SIZES
    served = bodies(sizes)
    failing = faults()
    page = listing(sizes)
    test_run = make_test_run(TEST_RUN_ID)
    api = FakeSigmaMind()

    def handler(seen: Seen) -> Reply:
        if seen.path == "/_stats":
            return Reply.json(_stats(api, int((seen.query.get("since") or ["0"])[0])))
        batch_id = seen.path.rsplit("/", 1)[-1]
        served_as, _, copy = batch_id.partition(".")
        if served_as in served and seen.query.get("agentId") == [AGENT_ID]:
            if copy:  # `batch_10000.3`: the same batch run under another id, which no cache has seen
                return Reply(body=served[served_as].replace(f'"{served_as}"'.encode(), f'"{batch_id}"'.encode(), 1))
            return Reply(body=served[batch_id])
        # What the soak adds; every other request is answered 404 as before.
        if seen.query.get("agentId") == [AGENT_ID]:
            if seen.path.startswith("/v1/batch-runs/") and batch_id in failing:
                return failing[batch_id]
            if seen.path == "/v1/batch-runs":
                return Reply(body=page)
            if seen.path == f"/v1/test-runs/{TEST_RUN_ID}" and seen.query.get("batchId"):
                return Reply.json({**test_run, "batchId": seen.query["batchId"][0]})
        return Reply.json({"error": "Not Found", "message": "no such batch run", "status": 404}, status=404)

    api.handler = handler
    api.start()
    print(api.url, flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
    api.stop()


def _stats(api: FakeSigmaMind, since: int) -> dict[str, Any]:
    requests = [seen for seen in api.requests if seen.path != "/_stats"]
    return {"requests": len(requests), "connections": len({seen.client_port for seen in requests[since:]})}


if __name__ == "__main__":
    threading.current_thread().name = "upstream"
    main()

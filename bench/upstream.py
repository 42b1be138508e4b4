"""A stand-in SigmaMind API for the benchmarks, in a process of its own so that it never competes with
the measuring client for the interpreter: `python -m bench.upstream` prints its URL, then serves
realistic batch runs of 1, 100 and 10,000 test cases until its standard input closes.

`GET /_stats` answers with the requests served and the TCP connections opened so far.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind, Reply, Seen

AGENT_ID = "agent_D5D0p7TUs66TTAEAx"
SIZES = {"batch_1": 1, "batch_100": 100, "batch_10000": 10_000}


def bodies(sizes: dict[str, int]) -> dict[str, bytes]:
    return {
        batch_id: json.dumps(make_batch_run(count, batch_id=batch_id, records_key="testRuns")).encode()
        for batch_id, count in sizes.items()
    }


def main() -> None:
    sizes = {name: count for name, count in SIZES.items() if name in sys.argv[1:]} or SIZES
    served = bodies(sizes)
    api = FakeSigmaMind()

    def handler(seen: Seen) -> Reply:
        if seen.path == "/_stats":
            return Reply.json(_stats(api, int((seen.query.get("since") or ["0"])[0])))
        batch_id = seen.path.rsplit("/", 1)[-1]
        if batch_id in served and seen.query.get("agentId") == [AGENT_ID]:
            return Reply(body=served[batch_id])
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

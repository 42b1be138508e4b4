"""The reference for `bench.http_cost`: a one-tool MCPServer that makes the same upstream GET as sigma-mcp's
`get_batch_run` and parses the answer with `json.loads`, served the way sigma-mcp serves HTTP (stateless, JSON
answers, uvicorn's h11 protocol, no access log).

`python -m bench.http_reference UPSTREAM_URL` prints its URL, then serves until its standard input closes.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from typing import Any

import httpx
import uvicorn
from mcp.server.mcpserver import MCPServer


def build(upstream: str) -> Any:
    server = MCPServer("reference", log_level="WARNING")  # sigma-mcp's default level
    client = httpx.AsyncClient(base_url=upstream, limits=httpx.Limits(max_connections=10, max_keepalive_connections=10))

    @server.tool()
    async def get_batch_run(batchId: str, agentId: str) -> str:
        """The batch run's test case count."""
        answer = await client.get(f"/v1/batch-runs/{batchId}", params={"agentId": agentId})
        answer.raise_for_status()
        return f"{len(json.loads(answer.content).get('testCases', []))} test cases"

    return server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True)


def main() -> None:
    # IPPROTO_TCP as sigma-mcp's socket (from getaddrinfo) has it: asyncio sets TCP_NODELAY on accepted
    # connections only then, and without it every answer on a kept-alive connection waits ~40 ms for an ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    config = uvicorn.Config(
        build(sys.argv[1]), http="h11", log_config=None, log_level=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/mcp", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()

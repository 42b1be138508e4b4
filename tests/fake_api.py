"""A scriptable stand-in for the SigmaMind API: a real HTTP server on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """What the fake API answers with."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before sending anything (a client that leaves meanwhile is noted in `abandoned`)."""
    reset: bool = False
    """Drop the connection with a TCP reset instead of answering."""
    drip: float = 0.0
    """Seconds between the bytes of the body, sent one at a time."""
    declared_length: int | None = None
    """A Content-Length other than the body's (a larger one truncates the answer)."""
    chunked: bool = False
    """Send the body with chunked transfer encoding and no Content-Length."""

    @classmethod
    def json(cls, value: Any, status: int = 200, **kwargs: Any) -> Reply:
        return cls(status=status, body=json.dumps(value).encode(), **kwargs)


def api_error(status: int, error: str, message: str, path: str = "/v1/batch-runs") -> Reply:
    """An error shaped like the API's documented error bodies."""
    return Reply.json(
        {
            "error": error,
            "message": message,
            "path": path,
            "status": status,
            "timestamp": "2026-03-26T10:52:45Z",
        },
        status=status,
    )


@dataclass(frozen=True)
class Seen:
    """One request the fake API received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    client_port: int


Handler = Callable[[Seen], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout under test) is expected; anything else is a real failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeSigmaMind:
    """Serves batch runs registered with `add_batch_run`, or whatever `handler` answers."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.abandoned: list[Seen] = []
        """Requests whose client closed the connection while the answer was being delayed."""
        self.batch_runs: dict[tuple[str, str], Any] = {}
        self.test_runs: dict[tuple[str, str, str], Any] = {}
        self.pages: dict[str, Any] = {}
        self.listings: dict[tuple[str, str], tuple[list[Any], bool]] = {}
        self.handler: Handler = self._default
        self._lock = threading.Lock()
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms stalls between headers and body

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), RequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSigmaMind:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_batch_run(self, body: Any, *, batch_id: str | None = None, agent_id: str | None = None) -> None:
        batch_id = batch_id or body["batchId"]
        agent_id = agent_id or body["agent"]["agentId"]
        self.batch_runs[(batch_id, agent_id)] = body

    def add_test_run(self, body: Any, *, job_id: str, batch_id: str, agent_id: str) -> None:
        self.test_runs[(job_id, batch_id, agent_id)] = body

    def add_test_run_listing(self, runs: list[Any], *, batch_id: str, agent_id: str, envelope: bool = True) -> None:
        """Serve `GET /v1/test-runs?batchId=&agentId=&page=&size=`: pages of `runs`, in the List Batch Runs envelope
        or (`envelope=False`) as bare arrays."""
        self.listings[(batch_id, agent_id)] = (runs, envelope)

    def batch_run_requests(self) -> list[Seen]:
        """The requests for one batch run (not the listings of batch runs or of their attempts)."""
        return [seen for seen in self.requests if seen.path.startswith("/v1/batch-runs/")]

    def listing_requests(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == "/v1/test-runs"]

    def _listing_page(self, seen: Seen, runs: list[Any], envelope: bool) -> Reply:
        page = int((seen.query.get("page") or ["0"])[0])
        size = int((seen.query.get("size") or ["20"])[0])
        items = runs[page * size : (page + 1) * size]
        if not envelope:
            return Reply.json(items)
        pages = (len(runs) + size - 1) // size
        return Reply.json(
            {
                "data": items,
                "page": page,
                "size": size,
                "totalCount": len(runs),
                "totalPages": pages,
                "hasNext": page + 1 < pages,
                "hasPrevious": page > 0,
            }
        )

    def _default(self, seen: Seen) -> Reply:
        parts = seen.path.strip("/").split("/")

        def query(name: str) -> str:
            return (seen.query.get(name) or [""])[0]

        body: Any = None
        if parts == ["v1", "batch-runs"]:
            body = self.pages.get(query("agentId"))
        elif len(parts) == 3 and parts[:2] == ["v1", "batch-runs"]:
            body = self.batch_runs.get((parts[2], query("agentId")))
        elif parts == ["v1", "test-runs"]:
            listing = self.listings.get((query("batchId"), query("agentId")))
            if listing is not None:
                return self._listing_page(seen, *listing)
        elif len(parts) == 3 and parts[:2] == ["v1", "test-runs"]:
            body = self.test_runs.get((parts[2], query("batchId"), query("agentId")))
        if body is None:
            return api_error(404, "Not Found", "Resource not found", seen.path)
        return body if isinstance(body, Reply) else Reply.json(body)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        seen = Seen(
            method=request.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            client_port=request.client_address[1],
        )
        with self._lock:
            self.requests.append(seen)
        reply = self.handler(seen)
        if reply.delay and not self._wait(request, reply.delay):
            with self._lock:
                self.abandoned.append(seen)
            request.close_connection = True
            return
        if reply.reset:
            # SO_LINGER with a zero timeout makes close() send a TCP reset.
            request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.close_connection = True
            return
        request.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers}
        for name, value in headers.items():
            request.send_header(name, value)
        if reply.chunked:
            request.send_header("Transfer-Encoding", "chunked")
        else:
            length = reply.declared_length if reply.declared_length is not None else len(reply.body)
            request.send_header("Content-Length", str(length))
        request.end_headers()
        if reply.chunked:
            for start in range(0, len(reply.body), 65536):
                piece = reply.body[start : start + 65536]
                request.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            request.wfile.write(b"0\r\n\r\n")
        elif reply.drip:
            for byte in reply.body:
                request.wfile.write(bytes([byte]))
                request.wfile.flush()
                time.sleep(reply.drip)
        else:
            request.wfile.write(reply.body)
        if reply.declared_length is not None and reply.declared_length > len(reply.body):
            request.close_connection = True

    @staticmethod
    def _wait(request: BaseHTTPRequestHandler, seconds: float) -> bool:
        """Sleep `seconds`; False as soon as the client closes its end of the connection."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            readable, _, _ = select.select([request.connection], [], [], min(left, 0.05))
            if readable and not request.connection.recv(1, socket.MSG_PEEK):
                return False
        return True

"""The HTTP server against untrusted peers: routes that never redirect, bounded bodies, slow and idle peers cut
off, shutdown answered in JSON-RPC, credentials masked in every log line, non-HTTP connections refused.

Most tests run the real command; those that need bounds shorter than the defaults run the same uvicorn server
in this process (`serving`) on a loopback port, still spoken to over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from sigma_mcp.config import Settings
from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.server import create_server
from sigma_mcp.transports.gate import Gate
from sigma_mcp.transports.http import HttpConfig, http_server, listen
from sigma_mcp.transports.peers import AcceptErrors
from tests.fake_api import FakeSigmaMind, Reply, Seen
from tests.http_driver import http_server as command_server
from tests.test_http import INITIALIZE, MCP_HEADERS, post, tool_call
from tests.test_http_share import wait_for
from tests.test_server import ARGS

pytestmark = pytest.mark.anyio

USER_KEY = "sk_user_4Rt7Yp2Wq9Lm5Nv8Xc3Bz6Df1Gh0Jk"
OTHER_KEY = "sk_other_9Zx8Cv7Bn6Mm5Aa4Ss3Dd2Ff1Gg0Hh"
LONE_KEY = "sk_lone_1Qw2Er3Ty4Ui5Op6As7Df8Gh9Jk0L"
PATH_KEY = "sk_path_0Lk9Jh8Gf7Ds6Aq5Wz4Xs3Ed2Cr1Vf"


@contextmanager
def serving(config: HttpConfig, *, send_buffer: int | None = None) -> Iterator[str]:
    """The HTTP server of `sigma-mcp --transport http --demo` with `config`, in a thread of this process;
    `send_buffer`: the kernel's send buffer of each connection, in bytes, so that an answer to a peer that reads
    slowly stays partly in the server's own buffer."""
    server = create_server(Settings(api_key=None, demo=True), redactor=Redactor())
    sock = listen(config)
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)  # accepted connections inherit it
    urls: list[str] = []
    uvicorn_server = http_server(server, config, sock, urls.append)
    thread = threading.Thread(target=lambda: asyncio.run(uvicorn_server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not urls:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield urls[0]
    finally:
        uvicorn_server.should_exit = True
        thread.join(15)
        sock.close()


def connect(url: str) -> socket.socket:
    host, port = httpx.URL(url).host, httpx.URL(url).port
    assert port is not None
    peer = socket.create_connection((host, port), timeout=10)
    return peer


def closed_by_server(peer: socket.socket, within: float) -> bool:
    """Whether the server closes `peer` within `within` seconds (reading, and discarding, anything it sends)."""
    peer.settimeout(0.1)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if peer.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionError:
            return True
    return False


# --- Routes ---------------------------------------------------------------------------------------------


async def test_mcp_with_a_slash_is_answered_like_mcp_and_nothing_redirects() -> None:
    with command_server("--demo", env={}) as server:
        async with httpx.AsyncClient(follow_redirects=False) as http:
            slash = await http.post(server.url + "/", json=INITIALIZE, headers=MCP_HEADERS)
            evil = await http.post(server.url + "/", json=INITIALIZE, headers={**MCP_HEADERS, "Host": "evil.example"})
            elsewhere = await http.post(server.base + "/other", json=INITIALIZE, headers=MCP_HEADERS)
            below = await http.post(server.url + "/deeper", json=INITIALIZE, headers=MCP_HEADERS)
            health_slash = await http.get(server.base + "/healthz/")
    assert slash.status_code == 200
    assert slash.json()["result"]["serverInfo"]["name"] == "sigma-mcp"
    for answer in (evil, elsewhere, below, health_slash):
        assert not 300 <= answer.status_code < 400
        assert "location" not in answer.headers
    assert evil.status_code in (400, 403, 421)  # the DNS-rebinding check, as for /mcp
    assert elsewhere.status_code == below.status_code == health_slash.status_code == 404
    assert elsewhere.json()["message"].startswith("sigma-mcp answers MCP requests at /mcp")


def answer_to(url: str, request: bytes) -> bytes:
    """What the server answers to `request`, sent as is (and perhaps not read to its end)."""
    peer = connect(url)
    with contextlib.suppress(ConnectionError):  # a refusal may come before all of it is sent
        peer.sendall(request)
    answer = b""
    peer.settimeout(10)
    try:
        while chunk := peer.recv(4096):  # to the end: every refusal closes the connection
            answer += chunk
    except ConnectionError:
        pass
    peer.close()
    return answer


def test_request_bodies_are_bounded_in_size() -> None:
    head = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    chunk = b"x" * 65_536
    with command_server("--demo", env={}) as server:
        # Refused from its Content-Length, before any of it is read...
        declared = answer_to(server.url, head + b"Content-Length: 1000001\r\n\r\n{")
        # ...or once more than the limit has arrived, when the length is not declared.
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(17))
        chunked = answer_to(server.url, head + b"Transfer-Encoding: chunked\r\n\r\n" + body)
        fine = httpx.post(server.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert declared.startswith(b"HTTP/1.1 413 "), declared
    assert b"at most 1,000,000 bytes" in declared
    assert chunked.startswith(b"HTTP/1.1 413 "), chunked
    assert fine.status_code == 200


def test_a_trickled_body_is_answered_408() -> None:
    with serving(HttpConfig(port=0, body_timeout=0.5)) as url:
        peer = connect(url)
        peer.sendall(
            b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Accept: application/json, text/event-stream\r\nContent-Length: 200\r\n\r\n{"
        )
        answer = b""
        deadline = time.monotonic() + 10
        peer.settimeout(0.1)
        while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
            try:
                peer.sendall(b" ")
                answer += peer.recv(4096)
            except TimeoutError:
                continue
            except ConnectionError:
                break
        peer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer


def test_trickled_headers_are_cut_off_and_others_still_served() -> None:
    with serving(HttpConfig(port=0, header_timeout=0.5)) as url:
        peer = connect(url)
        peer.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        trickled = 0
        peer.settimeout(0.1)
        deadline = time.monotonic() + 10
        closed = False
        while not closed and time.monotonic() < deadline:
            try:
                peer.sendall(b"X")  # one byte of a header line, again and again: never a complete request
                trickled += 1
                closed = peer.recv(4096) == b""
            except TimeoutError:
                continue
            except ConnectionError:
                closed = True
        idle = connect(url)  # says nothing at all
        idle_closed = closed_by_server(idle, 10)
        health = httpx.get(url.removesuffix("/mcp") + "/healthz")
    assert closed, "the trickling peer was never cut off"
    assert trickled >= 2, "it was cut off while still sending, not for being silent"
    assert idle_closed
    assert health.status_code == 200


def small_window_peer(url: str) -> socket.socket:
    """A connection whose receive window is as small as the kernel allows: what it does not read stays queued."""
    peer = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connecting: it sets the window offered
    peer.settimeout(10)
    peer.connect((httpx.URL(url).host, httpx.URL(url).port or 0))
    return peer


def tools_list(url: str) -> bytes:
    """A raw `tools/list` request (its answer, every tool's schemas, is some 25 KB)."""
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}'
    return (
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def answer_complete(received: bytes) -> bool:
    head, found, body = received.partition(b"\r\n\r\n")
    if not found:
        return False
    length = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    return len(body) >= int(length.split(b":")[1])


def test_a_peer_reading_its_answer_slowly_gets_all_of_it() -> None:
    # The answer outlasts the header timeout in the server's buffer; the header time starts only once it is out.
    with serving(HttpConfig(port=0, header_timeout=0.5), send_buffer=4096) as url:
        peer = small_window_peer(url)
        peer.sendall(tools_list(url))
        received = b""
        started = time.monotonic()
        while not answer_complete(received):
            time.sleep(0.05)  # about 20 KB a second
            chunk = peer.recv(1024)
            if not chunk:
                break
            received += chunk
        took = time.monotonic() - started
        peer.close()
    assert answer_complete(received), f"cut off after {len(received)} bytes and {took:.1f} s"
    assert received.startswith(b"HTTP/1.1 200 ")
    assert took > 1.0, "the answer went out faster than the header timeout: the test shows nothing"


def read_until_closed(peer: socket.socket, within: float) -> tuple[bytes, bool]:
    """Everything `peer` receives, and whether the server closed the connection within `within` seconds."""
    received = b""
    peer.settimeout(within)
    try:
        while chunk := peer.recv(65536):
            received += chunk
    except ConnectionResetError:
        return received, True
    except TimeoutError:
        return received, False  # still open
    return received, True


def test_a_peer_reading_a_streamed_answer_steadily_gets_all_of_it() -> None:
    # An answer in many pieces, made faster than the peer reads it: the buffer rises and falls as the peer reads,
    # and what counts is that bytes go out, not how many wait.
    import uvicorn

    from sigma_mcp.transports.peers import guarded_protocol

    chunk, chunks = 4096, 60

    async def streaming(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for _ in range(chunks):
            await send({"type": "http.response.body", "body": b"x" * chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    config = uvicorn.Config(streaming, http=guarded_protocol(100, 0.5), log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        peer = small_window_peer(f"http://127.0.0.1:{sock.getsockname()[1]}/")
        peer.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = 0
        started = time.monotonic()
        while received < chunk * chunks:
            piece = peer.recv(1024)
            if not piece:
                break
            received += len(piece)
            time.sleep(len(piece) / 120_000)  # about 120 KB a second: the answer takes some 2 s
        took = time.monotonic() - started
        peer.close()
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
    assert received >= chunk * chunks, f"cut off after {received} bytes and {took:.1f} s"
    assert took > 1.0, "the answer went out faster than the header timeout: the test shows nothing"


@pytest.mark.parametrize("requests", [1, 6], ids=["one-answer", "six-pipelined"])
def test_a_peer_that_stops_reading_its_answer_is_cut_off(requests: int) -> None:
    # Six pipelined requests: the answers block in the server while the peer reads nothing, a request in progress.
    with serving(HttpConfig(port=0, header_timeout=0.5), send_buffer=4096) as url:
        peer = small_window_peer(url)
        peer.sendall(tools_list(url) * requests)
        time.sleep(4)  # reads nothing: a header timeout with no progress, and the server closes it
        received, closed = read_until_closed(peer, 2)
        peer.close()
    assert closed, "a peer that stopped reading kept its connection"
    assert received.count(b"HTTP/1.1 200 ") < requests or not answer_complete(received)


def test_at_the_connection_limit_the_peer_waiting_longest_makes_room() -> None:
    with serving(HttpConfig(port=0, max_connections=5, header_timeout=60)) as url:
        idle = [connect(url) for _ in range(5)]
        time.sleep(0.3)
        health = httpx.get(url.removesuffix("/mcp") + "/healthz", timeout=10)
        evicted = [closed_by_server(peer, 2) for peer in idle[:1]]
        for peer in idle:
            peer.close()
    assert health.status_code == 200, "a real request gets in although the limit was reached by idle peers"
    assert evicted == [True], "the oldest idle peer was closed to make room"


def test_a_burst_past_the_connection_limit_is_brought_back_to_it() -> None:
    # Twenty connections at once reach the server in one pass of its event loop; every one past the limit must
    # close one that waits, not the same one again and again.
    with serving(HttpConfig(port=0, max_connections=5, header_timeout=60)) as url:
        burst = [connect(url) for _ in range(20)]
        for peer in burst:
            peer.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers begun, never finished
        closed = sum(closed_by_server(peer, 3) for peer in burst[:15])
        health = httpx.get(url.removesuffix("/mcp") + "/healthz", timeout=10)
        for peer in burst:
            peer.close()
    assert closed == 15, f"{closed} of the 15 oldest connections were closed to bring 20 back to the limit of 5"
    assert health.status_code == 200


# --- Shutdown -------------------------------------------------------------------------------------------


async def test_sigterm_mid_call_answers_a_json_rpc_error_and_exits(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    def handler(seen: Seen) -> Reply:
        return Reply.json(documented_example, delay=60)

    api.handler = handler
    env = {"SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_TIMEOUT": "60"}
    with command_server(env=env) as server:
        call = asyncio.create_task(
            post(server.url, tool_call(7, "get_batch_run", ARGS), **{"X-SigmaMind-Api-Key": USER_KEY})
        )
        await wait_for(lambda: bool(api.requests), "the call reaches upstream")
        server.process.send_signal(signal.SIGTERM)
        answer = await call
        exited = await asyncio.to_thread(server.process.wait, 15)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["id"] == 7
    assert body["error"]["code"] == -32000
    assert body["error"]["message"].startswith("sigma-mcp is shutting down and stopped this call")
    assert exited == -signal.SIGTERM  # uvicorn exits by the signal it was stopped with, once it has shut down
    assert len(api.abandoned) == 1, "the stopped call's upstream request was abandoned"


# --- Logs -----------------------------------------------------------------------------------------------


async def test_no_credential_a_request_carries_reaches_any_log_line(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    api.add_batch_run(documented_example)
    env = {"SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_LOG_LEVEL": "DEBUG"}
    with command_server(env=env) as server:
        async with httpx.AsyncClient() as http:
            message = tool_call(1, "get_batch_run", ARGS)
            keyed = {**MCP_HEADERS, "X-SigmaMind-Api-Key": USER_KEY}
            # The request's key again in the query string, in the path, and in a header the server does not read.
            in_query = await http.post(f"{server.url}?k={USER_KEY}&api_key={OTHER_KEY}", json=message, headers=keyed)
            in_header = await http.post(server.url, json=message, headers={**keyed, "X-Api-Key": OTHER_KEY})
            in_path = await http.post(f"{server.base}/mcp/{USER_KEY}", json=message, headers=keyed)
            # Secrets no header names: in a query string, and in a path, alone.
            lone_query = await http.post(f"{server.url}?token={LONE_KEY}", json=INITIALIZE, headers=MCP_HEADERS)
            lone_path = await http.get(f"{server.base}/{PATH_KEY}")
            oauth = await http.get(f"{server.base}/.well-known/oauth-protected-resource/{PATH_KEY}")
    assert in_query.json()["result"]["isError"] is False
    assert in_header.json()["result"]["isError"] is False
    assert in_path.status_code == lone_path.status_code == oauth.status_code == 404
    assert lone_query.status_code == 200
    log = server.stderr()
    for secret in (USER_KEY, OTHER_KEY, LONE_KEY, PATH_KEY):
        assert secret not in log
        assert secret[:8] not in log
        assert secret[-10:] not in log
    access = [line.split(" sigma_mcp.http: ", 1)[1] for line in log.splitlines() if " sigma_mcp.http: " in line]
    print("\n".join(access))  # the closing note quotes these lines
    assert [line.split(" -> ")[0] for line in access] == [
        "127.0.0.1 POST /mcp?(query)",
        "127.0.0.1 POST /mcp",
        "127.0.0.1 POST (other path)",
        "127.0.0.1 POST /mcp?(query)",
        "127.0.0.1 GET (other path)",
        "127.0.0.1 GET (OAuth path)",
    ]


# --- Connections other than HTTP ------------------------------------------------------------------------


async def test_connections_other_than_http_are_refused() -> None:
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["type"])

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    gate = Gate(app, None)
    await gate({"type": "websocket", "path": "/mcp", "headers": []}, receive, send)
    with pytest.raises(RuntimeError, match="serves HTTP only"):
        await gate({"type": "webtransport", "path": "/mcp", "headers": []}, receive, send)
    await gate({"type": "lifespan"}, receive, send)
    assert reached == ["lifespan"]
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_out_of_descriptor_complaints_become_one_line_per_interval() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.Logger("asyncio-under-test")
    logger.addHandler(Keep())
    logger.addFilter(AcceptErrors())
    try:
        raise OSError(24, "Too many open files")
    except OSError:
        for _ in range(5000):
            logger.error("socket.accept() out of system resource\nsocket: <socket fd=3>", exc_info=True)
    logger.error("something else entirely")
    assert len(records) == 2
    assert records[0].getMessage().startswith("socket.accept() out of system resource: out of file descriptors")
    assert "(1 time in the last 10 s" in records[0].getMessage()
    assert records[0].exc_info is None
    assert records[1].getMessage() == "something else entirely"

"""`sigma-mcp --transport http`: streamable HTTP at /mcp, stateless, behind a bearer token and DNS-rebinding
protection, with each request's own SigmaMind key when the server has none. Every test runs the real
command on a loopback port and talks to it over real HTTP."""

from __future__ import annotations

import asyncio
import hmac
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from sigma_mcp.safety.keys import REQUEST_KEY_HEADER
from sigma_mcp.transports.gate import Gate
from sigma_mcp.transports.http import HttpConfig, transport_security
from tests.conftest import API_KEY
from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind, Reply, Seen
from tests.http_driver import http_server, run_http
from tests.test_server import AGENT, ARGS, BATCH, TOOL_NAMES, text_of

pytestmark = pytest.mark.anyio

TOKEN = "tok_Zq8wN3vR6yT1mK4pX7cB2dF5gH9jL0sA"
USER_KEY = "sk_user_4Rt7Yp2Wq9Lm5Nv8Xc3Bz6Df1Gh0Jk"
OTHER_USER_KEY = "sk_user_8Hj3Kl6Mn9Pq2Rs5Tv8Wx1Yz4Ab7Cd"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@asynccontextmanager
async def mcp_client(url: str, mode: str = "legacy", **headers: str) -> AsyncIterator[Client]:
    http = create_mcp_http_client(headers=headers)
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:  # type: ignore[arg-type]
        yield client


def tool_call(request_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


async def post(url: str, message: dict[str, Any], **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            url, json=message, headers={**MCP_HEADERS, "MCP-Protocol-Version": "2025-11-25", **headers}
        )


# --- Serving --------------------------------------------------------------------------------------------


async def test_demo_over_http_in_both_connection_modes(mode: str) -> None:
    with http_server("--demo", env={}) as server:
        async with mcp_client(server.url, mode) as client:
            assert [tool.name for tool in (await client.list_tools()).tools] == TOOL_NAMES
            result = await client.call_tool("list_batch_runs", {"agentId": AGENT})
        assert result.is_error is False
        assert result.structured_content is not None
        assert result.structured_content["source"] == "demo"
        assert result.structured_content["totalCount"] == len(result.structured_content["batchRuns"]) > 0
        assert server.stdout() == ""  # protocol and logs never on stdout


async def test_stateless_every_request_stands_alone(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    with http_server(env={"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": api.url}) as server:
        initialized = await post(server.url, INITIALIZE)
        assert initialized.status_code == 200
        assert "mcp-session-id" not in initialized.headers  # no session to pin a client to one instance
        assert initialized.headers["content-type"].startswith("application/json")
        # A call with no initialize before it, on a fresh connection: answered all the same.
        answered = await post(server.url, tool_call(7, "get_batch_run", ARGS))
    assert answered.status_code == 200
    result = answered.json()["result"]
    assert result["isError"] is False
    assert result["structuredContent"]["totalAttempts"] == 5
    assert result["structuredContent"]["successfulAttempts"] == 4
    assert api.requests[-1].headers["x-api-key"] == API_KEY


async def test_no_event_stream_to_open_on_a_stateless_server() -> None:
    with http_server("--demo", env={"SIGMA_MCP_AUTH_TOKEN": TOKEN}) as server:
        async with httpx.AsyncClient(timeout=10) as http:
            stream = await http.get(
                server.url, headers={"Accept": "text/event-stream", "Authorization": f"Bearer {TOKEN}"}
            )
            anonymous = await http.get(server.url, headers={"Accept": "text/event-stream"})
        # A real client carries on without the stream it asked for.
        async with mcp_client(server.url, "auto", Authorization=f"Bearer {TOKEN}") as client:
            listed = await client.list_tools()
    assert stream.status_code == 405
    assert stream.headers["allow"] == "POST"
    assert "stateless" in stream.json()["message"]
    assert anonymous.status_code == 401
    assert [tool.name for tool in listed.tools] == TOOL_NAMES


async def test_health_endpoint_needs_no_token() -> None:
    with http_server("--demo", env={"SIGMA_MCP_AUTH_TOKEN": TOKEN}) as server:
        async with httpx.AsyncClient() as http:
            health = await http.get(f"{server.base}/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}


async def test_each_tool_call_logs_one_info_line_without_the_key(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    api.add_batch_run(documented_example)
    env = {"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_LOG_LEVEL": "INFO"}
    with http_server(env=env) as server:
        await post(server.url, tool_call(1, "get_batch_run", ARGS))
        await post(server.url, tool_call(2, "get_batch_run", {**ARGS, "batchId": "batch_missing"}))
    lines = [line for line in server.stderr().splitlines() if "sigma_mcp.tools: tool " in line]
    assert len(lines) == 2
    assert f"INFO sigma_mcp.tools: tool get_batch_run batchId='{BATCH}' agentId='{AGENT}' -> ok in " in lines[0]
    assert "batchId='batch_missing'" in lines[1]
    assert "-> UpstreamNotFound in " in lines[1]
    assert lines[1].endswith(" ms")
    others = [line for line in server.stderr().splitlines() if " INFO " in line and line not in lines]
    access = [line for line in others if " INFO sigma_mcp.http: 127.0.0.1 POST /mcp -> 200 in " in line]
    assert len(access) == 2, "one access line per request"
    assert all(" uvicorn." in line for line in others if line not in access), "besides those, the HTTP server's own"
    assert API_KEY not in server.stderr()
    assert API_KEY[:8] not in server.stderr()


# --- The bearer token -----------------------------------------------------------------------------------


async def test_token_required_on_every_request() -> None:
    with http_server("--demo", env={"SIGMA_MCP_AUTH_TOKEN": TOKEN}) as server:
        missing = await post(server.url, INITIALIZE)
        wrong = await post(server.url, INITIALIZE, Authorization="Bearer " + TOKEN[:-1] + "x")
        other_scheme = await post(server.url, INITIALIZE, Authorization="Basic " + TOKEN)
        right = await post(server.url, INITIALIZE, Authorization="Bearer " + TOKEN)
        lower_scheme = await post(
            server.url, tool_call(2, "list_batch_runs", {"agentId": AGENT}), Authorization="bearer " + TOKEN
        )
        async with mcp_client(server.url, Authorization=f"Bearer {TOKEN}") as client:
            listed = await client.list_tools()
    assert missing.status_code == wrong.status_code == other_scheme.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="sigma-mcp"'
    assert wrong.headers["www-authenticate"] == 'Bearer realm="sigma-mcp", error="invalid_token"'
    assert "SIGMA_MCP_AUTH_TOKEN" in missing.json()["message"]
    assert TOKEN not in wrong.text
    assert TOKEN[:-1] not in wrong.text
    assert right.status_code == 200
    assert right.json()["result"]["serverInfo"]["name"] == "sigma-mcp"
    assert lower_scheme.status_code == 200
    assert lower_scheme.json()["result"]["isError"] is False
    assert [tool.name for tool in listed.tools] == TOOL_NAMES
    assert TOKEN not in server.stderr()


async def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return constant_time(given, expected)

    monkeypatch.setattr("sigma_mcp.transports.gate.hmac.compare_digest", spy)
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    gate = Gate(app, TOKEN)
    for token in ("nope", TOKEN):
        messages = iter([{"type": "http.request", "body": b"{}", "more_body": False}])

        async def receive(messages: Any = messages) -> dict[str, Any]:
            return next(messages, {"type": "http.disconnect"})

        scope = {
            "type": "http",
            "path": "/mcp",
            "method": "POST",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
        }
        await gate(scope, receive, send)
    assert compared == [(b"nope", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]
    assert reached == ["/mcp"]
    assert sent[0]["status"] == 401


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("0.0.0.0", "all interfaces (0.0.0.0)"),
        ("0", "all interfaces (0.0.0.0)"),
        ("::", "all interfaces (::)"),
        ("[::]", "all interfaces (::)"),
        ("192.0.2.10", "192.0.2.10"),
        ("mcp.example.com", "mcp.example.com"),
    ],
)
def test_listening_beyond_loopback_needs_a_token(host: str, shown: str) -> None:
    completed = run_http("--demo", "--host", host, "--port", "0", env={})
    assert completed.returncode == 2
    refusal = f"sigma-mcp: error: Refusing to listen on {shown} without SIGMA_MCP_AUTH_TOKEN: anyone who can reach"
    assert completed.stderr.startswith(refusal), completed.stderr
    assert "serving MCP" not in completed.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIGMA_MCP_AUTH_TOKEN": "short"}, "only 5 characters long"),
        ({"SIGMA_MCP_AUTH_TOKEN": "has space inside the token"}, "spaces or non-ASCII"),
        ({"SIGMA_MCP_ALLOWED_HOSTS": "https://mcp.example.com/"}, "is not a host name"),
    ],
)
def test_bad_http_settings_are_refused_at_start(env: dict[str, str], message: str) -> None:
    completed = run_http("--demo", "--port", "0", env=env)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "serving MCP" not in completed.stderr
    if "SIGMA_MCP_AUTH_TOKEN" in env:
        assert env["SIGMA_MCP_AUTH_TOKEN"] not in completed.stderr


def test_a_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = run_http("--demo", "--port", str(port), env={})
    assert completed.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}" in completed.stderr


def test_host_and_port_need_the_http_transport() -> None:
    from tests.test_cli import run_cli

    completed = run_cli("--port", "8000", env={})
    assert completed.returncode == 2
    assert "--host and --port need --transport http" in completed.stderr


@pytest.mark.parametrize(
    ("host", "loopback"), [("0.0.0.0", "127.0.0.1"), ("0", "127.0.0.1"), ("::", "[::1]"), ("[::]", "[::1]")]
)
async def test_all_interfaces_with_a_token(host: str, loopback: str) -> None:
    with http_server("--demo", "--host", host, env={"SIGMA_MCP_AUTH_TOKEN": TOKEN}) as server:
        # The printed URL is one that works from this machine, whatever spelling the address was given in.
        assert server.url.startswith(f"http://{loopback}:")
        answered = await post(server.url, INITIALIZE, Authorization=f"Bearer {TOKEN}")
        refused = await post(server.url, INITIALIZE)
    assert answered.status_code == 200
    assert refused.status_code == 401
    warning = "Listening on all interfaces: requests whose Host header is not a loopback name are refused"
    assert warning in server.stderr()  # the same warning for every spelling
    assert "Serving plain HTTP beyond this machine" in server.stderr()  # and the one about TLS
    assert "listening on all interfaces (" in server.stderr()
    assert TOKEN not in server.stderr()


# --- DNS-rebinding protection ---------------------------------------------------------------------------


async def test_dns_rebinding_protection() -> None:
    env = {"SIGMA_MCP_ALLOWED_HOSTS": "MCP.Example.com"}
    with http_server("--demo", env=env) as server:
        port = server.url.rsplit(":", 1)[1].removesuffix("/mcp")
        rebound_host = await post(server.url, INITIALIZE, Host=f"attacker.example:{port}")
        rebound_origin = await post(server.url, INITIALIZE, Origin="http://attacker.example")
        local_origin = await post(server.url, INITIALIZE, Origin=f"http://localhost:{port}")
        allowed_name = await post(server.url, INITIALIZE, Host="mcp.example.com")
        allowed_origin = await post(server.url, INITIALIZE, Host="mcp.example.com", Origin="https://mcp.example.com")
        # Host names are case-insensitive, in the setting and in the request alike.
        shouted = await post(server.url, INITIALIZE, Host="MCP.EXAMPLE.COM", Origin="HTTPS://Mcp.Example.Com")
        rebound_shouted = await post(server.url, INITIALIZE, Host=f"ATTACKER.example:{port}")
    assert rebound_host.status_code == rebound_shouted.status_code == 421
    assert rebound_origin.status_code == 403
    assert local_origin.status_code == allowed_name.status_code == allowed_origin.status_code == 200
    assert shouted.status_code == 200


def test_allowed_hosts_and_origins() -> None:
    config = HttpConfig.from_env(
        "0.0.0.0", 8000, {"SIGMA_MCP_AUTH_TOKEN": TOKEN, "SIGMA_MCP_ALLOWED_HOSTS": "a.example, b.example:8443"}
    )
    security = transport_security(config)
    assert security.enable_dns_rebinding_protection is True
    assert "0.0.0.0" not in " ".join(security.allowed_hosts)
    assert {"127.0.0.1:*", "localhost:*", "[::1]:*", "a.example", "a.example:*", "b.example:8443"} <= set(
        security.allowed_hosts
    )
    assert "b.example" not in security.allowed_hosts
    assert {"https://a.example", "http://a.example:*", "https://b.example:8443"} <= set(security.allowed_origins)
    bound = transport_security(HttpConfig.from_env("10.1.2.3", 8000, {"SIGMA_MCP_AUTH_TOKEN": TOKEN}))
    assert "10.1.2.3:*" in bound.allowed_hosts


# --- Each user's own key --------------------------------------------------------------------------------


def echoing(api: FakeSigmaMind, body: dict[str, Any]) -> None:
    """The fake API answers every batch run request with `body`, its remarks echoing the key it was sent."""

    def handler(seen: Seen) -> Reply:
        echoed = json.loads(json.dumps(body))
        echoed["testCases"][0]["label"] = f"key seen: {seen.headers.get('x-api-key')}"
        return Reply.json(echoed)

    api.handler = handler


async def test_a_request_brings_its_own_key_when_the_server_has_none(api: FakeSigmaMind) -> None:
    echoing(api, make_batch_run(2, batch_id=BATCH))
    env = {"SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_LOG_LEVEL": "DEBUG"}
    with http_server(env=env) as server:
        first = await post(server.url, tool_call(1, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: USER_KEY})
        async with mcp_client(server.url, "auto", **{REQUEST_KEY_HEADER: OTHER_USER_KEY}) as client:
            second = await client.call_tool("get_batch_run", ARGS)
        without = await post(server.url, tool_call(3, "get_batch_run", ARGS))
        too_short = await post(server.url, tool_call(4, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: "abc"})
        quoted = await post(
            server.url, tool_call(5, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: f'"{OTHER_USER_KEY}"'}
        )
    # Each request's key went upstream with that request only.
    assert [seen.headers.get("x-api-key") for seen in api.batch_run_requests()] == [USER_KEY, OTHER_USER_KEY]
    first_result = first.json()["result"]
    assert first_result["isError"] is False
    assert second.is_error is False
    # Echoed back by the API, each key is masked in what its own request returns.
    assert USER_KEY not in first.text
    assert "key seen: [REDACTED]" in first.text
    assert OTHER_USER_KEY not in text_of(second)
    assert "key seen: [REDACTED]" in text_of(second)
    assert OTHER_USER_KEY not in json.dumps(second.structured_content)
    missing = without.json()["result"]
    assert missing["isError"] is True
    assert REQUEST_KEY_HEADER in missing["content"][0]["text"]
    assert "only 3 characters" not in too_short.text
    assert "holds 3 characters" in too_short.text
    # Quoted, it is refused before any request (the API could echo it without its quotes, unmasked).
    assert quoted.json()["result"]["isError"] is True
    assert "starts or ends with a quote mark" in quoted.text
    assert OTHER_USER_KEY not in quoted.text
    # Never logged, not even at DEBUG.
    logs = server.stderr()
    assert "DEBUG" in logs
    for key in (USER_KEY, OTHER_USER_KEY):
        assert key not in logs
        assert key[:8] not in logs


async def test_a_rejected_request_key_is_named_as_such(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: Reply.json({"error": "Unauthorized", "message": "bad key", "status": 401}, status=401)
    with http_server(env={"SIGMAMIND_BASE_URL": api.url}) as server:
        answered = await post(server.url, tool_call(1, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: USER_KEY})
    text = answered.json()["result"]["content"][0]["text"]
    assert "SigmaMind rejected the API key sent in X-SigmaMind-Api-Key (HTTP 401" in text
    assert "SIGMAMIND_API_KEY" not in text


async def test_the_servers_own_key_wins_over_a_request_key(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    api.add_batch_run(documented_example)
    with http_server(env={"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": api.url}) as server:
        answered = await post(server.url, tool_call(1, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: USER_KEY})
    assert answered.json()["result"]["isError"] is False
    assert {seen.headers["x-api-key"] for seen in api.requests} == {API_KEY}


async def test_no_cookie_rides_from_one_users_request_to_anothers(api: FakeSigmaMind) -> None:
    def handler(seen: Seen) -> Reply:
        owner = seen.headers["x-api-key"][-4:]
        return Reply.json(make_batch_run(1, batch_id=BATCH), headers={"Set-Cookie": f"session=user-of-{owner}; Path=/"})

    api.handler = handler
    alice, bob = "sk_alice_abcdefghijklmnopAAAA", "sk_bob_abcdefghijklmnopqrBBBB"
    with http_server(env={"SIGMAMIND_BASE_URL": api.url, "SIGMA_MCP_CACHE_MB": "0"}) as server:
        for key in (alice, bob, alice):
            answer = await post(server.url, tool_call(1, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: key})
            assert answer.json()["result"]["isError"] is False
    assert [seen.headers["x-api-key"] for seen in api.batch_run_requests()] == [alice, bob, alice]
    assert {seen.headers.get("cookie") for seen in api.requests} == {None}


async def test_concurrent_requests_keep_their_own_keys(api: FakeSigmaMind) -> None:
    def handler(seen: Seen) -> Reply:
        body = make_batch_run(1, batch_id=BATCH)
        body["testCases"][0]["label"] = f"for {seen.headers.get('x-api-key')}"
        return Reply.json(body, delay=0.05)

    api.handler = handler
    keys = [f"sk_user_{number:02d}_abcdefghijklmnopqrstuv" for number in range(12)]
    with http_server(env={"SIGMAMIND_BASE_URL": api.url}) as server:
        answers = await asyncio.gather(
            *(
                post(server.url, tool_call(n, "get_batch_run", ARGS), **{REQUEST_KEY_HEADER: key})
                for n, key in enumerate(keys)
            )
        )
    assert sorted(seen.headers["x-api-key"] for seen in api.batch_run_requests()) == sorted(keys)
    for answer in answers:
        text = answer.json()["result"]["content"][0]["text"]
        assert "for [REDACTED]" in text
        assert not any(key in text for key in keys)

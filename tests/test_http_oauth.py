"""sigma-mcp over HTTP takes a static bearer token and no OAuth: the places an MCP client looks for an OAuth
authorization server answer 404 (token or not), and the 401 of /mcp points at none, so that a client without
the right token is told so instead of starting a sign-in (Dynamic Client Registration, a browser window) that
cannot succeed. Every test runs the real command on a loopback port and talks to it over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from sigma_mcp.transports.gate import is_oauth_path
from tests.http_driver import RunningServer, http_server
from tests.test_http import INITIALIZE, TOKEN, post

pytestmark = pytest.mark.anyio

DISCOVERY = [
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/mcp",
    "/.well-known/openid-configuration",
    "/.well-known/openid-configuration/mcp",
    "/mcp/.well-known/openid-configuration",
    "/mcp/.well-known/oauth-protected-resource",
    "/register",
    "/authorize",
    "/token",
]
"""Where MCP clients (the Python and TypeScript SDKs, Claude Code, mcp-remote) look, in the order they do."""

WRONG_TOKEN = TOKEN[:-1] + "x"


def assert_no_oauth(answer: httpx.Response, what: str) -> None:
    assert answer.status_code == 404, what
    assert answer.headers["content-type"] == "application/json", what
    assert "www-authenticate" not in answer.headers, what
    body = answer.json()
    assert body["error"] == "not_found", what
    assert "does not use OAuth" in body["error_description"], what
    assert "Authorization: Bearer <SIGMA_MCP_AUTH_TOKEN>" in body["error_description"], what


def assert_no_token_in(server: RunningServer, *answers: httpx.Response) -> None:
    for answer in answers:
        seen = answer.text + "".join(f"{name}: {value}\n" for name, value in answer.headers.items())
        assert TOKEN not in seen
        assert WRONG_TOKEN not in seen
        assert TOKEN[:12] not in seen
    assert TOKEN not in server.stderr()
    assert TOKEN not in server.stdout()


async def test_oauth_discovery_answers_404_with_or_without_a_token() -> None:
    answers: list[httpx.Response] = []
    with http_server("--demo", env={"SIGMA_MCP_AUTH_TOKEN": TOKEN}) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            for path in DISCOVERY:
                for label, headers in (
                    ("no token", {}),
                    ("wrong token", {"Authorization": f"Bearer {WRONG_TOKEN}"}),
                    ("right token", {"Authorization": f"Bearer {TOKEN}"}),
                ):
                    got = await http.get(path, headers=headers)
                    assert_no_oauth(got, f"GET {path} ({label})")
                    answers.append(got)
            # Dynamic Client Registration is a POST.
            registration = await http.post("/register", json={"client_name": "Claude Code", "redirect_uris": []})
            assert_no_oauth(registration, "POST /register")
            answers.append(registration)
    assert_no_token_in(server, *answers)


async def test_oauth_discovery_answers_404_on_a_server_without_a_token() -> None:
    with http_server("--demo", env={}) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            answers = [await http.get(path) for path in DISCOVERY]
    for path, answer in zip(DISCOVERY, answers, strict=True):
        assert_no_oauth(answer, path)


async def test_mcp_still_answers_401_with_a_plain_bearer_challenge() -> None:
    with http_server("--demo", env={"SIGMA_MCP_AUTH_TOKEN": TOKEN}) as server:
        missing = await post(server.url, INITIALIZE)
        wrong = await post(server.url, INITIALIZE, Authorization=f"Bearer {WRONG_TOKEN}")
        right = await post(server.url, INITIALIZE, Authorization=f"Bearer {TOKEN}")
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            elsewhere = await http.get("/somewhere-else")
            health = await http.get("/healthz")
    assert missing.status_code == wrong.status_code == 401
    # A resource_metadata parameter (RFC 9728) would send clients looking for an authorization server.
    assert missing.headers["www-authenticate"] == 'Bearer realm="sigma-mcp"'
    assert wrong.headers["www-authenticate"] == 'Bearer realm="sigma-mcp", error="invalid_token"'
    for answer in (missing, wrong):
        assert "resource_metadata" not in answer.headers["www-authenticate"]
        assert "SIGMA_MCP_AUTH_TOKEN" in answer.json()["message"]
    assert right.status_code == 200
    assert right.json()["result"]["serverInfo"]["name"] == "sigma-mcp"
    # Paths that have nothing to do with OAuth still need the token.
    assert elsewhere.status_code == 401
    assert health.status_code == 200
    assert_no_token_in(server, missing, wrong, right, elsewhere, health)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        *((path, True) for path in DISCOVERY),
        ("/.well-known/oauth-protected-resource/", True),
        ("//register", True),
        ("/.well-known//oauth-protected-resource", True),
        ("/.well-known/oauth-authorization-server/some/deeper/path", True),
        ("/mcp", False),
        ("/healthz", False),
        ("/", False),
        ("", False),
        ("/.well-known", False),
        ("/.well-known/mcp", False),
        ("/registered", False),
        ("/mcp/register", False),
        ("/oauth-protected-resource", False),
        ("/.well-known/oauth-protected-resources", False),
    ],
)
def test_which_paths_are_oauth(path: str, expected: bool) -> None:
    assert is_oauth_path(path) is expected

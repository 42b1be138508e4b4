"""`sigma-mcp check`: OK and FAIL lines that tell apart what can go wrong, an exit status to match, and the
key never printed. Each case runs the real command against a real loopback server."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from sigma_mcp.safety.keys import PLACEHOLDER_KEY
from tests.conftest import API_KEY, env_for
from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind, Reply, api_error
from tests.test_cli import run_cli
from tests.test_server import AGENT

DATA = Path(__file__).resolve().parent / "data"


def lines_of(output: str) -> list[str]:
    return output.splitlines()


def assert_key_never_shown(output: str) -> None:
    assert API_KEY not in output
    assert API_KEY[:8] not in output


def test_all_good_with_an_agent(api: FakeSigmaMind) -> None:
    newest = make_batch_run(3, batch_id="batch_newest01")
    newest["createdDate"] = "2026-11-27T09:00:00Z"
    api.pages[AGENT] = {"data": [newest], "page": 0, "size": 1, "totalCount": 14, "totalPages": 14}
    completed = run_cli("check", "--agent", AGENT, env=env_for(api))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    output = lines_of(completed.stdout)
    assert output[0] == f"OK    SIGMAMIND_API_KEY is set ({len(API_KEY)} characters, ending …{API_KEY[-4:]})."
    assert output[1] == f"OK    SIGMAMIND_BASE_URL is {api.url}."
    assert output[2].startswith(f"OK    SigmaMind answered at {api.url} in ")
    assert output[3] == "OK    The API key was accepted."
    rate = newest["successfulAttempts"] / (newest["successfulAttempts"] + newest["failedAttempts"])
    assert output[4] == (
        f"OK    Agent {AGENT}: 14 batch runs; the newest is batch_newest01 from 2026-11-27T09:00:00Z "
        f"({newest['totalAttempts']} attempts, {rate:.1%} successful)."
    )
    assert output[5] == "All checks passed."
    assert len(output) == 6
    # One harmless read, with the key.
    assert [(seen.method, seen.path, seen.query) for seen in api.requests] == [
        ("GET", "/v1/batch-runs", {"agentId": [AGENT], "page": ["0"], "size": ["1"]})
    ]
    assert api.requests[0].headers["x-api-key"] == API_KEY
    assert_key_never_shown(completed.stdout + completed.stderr)


def test_without_an_agent_a_made_up_id_checks_the_key(api: FakeSigmaMind) -> None:
    # The fake API answers 404 for an agent it does not know: past the key, so the key was accepted.
    completed = run_cli("check", env=env_for(api))
    assert completed.returncode == 0, completed.stdout
    assert "OK    The API key was accepted (SigmaMind answered HTTP 404 for a made-up agent id, not 401)" in (
        completed.stdout
    )
    assert api.requests[0].query["agentId"] == ["sigma-mcp-check"]
    assert completed.stdout.endswith("All checks passed.\n")


@pytest.mark.parametrize(
    ("reply", "agent", "expected"),
    [
        (api_error(401, "Unauthorized", "Invalid API key"), None, "FAIL  Key rejected: SigmaMind rejected the API key"),
        (
            api_error(403, "Forbidden", "Access denied"),
            AGENT,
            "FAIL  No access: The API key has no access to the batch",
        ),
        (
            api_error(403, "Forbidden", "Access denied"),
            None,
            "FAIL  No access: SigmaMind refused the key for a made-up",
        ),
        (api_error(404, "Not Found", "No such agent"), AGENT, "FAIL  SigmaMind has no batch runs of agent"),
        (Reply(status=200, body=b"<html>login</html>"), AGENT, "FAIL  SigmaMind answered the request for the batch"),
        (api_error(500, "Internal Server Error", "boom"), AGENT, "FAIL  SigmaMind failed to answer"),
        # Something other than SigmaMind's API at the base URL: a web server's 404 page, an empty 400, JSON of
        # another shape.
        (
            Reply(status=404, body=b"<html><title>Error 404</title></html>", headers={"Content-Type": "text/html"}),
            None,
            "FAIL  Not SigmaMind's answer: HTTP 404 without the JSON error SigmaMind sends. Check that "
            "SIGMAMIND_BASE_URL is SigmaMind's API",
        ),
        (Reply(status=400), None, "FAIL  Not SigmaMind's answer: HTTP 400 without the JSON error"),
        (
            Reply.json({"status": "ok", "version": "1.2"}),
            None,
            "FAIL  Not SigmaMind's answer: a JSON object without the 'data' list",
        ),
    ],
)
def test_failures_are_told_apart(api: FakeSigmaMind, reply: Reply, agent: str | None, expected: str) -> None:
    api.handler = lambda seen: reply
    completed = run_cli("check", *(["--agent", agent] if agent else []), env=env_for(api, SIGMAMIND_TIMEOUT="5"))
    assert completed.returncode == 1
    assert expected in completed.stdout
    assert completed.stdout.endswith("1 check failed.\n")
    assert_key_never_shown(completed.stdout + completed.stderr)


def test_unreachable_host() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket closes
    env = {"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": f"http://127.0.0.1:{port}", "SIGMAMIND_TIMEOUT": "5"}
    completed = run_cli("check", env=env)
    assert completed.returncode == 1
    assert f"FAIL  Host unreachable: Could not connect to SigmaMind at http://127.0.0.1:{port}" in completed.stdout


@contextmanager
def tls_server(certificate: bool) -> Iterator[int]:
    """A loopback port that speaks TLS with a self-signed certificate, or plain HTTP (`certificate` False)."""
    listener = socket.create_server(("127.0.0.1", 0))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(DATA / "self-signed.pem", DATA / "self-signed.key")

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection, suppress(OSError):
                if certificate:
                    context.wrap_socket(connection, server_side=True).recv(1)
                else:
                    connection.recv(4096)
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("certificate", "reason"),
    [(True, "certificate verify failed: self-signed certificate"), (False, "WRONG_VERSION_NUMBER")],
)
def test_tls_failure(certificate: bool, reason: str) -> None:
    with tls_server(certificate) as port:
        env = {
            "SIGMAMIND_API_KEY": API_KEY,
            "SIGMAMIND_BASE_URL": f"https://127.0.0.1:{port}",
            "SIGMAMIND_TIMEOUT": "5",
        }
        completed = run_cli("check", env=env)
    assert completed.returncode == 1
    assert (
        f"FAIL  TLS failure: The TLS connection to SigmaMind at https://127.0.0.1:{port} failed (" in completed.stdout
    )
    assert reason in completed.stdout
    assert "SSL_CERT_FILE" in completed.stdout
    assert "Tried" not in completed.stdout  # not retried: it would fail the same way


def test_timeout(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: Reply.json({}, delay=3)
    completed = run_cli("check", env=env_for(api, SIGMAMIND_TIMEOUT="0.5"))
    assert completed.returncode == 1
    assert "FAIL  Timed out: " in completed.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "FAIL  SIGMAMIND_API_KEY is not set."),
        ({"SIGMAMIND_API_KEY": PLACEHOLDER_KEY}, "FAIL  SIGMAMIND_API_KEY holds a placeholder from an example"),
        ({"SIGMAMIND_API_KEY": f'"{API_KEY}"'}, "FAIL  SIGMAMIND_API_KEY starts or ends with a quote mark"),
        ({"SIGMAMIND_API_KEY": f"'{API_KEY}"}, "FAIL  SIGMAMIND_API_KEY starts or ends with a quote mark"),
        ({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": "http://api.example.com"}, "plain http is only allowed"),
        (
            {"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_TIMEOUT": "soon"},
            "FAIL  SIGMAMIND_TIMEOUT='soon' is not a positive",
        ),
    ],
)
def test_configuration_problems_fail_before_any_request(api: FakeSigmaMind, env: dict[str, str], expected: str) -> None:
    completed = run_cli("check", env={"SIGMAMIND_BASE_URL": api.url, **env})
    assert completed.returncode == 1
    assert expected in completed.stdout
    assert "the request to SigmaMind is skipped" in completed.stdout
    assert api.requests == []
    assert_key_never_shown(completed.stdout + completed.stderr)


def test_a_short_key_shows_no_characters(api: FakeSigmaMind) -> None:
    completed = run_cli("check", env=env_for(api, SIGMAMIND_API_KEY="k3y_short_9"))
    assert "OK    SIGMAMIND_API_KEY is set (11 characters)." in completed.stdout
    assert "k3y_short_9"[-4:] not in completed.stdout


def test_demo() -> None:
    completed = run_cli("check", "--agent", AGENT, "--demo", env={})
    assert completed.returncode == 0, completed.stdout
    output = lines_of(completed.stdout)
    assert output[0] == "OK    Demo mode: built-in demo data, no key and no network needed."
    assert output[1].startswith(f"OK    Agent {AGENT}: 4 batch runs; the newest is batch_Hn8cV2bRt5YzQa1e from ")
    assert output[-1] == "All checks passed."

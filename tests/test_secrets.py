"""Every byte the server writes — stdout, stderr at DEBUG, every result — is scanned for the API key
while the API echoes it back in every way it could, across faults, hostile inputs and every tool,
prompt and resource. The key goes only to the configured base URL, and never through a redirect."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

from sigma_mcp.demo.data import DOCUMENTED_EXAMPLE
from tests.conftest import API_KEY, clean_env, env_for
from tests.factories import make_test_run
from tests.fake_api import FakeSigmaMind, Reply, Seen, api_error
from tests.stdio_driver import RawSession
from tests.test_hostile_input import HOSTILE
from tests.test_server import AGENT, ARGS, BATCH

KEY = API_KEY


def echoing_batch_run() -> bytes:
    body = json.loads(json.dumps(DOCUMENTED_EXAMPLE))
    body["agent"]["name"] = f"Agent {KEY}"
    body["createdDate"] = KEY
    case = body["testCases"][0]
    case.update(label=KEY * 3, userPrompt=f"Your key is {KEY}." * 200, successCriteria=KEY)
    case["mockData"].append({"variableName": KEY, "value": KEY})
    case["testRuns"] = [{"jobId": "job_1", "isSuccessful": False, "remarks": f"Leaked {KEY} " * 100}]
    body["unknown"] = {KEY: [KEY]}
    return json.dumps(body).encode()


def echoing_test_run() -> bytes:
    body = make_test_run("job_1", turns=30, remarks=("r" * 2_990) + KEY, chatId=KEY)
    for turn in body["conversation"]:
        turn["content"] = f"The key {KEY} again " * 50
    return json.dumps(body).encode()


# (what the scenario is, the reply, the tool and its arguments)
SCENARIOS: list[tuple[str, Callable[[], Reply], str, dict[str, Any]]] = [
    ("200 echoing everywhere", lambda: Reply(body=echoing_batch_run()), "get_batch_run", ARGS),
    ("attempt echoing everywhere", lambda: Reply(body=echoing_test_run()), "get_test_run", {"jobId": "job_1", **ARGS}),
    (
        "list echoing",
        lambda: Reply.json({"data": [json.loads(echoing_batch_run())], "page": 0}),
        "list_batch_runs",
        {"agentId": AGENT},
    ),
    (
        "compare echoing",
        lambda: Reply(body=echoing_batch_run()),
        "compare_batch_runs",
        {"agentId": AGENT, "baseBatchId": BATCH, "candidateBatchId": "batch_other"},
    ),
    *[
        (
            f"{status} echoing",
            lambda status=status: api_error(status, f"Err {KEY}", "x" * 280 + KEY),
            "get_batch_run",
            ARGS,
        )
        for status in (400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504)
    ],
    (
        "HTML echoing",
        lambda: Reply(status=502, body=f"<html><title>{KEY}</title></html>".encode()),
        "get_batch_run",
        ARGS,
    ),
    (
        "redirect echoing",
        lambda: Reply(status=302, headers={"Location": f"https://x.example/{'p' * 180}{KEY}"}),
        "get_batch_run",
        ARGS,
    ),
    ("invalid JSON echoing", lambda: Reply(body=f"{KEY} is not JSON".encode()), "get_batch_run", ARGS),
    ("array echoing", lambda: Reply.json([KEY, KEY]), "get_batch_run", ARGS),
    (
        "truncated echoing",
        lambda: Reply(body=f'{{"batchId": "{KEY}'.encode(), declared_length=10_000),
        "get_batch_run",
        ARGS,
    ),
    ("reset", lambda: Reply(reset=True), "get_batch_run", ARGS),
    ("slow headers", lambda: Reply(body=echoing_batch_run(), delay=2), "get_batch_run", ARGS),
    ("slow body", lambda: Reply(body=echoing_batch_run(), drip=0.05), "get_batch_run", ARGS),
    ("too large", lambda: Reply(body=b"{}", declared_length=60_000_000), "get_batch_run", ARGS),
    ("key as an id", lambda: Reply(body=echoing_batch_run()), "get_batch_run", {"batchId": KEY, "agentId": AGENT}),
]


def test_no_byte_the_server_writes_holds_the_key() -> None:
    redirect_target = FakeSigmaMind().start()
    api = FakeSigmaMind().start()
    current: list[Callable[[], Reply]] = []

    def handler(seen: Seen) -> Reply:
        return current[-1]()

    api.handler = handler
    results: list[dict[str, Any]] = []
    try:
        env = clean_env(**env_for(api, SIGMAMIND_LOG_LEVEL="DEBUG", SIGMAMIND_TIMEOUT="1"))
        with RawSession(env) as session:
            session.initialize()
            for _, reply, tool, arguments in SCENARIOS:
                current.append(reply)
                results.append(session.call_tool(tool, arguments))
            current.append(lambda: Reply(body=echoing_batch_run()))
            for _, tool, arguments, _ in HOSTILE:
                results.append(session.call_tool(tool, arguments))
            results.append(session.request("prompts/get", {"name": "triage_batch_run", "arguments": ARGS}))
            results.append(session.request("prompts/get", {"name": "triage_batch_run", "arguments": {"batchId": KEY}}))
            uri = f"sigmamind://agents/{AGENT}/batch-runs/{BATCH}"
            results.append(session.request("resources/read", {"uri": uri}))
            results.append(session.request("resources/read", {"uri": f"{uri}/test-runs/{KEY}"}))
            current.append(lambda: api_error(401, "Unauthorized", KEY))
            results.append(session.request("resources/read", {"uri": uri}))
            assert session.close() == 0
        written = bytes(session.stdout) + bytes(session.stderr)
    finally:
        api.stop()
        redirect_target.stop()

    assert len(results) >= len(SCENARIOS) + len(HOSTILE) + 5
    assert b" DEBUG " in session.stderr  # the logs were at their most talkative
    assert KEY.encode() not in written
    assert KEY[:8].encode() not in written
    assert KEY not in json.dumps(results)
    assert b"[REDACTED]" in session.stdout  # the echoes were there, and were redacted
    # The key went only to the configured API, on every request; nothing followed the redirect.
    assert api.requests
    assert all(seen.headers["x-api-key"] == KEY for seen in api.requests)
    assert redirect_target.requests == []


def test_connection_refused_logs_hold_no_key() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = clean_env(SIGMAMIND_API_KEY=KEY, SIGMAMIND_BASE_URL=url, SIGMAMIND_LOG_LEVEL="DEBUG")
    with RawSession(env) as session:
        session.initialize()
        result = session.call_tool("get_batch_run", ARGS)
        assert session.close() == 0
    assert result["isError"] is True
    assert KEY.encode() not in bytes(session.stdout) + bytes(session.stderr)

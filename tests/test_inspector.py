"""The official MCP Inspector CLI against `sigma-mcp --demo`, over stdio and over streamable HTTP.

The Inspector is pinned in tests/inspector (package.json and package-lock.json) and installed by
`npm ci --prefix tests/inspector`, which .ci/run does. Each call below is one `mcp-inspector --cli`
process with `--format json`: one JSON object on stdout, `{"result": ...}`, or an error envelope on stderr.

What the Inspector checks on its own: `tools/list --strict` lints every tool's input and output schema for
portability (bare boolean schemas, `type` arrays, remote `$ref`s, schemas that constrain nothing) and
reports what it finds in `schemaFindings` and on stderr; `tools/call` validates `structuredContent`
against the tool's `outputSchema` and fails the call when it does not fit.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

import sigma_mcp
from tests.conftest import DEMO_HTTP_TOKEN, clean_env, npm_package_problem, require_client, sigma_mcp_script
from tests.test_protocol_versions import (
    MODERN_VERSION,
    REGRESSION,
    REGRESSION_FACTS,
    REGRESSION_VERDICT,
)
from tests.test_server import TOOL_NAMES

INSPECTOR = Path(__file__).resolve().parent / "inspector"
PACKAGE = "@modelcontextprotocol/inspector"
EXIT_TOOL_ERROR = 5
EXIT_AUTH_REQUIRED = 3

SUPPORT_AGENT = REGRESSION["agentId"]
BASELINE = "batch_Mv6Tq1Wd8Zr3Kp5n"


def inspector_problem() -> str | None:
    """Why the pinned Inspector cannot run here, or None when it can."""
    install = "run: npm ci --prefix tests/inspector"
    return npm_package_problem(INSPECTOR, PACKAGE, "the MCP Inspector", install, inspector_bin())


def inspector_bin() -> Path:
    return INSPECTOR / "node_modules" / ".bin" / ("mcp-inspector.cmd" if os.name == "nt" else "mcp-inspector")


@pytest.fixture(scope="session")
def inspector() -> Path:
    """The pinned Inspector's CLI: a failure in CI when it is missing, a skip elsewhere."""
    require_client(inspector_problem(), "Inspector")
    return inspector_bin()


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    @property
    def result(self) -> dict[str, Any]:
        """The method's result; asserts that the call succeeded and printed nothing else."""
        assert (self.returncode, self.stderr) == (0, ""), self
        envelope = json.loads(self.stdout)
        assert list(envelope) == ["result"], envelope
        return dict(envelope["result"])

    @property
    def error(self) -> dict[str, Any]:
        """The error envelope the Inspector prints on stderr when a call fails."""
        return dict(json.loads(self.stderr.strip().splitlines()[-1])["error"])


class Inspect(Protocol):
    def __call__(self, *args: str, target: list[str]) -> Outcome: ...


@pytest.fixture
def inspect(inspector: Path, tmp_path: Path) -> Inspect:
    """Run `mcp-inspector --cli ARGS --format json -q TARGET`: one method against one server."""

    def run(*args: str, target: list[str]) -> Outcome:
        # A fresh HOME: no catalog, client config or stored OAuth token of whoever runs the tests.
        env = clean_env(HOME=str(tmp_path), USERPROFILE=str(tmp_path), NO_COLOR="1")
        completed = subprocess.run(
            [str(inspector), "--cli", *args, "--format", "json", "-q", *target],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=90,
            check=False,
        )
        return Outcome(completed.returncode, completed.stdout, completed.stderr)

    return run


def stdio_target() -> list[str]:
    return ["--transport", "stdio", "--", sigma_mcp_script(), "--demo"]


def http_target(url: str, token: str | None = None) -> list[str]:
    headers = ["--header", f"Authorization: Bearer {token}"] if token else []
    return ["--transport", "http", "--server-url", url, *headers]


@pytest.fixture(params=["stdio", "http"])
def target(request: pytest.FixtureRequest) -> list[str]:
    """The Inspector's arguments naming the demo server: a command to start, or a URL."""
    if request.param == "stdio":
        return stdio_target()
    return http_target(request.getfixturevalue("http_url"))


def tool_call(name: str, arguments: dict[str, Any]) -> list[str]:
    # --tool-arg would turn "123" into a number; JSON passes every value as it is.
    return ["--method", "tools/call", "--tool-name", name, "--tool-args-json", json.dumps(arguments)]


def assert_tool_list(result: dict[str, Any]) -> None:
    tools = result["tools"]
    assert [tool["name"] for tool in tools] == TOOL_NAMES
    for tool in tools:
        assert tool["inputSchema"]["type"] == "object"
        assert tool["outputSchema"]["type"] == "object"
        assert tool["annotations"]["readOnlyHint"] is True


def verdict_of(result: dict[str, Any]) -> str:
    """The structured verdict, after checking that the text content leads with it in bold."""
    assert result["isError"] is False, result
    (content,) = result["content"]
    verdict = str(result["structuredContent"]["verdict"])
    assert content["type"] == "text"
    assert content["text"].startswith(f"**{verdict}**\n")
    return verdict


def test_tools_list_strict_finds_no_schema_issues(inspect: Inspect, target: list[str]) -> None:
    outcome = inspect("--method", "tools/list", "--strict", target=target)
    # Findings would come as "schemaFindings" next to "result" and as a report on stderr; `result` rules out both.
    assert_tool_list(outcome.result)


def test_get_batch_run(inspect: Inspect, target: list[str]) -> None:
    result = inspect(*tool_call("get_batch_run", REGRESSION), target=target).result
    assert verdict_of(result) == REGRESSION_VERDICT
    summary = result["structuredContent"]
    assert {key: summary[key] for key in REGRESSION_FACTS} == REGRESSION_FACTS
    refund = summary["testCases"][0]
    assert refund["testCaseId"] == "tc_Rf4dMg2Bx8Lq1Wze"
    assert (refund["results"]["passed"], refund["results"]["failed"]) == (2, 3)
    assert [group["jobIds"] for group in refund["results"]["failureRemarks"]] == [
        ["job_Rf01aQ7m", "job_Rf03cE9p"],
        ["job_Rf04dR2q"],
    ]


def test_get_test_run(inspect: Inspect, target: list[str]) -> None:
    arguments = {"jobId": "job_Es02hI6v", **REGRESSION, "maxTurns": 12}
    result = inspect(*tool_call("get_test_run", arguments), target=target).result
    assert verdict_of(result).startswith("DEMO DATA — Attempt job_Es02hI6v of test case `Escalation to a human` failed")
    attempt = result["structuredContent"]
    assert attempt["isSuccessful"] is False
    assert attempt["label"] == "Escalation to a human"
    assert attempt["turnCount"] == 26
    assert attempt["durationSeconds"] == 149.0
    assert len(attempt["conversation"]) == 12
    assert attempt["conversation"][0] == {
        "turn": 1,
        "role": "assistant",
        "content": "Hi, this is Ava from Acme. How can I help?",
    }


def test_list_batch_runs(inspect: Inspect, target: list[str]) -> None:
    result = inspect(*tool_call("list_batch_runs", {"agentId": SUPPORT_AGENT, "size": 2}), target=target).result
    assert verdict_of(result).startswith(f"DEMO DATA — Agent {SUPPORT_AGENT}: 2 of 4 batch runs on page 0")
    listing = result["structuredContent"]
    assert (listing["totalCount"], listing["size"], listing["hasNext"]) == (4, 2, True)
    rows = [(row["batchId"], row["successRate"], row["possiblyRunning"]) for row in listing["batchRuns"]]
    assert rows == [("batch_Hn8cV2bRt5YzQa1e", 0.75, True), (REGRESSION["batchId"], 7 / 12, False)]


def test_compare_batch_runs(inspect: Inspect, target: list[str]) -> None:
    arguments = {"agentId": SUPPORT_AGENT, "baseBatchId": BASELINE, "candidateBatchId": REGRESSION["batchId"]}
    result = inspect(*tool_call("compare_batch_runs", arguments), target=target).result
    assert verdict_of(result).startswith(
        f"DEMO DATA — Regression: 58.3% of attempts passed in {REGRESSION['batchId']} against 91.7% in {BASELINE}"
    )
    comparison = result["structuredContent"]
    assert comparison["successRateChangePoints"] == -33.3
    assert (comparison["base"]["successfulAttempts"], comparison["candidate"]["successfulAttempts"]) == (11, 7)
    assert [change["testCaseId"] for change in comparison["testCasesChanged"]] == ["tc_Rf4dMg2Bx8Lq1Wze"]


def test_a_tool_error_is_an_error_result(inspect: Inspect, target: list[str]) -> None:
    outcome = inspect(*tool_call("get_batch_run", {"batchId": "batch_nope", "agentId": SUPPORT_AGENT}), target=target)
    assert outcome.returncode == EXIT_TOOL_ERROR, outcome
    result = json.loads(outcome.stdout)["result"]
    assert result["isError"] is True
    assert "HTTP 404" in result["content"][0]["text"]
    assert outcome.error["code"] == "tool_is_error"


def test_triage_prompt(inspect: Inspect, target: list[str]) -> None:
    batch, agent = REGRESSION["batchId"], REGRESSION["agentId"]
    prompt = ["--method", "prompts/get", "--prompt-name", "triage_batch_run"]
    result = inspect(*prompt, "--prompt-args", f"batchId={batch}", f"agentId={agent}", target=target).result
    (message,) = result["messages"]
    assert message["role"] == "user"
    assert message["content"]["type"] == "text"
    assert f"1. Call get_batch_run with batchId={batch}, agentId={agent}." in message["content"]["text"]


@pytest.mark.parametrize(
    ("path", "verdict"),
    [
        ("batch-runs/batch_Xk3pQ9mLrT2vWs7d", REGRESSION_VERDICT),
        ("batch-runs/batch_Xk3pQ9mLrT2vWs7d/test-runs/job_Rf02bW3n", "DEMO DATA — Attempt job_Rf02bW3n"),
    ],
    ids=["batch-run", "test-run"],
)
def test_resource_templates(inspect: Inspect, target: list[str], path: str, verdict: str) -> None:
    uri = f"sigmamind://agents/{SUPPORT_AGENT}/{path}"
    result = inspect("--method", "resources/read", "--uri", uri, target=target).result
    (contents,) = result["contents"]
    assert (contents["uri"], contents["mimeType"]) == (uri, "text/markdown")
    assert contents["text"].startswith(f"**{verdict}")


@pytest.mark.parametrize(("era", "version"), [("legacy", "2025-11-25"), ("modern", MODERN_VERSION)])
def test_protocol_eras(inspect: Inspect, target: list[str], era: str, version: str) -> None:
    result = inspect("--protocol-era", era, "--method", "initialize", target=target).result
    assert result["protocolVersion"] == version
    assert (result["serverInfo"]["name"], result["serverInfo"]["version"]) == ("sigma-mcp", sigma_mcp.__version__)
    assert set(result["capabilities"]) == {"tools", "prompts", "resources", "completions"}
    assert "DEMO MODE" in result["instructions"]


def test_http_with_a_bearer_token(inspect: Inspect, http_url_with_token: str) -> None:
    target = http_target(http_url_with_token, DEMO_HTTP_TOKEN)
    assert_tool_list(inspect("--method", "tools/list", "--strict", target=target).result)
    result = inspect(*tool_call("get_batch_run", REGRESSION), target=target).result
    assert verdict_of(result) == REGRESSION_VERDICT


@pytest.mark.parametrize("token", [None, "tok_not_the_servers_token"], ids=["no-token", "wrong-token"])
def test_http_without_the_token_is_refused(inspect: Inspect, http_url_with_token: str, token: str | None) -> None:
    # --stored-auth-only: fail at once instead of starting an interactive OAuth login.
    outcome = inspect("--method", "tools/list", "--stored-auth-only", target=http_target(http_url_with_token, token))
    assert outcome.returncode == EXIT_AUTH_REQUIRED, outcome
    assert outcome.stdout == ""
    assert outcome.error["code"] == "auth_required"

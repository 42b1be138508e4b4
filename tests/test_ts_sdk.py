"""The official TypeScript SDK's `Client` against `sigma-mcp --demo`, over stdio and over streamable HTTP.

The SDK is pinned in tests/clients (package.json and package-lock.json) and installed by
`npm ci --prefix tests/clients`, which .ci/run does. tests/clients/ts_sdk_client.mjs connects, lists the
tools, calls each one and prints one JSON report; see the top of that script for its input and output.

What the SDK checks on its own (1.32.2, `Client.callTool`): once `listTools` has run, a call to a tool that
declares an `outputSchema` throws when the result has no `structuredContent` and no `isError`, or when the
`structuredContent` does not fit the schema (Ajv, draft-07, `allErrors`). It validates `structuredContent`
even on an `isError` result. The script records such a throw as `sdkError`, fetches the raw result again
and validates it itself with the same Ajv, so a failure names each field that is wrong (`validationErrors`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sigma_mcp.demo.data import BASELINE, REGRESSION_SUITE, SUPPORT_AGENT, demo_attempts
from tests.conftest import DEMO_HTTP_TOKEN, clean_env, npm_package_problem, require_client, sigma_mcp_script
from tests.test_protocol_versions import REGRESSION_VERDICT
from tests.test_server import TOOL_NAMES

CLIENTS = Path(__file__).resolve().parent / "clients"
SCRIPT = CLIENTS / "ts_sdk_client.mjs"
PACKAGE = "@modelcontextprotocol/sdk"

AGENT = SUPPORT_AGENT["agentId"]
REGRESSION = {"batchId": REGRESSION_SUITE["batchId"], "agentId": AGENT}
BASELINE_BATCH = BASELINE["batchId"]
FAILED_JOB = next(
    job for job, batch, _, passed in demo_attempts() if batch == REGRESSION["batchId"] and passed is False
)
"""The first failed attempt of the regression batch run."""

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_batch_run", REGRESSION),
    ("get_test_run", {"jobId": FAILED_JOB, **REGRESSION}),
    ("list_batch_runs", {"agentId": AGENT}),
    (
        "compare_batch_runs",
        {"agentId": AGENT, "baseBatchId": BASELINE_BATCH, "candidateBatchId": REGRESSION["batchId"]},
    ),
]
UNKNOWN_BATCH = ("get_batch_run", {"batchId": "batch_nope", "agentId": AGENT})
MISSING_AGENT = ("get_batch_run", {"batchId": REGRESSION["batchId"]})
ERROR_CALLS = [UNKNOWN_BATCH, MISSING_AGENT]

CONTRACT_STEP_KEYS = {"tool", "arguments", "reason"}


def sdk_problem() -> str | None:
    """Why the pinned TypeScript SDK cannot run here, or None when it can."""
    install = "run: npm ci --prefix tests/clients"
    return npm_package_problem(CLIENTS, PACKAGE, "the TypeScript SDK", install, CLIENTS / "ts_sdk_client.mjs")


@pytest.fixture(scope="session")
def node() -> str:
    """The `node` that runs the script: a failure in CI when it or the pinned SDK is missing, a skip elsewhere."""
    require_client(sdk_problem(), "TypeScript SDK")
    return str(shutil.which("node"))


@dataclass
class Report:
    """What ts_sdk_client.mjs printed: the tools as listed and one entry per call, in the order made."""

    data: dict[str, Any]

    @property
    def tools(self) -> dict[str, dict[str, Any]]:
        return {tool["name"]: tool for tool in self.data["tools"]}

    @property
    def calls(self) -> list[dict[str, Any]]:
        return list(self.data["calls"])

    def successes(self) -> list[dict[str, Any]]:
        return self.calls[: len(CALLS)]

    def errors(self) -> list[dict[str, Any]]:
        return self.calls[len(CALLS) :]

    def result(self, name: str) -> dict[str, Any]:
        """The result of the successful call of `name`, checked to be clean in every respect but the verdict."""
        (call,) = [call for call in self.successes() if call["name"] == name]
        assert_clean(call)
        return dict(call["result"])


def run_client(node: str, home: Path, spec: dict[str, Any]) -> Report:
    """Run the script with `spec` on stdin; its report, after checking that it connected and listed the tools."""
    env = clean_env(HOME=str(home), USERPROFILE=str(home), NO_COLOR="1")
    completed = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(spec),
        env=env,
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, (completed.returncode, completed.stdout, completed.stderr)
    data = json.loads(completed.stdout)
    assert "fatal" not in data, data
    assert data["sdkVersion"] == json.loads((CLIENTS / "package.json").read_text())["dependencies"][PACKAGE]
    return Report(data)


def calls_spec(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{"name": name, "arguments": arguments} for name, arguments in calls]


def stdio_spec(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    return {"transport": "stdio", "command": sigma_mcp_script(), "args": list(args), "env": env or {}}


def http_spec(url: str, token: str | None = None) -> dict[str, Any]:
    return {"transport": "http", "url": url, **({"token": token} if token else {})}


@pytest.fixture(scope="module", params=["stdio", "http", "http+token"])
def report(request: pytest.FixtureRequest, node: str, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Every call of CALLS and ERROR_CALLS made by one client process against one demo server."""
    if request.param == "stdio":
        target = stdio_spec("--demo")
    elif request.param == "http":
        target = http_spec(request.getfixturevalue("http_url"))
    else:
        target = http_spec(request.getfixturevalue("http_url_with_token"), DEMO_HTTP_TOKEN)
    home = tmp_path_factory.mktemp("home")
    return run_client(node, home, {**target, "calls": calls_spec(CALLS + ERROR_CALLS)})


def assert_clean(call: dict[str, Any]) -> None:
    """No throw from the SDK, nothing our own validation objects to, no isError, and both channels present."""
    assert call["sdkError"] is None, call
    assert call["validationErrors"] == [], call
    result = call["result"]
    assert result["isError"] is False, result
    assert isinstance(result["structuredContent"], dict), result
    (content,) = result["content"]
    assert content["type"] == "text"
    assert content["text"].strip()


def verdict_of(result: dict[str, Any]) -> str:
    """The structured verdict, after checking that the text leads with the same verdict in bold."""
    verdict = str(result["structuredContent"]["verdict"])
    assert result["content"][0]["text"].startswith(f"**{verdict}**\n")
    return verdict


def test_the_tool_list_is_read_from_the_server_and_every_tool_is_called(report: Report) -> None:
    tools = report.tools
    assert set(TOOL_NAMES) <= set(tools), list(tools)
    assert report.data["uncalledTools"] == []
    assert report.data["schemaProblems"] == {}
    for tool in tools.values():
        assert tool["inputSchema"]["type"] == "object"
        assert tool["outputSchema"]["type"] == "object", tool["name"]
        assert tool["annotations"]["readOnlyHint"] is True


def test_every_result_fits_its_output_schema(report: Report) -> None:
    assert [call["name"] for call in report.successes()] == [name for name, _ in CALLS]
    for call in report.successes():
        assert_clean(call)


def test_get_batch_run(report: Report) -> None:
    result = report.result("get_batch_run")
    verdict = verdict_of(result)
    assert "7 of 12 attempts passed" in verdict
    assert verdict == REGRESSION_VERDICT
    summary = result["structuredContent"]
    counts = ("totalAttempts", "successfulAttempts", "failedAttempts", "testCasesWithFailures")
    assert [summary[key] for key in counts] == [12, 7, 5, 2]
    failed_jobs = [
        job
        for test_case in summary["testCases"]
        for group in test_case["results"]["failureRemarks"]
        for job in group["jobIds"]
    ]
    assert FAILED_JOB in failed_jobs


def test_get_test_run(report: Report) -> None:
    result = report.result("get_test_run")
    assert verdict_of(result).startswith(f"DEMO DATA — Attempt {FAILED_JOB} of test case ")
    attempt = result["structuredContent"]
    assert attempt["isSuccessful"] is False
    assert attempt["conversation"]
    assert {"turn", "role", "content"} <= set(attempt["conversation"][0])


def test_list_batch_runs(report: Report) -> None:
    result = report.result("list_batch_runs")
    assert verdict_of(result).startswith(f"DEMO DATA — Agent {AGENT}: 4 of 4 batch runs")
    listing = result["structuredContent"]
    assert listing["totalCount"] == 4
    assert REGRESSION["batchId"] in [row["batchId"] for row in listing["batchRuns"]]


def test_compare_batch_runs(report: Report) -> None:
    result = report.result("compare_batch_runs")
    assert verdict_of(result).startswith(
        f"DEMO DATA — Regression: 58.3% of attempts passed in {REGRESSION['batchId']} against 91.7% in {BASELINE_BATCH}"
    )
    comparison = result["structuredContent"]
    assert (comparison["base"]["successfulAttempts"], comparison["candidate"]["successfulAttempts"]) == (11, 7)


def test_a_tool_error_is_an_error_result_not_a_thrown_validation_error(report: Report) -> None:
    unknown, missing = report.errors()
    for call in (unknown, missing):
        # A throw here would mean the SDK rejected the result, e.g. structuredContent that misfits the schema.
        assert call["sdkError"] is None, call
        assert call["validationErrors"] == [], call
        assert call["result"]["isError"] is True, call
        (content,) = call["result"]["content"]
        assert content["type"] == "text"
    assert "HTTP 404" in unknown["result"]["content"][0]["text"]
    assert "batch_nope" in unknown["result"]["content"][0]["text"]
    assert "agentId" in missing["result"]["content"][0]["text"]


def test_structured_content_contract_verdict_first_notice_and_next_steps(report: Report) -> None:
    """The contract of structuredContent (in progress): `verdict` first, a third-party `notice`, `nextSteps`."""
    tools = report.tools
    for call in report.successes():
        name, result = call["name"], call["result"]
        summary = result["structuredContent"]
        assert isinstance(summary, dict), call
        assert list(summary)[:1] == ["verdict"], (name, list(summary))
        assert isinstance(summary.get("notice"), str), (name, summary.get("notice"))
        assert "third-party" in summary["notice"].lower(), (name, summary["notice"])
        steps = summary.get("nextSteps")
        assert isinstance(steps, list), (name, steps)
        for step in steps:
            assert isinstance(step, dict), (name, step)
            assert set(step) == CONTRACT_STEP_KEYS, (name, step)
            assert isinstance(step["tool"], str), (name, step)
            assert step["tool"] in TOOL_NAMES, (name, step)
            assert isinstance(step["arguments"], dict), (name, step)
            assert isinstance(step["reason"], str), (name, step)
            assert step["reason"].strip(), (name, step)
        # Each step is a call that could be made as it stands: its arguments fit the tool's inputSchema.
        assert call["nextStepErrors"] == [], (name, call["nextStepErrors"])
        required = set(tools[name]["outputSchema"].get("required", []))
        assert {"verdict", "notice", "nextSteps"} <= required, (name, sorted(required))


@pytest.fixture(scope="module")
def unstructured(node: str, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Every call against `sigma-mcp --demo` over stdio with SIGMA_MCP_STRUCTURED=off."""
    spec = stdio_spec("--demo", env={"SIGMA_MCP_STRUCTURED": "off"})
    return run_client(node, tmp_path_factory.mktemp("home"), {**spec, "calls": calls_spec(CALLS + ERROR_CALLS)})


def test_with_structured_off_tools_publish_no_output_schema(unstructured: Report) -> None:
    tools = unstructured.tools
    assert set(TOOL_NAMES) <= set(tools)
    assert {name: "outputSchema" in tool for name, tool in tools.items()} == dict.fromkeys(tools, False)


def test_with_structured_off_results_are_text_only(unstructured: Report) -> None:
    for call in unstructured.calls:
        assert call["sdkError"] is None, call
        assert call["validationErrors"] == [], call
        result = call["result"]
        assert result["structuredContent"] is None, (call["name"], result)
        (content,) = result["content"]
        assert content["type"] == "text"
        assert content["text"].strip()
    assert [call["result"]["isError"] for call in unstructured.calls] == [False] * len(CALLS) + [True] * len(
        ERROR_CALLS
    )
    batch_run = unstructured.calls[0]["result"]["content"][0]["text"]
    assert batch_run.startswith(f"**{REGRESSION_VERDICT}**\n")

"""`sigma-mcp batch-run`: the tool's own summary in a terminal, and clear failures with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from sigma_mcp import __version__
from tests.conftest import API_KEY, clean_env, connect, env_for, settings_for, sigma_mcp_script
from tests.fake_api import FakeSigmaMind, api_error
from tests.test_render import DOCUMENTED_EXAMPLE_SERVED_MARKDOWN
from tests.test_server import AGENT, ARGS, BATCH, text_of


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sigma_mcp_script(), *args],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.anyio
async def test_markdown_and_json_match_the_tool(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    async with connect(settings_for(api)) as client:
        tool_result = await client.call_tool("get_batch_run", ARGS)

    markdown = run_cli("batch-run", BATCH, "--agent", AGENT, env=env_for(api))
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout == text_of(tool_result) == DOCUMENTED_EXAMPLE_SERVED_MARKDOWN

    as_json = run_cli("batch-run", BATCH, "--agent", AGENT, "--json", env=env_for(api))
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == tool_result.structured_content


@pytest.mark.anyio
async def test_errors_match_the_tool_and_exit_non_zero(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: api_error(404, "Not Found", f"no such batch (key {API_KEY})")
    async with connect(settings_for(api)) as client:
        tool_result = await client.call_tool("get_batch_run", ARGS)
    completed = run_cli("batch-run", BATCH, "--agent", AGENT, env=env_for(api))
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr == f"sigma-mcp: error: {text_of(tool_result)}\n"
    assert API_KEY not in completed.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["batch-run", "../etc", "--agent", AGENT],
            {"SIGMAMIND_API_KEY": API_KEY},
            "Invalid batchId '../etc'",
        ),
        (["batch-run", BATCH, "--agent", AGENT], {}, "SIGMAMIND_API_KEY is not set"),
        (
            ["batch-run", BATCH, "--agent", AGENT],
            {"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": "http://example.com"},
            "SIGMAMIND_BASE_URL='http://example.com' is refused",
        ),
    ],
)
def test_usage_and_configuration_errors_exit_2(args: list[str], env: dict[str, str], message: str) -> None:
    completed = run_cli(*args, env=env)
    assert completed.returncode == 2
    assert completed.stderr.startswith(f"sigma-mcp: error: {message}")
    assert completed.stdout == ""


def test_demo_needs_no_key() -> None:
    completed = run_cli("batch-run", BATCH, "--agent", AGENT, "--demo", env={})
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"**DEMO DATA — Batch run {BATCH}: 4 of 5 attempts passed (80%), 1 failed.**")
    assert "--demo" in completed.stdout
    top_level_flag = run_cli("--demo", "batch-run", BATCH, "--agent", AGENT, "--json", env={})
    assert json.loads(top_level_flag.stdout)["source"] == "demo"


def test_missing_agent_is_a_usage_error() -> None:
    completed = run_cli("batch-run", BATCH, env={})
    assert completed.returncode == 2
    assert "--agent" in completed.stderr


def test_version_via_python_dash_m() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "sigma_mcp", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"sigma-mcp {__version__}"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "arguments", "command"),
    [
        (
            "get_test_run",
            {
                "jobId": "job_Es02hI6v",
                "batchId": "batch_Xk3pQ9mLrT2vWs7d",
                "agentId": AGENT,
                "turnOffset": 2,
                "maxTurns": 3,
            },
            [
                "test-run",
                "job_Es02hI6v",
                "--batch",
                "batch_Xk3pQ9mLrT2vWs7d",
                "--agent",
                AGENT,
                "--turn-offset",
                "2",
                "--max-turns",
                "3",
            ],
        ),
        (
            "list_batch_runs",
            {"agentId": AGENT, "page": 1, "size": 2},
            ["batch-runs", "--agent", AGENT, "--page", "1", "--size", "2"],
        ),
        (
            "compare_batch_runs",
            {"agentId": AGENT, "baseBatchId": "batch_Mv6Tq1Wd8Zr3Kp5n", "candidateBatchId": "batch_Xk3pQ9mLrT2vWs7d"},
            ["compare", "batch_Mv6Tq1Wd8Zr3Kp5n", "batch_Xk3pQ9mLrT2vWs7d", "--agent", AGENT],
        ),
        (
            "get_batch_run",
            {"batchId": "batch_Xk3pQ9mLrT2vWs7d", "agentId": AGENT, "offset": 1, "limit": 1},
            ["batch-run", "batch_Xk3pQ9mLrT2vWs7d", "--agent", AGENT, "--offset", "1", "--limit", "1"],
        ),
        (
            "get_batch_run",
            {"batchId": "batch_Xk3pQ9mLrT2vWs7d", "agentId": AGENT, "testCaseId": "tc_Dc7Hn3Kp5Vs9Tya2"},
            ["batch-run", "batch_Xk3pQ9mLrT2vWs7d", "--agent", AGENT, "--test-case", "tc_Dc7Hn3Kp5Vs9Tya2"],
        ),
    ],
)
async def test_every_command_prints_what_its_tool_returns(
    tool: str, arguments: dict[str, Any], command: list[str]
) -> None:
    from sigma_mcp.config import Settings

    async with connect(Settings.from_env({}, demo=True)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error is False
    markdown = run_cli(*command, "--demo", env={})
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout == text_of(result)
    as_json = run_cli(*command, "--demo", "--json", env={})
    assert json.loads(as_json.stdout) == result.structured_content

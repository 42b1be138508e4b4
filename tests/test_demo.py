"""Demo mode: built-in sample batch runs, no key, no network, the same code path, labelled as demo."""

from __future__ import annotations

import pytest
from mcp import Client, StdioServerParameters

from sigma_mcp.config import Settings
from sigma_mcp.demo.data import BASELINE, BATCH_RUNS, REGRESSION_SUITE, SUPPORT_AGENT, demo_attempts
from tests.conftest import clean_env, connect, sigma_mcp_script
from tests.fake_api import FakeSigmaMind
from tests.test_server import text_of

pytestmark = pytest.mark.anyio

DEMO_IDS = [(run["batchId"], run["agent"]["agentId"]) for run in BATCH_RUNS]


@pytest.mark.parametrize(("batch_id", "agent_id"), DEMO_IDS)
async def test_every_demo_batch_run(api: FakeSigmaMind, mode: str, batch_id: str, agent_id: str) -> None:
    # The fake API is configured as the base URL only to prove that demo mode never calls it.
    settings = Settings.from_env({"SIGMAMIND_BASE_URL": api.url}, demo=True)
    async with connect(settings, mode) as client:
        assert "DEMO MODE" in (client.instructions or "")
        result = await client.call_tool("get_batch_run", {"batchId": batch_id, "agentId": agent_id})
    assert result.is_error is False
    assert text_of(result).startswith(f"**DEMO DATA — Batch run {batch_id}")
    assert result.structured_content is not None
    assert result.structured_content["source"] == "demo"
    assert "built-in demo data" in result.structured_content["warnings"][0]
    assert api.requests == []


async def test_demo_has_failures_several_test_cases_and_a_running_batch() -> None:
    settings = Settings.from_env({}, demo=True)
    summaries = []
    async with connect(settings) as client:
        for batch_id, agent_id in DEMO_IDS:
            result = await client.call_tool("get_batch_run", {"batchId": batch_id, "agentId": agent_id})
            summaries.append(result.structured_content or {})
    assert any(s["failedAttempts"] and s["testCaseCount"] >= 3 for s in summaries)
    assert any("may still be running" in " ".join(s["warnings"]) for s in summaries)
    assert any(s["failedAttempts"] == 0 for s in summaries)


async def test_unknown_demo_ids_list_the_demo_batch_runs() -> None:
    async with connect(Settings.from_env({}, demo=True)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": "batch_nope", "agentId": "agent_nope"})
    assert result.is_error is True
    assert "HTTP 404" in text_of(result)
    assert "batch_s0OJu2JWR8R45Fai" in text_of(result)


async def test_every_demo_attempt_has_a_transcript() -> None:
    attempts = demo_attempts()
    assert len(attempts) > 20
    async with connect(Settings.from_env({}, demo=True)) as client:
        for job_id, batch_id, agent_id, passed in attempts:
            result = await client.call_tool("get_test_run", {"jobId": job_id, "batchId": batch_id, "agentId": agent_id})
            assert result.is_error is False, text_of(result)
            assert result.structured_content is not None
            assert result.structured_content["isSuccessful"] is passed
            assert result.structured_content["turnCount"]
            assert text_of(result).startswith(f"**DEMO DATA — Attempt {job_id}")


async def test_demo_listing_and_comparison() -> None:
    agent = SUPPORT_AGENT["agentId"]
    async with connect(Settings.from_env({}, demo=True)) as client:
        first = await client.call_tool("list_batch_runs", {"agentId": agent, "size": 2})
        second = await client.call_tool("list_batch_runs", {"agentId": agent, "page": 1, "size": 2})
        comparison = await client.call_tool(
            "compare_batch_runs",
            {"agentId": agent, "baseBatchId": BASELINE["batchId"], "candidateBatchId": REGRESSION_SUITE["batchId"]},
        )
    listed = [row["batchId"] for page in (first, second) for row in (page.structured_content or {})["batchRuns"]]
    expected = [run["batchId"] for run in BATCH_RUNS if run["agent"]["agentId"] == agent]
    assert listed == expected[:4]
    assert (first.structured_content or {})["hasNext"] is True
    assert text_of(comparison).startswith("**DEMO DATA — Regression:")
    assert (comparison.structured_content or {})["testCasesChangedCount"] == 1


@pytest.mark.parametrize(("args", "env"), [(["--demo"], {}), ([], {"SIGMAMIND_DEMO": "1"})])
async def test_demo_over_stdio_without_a_key(args: list[str], env: dict[str, str]) -> None:
    params = StdioServerParameters(command=sigma_mcp_script(), args=args, env=clean_env(**env))
    batch_id, agent_id = DEMO_IDS[1]
    async with Client(params, mode="legacy") as client:
        result = await client.call_tool("get_batch_run", {"batchId": batch_id, "agentId": agent_id})
    assert result.is_error is False
    assert "DEMO DATA" in text_of(result)

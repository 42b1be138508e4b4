"""The triage prompt, the resource templates and the server instructions, through the protocol."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent, TextResourceContents

from sigma_mcp.config import Settings
from tests.conftest import API_KEY, connect, settings_for
from tests.fake_api import FakeSigmaMind, api_error
from tests.test_server import AGENT, ARGS, BATCH, TOOL_NAMES, text_of

pytestmark = pytest.mark.anyio


async def test_triage_prompt(api: FakeSigmaMind, mode: str) -> None:
    async with connect(settings_for(api), mode) as client:
        prompts = (await client.list_prompts()).prompts
        result = await client.get_prompt("triage_batch_run", {"batchId": BATCH, "agentId": AGENT})
    (prompt,) = prompts
    assert prompt.name == "triage_batch_run"
    assert prompt.title == "Triage a batch run"
    assert [(a.name, a.required) for a in prompt.arguments or []] == [("batchId", True), ("agentId", True)]
    assert all(a.description for a in prompt.arguments or [])
    (message,) = result.messages
    assert message.role == "user"
    assert isinstance(message.content, TextContent)
    text = message.content.text
    steps = [
        f"1. Call get_batch_run with batchId={BATCH}, agentId={AGENT}.",
        f"Call get_test_run with jobId=<one jobId from each group>, batchId={BATCH}, agentId={AGENT}.",
        "3. Group the failures by success criterion",
        "the agent's behaviour",
        "the test case itself",
        "5. Propose concrete edits",
        f"candidateBatchId={BATCH}",
        "not instructions to you",
    ]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert api.requests == []


async def test_triage_prompt_refuses_bad_ids(api: FakeSigmaMind) -> None:
    async with connect(settings_for(api)) as client:
        with pytest.raises(MCPError, match=r"Invalid batchId '\.\./x'"):
            await client.get_prompt("triage_batch_run", {"batchId": "../x", "agentId": AGENT})


async def test_resource_templates_return_the_tool_markdown(
    api: FakeSigmaMind, mode: str, documented_example: dict[str, Any]
) -> None:
    from tests.factories import make_test_run

    api.add_batch_run(documented_example)
    api.add_test_run(make_test_run("job_1"), job_id="job_1", batch_id=BATCH, agent_id=AGENT)
    async with connect(settings_for(api, SIGMA_MCP_CACHE_MB="0"), mode) as client:  # each read fetches anew
        templates = {t.name: t for t in (await client.list_resource_templates()).resource_templates}
        batch = await client.read_resource(f"sigmamind://agents/{AGENT}/batch-runs/{BATCH}")
        attempt = await client.read_resource(f"sigmamind://agents/{AGENT}/batch-runs/{BATCH}/test-runs/job_1")
        tool_batch = await client.call_tool("get_batch_run", ARGS)
        tool_attempt = await client.call_tool("get_test_run", {"jobId": "job_1", **ARGS})
    assert templates["batch-run"].uri_template == "sigmamind://agents/{agentId}/batch-runs/{batchId}"
    assert templates["test-run"].uri_template == "sigmamind://agents/{agentId}/batch-runs/{batchId}/test-runs/{jobId}"
    assert all(t.mime_type == "text/markdown" for t in templates.values())
    for read, tool_result in ((batch, tool_batch), (attempt, tool_attempt)):
        (content,) = read.contents
        assert isinstance(content, TextResourceContents)
        assert content.mime_type == "text/markdown"
        assert content.text == text_of(tool_result)


async def test_resource_errors_are_clean_and_redacted(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: api_error(401, "Unauthorized", f"bad key {API_KEY}")
    async with connect(settings_for(api)) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource(f"sigmamind://agents/{AGENT}/batch-runs/{BATCH}")
        with pytest.raises(MCPError, match="Invalid batchId"):
            await client.read_resource(f"sigmamind://agents/{AGENT}/batch-runs/b%20c")
    assert "SigmaMind rejected the API key (HTTP 401" in str(caught.value)
    assert API_KEY not in str(caught.value)


async def test_resource_not_found(api: FakeSigmaMind) -> None:
    async with connect(settings_for(api)) as client:
        with pytest.raises(MCPError, match="SigmaMind has no batch run 'batch_x'"):
            await client.read_resource(f"sigmamind://agents/{AGENT}/batch-runs/batch_x")


async def test_instructions_say_which_tool_answers_what(api: FakeSigmaMind, mode: str) -> None:
    async with connect(settings_for(api), mode) as client:
        instructions = client.instructions or ""
    for tool in TOOL_NAMES:
        assert tool in instructions
    assert "triage_batch_run" in instructions
    assert "never instructions" in instructions
    order = [instructions.index(step) for step in ("list_batch_runs if", "-> get_batch_run ->", "-> get_test_run on")]
    assert order == sorted(order)


async def test_demo_instructions_list_demo_batch_runs() -> None:
    async with connect(Settings.from_env({}, demo=True)) as client:
        instructions = client.instructions or ""
    # Every demo batch run, under its agent's id, newest first.
    assert "agentId=agent_D5D0p7TUs66TTAEAx: batchId batch_Hn8cV2bRt5YzQa1e, batch_Xk3pQ9mLrT2vWs7d, " in instructions
    assert "agentId=agent_Rk2Vt8Zs4Qw9Lp3m: batchId batch_Cl4Tm9Wq2Vz7Nb5k, batch_Pq7Lm2Nx9Ks4Jd6w." in instructions

"""get_batch_run through a real MCP client (both connection modes) against a real loopback HTTP API."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import CallToolResult, TextContent

from sigma_mcp import __version__
from sigma_mcp.config import Settings
from sigma_mcp.registry import TOOLS
from tests.conftest import API_KEY, connect, settings_for
from tests.fake_api import FakeSigmaMind
from tests.test_render import DOCUMENTED_EXAMPLE_SERVED_MARKDOWN, LISTING_ABSENT
from tests.test_summary import summarize

pytestmark = pytest.mark.anyio

BATCH = "batch_s0OJu2JWR8R45Fai"
AGENT = "agent_D5D0p7TUs66TTAEAx"
ARGS = {"batchId": BATCH, "agentId": AGENT}
TOOL_NAMES = [spec.name for spec in TOOLS]


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


async def call(settings: Settings, mode: str, arguments: dict[str, Any]) -> CallToolResult:
    async with connect(settings, mode) as client:
        return await client.call_tool("get_batch_run", arguments)


async def test_tools_are_listed_with_schema_title_and_annotations(api: FakeSigmaMind, mode: str) -> None:
    async with connect(settings_for(api), mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert list(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.title
        assert tool.description
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True
        assert tool.annotations.idempotent_hint is True
        assert tool.annotations.open_world_hint is True
        assert tool.annotations.destructive_hint is False
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None
        assert set(tool.output_schema["required"]) >= {"source", "verdict", "warnings"}
        for name, spec in tool.input_schema["properties"].items():
            assert spec.get("description"), f"{tool.name}.{name} has no description"

    tool = tools["get_batch_run"]
    assert tool.title == "Get a SigmaMind batch run"
    assert "success rate" in (tool.description or "")
    schema = tool.input_schema
    assert schema["required"] == ["batchId", "agentId"]
    for name, example in (("batchId", BATCH), ("agentId", AGENT)):
        assert schema["properties"][name]["type"] == "string"
        assert example in schema["properties"][name]["description"]
    assert schema["properties"]["offset"] == {
        "default": 0,
        "description": schema["properties"]["offset"]["description"],
        "maximum": 1_000_000,
        "minimum": 0,
        "title": "Offset",
        "type": "integer",
    }
    assert tool.output_schema is not None
    for field in (
        "batchId",
        "agentId",
        "agentName",
        "agentStatus",
        "workspaceId",
        "createdDate",
        "totalAttempts",
        "successfulAttempts",
        "failedAttempts",
        "successRate",
        "testCases",
        "warnings",
    ):
        assert field in tool.output_schema["properties"], field
    test_case = tool.output_schema["$defs"]["CaseSummary"]["properties"]
    assert set(test_case) >= {
        "testCaseId",
        "label",
        "llmModel",
        "attempts",
        "userPrompt",
        "successCriteria",
        "mockData",
    }
    assert tools["get_test_run"].input_schema["required"] == ["jobId", "batchId", "agentId"]
    assert tools["list_batch_runs"].input_schema["required"] == ["agentId"]
    assert tools["compare_batch_runs"].input_schema["required"] == ["agentId", "baseBatchId", "candidateBatchId"]


async def test_documented_example_end_to_end(api: FakeSigmaMind, mode: str, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    result = await call(settings_for(api), mode, ARGS)

    assert result.is_error is False
    assert text_of(result) == DOCUMENTED_EXAMPLE_SERVED_MARKDOWN
    expected = summarize(documented_example).model_dump(mode="json")
    expected["warnings"].insert(0, LISTING_ABSENT)
    assert result.structured_content == expected

    # The batch run, then the test-run listing for its failed attempt's remarks (which this stand-in lacks).
    assert [request.path for request in api.requests] == [f"/v1/batch-runs/{BATCH}", "/v1/test-runs"]
    request = api.requests[0]
    assert request.method == "GET"
    assert request.path == f"/v1/batch-runs/{BATCH}"
    assert request.query == {"agentId": [AGENT]}
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["user-agent"] == f"sigma-mcp/{__version__}"


async def test_one_connection_is_reused_across_calls(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    api.add_batch_run(documented_example)
    async with connect(settings_for(api, SIGMA_MCP_CACHE_MB="0")) as client:  # no cache: three calls, three GETs
        for _ in range(3):
            assert (await client.call_tool("get_batch_run", ARGS)).is_error is False
    assert len(api.requests) == 4  # and the listing, asked for once
    assert len({request.client_port for request in api.requests}) == 1


async def test_schema_drift_still_gives_a_summary(
    api: FakeSigmaMind, mode: str, documented_example: dict[str, Any]
) -> None:
    documented_example["newTopLevel"] = {"anything": [1, None]}
    documented_example["createdDate"] = None
    del documented_example["workspaceId"]
    documented_example["failedAttempts"] = "one"
    documented_example["testCases"][0]["mockData"] = "not a list"
    documented_example["testCases"].append({"label": "Only a label"})
    api.add_batch_run(documented_example)

    result = await call(settings_for(api), mode, ARGS)

    assert result.is_error is False
    text = text_of(result)
    assert text.startswith(f"**Batch run {BATCH}: 4 of 5 attempts passed (80%), 1 failed.**")
    assert "failedAttempts was missing; derived as totalAttempts - successfulAttempts = 1." in text
    assert "testCases[0].mockData" in text
    assert "Missing from the API's answer: workspaceId, createdDate" in text
    assert result.structured_content is not None
    assert result.structured_content["testCaseCount"] == 2
    assert result.structured_content["testCases"][1]["label"] == "Only a label"


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"batchId": "", "agentId": AGENT}, "batchId"),
        ({"batchId": "../../admin", "agentId": AGENT}, "batchId"),
        ({"batchId": "..", "agentId": AGENT}, "batchId"),
        ({"batchId": "b?x=1", "agentId": AGENT}, "batchId"),
        ({"batchId": "b#frag", "agentId": AGENT}, "batchId"),
        ({"batchId": "b%2F..", "agentId": AGENT}, "batchId"),
        ({"batchId": "b c", "agentId": AGENT}, "batchId"),
        ({"batchId": "b\r\nX-Evil: 1", "agentId": AGENT}, "batchId"),
        ({"batchId": "b" * 500, "agentId": AGENT}, "batchId"),
        ({"batchId": BATCH, "agentId": "a&agentId=other"}, "agentId"),
        ({"batchId": BATCH, "agentId": "\x00"}, "agentId"),
        ({"batchId": 42, "agentId": AGENT}, "batchId"),
        ({"batchId": BATCH}, "agentId"),
        ({"batchId": BATCH, "agentId": AGENT, "verbose": True}, "'verbose'"),
    ],
)
async def test_refused_arguments_send_nothing(
    api: FakeSigmaMind, mode: str, arguments: dict[str, Any], parameter: str
) -> None:
    result = await call(settings_for(api), mode, arguments)
    assert result.is_error is True
    assert parameter in text_of(result)
    assert "Traceback" not in text_of(result)
    assert api.requests == []


async def test_missing_key_lists_tools_and_refuses_calls_without_a_request(api: FakeSigmaMind, mode: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_BASE_URL": api.url})
    async with connect(settings, mode) as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == TOOL_NAMES
        result = await client.call_tool("get_batch_run", ARGS)
    assert result.is_error is True
    assert text_of(result).startswith("SIGMAMIND_API_KEY is not set")
    assert "restart the server" in text_of(result)
    assert api.requests == []


async def test_refused_base_url_is_reported_on_call(api: FakeSigmaMind) -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": "http://api.sigmamind.ai"})
    result = await call(settings, "legacy", ARGS)
    assert result.is_error is True
    assert "SIGMAMIND_BASE_URL='http://api.sigmamind.ai' is refused" in text_of(result)


async def test_unexpected_bug_is_a_clean_error(
    api: FakeSigmaMind,
    documented_example: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"boom {API_KEY}")

    monkeypatch.setattr("sigma_mcp.tools.get_batch_run.summary.summarize_batch_run", broken)
    api.add_batch_run(documented_example)
    result = await call(settings_for(api), "legacy", ARGS)
    assert result.is_error is True
    assert text_of(result).startswith("sigma-mcp hit an internal error while running get_batch_run")
    assert "boom" not in text_of(result)
    assert "Traceback" not in text_of(result)
    assert any("failed unexpectedly" in record.getMessage() for record in caplog.records)

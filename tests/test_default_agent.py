"""SIGMAMIND_AGENT_ID: a default agent for every tool, the prompt and the resources; its recent batch runs as
listed resources; completions of batchId and agentId. Through a real MCP client, against a real loopback HTTP API."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import PromptReference, ResourceTemplateReference, TextContent, TextResourceContents

from sigma_mcp.config import Settings
from sigma_mcp.registry import TOOLS
from sigma_mcp.tools.schemas import input_schema
from tests.conftest import API_KEY, connect, env_for, settings_for
from tests.factories import make_test_run
from tests.fake_api import FakeSigmaMind, Reply, api_error
from tests.http_driver import http_server
from tests.test_cli import run_cli
from tests.test_http import post
from tests.test_server import BATCH, text_of

pytestmark = pytest.mark.anyio

DEFAULT = "agent_D5D0p7TUs66TTAEAx"
OTHER = "agent_Rk2Vt8Zs4Qw9Lp3m"
EARLIER = "batch_Mv6Tq1Wd8Zr3Kp5n"
JOB = "job_1"
BATCH_TEMPLATE = "sigmamind://agents/{agentId}/batch-runs/{batchId}"
TEST_RUN_TEMPLATE = BATCH_TEMPLATE + "/test-runs/{jobId}"

CALLS_WITHOUT_AGENT: dict[str, dict[str, Any]] = {
    "get_batch_run": {"batchId": BATCH},
    "get_test_run": {"jobId": JOB, "batchId": BATCH},
    "list_batch_runs": {},
    "compare_batch_runs": {"baseBatchId": EARLIER, "candidateBatchId": BATCH},
}


def test_every_tool_is_covered() -> None:
    assert sorted(CALLS_WITHOUT_AGENT) == sorted(spec.name for spec in TOOLS)


def with_default(api: FakeSigmaMind, agent_id: str = DEFAULT, **extra: str) -> Settings:
    return settings_for(api, SIGMAMIND_AGENT_ID=agent_id, **extra)


def serve_agent(api: FakeSigmaMind, documented_example: dict[str, Any], agent_id: str) -> None:
    """Everything the four tools ask for, for `agent_id`."""
    earlier = copy.deepcopy(documented_example)
    earlier["batchId"] = EARLIER
    earlier["createdDate"] = "2026-03-20T08:00:00Z"
    for body in (documented_example, earlier):
        api.add_batch_run(copy.deepcopy(body), agent_id=agent_id)
    api.add_test_run(make_test_run(JOB), job_id=JOB, batch_id=BATCH, agent_id=agent_id)
    api.pages[agent_id] = listing([documented_example, earlier])


def listing(runs: list[dict[str, Any]], *, has_next: bool = False) -> dict[str, Any]:
    return {"data": runs, "page": 0, "size": 20, "totalCount": len(runs), "totalPages": 1, "hasNext": has_next}


def agents_asked_for(api: FakeSigmaMind) -> set[str]:
    return {agent for seen in api.requests for agent in seen.query.get("agentId", [])}


# --- Tools ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", list(CALLS_WITHOUT_AGENT))
async def test_a_tool_without_agent_id_is_about_the_default_agent(
    api: FakeSigmaMind, documented_example: dict[str, Any], mode: str, tool: str
) -> None:
    serve_agent(api, documented_example, DEFAULT)
    async with connect(with_default(api), mode) as client:
        result = await client.call_tool(tool, CALLS_WITHOUT_AGENT[tool])
    assert result.is_error is False, text_of(result)
    assert api.requests
    assert agents_asked_for(api) == {DEFAULT}
    assert result.structured_content is not None
    assert DEFAULT in json.dumps(result.structured_content)


@pytest.mark.parametrize("tool", list(CALLS_WITHOUT_AGENT))
async def test_an_explicit_agent_id_wins(api: FakeSigmaMind, documented_example: dict[str, Any], tool: str) -> None:
    serve_agent(api, documented_example, OTHER)
    async with connect(with_default(api)) as client:
        result = await client.call_tool(tool, {**CALLS_WITHOUT_AGENT[tool], "agentId": OTHER})
    assert result.is_error is False, text_of(result)
    assert agents_asked_for(api) == {OTHER}


async def test_a_default_agent_the_api_does_not_know_is_said_to_come_from_the_variable(api: FakeSigmaMind) -> None:
    async with connect(with_default(api)) as client:
        defaulted = await client.call_tool("get_batch_run", {"batchId": BATCH})
        other = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": OTHER})
    assert defaulted.is_error is True
    assert other.is_error is True
    assert "This agentId is the default agent, set by SIGMAMIND_AGENT_ID" in text_of(defaulted)
    assert "SIGMAMIND_AGENT_ID" not in text_of(other)


async def test_a_null_agent_id_is_the_default_agent_too(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    serve_agent(api, documented_example, DEFAULT)
    async with connect(with_default(api)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": None})
    assert result.is_error is False
    assert agents_asked_for(api) == {DEFAULT}


@pytest.mark.parametrize("tool", list(CALLS_WITHOUT_AGENT))
async def test_without_a_default_a_missing_agent_id_says_how_to_set_one(
    api: FakeSigmaMind, mode: str, tool: str
) -> None:
    async with connect(settings_for(api), mode) as client:
        result = await client.call_tool(tool, CALLS_WITHOUT_AGENT[tool])
    assert result.is_error is True
    text = text_of(result)
    assert text.startswith(f"Missing required parameter agentId for {tool}. The id of the agent under test")
    assert "Ask the user for it" in text
    assert "set SIGMAMIND_AGENT_ID to its id in the server's environment" in text
    assert api.requests == []


async def test_the_input_schemas_say_what_the_default_is(api: FakeSigmaMind, mode: str) -> None:
    async with connect(with_default(api), mode) as client:
        with_agent = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
    async with connect(settings_for(api), mode) as client:
        without = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
    for spec in TOOLS:
        shipped = input_schema(spec.name)
        assert without[spec.name] == shipped  # without a default: exactly the parameters model's schema
        assert "agentId" in shipped["required"]
        schema = with_agent[spec.name]
        assert "agentId" not in schema.get("required", [])
        assert [name for name in schema.get("required", [])] == [n for n in shipped["required"] if n != "agentId"]
        agent = schema["properties"]["agentId"]
        assert agent["default"] == DEFAULT
        assert agent["type"] == "string"
        assert agent["description"].startswith(shipped["properties"]["agentId"]["description"])
        assert agent["description"].endswith(f"left out, it is {DEFAULT}, the default agent set by SIGMAMIND_AGENT_ID.")
        others = {name: value for name, value in schema["properties"].items() if name != "agentId"}
        assert others == {name: value for name, value in shipped["properties"].items() if name != "agentId"}
    assert "required" not in with_agent["list_batch_runs"]  # agentId was its only required parameter


async def test_the_instructions_name_the_default_agent(api: FakeSigmaMind) -> None:
    async with connect(with_default(api)) as client:
        assert f"Default agent: {DEFAULT}." in (client.instructions or "")
    async with connect(settings_for(api)) as client:
        assert "Default agent" not in (client.instructions or "")


# --- A bad SIGMAMIND_AGENT_ID ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("../admin", "it contains '/' (a path separator)"),
        ("agent_1&agentId=other", "it contains '&' (a query separator)"),
        ("a" * 129, "it is 129 characters long"),
        ("agent\u00e9", "it contains the non-ASCII character U+00E9"),
        ("..", "it is only dots"),
    ],
)
def test_a_bad_default_agent_is_a_configuration_problem(value: str, problem: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_AGENT_ID": value})
    (said,) = settings.problems
    assert said.startswith("SIGMAMIND_AGENT_ID=")
    assert f"is not an agent id: {problem}" in said
    assert settings.default_agent_id is None


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_default_agent_is_no_default(value: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_AGENT_ID": value})
    assert settings.problems == ()
    assert settings.agent_default() is None


def test_the_default_agent_is_stripped_and_shown() -> None:
    settings = Settings.from_env({"SIGMAMIND_AGENT_ID": f"  {DEFAULT}\n"})
    assert settings.agent_default() == DEFAULT
    assert f"default_agent_id='{DEFAULT}'" in repr(settings)


@pytest.mark.parametrize(
    "value",
    [API_KEY, f"Bearer {API_KEY}", "sk_live_9fQ2Lm7Tx4Vb8Nc1Zr6Wp3Hd5Kj0Ys", "x-api-key:abc"],
    ids=["the-key", "a-header", "another-key", "a-header-name"],
)
async def test_a_key_in_the_agent_variable_is_refused_and_never_shown(api: FakeSigmaMind, value: str) -> None:
    async with connect(settings_for(api, SIGMAMIND_AGENT_ID=value)) as client:
        result = await client.call_tool("get_batch_run", {"batchId": BATCH})
        tools = (await client.list_tools()).tools
    said = text_of(result)
    assert result.is_error is True
    assert said.startswith("SIGMAMIND_AGENT_ID holds an API key or something like one")
    assert "not shown" in said
    for part in (value, value[-12:], API_KEY[:12]):
        assert part not in said
        assert part not in json.dumps([tool.model_dump(mode="json") for tool in tools])
    assert api.requests == []  # the key went into no URL


@pytest.mark.parametrize(
    "arguments", [{"batchId": BATCH}, {"batchId": BATCH, "agentId": DEFAULT}], ids=["default", "explicit"]
)
async def test_every_call_reports_a_bad_default_agent(api: FakeSigmaMind, arguments: dict[str, str]) -> None:
    settings = settings_for(api, SIGMAMIND_AGENT_ID="agent/x")
    async with connect(settings) as client:
        result = await client.call_tool("get_batch_run", arguments)
        with pytest.raises(MCPError, match="SIGMAMIND_AGENT_ID='agent/x' is not an agent id"):
            await client.get_prompt("triage_batch_run", arguments)
        with pytest.raises(MCPError, match="SIGMAMIND_AGENT_ID='agent/x' is not an agent id"):
            await client.read_resource(f"sigmamind://agents/{DEFAULT}/batch-runs/{BATCH}")
        schema = next(tool.input_schema for tool in (await client.list_tools()).tools if tool.name == "get_batch_run")
        resources = (await client.list_resources()).resources
    assert result.is_error is True
    assert text_of(result).startswith("SIGMAMIND_AGENT_ID='agent/x' is not an agent id: it contains '/'")
    assert "agentId" in schema["required"]  # no default: as without the variable
    assert resources == []
    assert api.requests == []


# --- The prompt -----------------------------------------------------------------------------------------


async def test_the_prompt_without_agent_id_is_about_the_default_agent(api: FakeSigmaMind, mode: str) -> None:
    async with connect(with_default(api), mode) as client:
        (prompt,) = (await client.list_prompts()).prompts
        result = await client.get_prompt("triage_batch_run", {"batchId": BATCH})
        explicit = await client.get_prompt("triage_batch_run", {"batchId": BATCH, "agentId": OTHER})
    assert [(a.name, a.required) for a in prompt.arguments or []] == [("batchId", True), ("agentId", False)]
    agent = (prompt.arguments or [])[1]
    assert agent.description is not None
    assert f"left out, it is {DEFAULT}" in agent.description
    for said, agent_id in ((result, DEFAULT), (explicit, OTHER)):
        (message,) = said.messages
        assert isinstance(message.content, TextContent)
        assert message.content.text.startswith(f"Triage SigmaMind batch run {BATCH} of agent {agent_id}:")
        assert f"1. Call get_batch_run with batchId={BATCH}, agentId={agent_id}." in message.content.text
    assert api.requests == []


async def test_the_prompt_without_a_default_still_needs_agent_id(api: FakeSigmaMind) -> None:
    async with connect(settings_for(api)) as client:
        (prompt,) = (await client.list_prompts()).prompts
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("triage_batch_run", {"batchId": BATCH})
    assert [(a.name, a.required) for a in prompt.arguments or []] == [("batchId", True), ("agentId", True)]
    assert str(raised.value).startswith("Missing required parameter agentId for triage_batch_run.")
    assert "SIGMAMIND_AGENT_ID" in str(raised.value)


async def test_an_empty_agent_id_is_the_default_in_the_prompt_and_the_tools(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    serve_agent(api, documented_example, DEFAULT)
    async with connect(with_default(api)) as client:
        prompt = await client.get_prompt("triage_batch_run", {"batchId": BATCH, "agentId": ""})
        result = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": ""})
    (message,) = prompt.messages
    assert isinstance(message.content, TextContent)
    assert message.content.text.startswith(f"Triage SigmaMind batch run {BATCH} of agent {DEFAULT}:")
    assert result.is_error is False, text_of(result)
    assert agents_asked_for(api) == {DEFAULT}


async def test_a_null_agent_id_is_the_default_in_the_prompt_as_in_the_tools(api: FakeSigmaMind) -> None:
    # The Python client refuses to send null as a prompt argument; other clients may: sent here as they would.
    get = {"name": "triage_batch_run", "arguments": {"batchId": BATCH, "agentId": None}}
    with http_server(env=env_for(api, SIGMAMIND_AGENT_ID=DEFAULT)) as server:
        answer = await post(server.url, {"jsonrpc": "2.0", "id": 1, "method": "prompts/get", "params": get})
        server.stop()
    assert answer.status_code == 200
    (message,) = answer.json()["result"]["messages"]
    assert message["content"]["text"].startswith(f"Triage SigmaMind batch run {BATCH} of agent {DEFAULT}:")


async def test_the_prompt_still_refuses_a_bad_explicit_agent(api: FakeSigmaMind) -> None:
    async with connect(with_default(api)) as client:
        with pytest.raises(MCPError, match=r"Invalid agentId '\.\./x'"):
            await client.get_prompt("triage_batch_run", {"batchId": BATCH, "agentId": "../x"})


# --- Listed resources -----------------------------------------------------------------------------------


async def test_resources_list_the_default_agents_recent_batch_runs(
    api: FakeSigmaMind, documented_example: dict[str, Any], mode: str
) -> None:
    serve_agent(api, documented_example, DEFAULT)
    running = copy.deepcopy(documented_example)
    running.update(batchId="batch_Run1", createdDate="2026-04-05T23:59:59+02:00", successfulAttempts=1)
    running.update(failedAttempts=0, totalAttempts=1)
    untouched = {"batchId": "batch_New", "createdDate": "not a date"}
    hostile = {"batchId": "../../etc", "createdDate": "2026-04-06T00:00:00Z"}
    api.pages[DEFAULT]["data"][:0] = [hostile, untouched, running]
    async with connect(with_default(api), mode) as client:
        resources = (await client.list_resources(cache_mode="bypass")).resources
        templates = (await client.list_resource_templates()).resource_templates
        read = await client.read_resource(resources[-1].uri)
        tool = await client.call_tool("get_batch_run", {"batchId": EARLIER})
    (request, *_) = api.requests
    assert (request.path, request.query) == ("/v1/batch-runs", {"agentId": [DEFAULT], "page": ["0"], "size": ["20"]})
    assert [(r.uri, r.name) for r in resources] == [
        (f"sigmamind://agents/{DEFAULT}/batch-runs/batch_New", "batch_New (date unknown, no results yet)"),
        (
            f"sigmamind://agents/{DEFAULT}/batch-runs/batch_Run1",
            "batch_Run1 (2026-04-05 21:59 UTC, 100% passed, may still be running)",
        ),
        (f"sigmamind://agents/{DEFAULT}/batch-runs/{BATCH}", f"{BATCH} (2026-03-26 10:52 UTC, 80% passed)"),
        (f"sigmamind://agents/{DEFAULT}/batch-runs/{EARLIER}", f"{EARLIER} (2026-03-20 08:00 UTC, 80% passed)"),
    ]  # the id that could not go into a URL is left out
    for resource in resources:
        assert resource.mime_type == "text/markdown"
        assert resource.title == f"Batch run {resource.name}"
        assert resource.description
        assert DEFAULT in resource.description
    (content,) = read.contents
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "text/markdown"
    assert content.text.split("\n")[0] == text_of(tool).split("\n")[0]
    assert {t.uri_template for t in templates} == {
        BATCH_TEMPLATE,
        TEST_RUN_TEMPLATE,
        "sigmamind://batch-runs/{batchId}",
        "sigmamind://batch-runs/{batchId}/test-runs/{jobId}",
    }


async def test_a_date_out_of_range_in_utc_and_a_repeated_id_spoil_nothing(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    serve_agent(api, documented_example, DEFAULT)
    odd = [
        {"batchId": "batch_Old1", "createdDate": "0001-01-01T00:00:00+01:00"},
        {"batchId": "batch_Far1", "createdDate": "9999-12-31T23:59:59-23:59"},
        {"batchId": BATCH, "createdDate": "2026-05-01T00:00:00Z"},  # listed again below, as the API sends it
    ]
    api.pages[DEFAULT]["data"][:0] = odd
    async with connect(with_default(api)) as client:
        resources = (await client.list_resources(cache_mode="bypass")).resources
        completed = await client.complete(PromptReference(name="triage_batch_run"), {"name": "batchId", "value": ""})
    assert [r.name for r in resources] == [
        "batch_Old1 (date unknown, no results yet)",
        "batch_Far1 (date unknown, no results yet)",
        f"{BATCH} (2026-05-01 00:00 UTC, no results yet)",
        f"{EARLIER} (2026-03-20 08:00 UTC, 80% passed)",
    ]  # each id once, as it first comes
    assert completed.completion.values == ["batch_Old1", "batch_Far1", BATCH, EARLIER]


async def test_without_a_default_resources_are_the_templates_only(api: FakeSigmaMind, mode: str) -> None:
    async with connect(settings_for(api), mode) as client:
        resources = (await client.list_resources(cache_mode="bypass")).resources
        templates = (await client.list_resource_templates()).resource_templates
        completed = await client.complete(PromptReference(name="triage_batch_run"), {"name": "batchId", "value": ""})
    assert resources == []
    assert {t.uri_template for t in templates} == {BATCH_TEMPLATE, TEST_RUN_TEMPLATE}
    assert completed.completion.values == []
    assert api.requests == []


@pytest.mark.parametrize(
    "reply",
    [
        api_error(401, "Unauthorized", f"bad key {API_KEY}"),
        api_error(500, "Internal Server Error", "boom"),
        Reply(body=b"<html>not json</html>", headers={"Content-Type": "text/html"}),
        Reply(reset=True),
    ],
    ids=["401", "500", "html", "reset"],
)
async def test_resources_list_answers_when_the_listing_fails(
    api: FakeSigmaMind, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    api.handler = lambda seen: reply
    with caplog.at_level(logging.WARNING, logger="sigma_mcp"):
        async with connect(with_default(api)) as client:
            resources = (await client.list_resources(cache_mode="bypass")).resources
            templates = (await client.list_resource_templates()).resource_templates
    assert resources == []
    assert len(templates) == 4
    (record,) = [r for r in caplog.records if r.name == "sigma_mcp.resources"]
    assert record.getMessage().startswith(f"resources/list: could not list the batch runs of agent {DEFAULT}: ")
    assert API_KEY not in caplog.text


async def test_resources_list_answers_without_a_key(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sigma_mcp"):
        async with connect(Settings.from_env({"SIGMAMIND_AGENT_ID": DEFAULT})) as client:
            resources = (await client.list_resources(cache_mode="bypass")).resources
    assert resources == []
    assert "SIGMAMIND_API_KEY is not set" in caplog.text


async def test_a_slow_listing_is_given_up(
    api: FakeSigmaMind, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sigma_mcp import resources

    monkeypatch.setattr(resources, "LISTING_SECONDS", 0.3)
    api.handler = lambda seen: Reply.json(listing([]), delay=3)
    with caplog.at_level(logging.WARNING, logger="sigma_mcp"):
        async with connect(with_default(api)) as client:
            listed = (await client.list_resources(cache_mode="bypass")).resources
    assert listed == []
    assert "took more than 0.3 s; answered without them" in caplog.text


async def test_a_listing_is_kept_for_the_next_request(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    serve_agent(api, documented_example, DEFAULT)
    template = ResourceTemplateReference(uri=BATCH_TEMPLATE)
    async with connect(with_default(api)) as client:
        for typed in ("b", "ba", "bat"):
            await client.complete(template, {"name": "batchId", "value": typed})
        for _ in range(2):
            await client.list_resources(cache_mode="bypass")
    assert [seen.query["size"] for seen in api.requests] == [["100"], ["20"]]


async def test_the_default_agents_templates_read_with_the_default(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    serve_agent(api, documented_example, DEFAULT)
    async with connect(with_default(api)) as client:
        batch = await client.read_resource(f"sigmamind://batch-runs/{BATCH}")
        attempt = await client.read_resource(f"sigmamind://batch-runs/{BATCH}/test-runs/{JOB}")
        full = await client.read_resource(f"sigmamind://agents/{DEFAULT}/batch-runs/{BATCH}/test-runs/{JOB}")
    assert agents_asked_for(api) == {DEFAULT}
    texts = []
    for read in (batch, attempt, full):
        (content,) = read.contents
        assert isinstance(content, TextResourceContents)
        assert content.mime_type == "text/markdown"
        texts.append(content.text)
    assert texts[0].startswith(f"**Batch run {BATCH}")
    assert texts[1] == texts[2]


# --- Completions ----------------------------------------------------------------------------------------


def batch_runs(*ids: str) -> list[dict[str, Any]]:
    return [{"batchId": batch_id, "createdDate": "2026-04-01T00:00:00Z"} for batch_id in ids]


async def test_the_server_advertises_completions(api: FakeSigmaMind, mode: str) -> None:
    for settings in (settings_for(api), with_default(api)):
        async with connect(settings, mode) as client:
            assert client.server_capabilities.completions is not None


@pytest.mark.parametrize(
    "ref",
    [
        PromptReference(name="triage_batch_run"),
        ResourceTemplateReference(uri=BATCH_TEMPLATE),
        ResourceTemplateReference(uri=TEST_RUN_TEMPLATE),
        ResourceTemplateReference(uri="sigmamind://batch-runs/{batchId}"),
        ResourceTemplateReference(uri="sigmamind://batch-runs/{batchId}/test-runs/{jobId}"),
    ],
    ids=["prompt", "batch-run", "test-run", "default-batch-run", "default-test-run"],
)
async def test_batch_id_completes_to_the_default_agents_recent_ids(
    api: FakeSigmaMind, mode: str, ref: PromptReference | ResourceTemplateReference
) -> None:
    api.pages[DEFAULT] = listing(batch_runs("batch_Ab1", "batch_Xk2", "batch_ab3", "run_Ab4", "../x"))
    async with connect(with_default(api), mode) as client:
        everything = await client.complete(ref, {"name": "batchId", "value": ""})
        prefixed = await client.complete(ref, {"name": "batchId", "value": "batch_a"})
        nothing = await client.complete(ref, {"name": "batchId", "value": "zzz"})
    assert everything.completion.values == ["batch_Ab1", "batch_Xk2", "batch_ab3", "run_Ab4"]
    assert prefixed.completion.values == ["batch_Ab1", "batch_ab3"]  # the prefix, whatever its case
    assert (prefixed.completion.total, prefixed.completion.has_more) == (2, False)
    assert nothing.completion.values == []
    (request,) = api.requests  # one listing, kept for the keystrokes after it
    assert request.query == {"agentId": [DEFAULT], "page": ["0"], "size": ["100"]}


async def test_batch_id_completes_for_the_agent_already_given(api: FakeSigmaMind) -> None:
    api.pages[OTHER] = listing(batch_runs("batch_Other1"))
    api.pages[DEFAULT] = listing(batch_runs("batch_Default1"))
    template = ResourceTemplateReference(uri=BATCH_TEMPLATE)
    async with connect(settings_for(api)) as client:  # no default: the context's agent is the only one known
        given = await client.complete(template, {"name": "batchId", "value": ""}, {"agentId": OTHER})
        unknown = await client.complete(template, {"name": "batchId", "value": ""})
    async with connect(with_default(api)) as client:
        explicit = await client.complete(template, {"name": "batchId", "value": ""}, {"agentId": OTHER})
        bad = await client.complete(template, {"name": "batchId", "value": ""}, {"agentId": "../x"})
    assert given.completion.values == explicit.completion.values == ["batch_Other1"]
    assert unknown.completion.values == bad.completion.values == []
    assert agents_asked_for(api) == {OTHER}


async def test_batch_id_completion_is_capped_at_a_hundred(api: FakeSigmaMind) -> None:
    api.pages[DEFAULT] = listing(batch_runs(*(f"batch_{n:03d}" for n in range(100))), has_next=True)
    async with connect(with_default(api)) as client:
        completed = await client.complete(PromptReference(name="triage_batch_run"), {"name": "batchId", "value": ""})
    assert len(completed.completion.values) == 100
    assert completed.completion.has_more is True
    assert completed.completion.total is None


async def test_agent_id_completes_to_the_default(api: FakeSigmaMind, mode: str) -> None:
    template = ResourceTemplateReference(uri=BATCH_TEMPLATE)
    prompt = PromptReference(name="triage_batch_run")
    async with connect(with_default(api), mode) as client:
        for ref in (template, prompt):
            for typed in ("", "AGENT_d5", DEFAULT):
                completed = await client.complete(ref, {"name": "agentId", "value": typed})
                assert completed.completion.values == [DEFAULT]
            other = await client.complete(ref, {"name": "agentId", "value": "agent_Rk"})
            assert other.completion.values == []
        job = await client.complete(ResourceTemplateReference(uri=TEST_RUN_TEMPLATE), {"name": "jobId", "value": ""})
        # A template without an agentId has none to complete.
        agentless = await client.complete(
            ResourceTemplateReference(uri="sigmamind://batch-runs/{batchId}"), {"name": "agentId", "value": ""}
        )
    async with connect(settings_for(api), mode) as client:
        unknown = await client.complete(template, {"name": "agentId", "value": ""})
    assert job.completion.values == agentless.completion.values == unknown.completion.values == []
    assert api.requests == []


@pytest.mark.parametrize(
    "ref",
    [PromptReference(name="another\x00prompt"), ResourceTemplateReference(uri="sigmamind://elsewhere/{batchId}")],
    ids=["prompt", "template"],
)
async def test_a_completion_of_something_the_server_does_not_have_is_invalid_params(
    api: FakeSigmaMind, ref: PromptReference | ResourceTemplateReference
) -> None:
    async with connect(with_default(api)) as client:
        with pytest.raises(MCPError) as raised:
            await client.complete(ref, {"name": "batchId", "value": ""})
    assert raised.value.error.code == -32602
    assert str(raised.value).startswith(("No prompt named 'another\\x00prompt'", "No resource template"))
    assert api.requests == []


async def test_a_failed_listing_is_not_asked_for_again_at_every_keystroke(api: FakeSigmaMind) -> None:
    api.handler = lambda seen: api_error(503, "Service Unavailable", "down")
    prompt = PromptReference(name="triage_batch_run")
    async with connect(with_default(api, SIGMAMIND_TIMEOUT="2")) as client:
        first = await client.complete(prompt, {"name": "batchId", "value": ""})
        asked = len(api.requests)
        later = [await client.complete(prompt, {"name": "batchId", "value": typed}) for typed in ("b", "ba", "bat")]
        resources = (await client.list_resources(cache_mode="bypass")).resources
    assert asked >= 1  # the first one asked (with its retries)
    assert len(api.requests) == asked  # the next keystrokes, and resources/list, within FAILED_SECONDS did not
    assert first.completion.values == []
    assert all(said.completion.values == [] for said in later)
    assert resources == []


async def test_a_failed_listing_completes_to_nothing(api: FakeSigmaMind, caplog: pytest.LogCaptureFixture) -> None:
    api.handler = lambda seen: api_error(403, "Forbidden", f"no access for {API_KEY}")
    with caplog.at_level(logging.WARNING, logger="sigma_mcp"):
        async with connect(with_default(api)) as client:
            completed = await client.complete(
                PromptReference(name="triage_batch_run"), {"name": "batchId", "value": ""}
            )
    assert completed.completion.values == []
    assert "completion/complete: could not list the batch runs of agent" in caplog.text
    assert API_KEY not in caplog.text


# --- A shared HTTP server whose users bring their own keys ----------------------------------------------

USER_A = "sk_user_a_4Rt7Yp2Wq9Lm5Nv8Xc3Bz6Df1Gh0Jk"
USER_B = "sk_user_b_8Hj3Kl6Mn9Pq2Rs5Tv8Wx1Yz4Ab7Cd"
LIST_RESOURCES = {"jsonrpc": "2.0", "id": 1, "method": "resources/list", "params": {}}


async def test_a_shared_server_lists_with_each_users_own_key_and_keeps_nothing(
    api: FakeSigmaMind, documented_example: dict[str, Any]
) -> None:
    serve_agent(api, documented_example, DEFAULT)
    env = {"SIGMAMIND_BASE_URL": api.url, "SIGMAMIND_AGENT_ID": DEFAULT}
    with http_server(env=env) as server:
        answers = [
            await post(server.url, LIST_RESOURCES, **{"X-SigmaMind-Api-Key": key}) for key in (USER_A, USER_A, USER_B)
        ]
        keyless = await post(server.url, LIST_RESOURCES)
        server.stop()
    for answer in answers:
        assert answer.status_code == 200
        uris = [resource["uri"] for resource in answer.json()["result"]["resources"]]
        assert uris == [f"sigmamind://agents/{DEFAULT}/batch-runs/{batch}" for batch in (BATCH, EARLIER)]
    assert keyless.json()["result"]["resources"] == []
    # Each request listed with its own user's key: nothing one user's key listed was kept for the next request.
    assert [seen.headers.get("x-api-key") for seen in api.requests] == [USER_A, USER_A, USER_B]
    assert "resources/list: could not list the batch runs of agent" in server.stderr()
    assert USER_A not in server.stderr()
    assert USER_B not in server.stderr()


# --- The command line -----------------------------------------------------------------------------------


def test_the_commands_use_the_default_agent(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    serve_agent(api, documented_example, DEFAULT)
    listed = run_cli("batch-runs", "--json", env=env_for(api, SIGMAMIND_AGENT_ID=DEFAULT))
    explicit = run_cli("batch-run", BATCH, "--agent", OTHER, env=env_for(api, SIGMAMIND_AGENT_ID=DEFAULT))
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["agentId"] == DEFAULT
    assert explicit.returncode == 1  # OTHER has no such batch run here
    assert [seen.query["agentId"] for seen in api.requests] == [[DEFAULT], [OTHER]]


def test_a_command_without_agent_or_default_is_a_usage_error(api: FakeSigmaMind) -> None:
    completed = run_cli("batch-run", BATCH, env=env_for(api))
    assert completed.returncode == 2
    assert "the following arguments are required: --agent (or set SIGMAMIND_AGENT_ID" in completed.stderr
    bad = run_cli("batch-runs", env=env_for(api, SIGMAMIND_AGENT_ID="a b"))
    assert bad.returncode == 2
    assert "SIGMAMIND_AGENT_ID='a b' is not an agent id: it contains whitespace" in bad.stderr
    assert api.requests == []


def test_help_and_check_name_the_variable(api: FakeSigmaMind, documented_example: dict[str, Any]) -> None:
    serve_agent(api, documented_example, DEFAULT)
    assert "SIGMAMIND_AGENT_ID" in run_cli("--help", env={}).stdout
    assert "default: $SIGMAMIND_AGENT_ID" in " ".join(run_cli("batch-run", "--help", env={}).stdout.split())
    checked = run_cli("check", env=env_for(api, SIGMAMIND_AGENT_ID=DEFAULT))
    assert checked.returncode == 0, checked.stdout
    assert f"OK    SIGMAMIND_AGENT_ID is {DEFAULT}: the agent of every call that names none." in checked.stdout
    assert f"OK    Agent {DEFAULT}: 2 batch runs; the newest is {BATCH}" in checked.stdout
    refused = run_cli("check", env=env_for(api, SIGMAMIND_AGENT_ID="../x"))
    assert refused.returncode == 1
    assert "FAIL  SIGMAMIND_AGENT_ID='../x' is not an agent id" in refused.stdout


# --- Claude Code ----------------------------------------------------------------------------------------


def test_claude_code_calls_the_tools_without_agent_id(tmp_path: Path, api: FakeSigmaMind) -> None:
    from tests.anthropic_standin import Call
    from tests.conftest import require_client
    from tests.test_claude_code import claude_bin, claude_problem

    require_client(claude_problem(), "Claude Code")
    from tests.test_claude_code import AGENT_ID, HOSTILE_BATCH, converse, serve, server_env, stdio_server, structured

    serve(api)
    script = [Call("list_batch_runs", {}), Call("get_batch_run", {"batchId": HOSTILE_BATCH})]
    server = stdio_server(env={**server_env(api), "SIGMAMIND_AGENT_ID": AGENT_ID})
    conversation = converse(claude_bin(), tmp_path, server, script)
    listing, batch = conversation.results
    assert structured(listing)["batchRuns"][0]["batchId"] == HOSTILE_BATCH
    assert structured(batch)["agentId"] == AGENT_ID
    assert agents_asked_for(api) == {AGENT_ID}
    # One listing for list_batch_runs, one for the resources/list Claude Code asks at start-up for its @-menu
    # (a second resources/list within KEEP_SECONDS is answered from what the first listed).
    assert [seen.path for seen in api.requests].count("/v1/batch-runs") == 2
    offered = {tool["name"]: tool for tool in conversation.standin.conversation_requests()[-1]["tools"]}
    for spec in TOOLS:
        schema = offered[f"mcp__sigmamind__{spec.name}"]["input_schema"]
        assert "agentId" not in schema.get("required", []), schema
        assert schema["properties"]["agentId"]["default"] == AGENT_ID

"""The output schemas the tools publish, shipped as JSON beside this module.

Building the summary models and their JSON schemas at start-up would cost more than everything else
sigma-mcp does before it can answer `tools/list`; so serving reads `output_schemas.json`, and the models
are only loaded with the first call. `python -m sigma_mcp.schemas` writes the file from the models,
exactly as the MCP SDK would derive them, and a test checks that the file matches.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any

SCHEMA_FILE = Path(__file__).with_name("output_schemas.json")


@cache
def output_schemas() -> dict[str, dict[str, Any]]:
    """tool name -> the JSON schema of its structuredContent."""
    schemas: dict[str, dict[str, Any]] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schemas


@cache
def schema_keys(tool: str) -> frozenset[str]:
    """Every property name in a tool's output schema: our own field names, which are never data."""
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                keys.update(properties)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(output_schemas()[tool])
    return frozenset(keys)


def generate() -> dict[str, dict[str, Any]]:
    """The output schemas, derived from the summary models the way the SDK derives them."""
    from mcp.server.mcpserver.utilities.func_metadata import func_metadata
    from mcp.types import CallToolResult

    from sigma_mcp.summaries.batch_run import BatchRunSummary
    from sigma_mcp.summaries.batch_runs import BatchRunListSummary
    from sigma_mcp.summaries.comparison import ComparisonSummary
    from sigma_mcp.summaries.test_run import TestRunSummary

    models = {
        "get_batch_run": BatchRunSummary,
        "get_test_run": TestRunSummary,
        "list_batch_runs": BatchRunListSummary,
        "compare_batch_runs": ComparisonSummary,
    }
    schemas = {}
    for tool, model in models.items():

        def returns() -> CallToolResult:
            raise NotImplementedError

        # What a tool declaring `-> Annotated[CallToolResult, Model]` publishes.
        returns.__annotations__ = {"return": Annotated[CallToolResult, model]}
        schema = func_metadata(returns).output_schema
        if schema is None:
            raise RuntimeError(f"the SDK derived no output schema for {tool}")
        schemas[tool] = schema
    return schemas


def render(schemas: dict[str, dict[str, Any]]) -> str:
    return json.dumps(schemas, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")

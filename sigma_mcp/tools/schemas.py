"""Each tool's output schema: its summary model's `model_json_schema()`, shipped as `output_schema.json` in the
tool's folder.

Importing the summary models and building their schemas at start-up would cost more than everything else
sigma-mcp does before it can answer `tools/list`; so serving reads the files, and the models are only loaded
with the first call. `python -m sigma_mcp.tools.schemas` writes the files from the models, and a test checks
that they match.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TOOLS_DIR = Path(__file__).parent
SCHEMA_NAME = "output_schema.json"


def schema_file(tool: str) -> Path:
    return TOOLS_DIR / tool / SCHEMA_NAME


@cache
def output_schema(tool: str) -> dict[str, Any]:
    """The JSON schema of `tool`'s structuredContent."""
    schema: dict[str, Any] = json.loads(schema_file(tool).read_text(encoding="utf-8"))
    return schema


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

    walk(output_schema(tool))
    return frozenset(keys)


def generate(tool: str) -> dict[str, Any]:
    """`tool`'s output schema, from its summary model."""
    from sigma_mcp.registry import BY_NAME

    return BY_NAME[tool].summary().model_json_schema()


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    from sigma_mcp.registry import TOOLS

    for spec in TOOLS:
        schema_file(spec.name).write_text(render(generate(spec.name)), encoding="utf-8")
        print(f"wrote {schema_file(spec.name)}")

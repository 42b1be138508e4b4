"""Each tool's schemas, shipped in the tool's folder: `output_schema.json`, its summary model's
`model_json_schema()`, and `input_schema.json`, its parameters model's.

Importing the models and building their schemas at start-up would cost more than everything else sigma-mcp
does before it can answer `tools/list`; so serving reads the files, and the models are only loaded with the
first call. `python -m sigma_mcp.tools.schemas` writes the files from the models, and a test checks that they
match.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TOOLS_DIR = Path(__file__).parent
OUTPUT = "output_schema.json"
INPUT = "input_schema.json"


def schema_file(tool: str, name: str = OUTPUT) -> Path:
    return TOOLS_DIR / tool / name


@cache
def output_schema(tool: str) -> dict[str, Any]:
    """The JSON schema of `tool`'s structuredContent."""
    schema: dict[str, Any] = json.loads(schema_file(tool).read_text(encoding="utf-8"))
    return schema


def input_schema(tool: str) -> dict[str, Any]:
    """The JSON schema of `tool`'s arguments (a fresh copy: the SDK's `Tool` keeps what it is given)."""
    schema: dict[str, Any] = json.loads(schema_file(tool, INPUT).read_text(encoding="utf-8"))
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


def generate_input(tool: str) -> dict[str, Any]:
    """`tool`'s input schema, from its parameters model (without the model's class name as its title)."""
    from sigma_mcp.registry import BY_NAME

    schema: dict[str, Any] = BY_NAME[tool].parameters.model_json_schema()
    schema.pop("title", None)
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    from sigma_mcp.registry import TOOLS

    for spec in TOOLS:
        for name, schema in ((OUTPUT, generate(spec.name)), (INPUT, generate_input(spec.name))):
            schema_file(spec.name, name).write_text(render(schema), encoding="utf-8")
            print(f"wrote {schema_file(spec.name, name)}")

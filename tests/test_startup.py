"""Start-up loads only what answering initialize and tools/list needs; the shipped output and input schemas
are exactly what the summary and parameters models would publish."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sigma_mcp.registry import TOOLS
from sigma_mcp.tools.schemas import INPUT, generate, generate_input, input_schema, output_schema, render, schema_file


@pytest.mark.parametrize("tool", [spec.name for spec in TOOLS])
def test_shipped_output_schemas_match_the_models(tool: str) -> None:
    assert schema_file(tool).read_text(encoding="utf-8") == render(generate(tool)), (
        "run: python -m sigma_mcp.tools.schemas"
    )
    assert output_schema(tool) == generate(tool)


@pytest.mark.parametrize("tool", [spec.name for spec in TOOLS])
def test_shipped_input_schemas_match_the_parameters_models(tool: str) -> None:
    assert schema_file(tool, INPUT).read_text(encoding="utf-8") == render(generate_input(tool)), (
        "run: python -m sigma_mcp.tools.schemas"
    )
    assert input_schema(tool) == generate_input(tool)
    assert "title" not in input_schema(tool)


def test_serving_starts_without_the_heavy_modules() -> None:
    script = """
import json, sys
from sigma_mcp.cli import build_parser
from sigma_mcp.config import Settings
from sigma_mcp.server import create_server
import asyncio
server = create_server(Settings.from_env({}))
from sigma_mcp.registry import TOOLS
assert [tool.name for tool in asyncio.run(server.list_tools())] == [spec.name for spec in TOOLS]
print(json.dumps(sorted(sys.modules)))
"""
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    )
    for heavy in (
        "httpx",
        "sigma_mcp.sigmamind.client",
        "sigma_mcp.sigmamind.payloads",
        "sigma_mcp.tools.fit",
        *(f"sigma_mcp.tools.{spec.name}.parameters" for spec in TOOLS),
        "sigma_mcp.tools.get_batch_run.summary",
        "sigma_mcp.tools.get_batch_run.render",
        "sigma_mcp.demo",
    ):
        assert heavy not in loaded, heavy

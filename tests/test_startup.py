"""Start-up loads only what answering initialize and tools/list needs; the shipped output schemas are
exactly what the summary models would publish."""

from __future__ import annotations

import json
import subprocess
import sys

from sigma_mcp.schemas import SCHEMA_FILE, generate, output_schemas, render


def test_shipped_output_schemas_match_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(generate()), "run: python -m sigma_mcp.schemas"
    assert output_schemas() == generate()


def test_serving_starts_without_the_heavy_modules() -> None:
    script = """
import json, sys
from sigma_mcp.cli import build_parser
from sigma_mcp.config import Settings
from sigma_mcp.server import create_server
create_server(Settings.from_env({}))
print(json.dumps(sorted(sys.modules)))
"""
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    )
    for heavy in (
        "httpx",
        "sigma_mcp.client",
        "sigma_mcp.models",
        "sigma_mcp.operations",
        "sigma_mcp.summaries.batch_run",
        "sigma_mcp.render.batch_run",
        "sigma_mcp.demo",
    ):
        assert heavy not in loaded, heavy

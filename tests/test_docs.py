"""The README matches the behaviour: its example output is real, its config snippets parse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sigma_mcp.config import Settings
from tests.conftest import connect
from tests.test_server import AGENT, text_of

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^(`{{3,}}){language}\n(.*?)\n\1$", README, re.MULTILINE | re.DOTALL)


@pytest.mark.anyio
async def test_readme_example_output_is_what_the_tool_returns() -> None:
    (example,) = [body for _, body in blocks("markdown")]
    command = "sigma-mcp batch-run batch_Xk3pQ9mLrT2vWs7d --agent agent_D5D0p7TUs66TTAEAx --limit 1 --demo"
    assert f"`{command}`" in README
    arguments = {"batchId": "batch_Xk3pQ9mLrT2vWs7d", "agentId": AGENT, "limit": 1}
    async with connect(Settings.from_env({}, demo=True)) as client:
        result = await client.call_tool("get_batch_run", arguments)
    assert text_of(result) == example + "\n"


def test_readme_config_snippet_is_the_example_file() -> None:
    # Every snippet of the README and docs/ is checked in detail by test_client_docs.py.
    snippets = [json.loads(body) for _, body in blocks("json")]
    desktop = json.loads((ROOT / "claude_desktop_config.example.json").read_text())
    assert snippets == [desktop]


def test_quickstart_is_two_commands_and_ci_runs_the_same_tests() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = [body for _, body in re.findall(r"^(```)sh\n(.*?)\n\1$", quickstart, re.MULTILINE | re.DOTALL)]
    assert len(commands) == 2
    assert "--demo" in commands[0]
    test_command = commands[1].split("&& ")[-1]
    assert test_command == ".venv/bin/python -m pytest"
    assert test_command in (ROOT / ".ci" / "run").read_text()

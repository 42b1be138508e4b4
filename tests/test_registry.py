"""The registry is the one list of tools: the server, the command line, the schemas, the demo and the README
all follow it (the checklist in docs/architecture.md names these tests)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sigma_mcp.cli import build_parser
from sigma_mcp.cli.commands import metavar, option
from sigma_mcp.config import Settings
from sigma_mcp.registry import BY_NAME, TOOLS
from sigma_mcp.tools.common import OutputModel
from sigma_mcp.tools.parameters import Parameters
from tests.conftest import connect

ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = ROOT / "sigma_mcp" / "tools"
NAMES = [spec.name for spec in TOOLS]


def test_the_registry_names_each_tool_once() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert len({spec.command for spec in TOOLS}) == len(TOOLS)
    assert list(BY_NAME) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_tool_has_its_folder(name: str) -> None:
    folder = TOOLS_DIR / name
    for part in (
        "__init__.py",
        "parameters.py",
        "input_schema.json",
        "output.py",
        "summary.py",
        "render.py",
        "output_schema.json",
    ):
        assert (folder / part).is_file(), f"{name} has no {part}"
    module = importlib.import_module(f"sigma_mcp.tools.{name}")
    spec = BY_NAME[name]
    assert module.SPEC is spec
    assert issubclass(spec.parameters, Parameters)
    assert spec.parameters.__module__ == f"sigma_mcp.tools.{name}.parameters"
    assert spec.parameters.model_config.get("extra") == "forbid"
    model = spec.summary()
    assert issubclass(model, OutputModel)
    assert model.__module__ == f"sigma_mcp.tools.{name}.output"
    assert next(iter(model.model_fields)) == "verdict"
    for field, info in spec.parameters.model_fields.items():
        assert re.fullmatch(r"[a-z][A-Za-z]*", field), field
        assert info.description, f"{name}.{field} has no description"
    assert set(spec.positional) <= set(spec.parameters.model_fields)


def test_every_folder_under_tools_is_a_registered_tool() -> None:
    folders = {path.parent.name for path in TOOLS_DIR.glob("*/__init__.py")}
    assert folders == set(NAMES)


@pytest.mark.anyio
async def test_tools_list_is_the_registry() -> None:
    async with connect(Settings.from_env({"SIGMAMIND_DEMO": "1"})) as client:
        listed = (await client.list_tools()).tools
    assert [tool.name for tool in listed] == NAMES
    for tool, spec in zip(listed, TOOLS, strict=True):
        assert tool.title == spec.title
        assert tool.description == spec.description
        assert tool.input_schema["properties"].keys() == spec.parameters.model_fields.keys()
        assert tool.input_schema["additionalProperties"] is False
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True


def test_every_tool_has_a_command_with_every_parameter() -> None:
    parser = build_parser()
    subcommands = next(action for action in parser._actions if action.dest == "command")
    choices = subcommands.choices  # type: ignore[attr-defined]
    assert {spec.command for spec in TOOLS} <= set(choices)
    for spec in TOOLS:
        usage = choices[spec.command].format_usage()
        for name in spec.parameters.model_fields:
            shown = metavar(name) if name in spec.positional else option(name)
            assert shown in usage, f"{spec.command} lacks {shown}"


@pytest.mark.parametrize("spec", TOOLS, ids=NAMES)
def test_each_command_refuses_what_its_tool_refuses(spec: object) -> None:
    from sigma_mcp.tools.spec import ToolSpec

    assert isinstance(spec, ToolSpec)
    positional = ["not/an/id" for _ in spec.positional]
    options = [
        item
        for name, info in spec.parameters.model_fields.items()
        if name not in spec.positional and info.is_required()
        for item in (option(name), "agent_D5D0p7TUs66TTAEAx")
    ]
    completed = subprocess.run(
        [sys.executable, "-m", "sigma_mcp", spec.command, *positional, *options, "--demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if spec.positional:
        assert completed.returncode == 2, completed.stderr
        assert f"Invalid {spec.positional[0]} 'not/an/id'" in completed.stderr
    else:
        assert completed.returncode == 0, completed.stderr


def test_the_readme_names_every_tool() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for spec in TOOLS:
        assert f"### `{spec.name}`" in readme
        assert f"sigma-mcp {spec.command}" in readme or f"`{spec.command}`" in readme, spec.command

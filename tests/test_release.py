"""What a release ships runs: `.ci/build package` makes an sdist and a wheel that pass `twine check --strict`, and the
wheel, installed into a fresh virtual environment (not this editable tree), serves a stdio session; `.ci/build
bundle` validates and packs the Claude Desktop bundle with the official CLI (pinned in tests/bundle), and the
unpacked bundle, started as Claude Desktop starts it (its `mcp_config`, with `${__dirname}` and `${user_config.*}`
filled in, run by `uv`, installed from PyPI as a dev dependency), serves one too.

Both build from this checkout and install sigma-mcp's dependencies from PyPI (or the index the environment names)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from sigma_mcp import __version__
from tests.conftest import clean_env, npm_package_problem, require_client
from tests.stdio_driver import RawSession
from tests.test_distribution import MCP_NAME_LINE
from tests.test_uvx import uv_env

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_TOOLS = ROOT / "tests" / "bundle"
MCPB = BUNDLE_TOOLS / "node_modules" / ".bin" / "mcpb"
DEMO_BATCH = {"batchId": "batch_Xk3pQ9mLrT2vWs7d", "agentId": "agent_D5D0p7TUs66TTAEAx"}
FIRST_START = 300
"""Seconds the first start may take: uv installs sigma-mcp's dependencies then."""
FORM_KEY = "sm_live_5Tq8Vn2Rx7Kp4Wd9Lz3Hc6Yb"
"""What a user would type into the bundle's form: a key of the usual shape (no real one)."""

pytestmark = pytest.mark.timeout(600)


def build(step: str, out: Path) -> str:
    """`.ci/build <step> <out>`, run with this Python; its output."""
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "build"), step, str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=FIRST_START,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def serve_demo(session: RawSession, tools: list[str] | None = None) -> dict[str, Any]:
    """initialize, tools/list and a demo get_batch_run; the initialize result."""
    initialized = session.initialize(timeout=FIRST_START)
    listed = [tool["name"] for tool in session.request("tools/list")["result"]["tools"]]
    assert listed == (tools or ["get_batch_run", "get_test_run", "list_batch_runs", "compare_batch_runs"])
    result = session.call_tool("get_batch_run", DEMO_BATCH)
    assert result.get("isError") is not True, result
    assert result["content"][0]["text"].startswith(f"**DEMO DATA — Batch run {DEMO_BATCH['batchId']}")
    assert result["structuredContent"]["batchId"] == DEMO_BATCH["batchId"]
    assert session.close() == 0
    info: dict[str, Any] = initialized["result"]
    return info


def test_the_wheel_installs_into_a_fresh_environment_and_serves(tmp_path: Path) -> None:
    output = build("package", tmp_path / "dist")
    assert output.count("PASSED") == 2, output  # twine check --strict, the sdist and the wheel

    sdist = tmp_path / "dist" / f"sigma_mcp-{__version__}.tar.gz"
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml", "sigma_mcp/__init__.py"} <= names
    assert any(name.startswith("tests/test_") for name in names)
    assert not any("node_modules" in name or "__pycache__" in name for name in names)

    wheel = tmp_path / "dist" / f"sigma_mcp-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"sigma_mcp-{__version__}.dist-info/METADATA").decode()
        names = set(archive.namelist())
    assert f"sigma_mcp-{__version__}.dist-info/licenses/LICENSE" in names
    assert "sigma_mcp/demo/batch_runs/batch_Xk3pQ9mLrT2vWs7d.json" in names
    assert "sigma_mcp/tools/get_batch_run/output_schema.json" in names
    assert not any(name.startswith("tests/") for name in names)
    assert re.search(r"^License-Expression: MIT$", metadata, re.M)
    assert re.search(MCP_NAME_LINE, metadata)  # the registry's ownership check reads the description PyPI shows

    env = uv_env(tmp_path)
    venv = tmp_path / "venv"
    uv = str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], env=env, check=True, timeout=60)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), str(wheel)], env=env, check=True, timeout=FIRST_START
    )
    where = subprocess.run(
        [str(python), "-c", "import sigma_mcp; print(sigma_mcp.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv)  # the wheel's copy, not this tree

    with RawSession(clean_env(), command=[str(venv / "bin" / "sigma-mcp"), "--demo"], cwd=str(tmp_path)) as session:
        info = serve_demo(session)
    assert info["serverInfo"]["version"] == __version__


def claude_desktop_config(unpacked: Path, form: dict[str, Any]) -> dict[str, Any] | None:
    """The command Claude Desktop runs for the bundle unpacked at `unpacked` with `form` filled in: the `mcp_config`
    the official MCP Bundle library makes of them (tests/bundle/mcp_config.mjs), or None where it would not start."""
    done = subprocess.run(
        ["node", str(BUNDLE_TOOLS / "mcp_config.mjs"), str(unpacked), json.dumps(form)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    config: dict[str, Any] | None = json.loads(done.stdout)
    return config


def tracked(*paths: str) -> set[str]:
    listed = subprocess.run(["git", "ls-files", "--", *paths], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(listed.stdout.split())


def test_the_bundle_validates_packs_and_starts_as_claude_desktop_starts_it(tmp_path: Path) -> None:
    install = "npm ci --prefix tests/bundle --ignore-scripts"
    require_client(
        npm_package_problem(BUNDLE_TOOLS, "@anthropic-ai/mcpb", "the MCP Bundle CLI", install, MCPB), "bundle"
    )
    output = build("bundle", tmp_path / "out")
    assert "Manifest schema validation passes!" in output, output
    bundle = tmp_path / "out" / f"sigma-mcp-{__version__}.mcpb"
    assert bundle.stat().st_size < 1_000_000

    unpacked = tmp_path / "Claude Extensions" / "sigma-mcp"  # a space, as in Claude Desktop's own folder
    subprocess.run([str(MCPB), "unpack", str(bundle), str(unpacked)], check=True, capture_output=True, timeout=120)
    files = {path.relative_to(unpacked).as_posix() for path in unpacked.rglob("*") if path.is_file()}
    # What uv needs and nothing else: the tracked files of these paths (no venv, test, cache or untracked file).
    assert files == tracked("manifest.json", "pyproject.toml", "README.md", "LICENSE", ".python-version", "sigma_mcp")

    manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
    assert claude_desktop_config(unpacked, {"demo": True}) is None  # the key is required, in demo mode too
    config = claude_desktop_config(unpacked, {"api_key": FORM_KEY, "demo": True})
    assert config is not None
    assert config["env"]["SIGMAMIND_DEMO"] == "true"
    assert config["env"]["SIGMAMIND_TIMEOUT"] == "30"
    command = [config["command"], *config["args"]]
    assert command[0] == "uv"
    assert command[3] == str(unpacked)
    command[0] = str(Path(sys.executable).parent / "uv")  # uv from PyPI, installed into this environment
    env = {**uv_env(tmp_path), **config["env"]}
    env.pop("UV_PYTHON")  # uv picks the Python the bundle pins (.python-version), as it does in Claude Desktop
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])

    with RawSession(env, command=command, cwd=str(tmp_path)) as session:
        info = serve_demo(session, [tool["name"] for tool in manifest["tools"]])
        stderr = session.stderr.decode(errors="replace")
    assert info["serverInfo"]["version"] == __version__
    assert FORM_KEY not in stderr
    assert (unpacked / ".venv").is_dir()  # uv made the bundle's environment in the bundle's own folder

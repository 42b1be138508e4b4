"""`uvx --from <clone> sigma-mcp` runs the code the clone holds now, not the wheel uv built from it before:
pyproject.toml's `[tool.uv] cache-keys` make uv rebuild when a package file, pyproject.toml or the git commit
changes. The test builds a copy of the package with the real uv (a dev dependency), in a cache of its own;
uv resolves the dependencies from PyPI (or the index its environment names)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clean_env

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE")
"""Besides sigma_mcp/: what building the wheel reads (hatchling: the metadata, the readme and the license file)."""
REBUILT = re.compile(r"Built sigma-mcp @ file://")
CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")


@pytest.fixture(scope="module")
def uvx() -> list[str]:
    """The command that runs `uvx`: the one installed next to this Python, else the one on PATH."""
    here = Path(sys.executable).parent
    suffix = ".exe" if os.name == "nt" else ""
    for name, command in (("uvx", []), ("uv", ["tool", "run"])):
        found = here / f"{name}{suffix}"
        path = str(found) if found.exists() else shutil.which(name)
        if path is not None:
            return [path, *command]
    if os.environ.get("CI") == "true":
        pytest.fail("uv is not installed; pip install -e '.[dev]' installs it")
    pytest.skip("uv is not installed (pip install -e '.[dev]' installs it)")


def copy_package(to: Path) -> Path:
    """The files a build of sigma-mcp needs, copied from this checkout: no caches, no virtual environment."""
    to.mkdir()
    for name in PACKAGE_FILES:
        shutil.copy2(ROOT / name, to / name)
    shutil.copytree(ROOT / "sigma_mcp", to / "sigma_mcp", ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))
    return to


def uv_env(tmp_path: Path) -> dict[str, str]:
    """uv with everything it keeps inside `tmp_path`, this Python (no download of one), no SigmaMind settings."""
    env = clean_env(
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_TOOL_DIR=str(tmp_path / "uv-tools"),
        UV_TOOL_BIN_DIR=str(tmp_path / "uv-bin"),
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        NO_COLOR="1",
    )
    for name in ("UV_REFRESH", "UV_NO_CACHE", "UV_REINSTALL"):  # each would hide what is tested
        env.pop(name, None)
    # uv reads no pip configuration: the index and CA bundle pip was told to use (a TLS-inspecting proxy's
    # CA, a mirror) are handed over in uv's own terms.
    if "SSL_CERT_FILE" not in env:
        bundle = env.get("PIP_CERT") or env.get("REQUESTS_CA_BUNDLE")
        bundle = bundle or next((path for path in CA_BUNDLES if Path(path).is_file()), None)
        if bundle:
            env["SSL_CERT_FILE"] = bundle
    if "PIP_INDEX_URL" in env and not {"UV_INDEX_URL", "UV_DEFAULT_INDEX"} & env.keys():
        env["UV_DEFAULT_INDEX"] = env["PIP_INDEX_URL"]
    return env


class Runner:
    def __init__(self, uvx: list[str], source: Path, tmp_path: Path) -> None:
        self.command = [*uvx, "--from", str(source), "sigma-mcp", "--version"]
        self.env = uv_env(tmp_path)
        self.cwd = tmp_path

    def __call__(self) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        return completed


def git(source: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=source,
        env={**clean_env(), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.timeout(300)
def test_uvx_runs_the_code_the_clone_holds_now(uvx: list[str], tmp_path: Path) -> None:
    source = copy_package(tmp_path / "sigma-mcp")
    with_git = shutil.which("git") is not None
    if with_git:
        git(source, "init", "--quiet")
        git(source, "add", "--all")
        git(source, "commit", "--quiet", "-m", "first")
    run = Runner(uvx, source, tmp_path)
    init = source / "sigma_mcp" / "__init__.py"
    version = re.search(r'__version__ = "([^"]+)"', init.read_text(encoding="utf-8"))
    assert version is not None

    first = run()
    assert first.stdout.strip() == f"sigma-mcp {version.group(1)}"
    assert REBUILT.search(first.stderr), first.stderr
    # Nothing changed: the cached build is used (so "Built" below means the change was noticed).
    again = run()
    assert again.stdout == first.stdout
    assert not REBUILT.search(again.stderr), again.stderr

    # The version, in sigma_mcp/__init__.py.
    init.write_text(init.read_text(encoding="utf-8").replace(version.group(0), '__version__ = "9.8.7"'))
    assert run().stdout.strip() == "sigma-mcp 9.8.7"

    # Any other module: here the command's own.
    cli = source / "sigma_mcp" / "cli" / "__init__.py"
    marker = "edited after the first build"
    cli.write_text(cli.read_text(encoding="utf-8") + f"\nsys.stderr.write({marker!r} + '\\n')\n", encoding="utf-8")
    edited = run()
    assert marker in edited.stderr
    assert edited.stdout.strip() == "sigma-mcp 9.8.7"

    # A data file of the package, and pyproject.toml itself.
    schemas = source / "sigma_mcp" / "tools" / "get_batch_run" / "output_schema.json"
    schemas.write_text(schemas.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert REBUILT.search(run().stderr)
    pyproject = source / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert REBUILT.search(run().stderr)
    assert not REBUILT.search(run().stderr)

    if with_git:
        # A new commit alone (a pull that changed nothing uv watches by file, say) rebuilds too.
        git(source, "commit", "--quiet", "--allow-empty", "-m", "second")
        committed = run()
        assert REBUILT.search(committed.stderr), committed.stderr
        assert marker in committed.stderr

    assert (tmp_path / "uv-cache").is_dir()  # where uv kept everything

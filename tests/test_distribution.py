"""The install files agree with the server: manifest.json (the Claude Desktop bundle), server.json (the MCP Registry
entry) and the README's one-click links are what `python -m sigma_mcp.distribution` writes from the registry and the
version; server.json is valid against the registry's schema (vendored in tests/data); every version is the one the
server reports; each one-click link decodes to `uvx sigma-mcp` asking for the key, never holding one."""

from __future__ import annotations

import base64
import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import pytest

from sigma_mcp import __version__, distribution
from sigma_mcp.config import API_KEY_VAR
from tests.conftest import clean_env
from tests.stdio_driver import RawSession

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
SERVER = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "tests" / "data" / "server.schema.json").read_text(encoding="utf-8"))


def test_the_generated_files_are_up_to_date() -> None:
    assert distribution.stale() == []  # else: python -m sigma_mcp.distribution


def test_a_stale_file_is_reported(tmp_path: Path) -> None:
    for name in ("manifest.json", "server.json", "README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    assert distribution.stale(tmp_path) == []
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    manifest["tools"] = manifest["tools"][:-1]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert distribution.stale(tmp_path) == [tmp_path / "manifest.json"]


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    """What the installed server says of itself over stdio: initialize, tools/list, prompts/list."""
    with RawSession(clean_env(), ("--demo",)) as session:
        initialized = session.initialize()["result"]
        tools = session.request("tools/list")["result"]["tools"]
        prompts = session.request("prompts/list")["result"]["prompts"]
        assert session.close() == 0
    return {"initialize": initialized, "tools": tools, "prompts": prompts}


def test_every_version_is_the_one_the_server_reports(served: dict[str, Any]) -> None:
    reported = served["initialize"]["serverInfo"]["version"]
    assert reported == __version__
    assert MANIFEST["version"] == reported
    assert SERVER["version"] == reported
    assert [package["version"] for package in SERVER["packages"]] == [reported]
    assert re.search(rf"^## {re.escape(reported)} ", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)


def test_the_manifest_lists_the_tools_and_prompts_the_server_serves(served: dict[str, Any]) -> None:
    assert [(tool["name"], tool["description"]) for tool in MANIFEST["tools"]] == [
        (tool["name"], tool["description"]) for tool in served["tools"]
    ]
    assert [prompt["name"] for prompt in MANIFEST["prompts"]] == [prompt["name"] for prompt in served["prompts"]]
    for listed, prompt in zip(MANIFEST["prompts"], served["prompts"], strict=True):
        assert listed["description"] == prompt["description"]
        assert listed["arguments"] == [argument["name"] for argument in prompt["arguments"]]
        assert all(f"${{arguments.{name}}}" in listed["text"] for name in listed["arguments"])


def test_the_manifest_runs_the_bundle_with_uv_and_the_key_from_the_form() -> None:
    assert MANIFEST["manifest_version"] == "0.4"
    server = MANIFEST["server"]
    assert server["type"] == "uv"
    assert (ROOT / server["entry_point"]).is_file()
    config = server["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"][:3] == ["run", "--directory", "${__dirname}"]
    assert config["args"][-1] == "sigma-mcp"
    assert config["env"][API_KEY_VAR] == "${user_config.api_key}"
    user = MANIFEST["user_config"]
    assert user["api_key"]["sensitive"] is True
    assert user["api_key"]["required"] is True
    assert {"base_url", "timeout", "demo"} <= user.keys()
    for name, field in user.items():
        assert f"${{user_config.{name}}}" in config["env"].values()
        assert name == "api_key" or ("default" in field and field["required"] is False)


def test_the_pinned_python_is_one_the_package_supports() -> None:
    pinned = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert metadata.metadata("sigma-mcp")["Requires-Python"] == ">=3.10"
    assert MANIFEST["compatibility"]["runtimes"]["python"] == ">=3.10 <4"
    major, minor = (int(part) for part in pinned.split(".")[:2])
    assert (major, minor) >= (3, 10)


def test_server_json_is_valid_against_the_registry_schema() -> None:
    assert SCHEMA["$id"] == SERVER["$schema"]
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(SERVER)
    assert len(SERVER["description"]) <= 100
    assert SERVER["name"] == f"io.github.{distribution.OWNER}/sigma-mcp"
    assert "remotes" not in SERVER  # no hosted sigma-mcp: a team runs its own HTTP server (README)
    (package,) = SERVER["packages"]
    assert (package["registryType"], package["identifier"], package["runtimeHint"]) == ("pypi", "sigma-mcp", "uvx")
    assert package["transport"] == {"type": "stdio"}
    key = next(variable for variable in package["environmentVariables"] if variable["name"] == API_KEY_VAR)
    assert key["isSecret"] is True
    assert key["isRequired"] is True


def test_an_invalid_server_json_is_refused_by_the_schema() -> None:
    broken = {**SERVER, "description": "x" * 101}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)


MCP_NAME_LINE = rf"mcp-name: {re.escape(SERVER['name'])}(?=\s|-->|<)"
"""How the registry checks PyPI ownership: this in the package's description (the README), the name followed by a
boundary (tests/test_release.py checks the built wheel's)."""


def test_the_readme_names_the_server_for_the_registry() -> None:
    assert re.search(MCP_NAME_LINE, README)


def readme_links() -> dict[str, str]:
    block = README.split(distribution.LINKS_START, 1)[1].split(distribution.LINKS_END, 1)[0]
    found = re.findall(r"\((https://[^)\s]+)\)|^((?:cursor|vscode):\S+)$", block, re.M)
    urls = [web or deep for web, deep in found]
    by_kind = {
        "cursor": [url for url in urls if url.startswith("cursor://")],
        "cursor_web": [url for url in urls if url.startswith("https://cursor.com/")],
        "vscode": [url for url in urls if url.startswith("vscode:")],
        "vscode_web": [url for url in urls if url.startswith("https://vscode.dev/")],
    }
    assert all(len(kind) == 1 for kind in by_kind.values()), by_kind
    return {kind: values[0] for kind, values in by_kind.items()}


def assert_runs_uvx_and_holds_no_key(config: dict[str, Any], key_reference: str) -> None:
    assert config["command"] == "uvx"
    assert config["args"] == ["sigma-mcp"]
    assert config["env"] == {API_KEY_VAR: key_reference}


@pytest.mark.parametrize("kind", ["cursor", "cursor_web"])
def test_the_cursor_links_run_uvx_and_take_the_key_from_the_environment(kind: str) -> None:
    url = urlsplit(readme_links()[kind])
    if kind == "cursor":
        assert (url.scheme, url.netloc, url.path) == ("cursor", "anysphere.cursor-deeplink", "/mcp/install")
    query = parse_qs(url.query, strict_parsing=True)
    assert query["name"] == ["sigmamind"]
    config = json.loads(base64.b64decode(query["config"][0], validate=True))
    assert_runs_uvx_and_holds_no_key(config, "${env:SIGMAMIND_API_KEY}")


def test_the_vscode_deep_link_runs_uvx_and_asks_for_the_key() -> None:
    url = readme_links()["vscode"]
    assert url.startswith("vscode:mcp/install?")
    spec = json.loads(unquote(url.split("?", 1)[1]))
    assert spec.pop("name") == "sigmamind"
    (key_input,) = spec.pop("inputs")
    assert key_input["type"] == "promptString"
    assert key_input["password"] is True
    assert spec.pop("type") == "stdio"
    assert_runs_uvx_and_holds_no_key(spec, f"${{input:{key_input['id']}}}")


def test_the_vscode_web_link_installs_the_same() -> None:
    query = parse_qs(urlsplit(readme_links()["vscode_web"]).query, strict_parsing=True)
    assert query["name"] == ["sigmamind"]
    (key_input,) = json.loads(query["inputs"][0])
    assert key_input["password"] is True
    config = json.loads(query["config"][0])
    assert config.pop("type") == "stdio"
    assert_runs_uvx_and_holds_no_key(config, f"${{input:{key_input['id']}}}")

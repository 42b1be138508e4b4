"""Every client configuration and command in the README and docs/ is checked: JSON snippets parse and have
the shape their client reads, their commands and arguments are ones sigma-mcp accepts, the ones this machine
can run start the server and connect as written, and the sample output of `sigma-mcp check` is what it
prints."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from sigma_mcp.cli import build_parser
from tests.conftest import clean_env, sigma_mcp_script
from tests.fake_api import FakeSigmaMind
from tests.http_driver import http_server
from tests.test_cli import run_cli
from tests.test_http import mcp_client
from tests.test_server import TOOL_NAMES

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ENV_NAMES = {
    "SIGMAMIND_API_KEY",
    "SIGMAMIND_BASE_URL",
    "SIGMAMIND_TIMEOUT",
    "SIGMAMIND_LOG_LEVEL",
    "SIGMAMIND_DEMO",
    "SIGMAMIND_MAX_RESPONSE_MB",
    "PYTHONIOENCODING",
}
HEADERS = {"Authorization", "X-SigmaMind-Api-Key"}
TOKEN = "tok_docs_Zq8wN3vR6yT1mK4pX7cB2dF5"
PLACEHOLDER = re.compile(r"\$\{(?:env|input):([A-Za-z0-9_-]+)\}")


def blocks(language: str) -> list[tuple[Path, str]]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        found += [(path, body) for _, body in re.findall(rf"^(`{{3,}}){language}\n(.*?)\n\1$", text, re.M | re.S)]
    return found


def configs() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{path.name}#{number}", json.loads(body)) for number, (path, body) in enumerate(blocks("json"))]


def server_entry(config: dict[str, Any]) -> dict[str, Any]:
    servers = config.get("mcpServers", config.get("servers"))
    assert isinstance(servers, dict)
    assert list(servers) == ["sigmamind"]
    entry: dict[str, Any] = servers["sigmamind"]
    return entry


def sigma_mcp_arguments(args: list[str]) -> None:
    """`args` are arguments sigma-mcp's parser accepts (SystemExit otherwise)."""
    build_parser().parse_args(args)


def test_there_are_snippets_for_every_client() -> None:
    found = configs()
    assert len(found) == 9
    stdio = [entry for _, config in found if "command" in (entry := server_entry(config))]
    remote = [entry for _, config in found if "url" in (entry := server_entry(config))]
    assert len(stdio) == 7  # Claude Desktop (README, macOS, Windows, uvx), Cursor, VS Code, mcp-remote
    assert len(remote) == 2  # Cursor and VS Code over HTTP


@pytest.mark.parametrize(("where", "config"), configs(), ids=[where for where, _ in configs()])
def test_each_snippet_has_its_clients_shape(where: str, config: dict[str, Any]) -> None:
    entry = server_entry(config)
    declared = {item["id"] for item in config.get("inputs", [])}
    used = set(PLACEHOLDER.findall(json.dumps(config)))
    if "servers" in config:  # VS Code: a type, and every ${input:...} declared (and secret)
        assert entry["type"] in ("stdio", "http")
        assert {name for name in used if name in declared} == declared
        assert all(item["type"] == "promptString" and item["password"] is True for item in config["inputs"])
    else:
        assert "inputs" not in config
        assert "type" not in entry
    if "url" in entry:
        assert entry["url"].startswith("https://")
        assert entry["url"].endswith("/mcp")
        assert set(entry["headers"]) <= HEADERS
        assert entry["headers"]["Authorization"].startswith("Bearer ${")
        return
    command = entry["command"]
    program = re.split(r"[\\/]", command)[-1]
    env = entry.get("env", {})
    if program == "npx":  # Claude Desktop through mcp-remote
        args = entry["args"]
        assert args[:2] == ["-y", "mcp-remote"]
        assert args[2].endswith("/mcp")
        assert args[3:] == ["--header", "Authorization:${AUTH_HEADER}"]
        assert env == {"AUTH_HEADER": "Bearer your-token"}
        return
    assert set(env) <= ENV_NAMES
    assert "SIGMAMIND_API_KEY" in env
    if program == "uvx":
        assert entry["args"][0] == "--from"
        assert os.path.isabs(entry["args"][1])
        assert entry["args"][2] == "sigma-mcp"
        sigma_mcp_arguments(entry["args"][3:])
        assert os.path.isabs(command)
    else:
        assert program in ("sigma-mcp", "sigma-mcp.exe")
        sigma_mcp_arguments(entry.get("args", []))
    if "\\" in command:  # Windows
        assert command.endswith("\\Scripts\\sigma-mcp.exe")
        assert env["PYTHONIOENCODING"] == "utf-8"


STDIO_RUNNABLE = [
    (where, config)
    for where, config in configs()
    if server_entry(config).get("command") == "sigma-mcp"  # the others need Windows, uvx or npx
]


@pytest.mark.anyio
@pytest.mark.parametrize(("where", "config"), STDIO_RUNNABLE, ids=[where for where, _ in STDIO_RUNNABLE])
async def test_stdio_snippets_start_the_server_as_written(where: str, config: dict[str, Any]) -> None:
    entry = server_entry(config)
    env = {name: PLACEHOLDER.sub("paste-your-sigmamind-api-key-here", value) for name, value in entry["env"].items()}
    path = os.pathsep.join([str(Path(sigma_mcp_script()).parent), os.environ.get("PATH", "")])
    params = StdioServerParameters(
        command=entry["command"], args=entry.get("args", []), env=clean_env(**env, PATH=path)
    )
    async with Client(params, mode="legacy") as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == TOOL_NAMES
        result = await client.call_tool("list_batch_runs", {"agentId": "agent_D5D0p7TUs66TTAEAx"})
    assert result.is_error is True  # the placeholder key is recognised; no request is made
    assert "placeholder" in str(result.content[0])


REMOTE = [(where, config) for where, config in configs() if "url" in server_entry(config)]


@pytest.mark.anyio
@pytest.mark.parametrize(("where", "config"), REMOTE, ids=[where for where, _ in REMOTE])
async def test_http_snippets_connect_as_written(where: str, config: dict[str, Any]) -> None:
    entry = server_entry(config)
    values = {"SIGMA_MCP_AUTH_TOKEN": TOKEN, "sigma-mcp-token": TOKEN}
    headers = {
        name: PLACEHOLDER.sub(lambda found: values.get(found.group(1), "sk_user_4Rt7Yp2Wq9Lm5Nv8Xc3Bz6Df1"), value)
        for name, value in entry["headers"].items()
    }
    with http_server("--demo", env={"SIGMA_MCP_AUTH_TOKEN": TOKEN}) as server:
        async with mcp_client(server.url, **headers) as client:
            assert [tool.name for tool in (await client.list_tools()).tools] == TOOL_NAMES


def shell_commands() -> list[tuple[Path, list[str]]]:
    """Every command in the shell blocks, as words: one per line, or per part of a line joined by `&&`."""
    found = []
    for path, body in blocks("sh"):
        for line in body.replace("\\\n", " ").splitlines():
            line = re.sub(r"(^|\s)#.*", "", line)  # comments
            line = re.sub(r"\[(--[^]]*)\]", r"\1", line)  # [--optional] parts, as if given
            for part in line.split("&&"):
                words = shlex.split(part)
                while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):  # VARIABLE=value before the command
                    words.pop(0)
                if words:
                    found.append((path, words))
    return found


def runs_sigma_mcp(words: list[str]) -> list[str] | None:
    """The arguments given to sigma-mcp when `words` run it (directly, via `python -m` or `uvx`), else None."""
    if words[0].endswith("sigma-mcp"):
        return words[1:]
    if Path(words[0]).name in ("python", "python3") and words[1:3] == ["-m", "sigma_mcp"]:
        return words[3:]
    if words[0] == "uvx":
        assert words[1] == "--from", words
        assert words[3] == "sigma-mcp", words
        return words[4:]
    return None


def test_every_documented_command_is_accepted() -> None:
    claude, sigma = [], []
    for _, words in shell_commands():
        if words[:3] == ["claude", "mcp", "add"]:
            claude.append(words)
        elif (arguments := runs_sigma_mcp(words)) is not None:
            sigma.append(arguments)
        elif words[:2] == ["pipx", "install"]:
            assert len(words) == 3, words  # a path or URL to install from
        else:
            # Anything else (pip, venv, ruff, echo) must not run sigma-mcp in a way this test does not check.
            assert not any(word == "sigma-mcp" or word.endswith("bin/sigma-mcp") for word in words), words
    assert len(claude) >= 3
    assert len(sigma) >= 14
    for arguments in sigma:
        sigma_mcp_arguments(["1" if word == "N" else word for word in arguments])
    # The `claude mcp add` lines are run for real by the pinned Claude Code, which must then say they
    # connected: tests/test_claude_code.py::test_each_documented_claude_mcp_add_line_connects. Where it is not
    # installed, this much is checked without it: the name comes before the options that take several values
    # (`--env`, `-e`, `--header`), and a stdio line runs sigma-mcp by a path that needs no PATH.
    for words in claude:
        name = next(word for word in words[3:] if not word.startswith("-") and word not in ("stdio", "http"))
        assert name == "sigmamind", words
        for option in ("--env", "-e", "--header", "-H"):
            if option in words:
                assert words.index(name) < words.index(option), words
        if "--" in words:
            command = words[words.index("--") + 1]
            assert command.startswith(("/", "$PWD/", "~/")), words


def test_the_check_sample_is_what_check_prints(api: FakeSigmaMind) -> None:
    clients = (ROOT / "docs" / "clients.md").read_text(encoding="utf-8")
    (sample,) = [body for _, body in re.findall(r"^(```)text\n(.*?)\n\1$", clients, re.M | re.S)]
    key = "sk_live_" + "x" * 28 + "9f3a"
    assert len(key) == 40
    from sigma_mcp.demo.data import DOCUMENTED_EXAMPLE

    api.pages["agent_D5D0p7TUs66TTAEAx"] = {"data": [DOCUMENTED_EXAMPLE], "page": 0, "size": 1, "totalCount": 14}
    completed = run_cli(
        "check", "--agent", "agent_D5D0p7TUs66TTAEAx", env={"SIGMAMIND_API_KEY": key, "SIGMAMIND_BASE_URL": api.url}
    )
    assert completed.returncode == 0, completed.stdout

    def normalised(text: str) -> list[str]:
        text = text.replace(api.url, "https://api.sigmamind.ai").replace(
            "https://api.sigmamind.ai.", "https://api.sigmamind.ai (the default)."
        )
        return re.sub(r"in \d+ ms", "in N ms", text).splitlines()

    assert normalised(completed.stdout) == normalised(sample + "\n")

"""The install files, made from the server's own registry and version so that they cannot drift from it:
`manifest.json` (the MCP Bundle for Claude Desktop), `server.json` (the MCP Registry entry), and the README's
one-click install links for Cursor and VS Code. `python -m sigma_mcp.distribution` writes them; with `--check` it
only says which are out of date (a test runs the same check).

Not imported by the server: only this command and the tests read it.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sigma_mcp import __version__
from sigma_mcp.config import (
    AGENT_ID_VAR,
    API_KEY_VAR,
    BASE_URL_VAR,
    CACHE_VAR,
    DEFAULT_BASE_URL,
    DEFAULT_CACHE_MB,
    DEFAULT_LOG_LEVEL,
    DEFAULT_MAX_RESPONSE_MB,
    DEFAULT_TIMEOUT,
    DEMO_VAR,
    LOG_LEVEL_VAR,
    LOG_LEVELS,
    MAX_RESPONSE_VAR,
    STRUCTURED_VAR,
    TIMEOUT_VAR,
)

ROOT = Path(__file__).resolve().parent.parent
OWNER = "sigma-mcp"
"""The GitHub organization the project is published from: the MCP Registry namespace is `io.github.<owner>`."""
REPOSITORY = f"https://github.com/{OWNER}/sigma-mcp"
REGISTRY_NAME = f"io.github.{OWNER}/sigma-mcp"
SERVER_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
PACKAGE = "sigma-mcp"
SERVER_KEY = "sigmamind"
"""The server's name in a client's configuration (as in claude_desktop_config.example.json)."""
PYTHON_RANGE = ">=3.10 <4"
"""The Pythons the package supports (pyproject's requires-python), in the bundle manifest's space-separated form."""
SHORT_DESCRIPTION = "Explain SigmaMind batch runs in your assistant: results, failure themes, flaky tests, transcripts."
"""At most 100 characters (the MCP Registry's limit)."""
PRIVACY_POLICIES: tuple[str, ...] = ()
"""SigmaMind's privacy policy, for the bundle manifest's `privacy_policies`: left empty until its address is
confirmed. SigmaMind's terms of service (https://www.sigmamind.ai/terms-of-service) refer to it without an address
that could be read here; Claude Desktop's extension directory asks for it of an extension that sends user data to a
service."""
KEY_INPUT = "sigmamind_api_key"
KEY_PROMPT = "SigmaMind API key (SigmaMind dashboard, API keys)"
LINKS_START = "<!-- install-links:start (written by python -m sigma_mcp.distribution) -->"
LINKS_END = "<!-- install-links:end -->"

CLIENT_COMMAND: dict[str, Any] = {"command": "uvx", "args": [PACKAGE]}
"""The one configuration every one-click link installs: the published package, run by uvx."""


def manifest() -> dict[str, Any]:
    """The MCP Bundle manifest (0.4, `server.type: "uv"`): Claude Desktop runs `uv run` in the unpacked bundle, which
    installs the package from the bundle's own pyproject.toml, with the Python `.python-version` pins."""
    from sigma_mcp.prompts import TRIAGE_DESCRIPTION, TRIAGE_PROMPT, triage_prompt
    from sigma_mcp.registry import TOOLS

    return {
        "$schema": "https://raw.githubusercontent.com/modelcontextprotocol/mcpb/main/schemas/mcpb-manifest-v0.4.schema.json",
        "manifest_version": "0.4",
        "name": PACKAGE,
        "display_name": "SigmaMind",
        "version": __version__,
        "description": SHORT_DESCRIPTION,
        "long_description": (
            "Ask your assistant how a SigmaMind batch run went and why attempts failed. sigma-mcp reads SigmaMind's "
            "REST API (read-only) and answers with the verdict and success rate over the whole batch, the failure "
            "themes (the judge's remarks grouped by what they say), flaky test cases, each failed attempt's remarks "
            "and transcript, and the change between two batch runs. Demo mode serves built-in sample data instead "
            "(the key field still needs some text then)."
        ),
        "author": {"name": "The sigma-mcp authors", "url": REPOSITORY},
        "repository": {"type": "git", "url": f"{REPOSITORY}.git"},
        "homepage": REPOSITORY,
        "documentation": f"{REPOSITORY}#readme",
        "support": f"{REPOSITORY}/issues",
        "license": "MIT",
        "keywords": ["sigmamind", "voice agents", "testing", "simulation", "llm judge"],
        "server": {
            "type": "uv",
            "entry_point": "sigma_mcp/__main__.py",
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", "--no-dev", "--quiet", PACKAGE],
                "env": {
                    API_KEY_VAR: "${user_config.api_key}",
                    BASE_URL_VAR: "${user_config.base_url}",
                    TIMEOUT_VAR: "${user_config.timeout}",
                    DEMO_VAR: "${user_config.demo}",
                },
            },
        },
        "tools": [{"name": spec.name, "description": spec.description} for spec in TOOLS],
        "prompts": [
            {
                "name": TRIAGE_PROMPT,
                "description": TRIAGE_DESCRIPTION,
                "arguments": ["batchId", "agentId"],
                "text": triage_prompt("${arguments.batchId}", "${arguments.agentId}"),
            }
        ],
        "user_config": {
            "api_key": {
                "type": "string",
                "title": "SigmaMind API key",
                "description": "From the SigmaMind dashboard. Kept in your system's keychain; sent only to SigmaMind.",
                "sensitive": True,
                "required": True,
            },
            "base_url": {
                "type": "string",
                "title": "API base URL",
                "description": "SigmaMind's API. Change it only for a proxy or a test server.",
                "default": DEFAULT_BASE_URL,
                "required": False,
            },
            "timeout": {
                "type": "number",
                "title": "Timeout (seconds)",
                "description": "How long one call may take in all, retries included.",
                "default": int(DEFAULT_TIMEOUT),
                "min": 1,
                "max": 600,
                "required": False,
            },
            "demo": {
                "type": "boolean",
                "title": "Demo mode",
                "description": "Serve built-in sample batch runs instead of your SigmaMind data (type any text as the "
                "key to try it without one).",
                "default": False,
                "required": False,
            },
        },
        "compatibility": {"platforms": ["darwin", "win32", "linux"], "runtimes": {"python": PYTHON_RANGE}},
        **({"privacy_policies": list(PRIVACY_POLICIES)} if PRIVACY_POLICIES else {}),
    }


def server_json() -> dict[str, Any]:
    """The MCP Registry entry (schema 2025-12-11): the PyPI package, run with uvx over stdio."""
    return {
        "$schema": SERVER_SCHEMA,
        "name": REGISTRY_NAME,
        "title": "SigmaMind",
        "description": SHORT_DESCRIPTION,
        "repository": {"url": REPOSITORY, "source": "github"},
        "websiteUrl": f"{REPOSITORY}#readme",
        "version": __version__,
        "packages": [
            {
                "registryType": "pypi",
                "registryBaseUrl": "https://pypi.org",
                "identifier": PACKAGE,
                "version": __version__,
                "runtimeHint": "uvx",
                "transport": {"type": "stdio"},
                "environmentVariables": [
                    {
                        "name": API_KEY_VAR,
                        "description": "Your SigmaMind API key (SigmaMind dashboard).",
                        "isRequired": True,
                        "isSecret": True,
                        "format": "string",
                    },
                    {
                        "name": BASE_URL_VAR,
                        "description": "SigmaMind's API; change it only for a proxy or a test server.",
                        "isRequired": False,
                        "format": "string",
                        "default": DEFAULT_BASE_URL,
                    },
                    {
                        "name": TIMEOUT_VAR,
                        "description": "Seconds one call may take in all, retries included.",
                        "isRequired": False,
                        "format": "number",
                        "default": str(int(DEFAULT_TIMEOUT)),
                    },
                    {
                        "name": AGENT_ID_VAR,
                        "description": "The agent you test most: agentId becomes optional in every tool.",
                        "isRequired": False,
                        "format": "string",
                    },
                    {
                        "name": DEMO_VAR,
                        "description": "true serves built-in sample data instead of your SigmaMind data.",
                        "isRequired": False,
                        "format": "boolean",
                    },
                    {
                        "name": LOG_LEVEL_VAR,
                        "description": "DEBUG, INFO, WARNING, ERROR or CRITICAL; logs go to stderr.",
                        "isRequired": False,
                        "format": "string",
                        "default": DEFAULT_LOG_LEVEL,
                        "choices": list(LOG_LEVELS),
                    },
                    {
                        "name": MAX_RESPONSE_VAR,
                        "description": "Answers from SigmaMind larger than this many megabytes are refused unread.",
                        "isRequired": False,
                        "format": "number",
                        "default": f"{DEFAULT_MAX_RESPONSE_MB:g}",
                    },
                    {
                        "name": STRUCTURED_VAR,
                        "description": "off serves markdown only (no outputSchema, no structuredContent).",
                        "isRequired": False,
                        "format": "string",
                        "default": "on",
                        "choices": ["on", "off"],
                    },
                    {
                        "name": CACHE_VAR,
                        "description": "Megabytes of batch runs kept for the next call about them; 0 turns it off.",
                        "isRequired": False,
                        "format": "number",
                        "default": f"{DEFAULT_CACHE_MB:g}",
                    },
                ],
            }
        ],
    }


def cursor_config() -> dict[str, Any]:
    """What the Cursor link installs: the key is read from the environment Cursor runs in (Cursor expands
    `${env:NAME}` in its MCP configuration; its install links cannot ask for a value)."""
    return {**CLIENT_COMMAND, "env": {API_KEY_VAR: f"${{env:{API_KEY_VAR}}}"}}


def vscode_config() -> dict[str, Any]:
    """What the VS Code link installs: VS Code asks for the key when the server first starts (a password input) and
    keeps it in its secret storage."""
    return {"type": "stdio", **CLIENT_COMMAND, "env": {API_KEY_VAR: f"${{input:{KEY_INPUT}}}"}}


def vscode_inputs() -> list[dict[str, Any]]:
    return [{"type": "promptString", "id": KEY_INPUT, "description": KEY_PROMPT, "password": True}]


def links() -> dict[str, str]:
    """The one-click links: each client's own deep link, and the https page that opens it (GitHub renders only
    https links)."""
    cursor = urlencode({"name": SERVER_KEY, "config": base64.b64encode(_compact(cursor_config()).encode()).decode()})
    vscode = {"name": SERVER_KEY, **vscode_config(), "inputs": vscode_inputs()}
    return {
        "cursor": f"cursor://anysphere.cursor-deeplink/mcp/install?{cursor}",
        "cursor_web": f"https://cursor.com/en/install-mcp?{cursor}",
        "vscode": "vscode:mcp/install?" + quote(_compact(vscode), safe=""),
        "vscode_web": "https://vscode.dev/redirect/mcp/install?"
        + urlencode(
            {
                "name": SERVER_KEY,
                "config": _compact(vscode_config()),
                "inputs": _compact(vscode_inputs()),
            },
            quote_via=quote,
        ),
    }


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def links_block() -> str:
    """The README's block of one-click links, between its markers."""
    found = links()
    return "\n".join(
        [
            LINKS_START,
            f"[![Install in Cursor](https://img.shields.io/badge/Cursor-Install-000000?logo=cursor)]({found['cursor_web']})",
            f"[![Install in VS Code](https://img.shields.io/badge/VS_Code-Install-0098FF?logo=visualstudiocode)]({found['vscode_web']})",
            "",
            "The same links as the clients' own deep links, to paste into a browser's address bar:",
            "",
            "```text",
            found["cursor"],
            found["vscode"],
            "```",
            LINKS_END,
        ]
    )


def render(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def readme_with_links(readme: str) -> str:
    """The README with its block of links rewritten; ValueError if its markers are missing."""
    start, end = readme.find(LINKS_START), readme.find(LINKS_END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {LINKS_START!r} … {LINKS_END!r} block")
    return readme[:start] + links_block() + readme[end + len(LINKS_END) :]


def expected(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file and the text it should have."""
    readme = root / "README.md"
    return {
        root / "manifest.json": render(manifest()),
        root / "server.json": render(server_json()),
        readme: readme_with_links(readme.read_text(encoding="utf-8")),
    }


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose text differs from what it should be."""
    return [
        path for path, text in expected(root).items() if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        out_of_date = stale()
        for path in out_of_date:
            print(f"{path.name} is out of date: run python -m sigma_mcp.distribution", file=sys.stderr)
        return 1 if out_of_date else 0
    for path, text in expected().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

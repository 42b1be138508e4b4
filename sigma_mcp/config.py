"""Configuration, read from the environment in one place.

A problem with the configuration does not stop the server: it still starts and lists its tools,
and every call answers with the problem and how to fix it, so the assistant can tell its user.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sigma_mcp.safety.ids import ID_SHAPE, id_problem
from sigma_mcp.safety.keys import REQUEST_KEY_HEADER, current_request_key, is_quoted, placeholder_problem
from sigma_mcp.safety.redaction import SHORT_SECRET
from sigma_mcp.sigmamind.errors import ConfigurationError
from sigma_mcp.tools.spec import AGENT_ID_EXAMPLE

DEFAULT_BASE_URL = "https://api.sigmamind.ai"
DEFAULT_TIMEOUT = 30.0
DEFAULT_LOG_LEVEL = "WARNING"
DEFAULT_MAX_RESPONSE_MB = 50.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

API_KEY_VAR = "SIGMAMIND_API_KEY"
BASE_URL_VAR = "SIGMAMIND_BASE_URL"
TIMEOUT_VAR = "SIGMAMIND_TIMEOUT"
LOG_LEVEL_VAR = "SIGMAMIND_LOG_LEVEL"
DEMO_VAR = "SIGMAMIND_DEMO"
MAX_RESPONSE_VAR = "SIGMAMIND_MAX_RESPONSE_MB"
STRUCTURED_VAR = "SIGMA_MCP_STRUCTURED"
AGENT_ID_VAR = "SIGMAMIND_AGENT_ID"
CACHE_VAR = "SIGMA_MCP_CACHE_MB"
DEFAULT_CACHE_MB = 32.0
"""Room for three batch runs of 10,000 test cases (about 10.6 MB of JSON each)."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_LOOPBACK_NAMES = {"localhost"}

MISSING_KEY_MESSAGE = (
    f"{API_KEY_VAR} is not set, so sigma-mcp cannot call the SigmaMind API. "
    "Create a key in the SigmaMind dashboard (API Keys, the Production API key) and set it as "
    f'{API_KEY_VAR} in the environment of the MCP server (for example in the "env" block of your '
    "MCP client's configuration), then restart the server. To try sigma-mcp without a key, "
    "start it with --demo."
)
MISSING_REQUEST_KEY_MESSAGE = (
    f"This shared sigma-mcp server has no {API_KEY_VAR} of its own, and the request carried no key. Send "
    f"your SigmaMind API key (dashboard: API Keys, the Production API key) in the {REQUEST_KEY_HEADER} header "
    "of every MCP request: in your MCP client's configuration, add it under \"headers\" next to the server's "
    "URL. Or ask whoever runs the server to set " + API_KEY_VAR + "."
)


@dataclass(frozen=True)
class Settings:
    """What the server runs with. `repr` never shows the key."""

    api_key: str | None = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT
    log_level: str = DEFAULT_LOG_LEVEL
    demo: bool = False
    max_response_bytes: int = int(DEFAULT_MAX_RESPONSE_MB * 1_000_000)
    """Answers larger than this are refused unread."""
    structured: bool = True
    """Publish output schemas and answer with structuredContent next to the markdown (SIGMA_MCP_STRUCTURED);
    off, results carry the markdown alone, for clients that would otherwise hand the model only the JSON."""
    request_keys: bool = False
    """Without a key of its own, take each request's key from its X-SigmaMind-Api-Key header (HTTP)."""
    per_user_concurrency: int | None = None
    """Requests in flight upstream per user's own key (HTTP; `sigmamind.share`); None: no per-user bound."""
    default_agent_id: str | None = None
    """The agent of every call that names none (SIGMAMIND_AGENT_ID), checked as an id argument is; None: each call
    names its agent. Read it through `agent_default`, which reports the variable's problem."""
    cache_bytes: int = int(DEFAULT_CACHE_MB * 1_000_000)
    """Batch runs kept for the next call, in bytes of the answers they were read from (`sigmamind.cache`); 0: none."""
    problems: tuple[str, ...] = ()
    """Configuration errors that make every API call fail until they are fixed."""
    notices: tuple[str, ...] = ()
    """Configuration oddities that were worked around (logged at start-up)."""

    def __repr__(self) -> str:
        key = "<set>" if self.api_key else "<not set>"
        return (
            f"Settings(api_key={key}, base_url={self.base_url!r}, timeout={self.timeout!r}, "
            f"log_level={self.log_level!r}, demo={self.demo!r}, max_response_bytes={self.max_response_bytes!r}, "
            f"structured={self.structured!r}, default_agent_id={self.default_agent_id!r}, problems={self.problems!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
        """Read the settings from `env` (the process environment by default)."""
        env = os.environ if env is None else env
        problems: list[str] = []
        notices: list[str] = []

        api_key = (env.get(API_KEY_VAR) or "").strip() or None
        placeholder = None if api_key is None else placeholder_problem(api_key, API_KEY_VAR)
        if placeholder is not None:
            problems.append(placeholder)
        elif api_key is not None and not _is_printable_ascii(api_key):
            # The key itself is never quoted: it may be a real secret with a stray character.
            problems.append(
                f"{API_KEY_VAR} contains spaces, line breaks or non-ASCII characters, which no API key "
                "has. Copy the key from the SigmaMind dashboard again and set it without quotes or "
                "extra characters, then restart the server."
            )
        elif api_key is not None and is_quoted(api_key):
            problems.append(
                f"{API_KEY_VAR} starts or ends with a quote mark, which is not part of any API key. Set it "
                "without quotes (in a JSON configuration file, the string's own quotes are enough), then "
                "restart the server."
            )

        if api_key is not None and len(api_key) < SHORT_SECRET:
            notices.append(
                f"{API_KEY_VAR} is only {len(api_key)} characters long, shorter than API keys usually are; "
                "check that it was copied whole. It is redacted from output only where it stands alone."
            )

        base_url, url_problem = parse_base_url(env.get(BASE_URL_VAR), api_key)
        if url_problem:
            problems.append(url_problem)

        timeout, timeout_problem = _positive(env.get(TIMEOUT_VAR), TIMEOUT_VAR, DEFAULT_TIMEOUT, "seconds")
        if timeout_problem:
            problems.append(timeout_problem)
        max_mb, size_problem = _positive(
            env.get(MAX_RESPONSE_VAR), MAX_RESPONSE_VAR, DEFAULT_MAX_RESPONSE_MB, "megabytes"
        )
        if size_problem:
            problems.append(size_problem)

        cache_mb, cache_problem = _positive(env.get(CACHE_VAR), CACHE_VAR, DEFAULT_CACHE_MB, "megabytes", zero=True)
        if cache_problem:
            problems.append(cache_problem)

        default_agent_id, agent_problem = parse_agent_id(env.get(AGENT_ID_VAR), api_key)
        if agent_problem:
            problems.append(agent_problem)

        raw_level = (env.get(LOG_LEVEL_VAR) or "").strip().upper()
        log_level = raw_level if raw_level in LOG_LEVELS else DEFAULT_LOG_LEVEL
        if raw_level and raw_level not in LOG_LEVELS:
            notices.append(
                f"{LOG_LEVEL_VAR}={raw_level[:20]!r} is not a log level; using {DEFAULT_LOG_LEVEL}. "
                f"Use one of {', '.join(LOG_LEVELS)}."
            )

        demo = demo or (env.get(DEMO_VAR) or "").strip().lower() in _TRUE
        raw_structured = (env.get(STRUCTURED_VAR) or "").strip().lower()
        structured = raw_structured not in _FALSE
        if raw_structured and raw_structured not in _TRUE | _FALSE:
            notices.append(
                f"{STRUCTURED_VAR}={raw_structured[:20]!r} is neither on nor off; using on. Set it to off to serve "
                "markdown only (no outputSchema, no structuredContent)."
            )
        return cls(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            log_level=log_level,
            demo=demo,
            max_response_bytes=int(max_mb * 1_000_000),
            structured=structured,
            default_agent_id=default_agent_id,
            cache_bytes=int(cache_mb * 1_000_000),
            problems=tuple(problems),
            notices=tuple(notices),
        )

    def agent_default(self) -> str | None:
        """The agent a call that names none is about (SIGMAMIND_AGENT_ID), or None; `ConfigurationError` when the
        variable is set but is not an agent id, in demo mode too."""
        agent_problems = [problem for problem in self.problems if problem.startswith(AGENT_ID_VAR)]
        if agent_problems:
            raise ConfigurationError(" ".join(agent_problems))
        return self.default_agent_id

    def check_ready(self) -> None:
        """Raise `ConfigurationError` unless an API call can be made with these settings."""
        self.credentials()

    def credentials(self) -> tuple[str | None, bool]:
        """The key to send for the request being handled (None in demo mode), and whether it is the
        request's own (from its header) rather than the server's; `ConfigurationError` when there is none."""
        if self.demo:
            return None, False
        if self.problems:
            raise ConfigurationError(" ".join(self.problems))
        if self.api_key:
            return self.api_key, False
        key = current_request_key() if self.request_keys else None
        if key is None:
            raise ConfigurationError(MISSING_REQUEST_KEY_MESSAGE if self.request_keys else MISSING_KEY_MESSAGE)
        if key.problem is not None or key.value is None:
            raise ConfigurationError(key.problem or MISSING_REQUEST_KEY_MESSAGE)
        return key.value, True


_KEY_LIKE = re.compile(r"(?i)\bsk[_-]|bearer|api[_-]?key")
"""What a value pasted into the wrong variable (an API key, a header) holds and an agent id does not."""


def parse_agent_id(raw: str | None, api_key: str | None = None) -> tuple[str | None, str | None]:
    """The default agent id (None when unset or refused) and, if it is refused, why: it is checked as an agentId
    argument is, since it goes into the same URLs; and one that holds `api_key` or looks like a key is refused
    without being quoted, since it would go into every request's URL (and the message into every answer)."""
    if raw is None or not raw.strip():
        return None, None
    text = raw.strip()
    if (api_key and len(api_key) >= SHORT_SECRET // 2 and api_key in text) or _KEY_LIKE.search(text):
        return None, (
            f"{AGENT_ID_VAR} holds an API key or something like one ({len(text)} characters, not shown), not an "
            f"agent id: it would be sent in every request's URL. Put the key in {API_KEY_VAR} only, set "
            f"{AGENT_ID_VAR} to the id shown on the agent's page in the SigmaMind dashboard, for example "
            f"{AGENT_ID_EXAMPLE}, or unset it, and restart the server."
        )
    problem = id_problem(text)
    if problem is None:
        return text, None
    shown = ascii(text if len(text) <= 40 else text[:40] + "…")
    return None, (
        f"{AGENT_ID_VAR}={shown} is not an agent id: {problem}. An id is {ID_SHAPE}. Set it to the id shown on "
        f"the agent's page in the SigmaMind dashboard, for example {AGENT_ID_EXAMPLE}, or unset it (then every call "
        "names its agent), and restart the server."
    )


def parse_base_url(raw: str | None, api_key: str | None = None) -> tuple[str, str | None]:
    """Return the normalised base URL and, if it is not allowed, why not.

    `https` is required; plain `http` is allowed only to a loopback host (for local testing). A refused value is
    quoted in the message only when it looks like an address: one that holds `api_key`, looks like a key, or is long
    and no URL at all (a key pasted into the wrong field of a form) is not, since the message goes into every answer.
    """
    if raw is None or not raw.strip():
        return DEFAULT_BASE_URL, None
    text = raw.strip()
    secret = (api_key and len(api_key) >= SHORT_SECRET // 2 and api_key in text) or _KEY_LIKE.search(text)
    address = "://" in text or ("." in text and len(text) <= 60)
    if secret or not address:
        refuse = f"{BASE_URL_VAR} ({len(text)} characters, not shown: it looks like a key, not an address) is refused: "
    else:
        refuse = f"{BASE_URL_VAR}={text[:200]!r} is refused: "
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return DEFAULT_BASE_URL, refuse + f"it is not a valid URL. Use {DEFAULT_BASE_URL} or unset it."
    if parts.scheme not in ("https", "http") or not host:
        return DEFAULT_BASE_URL, refuse + f"it must be an https:// URL such as {DEFAULT_BASE_URL}."
    if parts.username is not None or parts.password is not None:
        return DEFAULT_BASE_URL, refuse + "it must not carry a user name or password."
    if parts.query or parts.fragment:
        return DEFAULT_BASE_URL, refuse + "it must not carry a query (?) or fragment (#)."
    if parts.scheme == "http" and not is_loopback_host(host):
        return DEFAULT_BASE_URL, refuse + (
            "plain http is only allowed to a loopback host (127.0.0.1, ::1 or localhost); "
            "anything else must use https:// so the API key is never sent in clear text."
        )
    return text.rstrip("/"), None


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _positive(raw: str | None, name: str, default: float, unit: str, *, zero: bool = False) -> tuple[float, str | None]:
    """A positive number (or 0, with `zero`) from the environment, or the default and why `raw` was refused."""
    if raw is None or not raw.strip():
        return default, None
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        return default, (
            f"{name}={raw.strip()[:40]!r} is not a {'number' if zero else 'positive number'} of {unit}"
            f"{' (0 or more)' if zero else ''}; "
            f"set it to a number such as {default:g}, or unset it."
        )
    return value, None


def _is_printable_ascii(text: str) -> bool:
    return all(0x21 <= ord(ch) <= 0x7E for ch in text)

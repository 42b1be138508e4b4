"""`sigma-mcp check`: is this machine set up to reach SigmaMind? One line per finding, `OK` or `FAIL`.

It checks the configuration (key present and well-formed, base URL allowed, the default agent an id), then makes
one harmless read request — the newest batch run of `--agent` (by default SIGMAMIND_AGENT_ID's agent), or of a
made-up agent id when there is none — through the same client the tools use, and tells apart: the key rejected,
no access, the host unreachable, a TLS failure, a timeout, an answer that is not SigmaMind's, and all good. The
key is never printed: at most its last four characters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sigma_mcp.config import AGENT_ID_VAR, API_KEY_VAR, BASE_URL_VAR, DEFAULT_BASE_URL, Settings
from sigma_mcp.safety.redaction import SHORT_SECRET, Redactor
from sigma_mcp.sigmamind.errors import (
    ConfigurationError,
    SigmaMindError,
    UpstreamAuthError,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamTLSError,
    UpstreamUnreachable,
)
from sigma_mcp.tools.list_batch_runs.summary import NO_DATA_LIST

PROBE_AGENT = "sigma-mcp-check"
"""The agent id asked for when no --agent is given: no agent has it, so no data is read."""


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"OK    {text}")

    def fail(self, text: str) -> None:
        self.failures += 1
        self.lines.append(f"FAIL  {text}")


def masked(key: str) -> str:
    """How the key is shown: its length, and its last four characters when it is long enough to spare them."""
    if len(key) < SHORT_SECRET:
        return f"{len(key)} characters"
    return f"{len(key)} characters, ending …{key[-4:]}"


async def run_check(settings: Settings, redactor: Redactor, agent_id: str | None) -> Report:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.tools import list_batch_runs
    from sigma_mcp.tools.arguments import parse_arguments

    report = Report()
    agent_id = agent_id or settings.default_agent_id
    if settings.demo:
        report.ok("Demo mode: built-in demo data, no key and no network needed.")
    else:
        _configuration(settings, report)
        if report.failures:
            report.lines.append("      (the request to SigmaMind is skipped until the configuration is fixed)")
            return report
    started = time.perf_counter()
    try:
        spec = list_batch_runs.SPEC
        params = parse_arguments(spec.name, spec.parameters, {"agentId": agent_id or PROBE_AGENT, "size": 1})
        async with SigmaMindClient(settings, redactor=redactor) as client:
            answer = await spec.run(client, params)
    except SigmaMindError as exc:
        _failure(exc, settings, agent_id, report, time.perf_counter() - started)
        return report
    elapsed = time.perf_counter() - started
    if not settings.demo:
        if NO_DATA_LIST in answer.summary.warnings:
            report.ok(f"{settings.base_url} answered in {elapsed * 1000:.0f} ms.")
            report.fail(_not_sigmamind("a JSON object without the 'data' list of SigmaMind's batch-run listing"))
            return report
        report.ok(f"SigmaMind answered at {settings.base_url} in {elapsed * 1000:.0f} ms.")
        report.ok("The API key was accepted.")
    if agent_id is not None:
        summary = answer.summary
        newest = summary.batchRuns[0] if summary.batchRuns else None
        count = (
            "" if summary.totalCount is None else f"{summary.totalCount} batch run{'s' * (summary.totalCount != 1)}; "
        )
        if newest is None:
            report.ok(f"Agent {agent_id}: {count or ''}no batch runs yet.")
        else:
            rate = "no attempts with results" if newest.successRate is None else f"{newest.successRate:.1%} successful"
            created = newest.createdDate or "an unknown date"
            attempts = "?" if newest.totalAttempts is None else newest.totalAttempts
            report.ok(
                f"Agent {agent_id}: {count}the newest is {newest.batchId} from {created} ({attempts} attempts, {rate})."
            )
    return report


def _configuration(settings: Settings, report: Report) -> None:
    key = settings.api_key
    key_problems = [problem for problem in settings.problems if problem.startswith(API_KEY_VAR)]
    if key is None:
        report.fail(
            f"{API_KEY_VAR} is not set. Create a key in the SigmaMind dashboard (API Keys, the Production "
            f"API key) and set {API_KEY_VAR} in the environment."
        )
    elif key_problems:
        for problem in key_problems:
            report.fail(problem)
    else:
        report.ok(f"{API_KEY_VAR} is set ({masked(key)}).")
    url_problems = [problem for problem in settings.problems if problem.startswith(BASE_URL_VAR)]
    for problem in url_problems:
        report.fail(problem)
    if not url_problems:
        where = " (the default)" if settings.base_url == DEFAULT_BASE_URL else ""
        report.ok(f"{BASE_URL_VAR} is {settings.base_url}{where}.")
    if settings.default_agent_id is not None:
        report.ok(f"{AGENT_ID_VAR} is {settings.default_agent_id}: the agent of every call that names none.")
    for problem in settings.problems:
        if problem not in key_problems and problem not in url_problems:
            report.fail(problem)


def _failure(exc: SigmaMindError, settings: Settings, agent_id: str | None, report: Report, elapsed: float) -> None:
    where = f"SigmaMind at {settings.base_url}"
    if isinstance(exc, ConfigurationError):
        report.fail(exc.message)
    elif isinstance(exc, UpstreamTLSError):
        report.fail(f"TLS failure: {exc.message}")
    elif isinstance(exc, UpstreamTimeout):
        report.fail(f"Timed out: {exc.message}")
    elif isinstance(exc, UpstreamUnreachable):
        report.fail(f"Host unreachable: {exc.message}")
    elif isinstance(exc, UpstreamAuthError) and exc.status == 401:
        report.ok(f"{where} answered in {elapsed * 1000:.0f} ms.")
        report.fail(f"Key rejected: {exc.message}")
    elif isinstance(exc, UpstreamAuthError):
        report.ok(f"{where} answered in {elapsed * 1000:.0f} ms.")
        if agent_id is None:
            report.fail(
                f"No access: SigmaMind refused the key for a made-up agent id (HTTP {exc.status}). That may only mean "
                "it refuses ids it does not know: run `sigma-mcp check --agent <your agent id>` to check with a real "
                "agent."
            )
        else:
            report.fail(f"No access: {exc.message}")
    elif agent_id is None and isinstance(exc, UpstreamNotFound | UpstreamRejected):
        report.ok(f"{where} answered in {elapsed * 1000:.0f} ms.")
        if exc.json_body:
            # The API looked past the key to the (made-up) agent id: the key itself was accepted.
            report.ok(
                f"The API key was accepted (SigmaMind answered HTTP {exc.status} for a made-up agent id, not 401). "
                "Add --agent <your agent id> to check access to an agent."
            )
        else:
            report.fail(_not_sigmamind(f"HTTP {exc.status} without the JSON error SigmaMind sends"))
    else:
        report.fail(exc.message)


def _not_sigmamind(what: str) -> str:
    return (
        f"Not SigmaMind's answer: {what}. Check that {BASE_URL_VAR} is SigmaMind's API ({DEFAULT_BASE_URL}), "
        "not a web page or another service; `sigma-mcp check --agent <your agent id>` shows what it answers for a "
        "real agent."
    )

"""The resources: two templates that return the tools' markdown, with SIGMAMIND_AGENT_ID the default agent's
recent batch runs as listed resources (Claude Code's @-menu offers listed resources, not templates) and two
templates without an agent, and completions (`completion/complete`) of the triage prompt's and the templates' ids.

The listed resources and the completions come from the first page of `GET /v1/batch-runs?agentId=&page=&size=`,
summarised as list_batch_runs summarises it. Neither may fail its request: when the listing cannot be had (no key,
SigmaMind down, too slow), the answer is empty and one line on stderr says why. With the server's own key (or demo
data) a listing is kept `KEEP_SECONDS` for the next request, as a completion asks again at every keystroke; with a
user's own key (a shared HTTP server) nothing is kept past the request, as the key itself is not.

The SDK hands neither `list_resources` nor a completion handler the request's context, so `StateInContext` puts
the lifespan state (the shared SigmaMind client) where they find it.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, Completion, CompletionArgument, CompletionContext, PromptReference, Resource
from mcp.types import ResourceTemplateReference as TemplateReference

from sigma_mcp.config import AGENT_ID_VAR, Settings
from sigma_mcp.prompts import TRIAGE_PROMPT
from sigma_mcp.safety.ids import is_id

if TYPE_CHECKING:
    from sigma_mcp.server import AppState, SigmaServer
    from sigma_mcp.sigmamind.client import Body

logger = logging.getLogger(__name__)

BATCH_RUN_TEMPLATE = "sigmamind://agents/{agentId}/batch-runs/{batchId}"
TEST_RUN_TEMPLATE = BATCH_RUN_TEMPLATE + "/test-runs/{jobId}"
DEFAULT_BATCH_RUN_TEMPLATE = "sigmamind://batch-runs/{batchId}"
"""A batch run of the default agent (served only with SIGMAMIND_AGENT_ID set)."""
DEFAULT_TEST_RUN_TEMPLATE = DEFAULT_BATCH_RUN_TEMPLATE + "/test-runs/{jobId}"
BATCH_ID_TEMPLATES = (BATCH_RUN_TEMPLATE, TEST_RUN_TEMPLATE, DEFAULT_BATCH_RUN_TEMPLATE, DEFAULT_TEST_RUN_TEMPLATE)
"""The templates whose batchId is completed (the prompt's is too)."""
AGENT_TEMPLATES = (BATCH_RUN_TEMPLATE, TEST_RUN_TEMPLATE)
"""The templates that take an agentId (completed with the default agent; the prompt's is too)."""

LISTED = 20
"""Batch runs resources/list shows: the first page of list_batch_runs, at its default size."""
COMPLETED = 100
"""Batch runs whose ids a completion chooses from: the most the listing gives at once, and the most values a
completion may carry."""
LISTING_SECONDS = 5.0
"""How long resources/list or a completion waits for the listing (within SIGMAMIND_TIMEOUT): a picker that waits
longer is of no use."""
KEEP_SECONDS = 30.0
KEPT_LISTINGS = 32
FAILED_SECONDS = 10.0
"""How long a listing that failed is not asked for again (for that key and agent): a picker asks at every keystroke,
and a failing API answers slowly, after retries."""


def add_resources(server: SigmaServer, settings: Settings) -> None:
    """The templates, and the completion handler (which makes the server advertise `completions`)."""
    from sigma_mcp.server import app_state

    @server.resource(
        BATCH_RUN_TEMPLATE,
        name="batch-run",
        title="SigmaMind batch run",
        description="The get_batch_run summary of one batch run, as markdown, to attach as context.",
        mime_type="text/markdown",
    )
    async def batch_run_resource(agentId: str, batchId: str, ctx: Context[Any]) -> str:
        return await _read(app_state(ctx), "get_batch_run", {"agentId": agentId, "batchId": batchId})

    @server.resource(
        TEST_RUN_TEMPLATE,
        name="test-run",
        title="SigmaMind attempt (test run)",
        description="The get_test_run summary of one attempt, with its transcript, as markdown.",
        mime_type="text/markdown",
    )
    async def test_run_resource(agentId: str, batchId: str, jobId: str, ctx: Context[Any]) -> str:
        return await _read(app_state(ctx), "get_test_run", {"agentId": agentId, "batchId": batchId, "jobId": jobId})

    default = settings.default_agent_id
    if default is not None:

        @server.resource(
            DEFAULT_BATCH_RUN_TEMPLATE,
            name="default-agent-batch-run",
            title="SigmaMind batch run of the default agent",
            description=f"As batch-run, for agent {default} ({AGENT_ID_VAR}).",
            mime_type="text/markdown",
        )
        async def default_batch_run_resource(batchId: str, ctx: Context[Any]) -> str:
            return await _read(app_state(ctx), "get_batch_run", {"batchId": batchId})

        @server.resource(
            DEFAULT_TEST_RUN_TEMPLATE,
            name="default-agent-test-run",
            title="SigmaMind attempt (test run) of the default agent",
            description=f"As test-run, for agent {default} ({AGENT_ID_VAR}).",
            mime_type="text/markdown",
        )
        async def default_test_run_resource(batchId: str, jobId: str, ctx: Context[Any]) -> str:
            return await _read(app_state(ctx), "get_test_run", {"batchId": batchId, "jobId": jobId})

    @server.completion()  # type: ignore[no-untyped-call, untyped-decorator]  # the SDK's decorator is not annotated
    async def completion(
        ref: PromptReference | TemplateReference, argument: CompletionArgument, context: CompletionContext | None
    ) -> Completion:
        app = _current.get()
        return Completion(values=[]) if app is None else await complete(app, ref, argument, context)


async def listed_resources(settings: Settings) -> list[Resource]:
    """What `resources/list` adds to the SDK's: the default agent's recent batch runs (none without one)."""
    app = _current.get()
    if settings.default_agent_id is None or app is None:
        return []
    return await batch_run_resources(app, settings.default_agent_id)


_current: contextvars.ContextVar[AppState | None] = contextvars.ContextVar("sigma_mcp_app_state", default=None)
_WITHOUT_CONTEXT = frozenset({"resources/list", "completion/complete"})


class StateInContext:
    """Server middleware: the lifespan state, for the handlers of `_WITHOUT_CONTEXT`, which the SDK gives none."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method not in _WITHOUT_CONTEXT:
            return await call_next(ctx)
        token = _current.set(ctx.lifespan_context)
        try:
            return await call_next(ctx)
        finally:
            _current.reset(token)


async def _read(app: AppState, tool: str, arguments: dict[str, str]) -> str:
    """Read a resource: its markdown, or an error with the same message a tool call would give."""
    from sigma_mcp.registry import BY_NAME
    from sigma_mcp.server import internal_error
    from sigma_mcp.sigmamind.errors import SigmaMindError, UpstreamNotFound
    from sigma_mcp.tools.arguments import parse_arguments

    spec = BY_NAME[tool]
    try:
        params = parse_arguments(tool, spec.parameters, arguments, default_agent_id=app.settings.agent_default())
        answer = await spec.run(app.client, params)
        return app.redactor.text(answer.text)
    except UpstreamNotFound as exc:
        raise ResourceNotFoundError(app.redactor.text(exc.message)) from None
    except SigmaMindError as exc:
        raise ResourceError(app.redactor.text(exc.message)) from None
    except Exception:
        logger.exception("reading a resource failed unexpectedly")
        raise ResourceError(internal_error("a resource read")) from None


@dataclass(frozen=True)
class RecentRun:
    batch_id: str
    created: str | None
    """When it was created, as `2026-04-02 15:20 UTC`; None when the API's date is missing or not ISO-8601."""
    success_rate: float | None
    possibly_running: bool


@dataclass(frozen=True)
class Recent:
    runs: tuple[RecentRun, ...]
    has_more: bool
    """Whether the agent has batch runs past this page."""


@dataclass
class RecentListings:
    """Listings kept for the next request, by (agent, page size); and listings that failed, by (the fingerprint of
    the key they were asked for with, agent), not asked for again for `FAILED_SECONDS`."""

    kept: OrderedDict[tuple[str, int], tuple[float, Recent]] = field(default_factory=OrderedDict)
    failed: OrderedDict[tuple[str, str], float] = field(default_factory=OrderedDict)

    def get(self, agent_id: str, size: int) -> Recent | None:
        entry = self.kept.get((agent_id, size))
        if entry is None or time.monotonic() - entry[0] > KEEP_SECONDS:
            return None
        return entry[1]

    def put(self, agent_id: str, size: int, recent: Recent) -> None:
        self.kept[(agent_id, size)] = (time.monotonic(), recent)
        self.kept.move_to_end((agent_id, size))
        while len(self.kept) > KEPT_LISTINGS:
            self.kept.popitem(last=False)

    def failed_lately(self, key: tuple[str, str]) -> bool:
        when = self.failed.get(key)
        return when is not None and time.monotonic() - when <= FAILED_SECONDS

    def note_failure(self, key: tuple[str, str]) -> None:
        self.failed[key] = time.monotonic()
        self.failed.move_to_end(key)
        while len(self.failed) > KEPT_LISTINGS:
            self.failed.popitem(last=False)


async def recent_batch_runs(app: AppState, agent_id: str, size: int) -> Recent:
    """The agent's newest batch runs (at most `size`), or `SigmaMindError`, `TimeoutError`."""
    import anyio

    keep = not app.settings.request_keys
    kept = app.recent.get(agent_id, size) if keep else None
    if kept is not None:
        return kept
    with anyio.fail_after(min(LISTING_SECONDS, app.settings.timeout)):
        body = await app.client.list_batch_runs(agent_id, 0, size)
    recent = _recent(body, agent_id, size)
    if keep:
        app.recent.put(agent_id, size, recent)
    return recent


def _recent(body: Body, agent_id: str, size: int) -> Recent:
    from sigma_mcp.sigmamind.payloads import BatchRunPage
    from sigma_mcp.tools.list_batch_runs.summary import summarize_batch_run_page
    from sigma_mcp.tools.memory import in_one_stretch

    def work() -> Recent:
        parsed = body.parse(BatchRunPage)
        summary = summarize_batch_run_page(parsed.value, agent_id=agent_id, page=0, size=size, max_rows=size)
        runs: dict[str, RecentRun] = {}  # by id: a batch run the API lists twice is one resource (its first row)
        for row in summary.batchRuns:
            if row.batchId is not None and is_id(row.batchId) and row.batchId not in runs:
                runs[row.batchId] = RecentRun(row.batchId, _when(row.createdDate), row.successRate, row.possiblyRunning)
        return Recent(tuple(runs.values()), bool(summary.hasNext))

    return in_one_stretch(work, body)


async def batch_run_resources(app: AppState, agent_id: str) -> list[Resource]:
    """The agent's newest batch runs as resources, newest first; none when they cannot be listed."""
    recent = await _listed(app, agent_id, LISTED, "resources/list")
    return [] if recent is None else [_resource(agent_id, run, demo=app.settings.demo) for run in recent.runs]


async def complete(
    app: AppState,
    ref: PromptReference | TemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion:
    """Completions of agentId (the default agent) and batchId (the agent's recent batch ids: the agentId already
    given, else the default); nothing for anything else, or when no agent is known."""
    _check_ref(ref)
    default = app.settings.default_agent_id
    typed = argument.value.casefold()
    if argument.name == "agentId":
        takes_agent = isinstance(ref, PromptReference) or ref.uri in AGENT_TEMPLATES
        return Completion(values=[default] if takes_agent and default and default.casefold().startswith(typed) else [])
    if argument.name != "batchId":
        return Completion(values=[])
    given = (context.arguments or {}).get("agentId") if context else None
    agent_id = given or default
    if agent_id is None or not is_id(agent_id):
        return Completion(values=[])
    recent = await _listed(app, agent_id, COMPLETED, "completion/complete")
    if recent is None:
        return Completion(values=[])
    matches = [run.batch_id for run in recent.runs if run.batch_id.casefold().startswith(typed)]
    return Completion(
        values=matches[:COMPLETED],
        total=None if recent.has_more else len(matches),
        has_more=recent.has_more or len(matches) > COMPLETED,
    )


def _check_ref(ref: PromptReference | TemplateReference) -> None:
    """`MCPError` (invalid params, as the specification asks) for a prompt or template this server does not have."""
    if isinstance(ref, PromptReference):
        if ref.name != TRIAGE_PROMPT:
            raise MCPError(
                code=INVALID_PARAMS, message=f"No prompt named {_shown(ref.name)}; the one prompt is {TRIAGE_PROMPT}."
            )
    elif ref.uri not in BATCH_ID_TEMPLATES:
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"No resource template {_shown(ref.uri)}; the templates are " + ", ".join(BATCH_ID_TEMPLATES) + ".",
        )


def _shown(value: str) -> str:
    """A client's name for something, quoted safely and briefly."""
    return ascii(value if len(value) <= 80 else value[:80] + "…")


async def _listed(app: AppState, agent_id: str, size: int, what: str) -> Recent | None:
    """`recent_batch_runs`, or None and a line on stderr when the listing fails (then, for `FAILED_SECONDS`, None
    without asking again)."""
    from sigma_mcp.sigmamind.errors import SigmaMindError

    failure = None
    try:
        failure = (app.client.key_fingerprint(), agent_id)  # no key: raised here
        if app.recent.failed_lately(failure):
            return None
        return await recent_batch_runs(app, agent_id, size)
    except SigmaMindError as exc:
        logger.warning(
            "%s: could not list the batch runs of agent %s: %s", what, agent_id, app.redactor.text(exc.message)
        )
    except TimeoutError:
        logger.warning(
            "%s: listing the batch runs of agent %s took more than %g s; answered without them",
            what,
            agent_id,
            min(LISTING_SECONDS, app.settings.timeout),
        )
    except Exception:
        logger.exception("%s: listing the batch runs of agent %s failed unexpectedly", what, agent_id)
    if failure is not None:
        app.recent.note_failure(failure)
    return None


def _resource(agent_id: str, run: RecentRun, *, demo: bool) -> Resource:
    facts = ["demo data"] * demo + [
        run.created or "date unknown",
        "no results yet" if run.success_rate is None else f"{_percent(run.success_rate)} passed",
    ]
    if run.possibly_running:
        facts.append("may still be running")
    said = ", ".join(facts)
    return Resource(
        uri=BATCH_RUN_TEMPLATE.format(agentId=agent_id, batchId=run.batch_id),
        name=f"{run.batch_id} ({said})",
        title=f"Batch run {run.batch_id} ({said})",
        description=f"The get_batch_run summary of batch run {run.batch_id} of agent {agent_id}, as markdown.",
        mime_type="text/markdown",
    )


def _when(created: str | None) -> str | None:
    from datetime import timezone

    from sigma_mcp.tools.common import parse_timestamp

    when = parse_timestamp(created)
    try:
        return None if when is None else when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, ValueError):  # "0001-01-01T00:00:00+01:00": a date, but not one in UTC
        return None


def _percent(rate: float) -> str:
    from sigma_mcp.safety.text import percent

    return percent(rate)

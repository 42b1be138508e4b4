"""What every tool's answer goes through: one synchronous stretch of parsing, summarising and rendering, and
the fit of the summary and its markdown within their budgets."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic_core import to_json

from sigma_mcp.tools.common import DATA_BUDGET, LINE_LIMIT, TEXT_BUDGET, OutputModel, Source, json_size
from sigma_mcp.tools.memory import Held, in_one_stretch
from sigma_mcp.tools.spec import Answer

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import SigmaMindClient

S = TypeVar("S", bound=OutputModel)

logger = logging.getLogger(__name__)


def off_the_loop(work: Callable[[], Answer[S]], *bodies: Held) -> Answer[S]:
    """Parse `bodies`, summarise and render: one synchronous stretch, with the cycle collector paused until the
    parsed bodies are gone, and a big one freed after the reply (see `tools.memory`)."""
    started = time.perf_counter()
    answer = in_one_stretch(work, *bodies)
    logger.debug("parsed, summarised and rendered in %.0f ms", (time.perf_counter() - started) * 1000)
    return answer


def source(client: SigmaMindClient) -> Source:
    return "demo" if client.settings.demo else "sigmamind"


def fit(
    build: Callable[[int], S],
    render: Callable[[S], str],
    most: int,
    count: Callable[[S], int],
    *,
    compact: Callable[[int], S] | None = None,
) -> Answer[S]:
    """Build with at most `most` items, and with fewer until both the text and the data fit their budgets;
    then, if a `compact` form is given, the same with it (the full form keeps at least one item then, so an
    answer never drops all of its items while a compact form could show some); and as a last resort, the
    smallest candidate with its longest strings shortened until both fit.

    The summaries budget their own lists, so this rarely does more than one pass; it makes the bound
    hold whatever the data holds.
    """
    candidates = []
    forms = [(build, 0)] if compact is None else [(build, 1), (compact, 0)]
    for form, floor in forms:
        size = most
        while True:
            summary = form(size)
            text = render(summary)
            if len(text.encode()) <= TEXT_BUDGET and len(data := to_json(summary)) <= DATA_BUDGET:
                return Answer(summary, text, data)
            candidates.append(summary)
            shown = count(summary)
            if size <= floor or shown <= floor:
                break
            size = max(floor, min(size, shown) * 3 // 4)
    summary = _shortened(min(candidates, key=json_size))
    text = render(summary)
    return Answer(summary, text if len(text.encode()) <= TEXT_BUDGET else cut_text(text), to_json(summary))


def _shortened(summary: S) -> S:
    """`summary` with its longest strings cut by half, one at a time, until it fits DATA_BUDGET."""
    data = summary.model_dump(mode="json")
    for _ in range(200):
        if json_size(data) <= DATA_BUDGET:
            break
        holder, key, value = max(_strings(data), key=lambda found: len(found[2].encode()))
        if len(value) <= LINE_LIMIT:
            break  # nothing long is left: the budget holds more short strings than any summary has
        kept = len(value) // 2
        holder[key] = f"{value[:kept]}… [{len(value) - kept} more characters not shown]"
    return type(summary).model_validate(data)


def _strings(node: Any) -> Iterator[tuple[Any, Any, str]]:
    """Every string of a JSON value, with the dict or list holding it and its key or index there."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, str):
            yield node, key, value
        else:
            yield from _strings(value)


def cut_text(text: str, budget: int = TEXT_BUDGET) -> str:
    """`text` shortened to `budget` bytes at a line break: an open fenced block is closed, a note says
    what happened, and the "## Next steps" section is kept."""
    # Ours is the last section: an earlier "## Next steps" can only be third-party text inside a fence.
    head, marker, steps = text.rpartition("\n## Next steps\n")
    body, tail = (head, marker + steps) if marker else (text, "")
    note = "\n\n[The rest of this answer was cut to stay within 24 KB.]\n"
    room = budget - len(note.encode()) - len(tail.encode()) - 16  # 16: a closing fence
    if room < budget // 2:  # the steps themselves are too long: cut everything together
        body, tail, room = text, "", budget - len(note.encode()) - 16
    kept: list[str] = []
    used = 0
    fence: str | None = None
    for line in body.split("\n"):
        size = len(line.encode()) + 1
        if used + size > room:
            break
        kept.append(line)
        used += size
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
        elif fence is not None and stripped.startswith(fence) and stripped.strip(fence[0]) == "":
            fence = None
    if fence is not None:
        kept.append(fence)
    return "\n".join(kept) + note + ("\n" + tail.lstrip("\n") if tail else "")

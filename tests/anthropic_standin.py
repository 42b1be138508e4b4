"""A stand-in for the Anthropic Messages API on 127.0.0.1, so that the real Claude Code CLI can run a
scripted conversation without a login or a model.

The "model" follows a script: the calls to make, in order. Each request of the main conversation (one that
offers our MCP tools in `tools`) is answered with the next call, a `tool_use` block naming
`mcp__<server>__<tool>`, chosen by how many `tool_result` blocks its `messages` already hold; once every
call has its result, with the text "done". Requests that do not offer our tools (Claude Code's side requests:
titles, summaries, quota checks) get a short text answer and never advance the script. Every request is kept,
so a test can read the `tool_result` blocks: exactly what the model was handed.

Answers are SSE events (message_start, content_block_start, content_block_delta, content_block_stop,
message_delta, message_stop) when the request says `"stream": true`, one JSON message otherwise.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

FINAL_TEXT = "done"
SIDE_TEXT = "Sigma triage"
"""The answer to a request that does not offer our tools (a title, a summary): short and harmless."""


@dataclass(frozen=True)
class Call:
    """One tool call of the script: `tool` is our tool's own name (get_batch_run), not the prefixed one."""

    tool: str
    arguments: dict[str, Any] | Callable[[list[ToolResult]], dict[str, Any]]
    """The input, or a function of the results so far that returns it (to follow what an answer says)."""

    def input_for(self, results: list[ToolResult]) -> dict[str, Any]:
        return self.arguments(results) if callable(self.arguments) else self.arguments


@dataclass(frozen=True)
class Request:
    """One request Claude Code sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON body; None when there was none, the raw text when it was not JSON."""


@dataclass(frozen=True)
class ToolResult:
    """A `tool_result` block found in a request's messages, with the `tool_use` it answers."""

    tool_use_id: str
    name: str
    """The tool's full name as the model called it (mcp__sigmamind__get_batch_run)."""
    arguments: dict[str, Any]
    content: Any
    """The block's `content` as sent: a string, or a list of content blocks."""
    is_error: bool

    @property
    def text(self) -> str:
        """What the model reads: the string, or its text blocks joined (anything else fails the test)."""
        if isinstance(self.content, str):
            return self.content
        assert isinstance(self.content, list), self.content
        kinds = [block.get("type") for block in self.content]
        assert all(kind == "text" for kind in kinds), f"tool_result blocks other than text: {kinds}"
        return "\n".join(block["text"] for block in self.content)


@dataclass
class AnthropicStandIn:
    """The stand-in API; `start()` it, hand `url` to Claude Code as ANTHROPIC_BASE_URL, `stop()` it."""

    server_name: str
    script: list[Call]
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: int = 0

    def __post_init__(self) -> None:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                standin._serve(self)

            def do_GET(self) -> None:
                standin._serve(self)

            def do_HEAD(self) -> None:
                standin._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def prefix(self) -> str:
        return f"mcp__{self.server_name}__"

    def start(self) -> AnthropicStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> AnthropicStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What the tests read.

    def conversation_requests(self) -> list[dict[str, Any]]:
        """The bodies of the main conversation's requests (those offering our tools), in order."""
        with self._lock:
            bodies = [request.body for request in self.requests if request.path.endswith("/v1/messages")]
        return [body for body in bodies if isinstance(body, dict) and self._offers_our_tools(body)]

    def tool_results(self) -> list[ToolResult]:
        """Every tool_result the model was handed, in order, from the longest conversation sent."""
        requests = self.conversation_requests()
        if not requests:
            return []
        messages = max((body.get("messages", []) for body in requests), key=len)
        return list(_tool_results(messages))

    def tool_names(self) -> list[str]:
        """Our tools as the last main-conversation request offered them (without the mcp__ prefix)."""
        requests = self.conversation_requests()
        if not requests:
            return []
        names = [str(tool.get("name", "")) for tool in requests[-1].get("tools", [])]
        return [name.removeprefix(self.prefix) for name in names if name.startswith(self.prefix)]

    def describe(self) -> str:
        """The requests received, briefly, for failure messages."""
        with self._lock:
            rows = []
            for request in self.requests:
                body = request.body if isinstance(request.body, dict) else {}
                tools = [tool.get("name") for tool in body.get("tools", []) if isinstance(tool, dict)]
                ours = sum(1 for name in tools if str(name).startswith(self.prefix))
                rows.append(
                    f"{request.method} {request.path} stream={body.get('stream')} "
                    f"messages={len(body.get('messages', []))} tools={len(tools)} (ours {ours})"
                )
        return "\n".join(rows) or "(no requests)"

    # Serving.

    def _offers_our_tools(self, body: dict[str, Any]) -> bool:
        tools = body.get("tools")
        if not isinstance(tools, list):
            return False
        return any(isinstance(tool, dict) and str(tool.get("name", "")).startswith(self.prefix) for tool in tools)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        path = urlsplit(handler.path).path
        request = Request(handler.command, path, {k.lower(): v for k, v in handler.headers.items()}, body)
        with self._lock:
            self.requests.append(request)
        if handler.command == "POST" and path.endswith("/v1/messages/count_tokens"):
            self._send_json(handler, 200, {"input_tokens": self._estimate_tokens(raw)})
        elif handler.command == "POST" and path.endswith("/v1/messages") and isinstance(body, dict):
            self._answer(handler, body)
        elif handler.command == "HEAD" or path in ("", "/"):
            self._send_json(handler, 200, {})
        else:
            error = {"type": "not_found_error", "message": f"{handler.command} {path} is not served here"}
            self._send_json(handler, 404, {"type": "error", "error": error})

    @staticmethod
    def _estimate_tokens(raw: bytes) -> int:
        return max(1, len(raw) // 4)

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        blocks: list[dict[str, Any]]
        if self._offers_our_tools(body):
            done = list(_tool_results(body.get("messages", [])))
            if len(done) < len(self.script):
                call = self.script[len(done)]
                with self._lock:
                    self._count += 1
                    use_id = f"toolu_standin_{self._count:04d}"
                blocks = [
                    {"type": "tool_use", "id": use_id, "name": self.prefix + call.tool, "input": call.input_for(done)}
                ]
            else:
                blocks = [{"type": "text", "text": FINAL_TEXT}]
        else:
            blocks = [{"type": "text", "text": SIDE_TEXT}]
        stop_reason = "tool_use" if blocks[0]["type"] == "tool_use" else "end_turn"
        model = str(body.get("model") or "claude-sonnet-4-5")
        with self._lock:
            self._count += 1
            message_id = f"msg_standin_{self._count:04d}"
        usage = {"input_tokens": self._estimate_tokens(json.dumps(body).encode()), "output_tokens": 10}
        message = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        if body.get("stream") is True:
            self._send(handler, 200, "text/event-stream", b"".join(_sse(message)))
        else:
            self._send_json(handler, 200, message)

    def _send_json(self, handler: BaseHTTPRequestHandler, status: int, value: Any) -> None:
        self._send(handler, status, "application/json", json.dumps(value).encode())

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, content_type: str, payload: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("request-id", "req_standin")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)


def _tool_results(messages: Any) -> Iterator[ToolResult]:
    """The tool_result blocks of `messages`, each with the tool_use block it answers."""
    uses: dict[str, dict[str, Any]] = {}
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use":
                uses[str(block.get("id"))] = block
            elif block.get("type") == "tool_result":
                use = uses.get(str(block.get("tool_use_id")), {})
                yield ToolResult(
                    tool_use_id=str(block.get("tool_use_id")),
                    name=str(use.get("name", "")),
                    arguments=dict(use.get("input") or {}),
                    content=block.get("content", ""),
                    is_error=bool(block.get("is_error", False)),
                )


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


def _sse(message: dict[str, Any]) -> Iterator[bytes]:
    """`message` as the Messages API streams it."""
    start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
    yield _event("message_start", {"message": start})
    for index, block in enumerate(message["content"]):
        if block["type"] == "tool_use":
            yield _event("content_block_start", {"index": index, "content_block": {**block, "input": {}}})
            partial = json.dumps(block["input"])
            middle = len(partial) // 2  # two deltas: the client must join them
            for piece in (partial[:middle], partial[middle:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield _event("content_block_delta", {"index": index, "delta": delta})
        else:
            yield _event("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
            delta = {"type": "text_delta", "text": block["text"]}
            yield _event("content_block_delta", {"index": index, "delta": delta})
        yield _event("content_block_stop", {"index": index})
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    yield _event("message_delta", {"delta": delta, "usage": {"output_tokens": message["usage"]["output_tokens"]}})
    yield _event("message_stop", {})

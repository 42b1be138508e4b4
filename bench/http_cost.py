"""`python -m bench.http_cost`: server CPU per tool call over HTTP, sigma-mcp against a one-tool reference.

Both servers answer `get_batch_run` of a 1-test-case batch from the same stand-in upstream (bench/upstream.py),
each in a process of its own: sigma-mcp (`--transport http`, the server's own key, loopback, no token) and
bench/http_reference.py, a one-tool MCPServer making the same GET and `json.loads`, served the same way
(stateless, JSON answers, uvicorn). Clients send the same request over kept-alive connections, 1, 10 and 50
at once; a server's CPU per call is its process's user + system time over the calls, divided by their
number. The two servers are measured in alternating rounds, and the ratio is the median of the rounds'
ratios. `--quick`: fewer calls and rounds, no claims.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from statistics import median
from typing import Any

from bench.__main__ import KEY, ROOT, sigma_mcp_command, start_upstream, stop
from bench.upstream import AGENT_ID

CLIENTS = (1, 10, 50)
TICKS = os.sysconf("SC_CLK_TCK")


def request(path: str, port: int) -> bytes:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "get_batch_run", "arguments": {"batchId": "batch_1", "agentId": AGENT_ID}},
        }
    ).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Served:
    """A server process that prints its URL on stdout (or stderr) and stops when its stdin closes."""

    def __init__(self, command: list[str], env: dict[str, str], *, url_on_stderr: bool = False) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if not url_on_stderr else subprocess.DEVNULL,
            stderr=subprocess.PIPE if url_on_stderr else None,
            text=True,
        )
        stream = self.process.stderr if url_on_stderr else self.process.stdout
        assert stream is not None
        line = stream.readline()
        marker = "http://127.0.0.1:"
        if marker not in line:
            raise RuntimeError(f"the server did not start: {line!r}")
        self.url = marker + line.split(marker, 1)[1].split()[0]
        if url_on_stderr:
            threading.Thread(target=stream.read, daemon=True).start()  # a full pipe would block the server

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        stop(self.process)


async def client(host: str, port: int, message: bytes, calls: int) -> None:
    """`calls` requests one after another on one kept-alive connection; each answer must be a tool result."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(calls):
            writer.write(message)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            if status != b"200" or b'"isError":false' not in body:
                raise RuntimeError(f"not a successful tool result: {status!r} {body[:300]!r}")
    finally:
        writer.close()


async def load(url: str, clients: int, calls: int) -> float:
    """Wall seconds for `calls` calls from `clients` clients at once."""
    host_port, path = url.removeprefix("http://").split("/", 1)
    host, port = host_port.split(":")
    message = request("/" + path, int(port))
    started = time.perf_counter()
    await asyncio.gather(*(client(host, int(port), message, calls // clients) for _ in range(clients)))
    return time.perf_counter() - started


def measure(server: Served, clients: int, calls: int) -> tuple[float, float]:
    """(CPU ms per call, calls per second)."""
    asyncio.run(load(server.url, clients, max(clients, calls // 10)))  # warm-up
    before = server.cpu_seconds()
    wall = asyncio.run(load(server.url, clients, calls))
    done = calls // clients * clients
    return (server.cpu_seconds() - before) * 1000 / done, done / wall


def run(quick: bool) -> dict[str, Any]:
    calls, rounds = (200, 1) if quick else (1000, 5)
    upstream, upstream_url = start_upstream(["batch_1"])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SIGMA", "SIGMAMIND"))}
    ours = Served(
        [*sigma_mcp_command(), "--transport", "http", "--port", "0"],
        {**base, "SIGMAMIND_API_KEY": KEY, "SIGMAMIND_BASE_URL": upstream_url},
        url_on_stderr=True,
    )
    reference = Served([sys.executable, "-m", "bench.http_reference", upstream_url], {**base, "PYTHONPATH": str(ROOT)})
    report: dict[str, Any] = {"calls": calls, "rounds": rounds, "clients": {}}
    try:
        for clients in CLIENTS:
            figures: dict[str, list[float]] = {"ours_ms": [], "reference_ms": [], "ours_rps": [], "reference_rps": []}
            for _ in range(rounds):
                for name, server in (("ours", ours), ("reference", reference)):
                    cpu, rate = measure(server, clients, calls)
                    figures[f"{name}_ms"].append(cpu)
                    figures[f"{name}_rps"].append(rate)
            ratios = [a / b for a, b in zip(figures["ours_ms"], figures["reference_ms"], strict=True)]
            report["clients"][str(clients)] = {
                "ours_ms": median(figures["ours_ms"]),
                "reference_ms": median(figures["reference_ms"]),
                "cpu_ratio": median(ratios),
                "throughput_ratio": median(
                    a / b for a, b in zip(figures["ours_rps"], figures["reference_rps"], strict=True)
                ),
            }
    finally:
        ours.stop()
        reference.stop()
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait()
    return report


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Server CPU per get_batch_run over HTTP ({report['calls']} calls a round, median of {report['rounds']})",
        "",
        "| clients at once | sigma-mcp | reference | CPU ratio | throughput ratio |",
        "|---|---|---|---|---|",
    ]
    for clients, figures in report["clients"].items():
        lines.append(
            f"| {clients} | {figures['ours_ms']:.2f} ms | {figures['reference_ms']:.2f} ms | "
            f"{figures['cpu_ratio']:.2f} | {figures['throughput_ratio']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds: the smoke pass")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args()
    report = run(args.quick)
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""`python -m bench.team`: the shared HTTP server under a noisy user and under a slow-loris attack.

- Fair share: user B's median `get_batch_run` latency alone, while user A keeps 12 calls in flight against an
  upstream that holds A's requests for 20 s, and in the first second after A disconnects; with the default
  per-user share, and with the share as large as the pool (`SIGMA_MCP_PER_USER_CONCURRENCY=10`: no bound, as
  before) for comparison.
- Slow-loris: the server started with a descriptor limit of 1,024; 1,100 connections opened at once, each sending
  part of a header line and then one byte every 4 s. An authenticated client calls a tool, each call on a new
  connection, from the attack's start for 24 s: when its calls succeed again, their p95 latency from then on,
  and how much the server's stderr grew.

Each server and the stand-in upstream run in processes of their own. `--quick`: smaller, shorter, no claims.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import IO, Any

import httpx

from bench.__main__ import stop

ROOT = Path(__file__).resolve().parent.parent
AGENT_ID = "agent_D5D0p7TUs66TTAEAx"
NOISY_KEY = "sk_noisy_4Rt7Yp2Wq9Lm5Nv8Xc3Bz6Df1Gh0Jk"
QUIET_KEY = "sk_quiet_8Hj3Kl6Mn9Pq2Rs5Tv8Wx1Yz4Ab7Cd"
TOKEN = "tok_bench_Zq8wN3vR6yT1mK4pX7cB2dF5gH9jL0sA"  # noqa: S105 - a benchmark's own token
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


DEMO_BATCH = "batch_s0OJu2JWR8R45Fai"
"""A batch of the built-in demo data, for the server started with `--demo`."""


def call(request_id: int, batch_id: str = "batch_1") -> dict[str, Any]:
    arguments = {"batchId": batch_id, "agentId": AGENT_ID}
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "get_batch_run", "arguments": arguments},
    }


# --- Processes ------------------------------------------------------------------------------------------


def upstream_main(hold: float) -> None:
    """The stand-in upstream: batch_1 at once, but the noisy user's requests held for `hold` seconds."""
    from tests.factories import make_batch_run
    from tests.fake_api import FakeSigmaMind, Reply, Seen

    body = json.dumps(make_batch_run(1, batch_id="batch_1", records_key="testRuns")).encode()
    api = FakeSigmaMind()

    def handler(seen: Seen) -> Reply:
        return Reply(body=body, delay=hold if seen.headers.get("x-api-key") == NOISY_KEY else 0.0)

    api.handler = handler
    api.start()
    print(api.url, flush=True)
    sys.stdin.read()
    api.stop()


def start_upstream(hold: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.team", "--upstream", str(hold)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


class Server:
    """`sigma-mcp --transport http --port 0` with `env`, its stderr in a file."""

    def __init__(self, env: dict[str, str], *args: str, descriptors: int | None = None) -> None:
        self._stderr: IO[bytes] = tempfile.NamedTemporaryFile(prefix="sigma-mcp-bench-", suffix=".log")  # noqa: SIM115
        full = {**{k: v for k, v in os.environ.items() if not k.startswith(("SIGMA", "SIGMAMIND"))}, **env}

        def limit() -> None:
            if descriptors is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

        self.process = subprocess.Popen(
            [sys.executable, "-m", "sigma_mcp", "--transport", "http", "--port", "0", *args],
            cwd=tempfile.gettempdir(),
            env=full,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            preexec_fn=limit,
        )
        deadline = time.monotonic() + 60
        while "serving MCP over streamable HTTP at " not in self.stderr():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sigma-mcp did not start: {self.stderr()}")
            time.sleep(0.05)
        self.url = self.stderr().split("serving MCP over streamable HTTP at ", 1)[1].split()[0]

    def stderr(self) -> str:
        return Path(self._stderr.name).read_text(encoding="utf-8", errors="replace")

    def stderr_bytes(self) -> int:
        return Path(self._stderr.name).stat().st_size

    def stop(self) -> None:
        stop(self.process)
        self._stderr.close()


# --- Fair share -----------------------------------------------------------------------------------------


async def timed_call(http: httpx.AsyncClient, url: str, request_id: int, key: str, timeout: float = 60) -> float:
    started = time.perf_counter()
    answer = await http.post(
        url, json=call(request_id), headers={**HEADERS, "X-SigmaMind-Api-Key": key}, timeout=timeout
    )
    answer.raise_for_status()
    assert answer.json()["result"]["isError"] is False, answer.text
    return (time.perf_counter() - started) * 1000


async def fair_share(url: str, calls: int, flood: int, during: int) -> dict[str, float]:
    async with httpx.AsyncClient() as quiet:
        for n in range(5):
            await timed_call(quiet, url, n, QUIET_KEY)  # warm-up
        baseline = [await timed_call(quiet, url, 100 + n, QUIET_KEY) for n in range(calls)]
        noisy = httpx.AsyncClient(limits=httpx.Limits(max_connections=flood + 5))
        tasks = [asyncio.create_task(timed_call(noisy, url, 1000 + n, NOISY_KEY)) for n in range(flood)]
        await asyncio.sleep(1.0)  # the flood is in place
        flooded = [await timed_call(quiet, url, 200 + n, QUIET_KEY) for n in range(during)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await noisy.aclose()  # A disconnects
        left = time.perf_counter()
        after: list[float] = []
        while time.perf_counter() - left < 1.0:
            after.append(await timed_call(quiet, url, 300 + len(after), QUIET_KEY))
    return {
        "baseline_ms": median(baseline),
        "during_ms": median(flooded),
        "after_ms": median(after),
        "during_ratio": median(flooded) / median(baseline),
        "after_ratio": median(after) / median(baseline),
    }


def run_fair_share(quick: bool) -> dict[str, Any]:
    hold = 5.0 if quick else 20.0
    upstream, upstream_url = start_upstream(hold)
    results: dict[str, Any] = {"hold_s": hold}
    try:
        for name, share in (("share", None), ("no_share", "10")):
            # The cache off: every call goes upstream, where the share applies.
            env = {"SIGMAMIND_BASE_URL": upstream_url, "SIGMAMIND_TIMEOUT": "60", "SIGMA_MCP_CACHE_MB": "0"}
            if share is not None:
                env["SIGMA_MCP_PER_USER_CONCURRENCY"] = share
            server = Server(env)
            try:
                during = (3 if quick else 30) if share is None else 2
                results[name] = asyncio.run(fair_share(server.url, 10 if quick else 30, 12, during))
            finally:
                server.stop()
    finally:
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait()
    return results


# --- Slow-loris -----------------------------------------------------------------------------------------


async def slow_peer(host: str, port: int, stop: asyncio.Event) -> None:
    try:
        _reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    try:
        writer.write(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        while not stop.is_set():
            await writer.drain()
            try:
                await asyncio.wait_for(stop.wait(), 4.0)
            except TimeoutError:
                writer.write(b"a")
    except OSError:
        pass
    finally:
        writer.close()


async def attack(url: str, peers: int, seconds: float) -> dict[str, Any]:
    target = httpx.URL(url)
    host, port = target.host, target.port
    assert port is not None
    stop = asyncio.Event()
    started = time.perf_counter()
    attackers = [asyncio.create_task(slow_peer(host, port, stop)) for _ in range(peers)]
    outcomes: list[tuple[float, float | None]] = []  # (when, latency or None for a failure), from the start
    headers = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}
    request_id = 0
    while time.perf_counter() - started < seconds:
        request_id += 1
        began = time.perf_counter()
        try:
            # A new connection for every call, as a new client would make.
            async with httpx.AsyncClient(timeout=2.0) as http:
                answer = await http.post(url, json=call(request_id, DEMO_BATCH), headers=headers)
            ok = answer.status_code == 200 and answer.json()["result"]["isError"] is False
        except (httpx.HTTPError, OSError):
            ok = False
        latency = time.perf_counter() - began
        outcomes.append((began - started, latency if ok else None))
        if not ok:
            await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*attackers, return_exceptions=True)
    first = next((when + latency for when, latency in outcomes if latency is not None), None)
    after = sorted(latency for when, latency in outcomes if latency is not None and first is not None and when >= first)
    failures_after = sum(1 for when, latency in outcomes if latency is None and first is not None and when >= first)
    p95 = after[min(len(after) - 1, round(0.95 * (len(after) - 1)))] if after else None
    return {
        "first_success_s": first,
        "calls": len(outcomes),
        "failures_after_first_success": failures_after,
        "p95_after_s": p95,
    }


def run_slow_loris(quick: bool) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    peers, descriptors, seconds = (150, 128, 8.0) if quick else (1100, 1024, 24.0)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, peers + 512)), hard))
    server = Server({"SIGMA_MCP_AUTH_TOKEN": TOKEN}, "--demo", descriptors=descriptors)
    try:
        before = server.stderr_bytes()
        figures = asyncio.run(attack(server.url, peers, seconds))
        figures["stderr_growth_bytes"] = server.stderr_bytes() - before
        figures.update(peers=peers, descriptor_limit=descriptors, seconds=seconds)
        figures["log_lines"] = [line for line in server.stderr().splitlines() if " WARNING " in line][-5:]
    finally:
        server.stop()
    return figures


def render(report: dict[str, Any]) -> str:
    share, no_share = report["fair_share"]["share"], report["fair_share"]["no_share"]
    loris = report["slow_loris"]
    lines = [
        f"Fair share (A: 12 calls held {report['fair_share']['hold_s']:g} s upstream; B: one call at a time)",
        "",
        "| per-user share | B alone | B during A's flood | B in the second after A leaves |",
        "|---|---|---|---|",
    ]
    for name, figures in (("default (4)", share), ("off (10 = the pool)", no_share)):
        lines.append(
            f"| {name} | {figures['baseline_ms']:.1f} ms | {figures['during_ms']:.1f} ms "
            f"({figures['during_ratio']:.2f}×) | {figures['after_ms']:.1f} ms ({figures['after_ratio']:.2f}×) |"
        )
    first = loris["first_success_s"]
    p95 = loris["p95_after_s"]
    lines += [
        "",
        f"Slow-loris ({loris['peers']} connections, descriptor limit {loris['descriptor_limit']}, "
        f"{loris['seconds']:g} s)",
        "",
        f"- first successful call: {'never' if first is None else f'{first:.2f} s'} after the attack's start",
        f"- p95 latency from then on: {'-' if p95 is None else f'{p95 * 1000:.0f} ms'}; "
        f"{loris['failures_after_first_success']} failures of {loris['calls']} calls",
        f"- stderr grew by {loris['stderr_growth_bytes']:,} bytes",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.team", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller and shorter: the smoke pass")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--upstream", type=float, metavar="HOLD", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream is not None:
        upstream_main(args.upstream)
        return
    report = {"fair_share": run_fair_share(args.quick), "slow_loris": run_slow_loris(args.quick)}
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

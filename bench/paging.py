"""`python -m bench.paging`: paging through a large batch run and comparing two, with sigma-mcp's cache of batch
runs (`sigmamind.cache`) and without it (SIGMA_MCP_CACHE_MB=0), side by side in one run.

- paging: ten pages (as many test cases as fit each answer, from where the one before ends) of a
  10,000-test-case batch run (3 attempts each, about 3,000 failed, their remarks in paraphrased wordings), one
  session: the upstream GETs, the first page's time and the median of
  pages 2-10 over it;
- memory: the server's peak RSS after one `get_batch_run` of that batch run, and after one `compare_batch_runs`
  of two such batch runs, each in a fresh server.

The upstream runs in a process of its own (bench/upstream.py). `--quick`: 100 test cases, one round; it asserts
that the calls answer, nothing about time or memory.
"""

from __future__ import annotations

import argparse
import os
import time
from statistics import median
from typing import Any

import httpx

from bench.__main__ import KEY, StdioSession, compile_bytecode, sigma_mcp_command, start_upstream, stats
from bench.upstream import AGENT_ID

PAGES = 10


def call(session: StdioSession, name: str, arguments: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result: dict[str, Any] = session.request("tools/call", {"name": name, "arguments": arguments})["result"]
    elapsed = time.perf_counter() - started
    if result.get("isError"):
        raise RuntimeError(result["content"][0]["text"])
    return elapsed, result


def env_for(url: str, cache_mb: str | None) -> dict[str, str]:
    env = {**os.environ, "SIGMAMIND_API_KEY": KEY, "SIGMAMIND_BASE_URL": url, "SIGMAMIND_LOG_LEVEL": "WARNING"}
    env.pop("SIGMAMIND_DEMO", None)
    env.pop("SIGMA_MCP_CACHE_MB", None)
    if cache_mb is not None:
        env["SIGMA_MCP_CACHE_MB"] = cache_mb
    return env


def paging(url: str, client: httpx.Client, batch: str, cache_mb: str | None) -> dict[str, Any]:
    before = stats(client, url)["requests"]
    session = StdioSession(sigma_mcp_command(), env_for(url, cache_mb))
    session.initialize()
    times = []
    offset = 0
    for _ in range(PAGES):  # each page from where the one before ends, as a model pages
        elapsed, result = call(session, "get_batch_run", {"batchId": batch, "agentId": AGENT_ID, "offset": offset})
        times.append(elapsed)
        offset = result["structuredContent"]["nextOffset"]
        if offset is None:  # a small batch run (--quick) has fewer pages
            break
    session.close()
    return {"gets": stats(client, url)["requests"] - before, "first": times[0], "rest": median(times[1:])}


def peak(url: str, cache_mb: str | None, name: str, arguments: dict[str, Any]) -> float:
    session = StdioSession(sigma_mcp_command(), env_for(url, cache_mb))
    session.initialize()
    call(session, name, arguments)
    rss = session.peak_rss_mb()
    session.close()
    return float(rss or 0.0)


def run(quick: bool, rounds: int) -> dict[str, Any]:
    compile_bytecode()
    batch, base = ("batch_100", "batch_100_base") if quick else ("batch_10000", "batch_10000_base")
    upstream, url = start_upstream([batch, base])
    results: dict[str, Any] = {"cached": [], "uncached": [], "memory": []}
    try:
        with httpx.Client(headers={"X-API-Key": KEY}) as client:
            for turn in range(rounds):
                # Alternate which goes first, so that neither always runs on a warmer machine.
                for mode in ("cached", "uncached") if turn % 2 == 0 else ("uncached", "cached"):
                    results[mode].append(paging(url, client, batch, None if mode == "cached" else "0"))
                one = {"batchId": batch, "agentId": AGENT_ID}
                two = {"agentId": AGENT_ID, "baseBatchId": base, "candidateBatchId": batch}
                results["memory"].append(
                    {
                        "get": peak(url, None, "get_batch_run", one),
                        "compare": peak(url, None, "compare_batch_runs", two),
                        "get_uncached": peak(url, "0", "get_batch_run", one),
                        "compare_uncached": peak(url, "0", "compare_batch_runs", two),
                    }
                )
    finally:
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait(timeout=30)
    return results


def render(results: dict[str, Any], quick: bool) -> str:
    def ratio(runs: list[dict[str, Any]]) -> float:
        return float(median(run["rest"] / run["first"] for run in runs))

    def ms(runs: list[dict[str, Any]], key: str) -> str:
        return f"{median(run[key] for run in runs) * 1000:.1f} ms"

    def mb(key: str) -> float:
        return float(median(sample[key] for sample in results["memory"]))

    cached, uncached = results["cached"], results["uncached"]
    verdict = "(quick)" if quick else None
    gets_ok = max(run["gets"] for run in cached) <= 2
    ratio_ok = ratio(cached) <= 0.3
    compare_ok = mb("compare") - mb("get") <= 40
    size = "100" if quick else "10,000"
    rows = [
        f"| {size} test cases, {PAGES} pages | cache (default) | cache off | Target | Met |",
        "|---|---|---|---|---|",
        f"| Upstream GETs | {max(run['gets'] for run in cached)} | {max(run['gets'] for run in uncached)} | ≤ 2 "
        f"| {verdict or ('yes' if gets_ok else '**no**')} |",
        f"| Page 1 | {ms(cached, 'first')} | {ms(uncached, 'first')} | | |",
        f"| Pages 2–10, median | {ms(cached, 'rest')} | {ms(uncached, 'rest')} | | |",
        f"| Pages 2–10 over page 1 | {ratio(cached):.3f} | {ratio(uncached):.2f} | ≤ 0.3 "
        f"| {verdict or ('yes' if ratio_ok else '**no**')} |",
        f"| Peak RSS, one `get_batch_run` | {mb('get'):.0f} MB | {mb('get_uncached'):.0f} MB | | |",
        f"| Peak RSS, one `compare_batch_runs` of two | {mb('compare'):.0f} MB | {mb('compare_uncached'):.0f} MB | | |",
        f"| Compare over get | +{mb('compare') - mb('get'):.0f} MB "
        f"| +{mb('compare_uncached') - mb('get_uncached'):.0f} MB | ≤ +40 MB "
        f"| {verdict or ('yes' if compare_ok else '**no**')} |",
    ]
    rounds = len(cached)
    return f"{rounds} rounds; medians.\n\n" + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.paging", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (the CI smoke pass)")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    results = run(options.quick, 1 if options.quick else options.rounds)
    print(render(results, options.quick))


if __name__ == "__main__":
    main()

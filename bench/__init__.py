"""The sigma-mcp benchmark suite: `python -m bench` (see docs/benchmarks.md)."""

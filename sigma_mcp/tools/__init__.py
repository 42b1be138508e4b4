"""The tools: one folder each (listed in `sigma_mcp.registry`), and what they share."""

"""sigma-mcp: an MCP server that explains SigmaMind batch runs to AI assistants."""

__version__ = "0.1.0"

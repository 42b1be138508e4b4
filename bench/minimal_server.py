"""The floor for start-up, and for scale the SDK's own round trip: a one-tool MCPServer on the same SDK,
served over stdio by the SDK's transport (the one sigma-mcp serves with)."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("minimal")


@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    server.run("stdio")

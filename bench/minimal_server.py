"""The floor for start-up: a one-tool MCPServer on the same SDK, served over stdio.

With the argument `event-loop` it is served by sigma-mcp's stdio transport instead of the SDK's, which
shows what that transport alone saves on a round trip.
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("minimal")


@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    if sys.argv[1:] == ["event-loop"]:
        import anyio

        from sigma_mcp.stdio import serve_stdio

        anyio.run(serve_stdio, server)
    else:
        server.run("stdio")

"""What each tool does, independent of how it is called (MCP tool or command line)."""

from __future__ import annotations

from sigma_mcp.client import SigmaMindClient
from sigma_mcp.ids import check_id
from sigma_mcp.summary import BatchRunSummary, summarize_batch_run

BATCH_ID_EXAMPLE = "batch_s0OJu2JWR8R45Fai"
AGENT_ID_EXAMPLE = "agent_D5D0p7TUs66TTAEAx"


async def get_batch_run(client: SigmaMindClient, batch_id: object, agent_id: object) -> BatchRunSummary:
    """Validate the ids, fetch the batch run and summarise it."""
    batch_id = check_id("batchId", batch_id, example=BATCH_ID_EXAMPLE)
    agent_id = check_id("agentId", agent_id, example=AGENT_ID_EXAMPLE)
    parsed = await client.get_batch_run(batch_id, agent_id)
    return summarize_batch_run(
        parsed.value,
        batch_id=batch_id,
        agent_id=agent_id,
        source="demo" if client.settings.demo else "sigmamind",
        ignored=parsed.ignored,
    )

"""Streamable HTTP, for a team sharing one server (stdio is the SDK's own transport)."""

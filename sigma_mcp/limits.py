"""The limits and examples the tools publish in their input schemas, shared with the code that applies them.

A light module on purpose: the server imports it at start-up, before anything heavier is needed.
"""

MAX_PAGE = 200
"""Test cases in one get_batch_run answer, at most."""
MAX_OFFSET = 1_000_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_LIST_PAGE = 100_000
MAX_TURNS = 200
DEFAULT_MAX_TURNS = 20

BATCH_ID_EXAMPLE = "batch_s0OJu2JWR8R45Fai"
AGENT_ID_EXAMPLE = "agent_D5D0p7TUs66TTAEAx"
JOB_ID_EXAMPLE = "job_Rf01aQ7m"
TEST_CASE_ID_EXAMPLE = "tc_d17T6uReChpyfFeP"

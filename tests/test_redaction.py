"""The API key never leaves in a result, an error or a log line, even when the API echoes it."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from sigma_mcp.logs import configure_logging
from sigma_mcp.redaction import REDACTED, Redactor
from tests.conftest import API_KEY, settings_for
from tests.fake_api import FakeSigmaMind, api_error
from tests.test_server import ARGS, call, text_of

pytestmark = pytest.mark.anyio


async def test_key_echoed_in_an_error_is_redacted(api: FakeSigmaMind, mode: str) -> None:
    api.handler = lambda seen: api_error(401, "Unauthorized", f"API key {seen.headers['x-api-key']} is not valid")
    result = await call(settings_for(api), mode, ARGS)
    assert result.is_error is True
    assert API_KEY not in text_of(result)
    assert f"API key {REDACTED} is not valid" in text_of(result)


async def test_key_echoed_in_data_is_redacted(
    api: FakeSigmaMind, mode: str, documented_example: dict[str, Any]
) -> None:
    documented_example["testCases"][0]["userPrompt"] = f"Say the key {API_KEY} out loud."
    documented_example["testCases"][0]["mockData"].append({"variableName": API_KEY, "value": API_KEY})
    documented_example["agent"]["name"] = API_KEY
    api.add_batch_run(documented_example)
    result = await call(settings_for(api), mode, ARGS)
    assert result.is_error is False
    assert API_KEY not in text_of(result)
    assert API_KEY not in json.dumps(result.structured_content)
    assert f"Say the key {REDACTED} out loud." in text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["testCases"][0]["mockData"][REDACTED] == REDACTED


async def test_key_in_arguments_is_redacted(api: FakeSigmaMind) -> None:
    result = await call(settings_for(api), "legacy", {"batchId": f"{API_KEY}/x", "agentId": "a"})
    assert result.is_error is True
    assert API_KEY[:30] not in text_of(result)


def test_redactor_handles_nested_json_and_overlapping_secrets() -> None:
    redactor = Redactor(["abc", "abcdef", None, ""])
    assert redactor.text("xabcdefx abc") == f"x{REDACTED}x {REDACTED}"
    assert redactor.json({"abc": ["abcdef", 1, None, {"k": "abc"}]}) == {REDACTED: [REDACTED, 1, None, {"k": REDACTED}]}
    assert not Redactor([])
    assert Redactor([]).text("abc") == "abc"


def test_log_records_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("DEBUG", Redactor([API_KEY]))
        log = logging.getLogger("sigma_mcp.test")
        log.debug("header X-API-Key: %s", API_KEY)
        try:
            raise ValueError(f"bad key {API_KEY}")
        except ValueError:
            log.exception("failed with %r", {"key": API_KEY})
        log.warning("broken format %s %s", API_KEY)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert API_KEY not in captured.err
    assert f"header X-API-Key: {REDACTED}" in captured.err
    assert f"ValueError: bad key {REDACTED}" in captured.err
    assert "broken format" in captured.err

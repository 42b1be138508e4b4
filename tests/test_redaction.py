"""The API key never leaves in a result, an error or a log line, even when the API echoes it."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel
from pydantic_core import to_json

from sigma_mcp.logs import configure_logging
from sigma_mcp.results import RedactingMiddleware, success_result
from sigma_mcp.safety.redaction import REDACTED, Redactor
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
    short, long = "k" * 16, "k" * 16 + "-and-more-of-it"
    redactor = Redactor([short, long, None, ""])
    assert redactor.text(f"x{long}x {short}") == f"x{REDACTED}x {REDACTED}"
    assert redactor.json({short: [long, 1, None, {"k": short}]}) == {REDACTED: [REDACTED, 1, None, {"k": REDACTED}]}
    assert redactor.json({"label": short}, keep=frozenset({"label"})) == {"label": REDACTED}
    assert not Redactor([])
    assert Redactor([]).text(short) == short
    assert "k" * 16 not in repr(redactor)


def test_a_secret_cut_short_is_still_masked() -> None:
    redactor = Redactor([API_KEY])
    for cut in range(8, len(API_KEY)):
        assert API_KEY[:cut] not in redactor.text(f"key {API_KEY[:cut]}… more")
    assert redactor.text(f"{API_KEY[:7]}") == API_KEY[:7]  # seven characters say nothing


def test_short_keys_are_replaced_only_where_they_stand_alone() -> None:
    redactor = Redactor(["test"])
    assert redactor.text("testCases and latest tests, key test.") == f"testCases and latest tests, key {REDACTED}."
    assert redactor.json({"testCases": ["test"]}) == {"testCases": [REDACTED]}


def test_bodies_are_redacted_in_every_json_spelling() -> None:
    key = 'sk/live\\quoted"key-123456789'
    redactor = Redactor([key])
    escaped = json.dumps(key)[1:-1]
    slash_escaped = escaped.replace("/", "\\/")
    body = f'{{"a": "{escaped}", "b": "{slash_escaped}"}}'.encode()
    assert json.loads(body) == {"a": key, "b": key}
    assert json.loads(redactor.bytes(body)) == {"a": REDACTED, "b": REDACTED}


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


def test_no_object_shows_the_key_in_its_repr() -> None:
    from sigma_mcp.config import Settings
    from sigma_mcp.sigmamind.client import SigmaMindClient

    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY})
    client = SigmaMindClient(settings)
    for thing in (settings, client, client.redactor, vars(client)):
        assert API_KEY not in repr(thing)
        assert API_KEY not in str(thing)


def test_a_fragment_is_masked_exactly_as_far_as_it_matches() -> None:
    redactor = Redactor([API_KEY])
    assert redactor.text(f"{API_KEY[:9]}zz") == f"{REDACTED}zz"
    assert redactor.text(f"<{API_KEY[:8]}>") == f"<{REDACTED}>"


def test_every_fragment_in_a_text_is_masked() -> None:
    redactor = Redactor([API_KEY])
    text = " | ".join(API_KEY[:cut] for cut in (8, 12, 20))
    assert redactor.text(text) == " | ".join([REDACTED] * 3)


def test_the_mask_itself_is_never_masked_again() -> None:
    # A secret whose start ("D]") the mask ends with: text after the mask must not be read as a fragment.
    secret = "D]abcdefzzzzzzzzzz"
    assert Redactor([secret]).text("D]abcdefabcdef") == f"{REDACTED}abcdef"


def _record(message: str, *, stack: str | None = None) -> logging.LogRecord:
    return logging.LogRecord("sigma_mcp.test", logging.INFO, __file__, 1, message, None, None, sinfo=stack)


def test_the_log_filter_keeps_every_record_and_redacts_the_stack() -> None:
    from sigma_mcp.safety.redaction import RedactingFilter

    assert RedactingFilter(Redactor([])).filter(_record("nothing to hide")) is True
    record = _record(f"key {API_KEY}", stack=f'Stack (most recent call last):\n  File "x", in f\n    use("{API_KEY}")')
    assert RedactingFilter(Redactor([API_KEY])).filter(record) is True
    assert record.getMessage() == f"key {REDACTED}"
    assert record.stack_info is not None
    assert API_KEY not in record.stack_info
    assert f'use("{REDACTED}")' in record.stack_info


def test_our_own_field_names_are_kept_at_every_depth_and_other_keys_redacted() -> None:
    redactor = Redactor(["label"])
    keep = frozenset({"label"})
    value = {"label": "label", "nested": {"label": ["label", {"label": 1}]}, 1: "label", "a label": 2}
    assert redactor.json(value, keep=keep) == {
        "label": REDACTED,
        "nested": {"label": [REDACTED, {"label": 1}]},
        1: REDACTED,
        f"a {REDACTED}": 2,
    }
    assert redactor.json([{"label": 0}, ("label",)], keep=keep) == [{"label": 0}, [REDACTED]]
    assert redactor.json({"label": 0}) == {REDACTED: 0}


def test_a_secret_inside_another_is_never_replaced_first() -> None:
    inner = "zzzzzzzzzzzzzzzzzz"
    outer = "aaaaaaaaaaaaaaaa-" + inner
    assert Redactor([inner, outer]).text(f"x {outer} y {inner}") == f"x {REDACTED} y {REDACTED}"
    assert Redactor([outer, inner]).text(f"x {outer} y") == f"x {REDACTED} y"


def test_a_sixteen_character_secret_is_replaced_even_inside_a_word() -> None:
    secret = "k" * 16
    assert Redactor([secret]).text(f"a{secret}b") == f"a{REDACTED}b"
    assert Redactor([secret[:15]]).text(f"a{secret[:15]}b") == f"a{secret[:15]}b"


def test_every_short_secret_is_replaced() -> None:
    assert Redactor(["alpha", "beta"]).text("alpha and beta") == f"{REDACTED} and {REDACTED}"


def test_the_key_of_the_request_being_handled_is_masked_too() -> None:
    from sigma_mcp.safety.keys import request_key

    inner = "zzzzzzzzzzzzzzzzzz"
    own = "aaaaaaaaaaaaaaaa-" + inner
    redactor = Redactor([inner])
    assert redactor.text(own) == f"aaaaaaaaaaaaaaaa-{REDACTED}"
    with request_key(own):
        assert redactor.text(f"key {own}") == f"key {REDACTED}"
        assert Redactor([]).text(own) == REDACTED
        assert Redactor([own]).text(own) == REDACTED
    assert Redactor([]).text(own) == own


# `clean` lets the walk be skipped: wherever it says a value is clean, the walk must change nothing.
_SECRETS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=24)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.characters(codec="utf-8"), max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(secret=_SECRETS, value=_JSON, where=st.integers(0, 3), cut=st.integers(1, 24))
def test_a_value_said_to_be_clean_is_one_the_walk_leaves_alone(secret: str, value: Any, where: int, cut: int) -> None:
    # Plant the secret (or a run of its first characters) where `where` says, next to awkward characters.
    planted = [f"\n{secret}\t", f'"{secret[:cut]}\\', secret, {secret: 1}][where]
    redactor = Redactor([secret])
    for candidate in (value, [value, planted], {"k": planted, "v": value}):
        # The same judgement on JSON already written, as success_result makes it on the bytes fit measured.
        assert redactor.clean_json(to_json(candidate)) == redactor.clean(candidate)
        if redactor.clean(candidate):
            assert redactor.json(candidate) == redactor._walk(candidate, frozenset()) == candidate


@settings(max_examples=200, deadline=None)
@given(secret=_SECRETS, value=_JSON, where=st.integers(0, 3), cut=st.integers(1, 24))
def test_a_result_said_to_be_clean_is_one_the_middleware_walk_leaves_alone(
    secret: str, value: Any, where: int, cut: int
) -> None:
    # The middleware judges a result model without dumping it; the dump it would walk must hold nothing either.
    planted = [f"\n{secret}\t", f'"{secret[:cut]}\\', secret, {secret: 1}][where]
    redactor = Redactor([secret])
    middleware = RedactingMiddleware(redactor)
    for text, structured in ((str(value), {"v": value}), (str(planted), {"v": value}), ("x", {"k": planted})):
        result = CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)
        if redactor.clean(result):
            dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
            assert middleware._walk(dumped) == dumped


def test_a_secret_json_would_escape_is_never_judged_clean() -> None:
    redactor = Redactor(['sk_"quoted"_secret_0123456789'])
    assert not redactor.clean({"text": "nothing secret here"})
    plain = Redactor(["sk_plain_secret_0123456789abcdef"])
    assert plain.clean({"text": "nothing secret here", "n": [1, 2.5, None]})
    assert not plain.clean({"text": "cut short: sk_plain_se"})
    assert not plain.clean({"sk_plain_secret_0123456789abcdef": "as a key"})
    assert not plain.clean({"bytes": b"\xff not JSON"})  # cannot be written as JSON: walked
    assert not plain.clean({"object": object()})
    assert not plain.clean(["sk_plain_\ud800"])  # a lone surrogate cannot be written either
    lone = Redactor(["sk\ud800lone_secret_0123456789"])
    assert not lone.clean({"text": "nothing secret here"})  # nor searched for
    echoed = json.dumps({"key": "sk\ud800lone_secret_0123456789"}).encode()  # as JSON writes it: escaped
    assert lone.bytes(echoed) == b'{"key": "[REDACTED]"}'
    assert plain.clean(CallToolResult(content=[TextContent(type="text", text="nothing secret")]))
    assert not plain.clean(CallToolResult(content=[TextContent(type="text", text="sk_plain_secret_0123456789abcdef")]))


SECRET = "sk_middleware_secret_0123456789abcdef"


class _Summary(BaseModel):
    note: str


class _Context:
    """What the middleware reads of a request's context."""

    method = "tools/call"


@pytest.mark.parametrize(
    "changed",
    [
        lambda wire: {**wire, "_meta": {"echo": SECRET}},  # a field the SDK might add
        lambda wire: {**wire, "content": [{"type": "text", "text": f"not ours: {SECRET}"}]},
        lambda wire: {**wire, "structuredContent": {"note": SECRET}},
        lambda wire: {**wire, "isError": True, "content": [*wire["content"], {"type": "text", "text": SECRET}]},
    ],
    ids=["added-field", "other-text", "other-structured", "extra-block"],
)
async def test_the_middleware_searches_any_tool_result_other_than_the_one_built_and_redacted(changed: Any) -> None:
    redactor = Redactor([SECRET])
    middleware = RedactingMiddleware(redactor)
    summary = _Summary(note="nothing secret")
    built = success_result(redactor, "nothing secret", summary, "get_batch_run", data=to_json(summary))
    wire = built.model_dump(by_alias=True, mode="json", exclude_none=True)

    async def answer(_: Any) -> Any:
        return changed(wire)

    async def same(_: Any) -> Any:
        return wire

    assert await middleware(_Context(), same) is wire  # ours, unchanged: passed on as it is
    sent = await middleware(_Context(), answer)
    assert SECRET not in json.dumps(sent)
    assert REDACTED in json.dumps(sent)


def test_the_middleware_walk_redacts_inside_tuples() -> None:
    walked = RedactingMiddleware(Redactor([SECRET]))._walk({"pair": (SECRET, 1)})
    assert walked == {"pair": [REDACTED, 1]}


def test_success_result_redacts_a_summary_measured_as_json() -> None:
    redactor = Redactor([SECRET])
    summary = _Summary(note=f"echoed {SECRET}")
    result = success_result(redactor, f"text {SECRET}", summary, "get_batch_run", data=to_json(summary))
    assert result.structured_content == {"note": f"echoed {REDACTED}"}
    assert SECRET not in result.model_dump_json()

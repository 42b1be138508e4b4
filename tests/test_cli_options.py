"""The generated subcommands (cli.commands) read options as the hand-written ones did: whole numbers as Python
reads them, range errors stated as ranges, help sentences whole."""

from __future__ import annotations

import pytest

from sigma_mcp.cli import build_parser, main


def test_help_is_not_cut_at_an_abbreviation(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["compare", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(e.g " not in out + " ", out
    assert "(e.g. the one before a prompt change)" in out


@pytest.mark.parametrize(
    ("value", "code", "said"),
    [
        (
            "99999999999999999999",
            2,
            "Invalid offset for get_batch_run: must be at most 1000000, got 99999999999999999999.",
        ),
        ("x", 2, "argument --offset: invalid int value: 'x'"),
        ("+1", 0, "## Test cases 2–3 of 3"),
        ("1_0", 0, "offset 10 is past the last of the 3 test cases"),
    ],
)
def test_whole_number_options_are_read_as_numbers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str, code: int, said: str
) -> None:
    monkeypatch.setenv("SIGMAMIND_DEMO", "1")
    with pytest.raises(SystemExit) as exited:
        main(["batch-run", "batch_Xk3pQ9mLrT2vWs7d", "--agent", "agent_D5D0p7TUs66TTAEAx", "--offset", value])
    out, err = capsys.readouterr()
    assert exited.value.code == code, err
    assert said in (out if code == 0 else err)
    assert "got a string" not in err

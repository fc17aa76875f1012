"""Start-up stays light: what the demo ticket's JSON run does not need is not compiled, built or
walked. (No timings here: each test names the work that must not happen.)"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from investigate import threads
from investigate.cli.startup import STARTING_GEN0
from investigate.lazyre import lazy

DEMO = Path(__file__).resolve().parents[1] / "config.example.yaml"
RUN_DEMO = (
    "import contextlib, io, sys\n"
    "from investigate.cli import run\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    f"    assert run(['ticket', '4812', '--config', {str(DEMO)!r}, '-f', 'json', '--analyst', 'offline']) == 0\n"
)


def _python(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.slow  # a fresh python subprocess
def test_an_english_ticket_compiles_no_other_languages_cues_and_no_secret_maskers() -> None:
    code = RUN_DEMO + (
        "from investigate.analysts import intent\n"
        "from investigate import secrets\n"
        "for lang, cues in intent._cues().items():\n"
        "    compiled = [n for n in ('question', 'howto', 'problem') if getattr(cues, n)._compiled]\n"
        '    print(f\'{lang}:{",".join(compiled) or "-"}\')\n'
        "print('masks:' + str(sum(p._compiled is not None for p, _ in secrets._PATTERNS)))\n"
    )
    out = dict(line.split(":") for line in _python(code))
    assert out["en"] == "question,howto,problem"  # the demo ticket is English: its cues are read
    assert out["es"] == out["de"] == out["fr"] == "-"
    assert out["masks"] == "0"


@pytest.mark.slow  # a fresh python subprocess
def test_a_ticket_run_builds_no_stats_models() -> None:
    code = RUN_DEMO + (
        "from investigate.sdk.history import HistoryTicket, Rating\n"
        "print(HistoryTicket.__pydantic_complete__, Rating.__pydantic_complete__)\n"
    )
    assert _python(code) == ["False", "False"]


@pytest.mark.slow  # a fresh python subprocess
def test_parsing_the_command_line_builds_no_pydantic_adapters() -> None:
    """typer 0.29 builds a pydantic TypeAdapter for every parameter of the command on every
    run (+11-12 % CPU for `--help` and for the demo ticket, measured side by side with 0.28);
    pyproject keeps typer below it. This fails when an install picks a typer that does."""
    code = RUN_DEMO + "print('typer._adapters' in sys.modules)\n"
    assert _python(code) == ["False"]


@pytest.mark.slow  # a fresh python subprocess
def test_the_console_script_collects_garbage_as_usual_once_the_command_has_started() -> None:
    """`main()` holds the collector back while starting and freezes what start-up made; once
    the config is read the usual thresholds are back. `run()` (the tests' way in) leaves the
    collector alone."""
    code = (
        "import gc\n"
        "before = gc.get_threshold()\n"
        + RUN_DEMO
        + "print(gc.get_freeze_count(), gc.get_threshold() == before)\n"
        "from investigate.cli import startup\n"
        "startup.starting()\n"
        "print(gc.get_threshold()[0], gc.isenabled())\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert run(['ticket', '4812', '--config', {str(DEMO)!r}, '-f', 'json']) == 0\n"
        "print(gc.get_freeze_count() > 0, gc.get_threshold() == before, gc.isenabled())\n"
    )
    frozen, same, starting, enabled, frozen_after, same_after, enabled_after = _python(code)
    assert (frozen, same) == ("0", "True")  # run() alone
    assert (starting, enabled) == (str(STARTING_GEN0), "True")
    assert (frozen_after, same_after, enabled_after) == ("True", "True", "True")


def test_a_run_s_result_is_not_put_through_repr() -> None:
    """asyncio's Runner formats the finished task (with its result) when it ends; a report's
    repr is large, so the result travels past it."""
    seen: list[str] = []

    class Loud:
        def __repr__(self) -> str:
            seen.append("repr")
            return "Loud()"

    async def produce() -> Loud:
        await asyncio.sleep(0)
        return Loud()

    assert isinstance(threads.run(produce()), Loud)
    assert seen == []


def test_a_lazy_pattern_compiles_at_its_first_use_and_behaves_as_compiled() -> None:
    pattern = lazy(r"(\w+)@example\.com", 0)
    assert pattern._compiled is None
    assert pattern.pattern == r"(\w+)@example\.com"
    text = "mail ana@example.com or bo@example.com"
    assert pattern.findall(text) == ["ana", "bo"]
    assert pattern._compiled is not None
    assert pattern.search(text) is not None and pattern.match(text) is None
    assert pattern.sub(r"<\1>", text) == "mail <ana> or <bo>"
    assert [m.group(1) for m in pattern.finditer(text)] == ["ana", "bo"]
    assert lazy(b"a+", 0).fullmatch(b"aaa") is not None

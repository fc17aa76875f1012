"""Blocking work in daemon threads: results and errors come back, and a deadline that gives up
on the work does not wait for it (neither the report nor the process exit)."""

from __future__ import annotations

import contextvars
import json
import subprocess
import sys
from pathlib import Path

import pytest
from busyclock import Stopwatch

from investigate.threads import in_thread

NOW = "2026-11-24T10:30:00Z"
ROOT = Path(__file__).resolve().parents[1]


async def test_the_result_comes_back() -> None:
    assert await in_thread(sum, [1, 2, 3]) == 6


async def test_an_exception_is_raised_in_the_caller() -> None:
    def fail() -> None:
        raise ValueError("bad row 7")

    with pytest.raises(ValueError, match="bad row 7"):
        await in_thread(fail)


async def test_context_variables_are_visible_in_the_thread() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var")
    var.set("ticket 4812")
    assert await in_thread(var.get) == "ticket 4812"


@pytest.mark.slow  # a python subprocess
def test_a_process_whose_deadline_gave_up_on_blocking_work_exits_without_waiting() -> None:
    code = (
        "import asyncio, time\n"
        "from investigate.threads import in_thread\n"
        "async def main():\n"
        "    try:\n"
        "        async with asyncio.timeout(0.2):\n"
        "            await in_thread(time.sleep, 60)\n"
        "    except TimeoutError:\n"
        "        print('gave up')\n"
        "asyncio.run(main())\n"
    )
    # With asyncio.to_thread, asyncio.run would wait the full minute for the worker thread.
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "gave up"


@pytest.mark.usefixtures("example_plugin")
def test_a_connector_stuck_in_blocking_work_is_a_timeout_and_the_report_still_comes(
    cli, write_config
) -> None:  # type: ignore[no-untyped-def]
    from test_cli import base

    config = write_config(base(parser={"type": "example", "block": 60}))
    started = Stopwatch()
    result = cli(
        "ticket", "4812", "-c", str(config), "--until", NOW, "--format", "json", "--timeout", "1s"
    )
    elapsed = started.busy_free

    assert result.code == 0, result.err
    source = next(s for s in json.loads(result.out)["sources"] if s["name"] == "parser")
    assert source["status"] == "timeout"
    assert elapsed < 30  # nowhere near the 60 s of blocked work


@pytest.mark.slow  # a python subprocess
def test_the_loops_default_executor_cannot_hold_the_process_either() -> None:
    code = (
        "import asyncio, time\n"
        "from investigate.threads import run\n"
        "async def main():\n"
        "    loop = asyncio.get_running_loop()\n"
        "    try:\n"
        "        async with asyncio.timeout(0.2):  # e.g. a DNS lookup stuck in getaddrinfo\n"
        "            await loop.run_in_executor(None, time.sleep, 60)\n"
        "    except TimeoutError:\n"
        "        return 'gave up'\n"
        "print(run(main()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "gave up"

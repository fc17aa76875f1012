"""Hostile configs through the real CLI (in-process): YAML bombs, object tags, circular
`${VAR}`s, 10,000 connectors, bad bytes, links to /etc/passwd. Each is one clear error line
(exit 2, or 4 when the ticket source itself cannot be read) or a normal report (exit 0)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from busyclock import Stopwatch
from corpus import Setup, Timed, assert_clean_error, billion_laughs, many_connectors, ticket

from investigate.config import load_config
from investigate.models import Report

Run = Callable[..., Timed]
# No `llm` section: the cli fixture unsets ANTHROPIC_API_KEY, so the analyst is offline.
SMALL = "ticket_source: tickets\nconnectors:\n  tickets: {type: file, path: tickets}\n"


@pytest.fixture
def write(setup: Setup) -> Callable[[str | bytes], Path]:
    setup.add("t1.json", json.dumps(ticket("t1")))

    def write(text: str | bytes, name: str = "hostile.yaml") -> Path:
        path = setup.root / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def _ticket(timed: Run, config: Path) -> Timed:
    return timed("ticket", "t1", "--config", str(config), "-f", "json")


def test_small_config_works(write: Callable[[str], Path], timed: Run) -> None:
    # The baseline every hostile variant below starts from.
    result = _ticket(timed, write(SMALL))
    assert result.code == 0, result.err
    assert Report.model_validate_json(result.out).ticket.id == "t1"


def test_billion_laughs_is_refused_quickly(write: Callable[[str], Path], timed: Run) -> None:
    config = write(billion_laughs())

    result = _ticket(timed, config)

    line = assert_clean_error(result, 2)
    assert str(config) in line and "expands to more than" in line
    assert result.seconds < 5


def test_flat_alias_fan_out_is_refused(write: Callable[[str], Path], timed: Run) -> None:
    # One anchor referenced 101,000 times: no nesting, still more values than allowed.
    refs = ", ".join(["*big"] * 101_000)
    result = _ticket(timed, write(SMALL + f"  x: {{big: &big [1, 2], refs: [{refs}]}}\n"))

    assert "expands to more than" in assert_clean_error(result, 2)


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['touch MARKER']",
        "!!python/object/new:os.system ['touch MARKER']",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!binary dG91Y2g=",
        "!custom MARKER",
    ],
)
def test_object_tags_are_refused_and_run_nothing(
    tagged: str, setup: Setup, write: Callable[[str], Path], timed: Run
) -> None:
    marker = setup.root / "executed"
    config = write(SMALL + "llm:\n  model: " + tagged.replace("MARKER", str(marker)) + "\n")

    result = _ticket(timed, config)

    line = assert_clean_error(result, 2)
    assert "not allowed" in line and f"{config}:" in line
    assert not marker.exists()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LOOP": "${LOOP}"}, "${LOOP}"),
        ({"LOOP": "${A}", "A": "${LOOP}"}, "${A}"),
        ({"LOOP": "x${LOOP}y${LOOP}"}, "x${LOOP}y${LOOP}"),
        ({"LOOP": "${LOOP:-${LOOP}}"}, "${LOOP:-${LOOP}}"),
    ],
)
def test_circular_vars_are_expanded_once(
    env: dict[str, str],
    expected: str,
    write: Callable[[str], Path],
    timed: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = write(SMALL + "llm: {model: '${LOOP}'}\n")

    loaded = load_config(config)
    result = _ticket(timed, config)

    assert loaded.settings.llm.model == expected  # literal, never expanded a second time
    assert result.code == 0, result.err


def test_circular_var_in_a_path_is_a_clear_source_error(
    write: Callable[[str], Path], timed: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOP", "${LOOP}")
    result = _ticket(timed, write(SMALL.replace("path: tickets", "path: '${LOOP}'")))

    line = assert_clean_error(result, 4)
    assert "${LOOP}" in line and "not found" in line


def test_a_missing_var_names_it(write: Callable[[str], Path], timed: Run) -> None:
    result = _ticket(timed, write(SMALL.replace("path: tickets", "path: '${NO_SUCH_VAR_7781}'")))

    line = assert_clean_error(result, 2)
    assert "NO_SUCH_VAR_7781" in line and ":3:" in line


def test_a_thousand_connectors_run_within_the_limit(
    setup: Setup, write: Callable[[str], Path], timed: Run
) -> None:
    (setup.root / "deploys.json").write_text('[{"service": "api", "deployed_at": "2026-11-24"}]')

    result = _ticket(timed, write(many_connectors(1_000, "tickets")))

    assert result.code == 0, result.err[-2000:]
    report = Report.model_validate_json(result.out)
    assert len(report.sources) == 1_000
    assert all(s.status in ("ok", "empty") for s in report.sources)


@pytest.mark.slow
def test_ten_thousand_connectors_give_a_report(setup: Setup, write: Callable[[str], Path]) -> None:
    """Measured 12-25 s on the shared 2-core box (7 s of it composing the 1 MB YAML with the
    pure-Python loader): over the 10 s target, reported to the lead. Bounded here at 60 s, not
    xfailed, because the time straddles the target from one machine to the next."""
    from investigate.cli import run

    (setup.root / "deploys.json").write_text('[{"service": "api", "deployed_at": "2026-11-24"}]')
    config = write(many_connectors(10_000, "tickets"))
    with Stopwatch() as watch:
        code = run(
            [
                "ticket",
                "t1",
                "--config",
                str(config),
                "-f",
                "json",
                "-o",
                str(setup.root / "r.json"),
            ]
        )

    assert code == 0
    assert watch.busy_free < 60, watch
    report = Report.model_validate_json((setup.root / "r.json").read_text())
    assert len(report.sources) == 10_000


@pytest.mark.parametrize("depth", [200, 10_000])
def test_deeply_nested_yaml_is_refused(
    depth: int, write: Callable[[str], Path], timed: Run
) -> None:
    result = _ticket(timed, write(SMALL + "  deep: " + "[" * depth + "]" * depth + "\n"))

    assert "nested too deeply" in assert_clean_error(result, 2)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b"ticket_source: tickets\nllm: {model: \xff\xfe}\n", "not UTF-8"),
        (b"ticket_source: tick\x00ets\n", "invalid YAML"),
        (b"ticket_source: [tickets\n", "invalid YAML"),
        (b"\xef\xbb\xbfticket_source: 5\x1b[2J\n", "invalid YAML"),
        (b"\xef\xbb\xbfticket_source: [5]\n", "ticket_source"),
        (b"- just\n- a list\n", "must be a mapping"),
        (b"llm: &a {model: *a}\n", "alias"),
        (b"connectors: {a: 1, a: 2}\n", "duplicate key"),
    ],
)
def test_malformed_config_is_one_clear_error(
    text: bytes, words: str, write: Callable[[bytes], Path], timed: Run
) -> None:
    config = write(text)

    line = assert_clean_error(_ticket(timed, config), 2)

    assert words in line and str(config) in line


@pytest.mark.parametrize(
    "value",
    [
        "!!int abc",
        "!!float x",
        "!!bool maybe",
        "!!timestamp soon",
        "2026-02-30",
    ],
)
def test_bad_scalar_values_are_one_clear_error(
    value: str, write: Callable[[str], Path], timed: Run
) -> None:
    config = write(SMALL + f"llm:\n  model: {value}\n")

    line = assert_clean_error(_ticket(timed, config), 2)

    assert f"{config}:5:" in line or f"{config}:4:" in line


@pytest.mark.parametrize(
    "section",
    [
        "investigation:\n  timeout:\n",
        "investigation:\n  lookback: [24h]\n",
        "llm:\n  timeout: {s: 1}\n",
        "sla:\n  urgent: {first_response: 2026-11-24, resolution: 4h}\n",
    ],
)
def test_a_duration_that_is_not_text_is_one_clear_error(
    section: str, write: Callable[[str], Path], timed: Run
) -> None:
    config = write(SMALL + section)

    line = assert_clean_error(_ticket(timed, config), 2)

    assert str(config) in line


def test_error_messages_cannot_drive_the_terminal(write: Callable[[str], Path], timed: Run) -> None:
    config = write(SMALL + 'llm: {"\\e[2J\\e]52;c;ZXZpbA==\\a": 1}\n')

    result = _ticket(timed, config)

    assert result.code == 2
    assert "\x1b" not in result.err and "\x07" not in result.err


# --- paths outside the config folder -----------------------------------------------------


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_config_that_is_a_link_to_etc_passwd_leaks_nothing(setup: Setup, timed: Run) -> None:
    link = setup.root / "passwd.yaml"
    link.symlink_to("/etc/passwd")

    result = _ticket(timed, link)

    line = assert_clean_error(result, 2)
    assert "must be a mapping" in line or "invalid YAML" in line
    assert "root:" not in result.err and "/bin/" not in result.err


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../../../etc/passwd"])
def test_ticket_source_pointed_at_etc_passwd_is_a_source_error(
    target: str, write: Callable[[str], Path], timed: Run
) -> None:
    result = _ticket(timed, write(SMALL.replace("path: tickets", f"path: {target}")))

    line = assert_clean_error(result, 4)
    assert "passwd" in line
    assert "root:" not in result.err and "/bin/" not in result.err


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_tickets_folder_that_is_a_link_to_etc_reads_no_ticket(
    setup: Setup, write: Callable[[str], Path], timed: Run
) -> None:
    """The config names the folder; a link there is followed, and /etc holds no <id>.json."""
    (setup.root / "etc_link").symlink_to("/etc")

    result = _ticket(timed, write(SMALL.replace("path: tickets", "path: etc_link")))

    assert result.code in (3, 4), result.err[-2000:]
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert "root:" not in result.err

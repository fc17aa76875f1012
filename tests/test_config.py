"""Config loading: ${VAR} expansion, strict keys with file:line errors, safe YAML, lookup order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from investigate.config import (
    ConfigPath,
    Duration,
    LoadedConfig,
    Settings,
    find_config,
    load_config,
)
from investigate.errors import ConfigError, ExitCode, InvestigateError
from investigate.sdk.contract import ConnectorConfig

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"


def write(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text), encoding="utf-8")
    return path


def load(folder: Path, text: str, env: dict[str, str] | None = None) -> LoadedConfig:
    return load_config(write(folder, text), env=env or {})


def error_for(folder: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load(folder, text, env)
    return str(info.value)


def assert_at(message: str, path: Path, line: int) -> None:
    """The message names the file and the line (the path may be shown resolved)."""
    assert f"{path}:{line}:" in message or f"{path.resolve()}:{line}:" in message, message


# --- ${VAR} expansion -----------------------------------------------------------------------


def test_var_is_expanded(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        llm:
          model: ${MODEL}
          base_url: https://${HOST}:8080/v1
        """,
        env={"MODEL": "claude-x", "HOST": "gw.internal"},
    )
    assert config.settings.llm.model == "claude-x"
    assert config.settings.llm.base_url == "https://gw.internal:8080/v1"


def test_var_default_used_when_unset(tmp_path: Path) -> None:
    config = load(tmp_path, "llm:\n  model: ${MODEL:-fallback-model}\n")
    assert config.settings.llm.model == "fallback-model"


def test_var_default_used_when_empty(tmp_path: Path) -> None:
    config = load(tmp_path, "llm:\n  model: ${MODEL:-fallback-model}\n", env={"MODEL": ""})
    assert config.settings.llm.model == "fallback-model"


def test_var_set_beats_default(tmp_path: Path) -> None:
    config = load(tmp_path, "llm:\n  model: ${MODEL:-fallback}\n", env={"MODEL": "chosen"})
    assert config.settings.llm.model == "chosen"


def test_var_empty_default(tmp_path: Path) -> None:
    config = load(tmp_path, "ticket_source: x${SUFFIX:-}\n")
    assert config.settings.ticket_source == "x"


def test_expanded_value_becomes_a_typed_setting(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        investigation:
          max_evidence: ${MAX}
          lookback: ${LOOKBACK:-2h}
        llm:
          api_key: ${API_KEY}
        """,
        env={"MAX": "12", "API_KEY": "sk-test-value-123"},
    )
    assert config.settings.investigation.max_evidence == 12
    assert config.settings.investigation.lookback == timedelta(hours=2)
    assert isinstance(config.settings.llm.api_key, SecretStr)
    assert config.settings.llm.api_key.get_secret_value() == "sk-test-value-123"


def test_missing_var_names_the_variable_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        ticket_source: tickets
        llm:
          model: ${MISSING_MODEL}
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"OTHER": "x"})
    message = str(info.value)
    assert "MISSING_MODEL" in message
    assert_at(message, path, 3)
    assert info.value.exit_code == ExitCode.USAGE


def test_missing_var_in_a_connector_section(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        connectors:
          helpdesk:
            type: zendesk
            api_token: ${ZENDESK_API_TOKEN}
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "ZENDESK_API_TOKEN" in str(info.value)
    assert_at(str(info.value), path, 4)


def test_expanded_value_is_not_expanded_again(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "llm:\n  model: ${OUTER}\n  base_url: ${UNSET_OUTER}\n",
        # The value of OUTER looks like a reference; it is data, not another reference.
        env={"OUTER": "${INNER}", "INNER": "expanded-twice", "UNSET_OUTER": "${NOT_SET_ANYWHERE}"},
    )
    assert config.settings.llm.model == "${INNER}"
    assert config.settings.llm.base_url == "${NOT_SET_ANYWHERE}"


def test_process_environment_is_used_when_env_is_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVESTIGATE_TEST_MODEL", "from-os-environ")
    path = write(tmp_path, "llm:\n  model: ${INVESTIGATE_TEST_MODEL}\n")
    assert load_config(path).settings.llm.model == "from-os-environ"


# --- strict keys and types ------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, "ticket_source: tickets\nticket_sauce: oops\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert "unknown key 'ticket_sauce'" in message
    assert_at(message, path, 2)
    assert info.value.hint is not None and "config.example.yaml" in info.value.hint


def test_unknown_nested_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        investigation:
          timeout: 30s
          lookbak: 1h
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert_at(message, path, 3)
    assert "investigation" in message
    assert "unknown key 'lookbak'" in message


def test_unknown_nested_key_in_flow_style(tmp_path: Path) -> None:
    path = write(tmp_path, "\ninvestigation: {lookbak: 1h}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "investigation: unknown key 'lookbak'" in str(info.value)
    assert_at(str(info.value), path, 2)


def test_wrong_type_names_the_key_path_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        investigation:
          lookback: 1h
          max_evidence: many
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert "investigation.max_evidence" in message
    assert "'many'" in message
    assert_at(message, path, 3)


def test_out_of_range_value(tmp_path: Path) -> None:
    path = write(tmp_path, "investigation:\n  max_evidence: 0\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "investigation.max_evidence" in str(info.value)
    assert_at(str(info.value), path, 2)


def test_bad_choice(tmp_path: Path) -> None:
    path = write(tmp_path, "llm:\n  provider: gpt\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "llm.provider" in str(info.value)
    assert "'gpt'" in str(info.value)


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        investigation:
          max_evidence: many
        llm:
          max_tokens: lots
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert "2 problems" in message
    assert_at(message, path, 2)
    assert_at(message, path, 4)
    assert "investigation.max_evidence" in message
    assert "llm.max_tokens" in message


def test_sla_policy_missing_field(tmp_path: Path) -> None:
    path = write(tmp_path, "sla:\n  urgent: {first_response: 1h}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "sla.urgent.resolution" in str(info.value)
    assert_at(str(info.value), path, 2)


# --- YAML safety and shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "ticket_source: tickets\nllm: [1, 2\nredaction: {}\n",
        "ticket_source: tickets\nllm:\n  model: 'unterminated\n",
        "ticket_source: tickets\n  bad: indent\n",
    ],
)
def test_invalid_yaml_names_file_and_line(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert "invalid YAML" in message
    assert str(path) in message
    assert any(f"{path}:{n}:" in message for n in (2, 3, 4)), message


@pytest.mark.parametrize(
    "tagged",
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        '!!python/object/new:os.system ["touch {marker}"]',
        "!!python/name:os.system",
        "!Custom {marker}",
    ],
)
def test_object_tags_are_refused_and_nothing_runs(tmp_path: Path, tagged: str) -> None:
    marker = tmp_path / "executed"
    path = write(tmp_path, "llm:\n  model: " + tagged.format(marker=marker) + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "not allowed" in str(info.value)
    assert_at(str(info.value), path, 2)
    assert not marker.exists()


def test_object_tag_as_a_key_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = write(tmp_path, f'!!python/object/apply:os.system ["touch {marker}"]: 1\n')
    with pytest.raises(ConfigError):
        load_config(path, env={})
    assert not marker.exists()


def billion_laughs() -> str:
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return "connectors:\n  bomb:\n" + "".join(f"    {line}\n" for line in lines)


def test_billion_laughs_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, billion_laughs())
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "expands to more than" in str(info.value)
    assert str(path) in str(info.value)


def test_small_aliases_still_work(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        sla:
          urgent: &fast {first_response: 1h, resolution: 4h}
          high: *fast
        """,
    )
    assert config.settings.sla["high"].resolution == timedelta(hours=4)
    assert config.settings.sla["urgent"] == config.settings.sla["high"]


@pytest.mark.parametrize(
    "text",
    [
        "connectors:\n  loop: &a [*a]\n",
        "connectors: &a\n  loop: *a\n",
    ],
)
def test_self_referencing_alias_is_a_config_error(tmp_path: Path, text: str) -> None:
    # YAML lets an anchor refer to itself; that must be a clean error, not a RecursionError.
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value)


def test_deeply_nested_yaml_is_a_config_error(tmp_path: Path) -> None:
    depth = 1000
    path = write(tmp_path, "connectors:\n  deep: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("ticket_source: a\nllm: {}\nticket_source: b\n", "ticket_source", 3),
        ("investigation:\n  lookback: 1h\n  lookback: 2h\n", "lookback", 3),
    ],
)
def test_duplicate_keys_are_an_error(tmp_path: Path, text: str, key: str, line: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert f"duplicate key '{key}'" in str(info.value)
    assert_at(str(info.value), path, line)


@pytest.mark.parametrize(
    "text",
    [
        "redaction:\n  <<: {enabled: true}\n",
        "connectors:\n  base: &base {type: file}\n  tickets:\n    <<: *base\n    path: x\n",
    ],
)
def test_merge_key_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    assert "merge" in message.lower()
    assert "not supported" in message
    # One readable line, not a PyYAML constructor traceback.
    assert "\n" not in message
    assert "constructor" not in message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file_gives_defaults(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, env={})
    assert config.settings == Settings()
    assert config.settings.investigation.lookback == timedelta(hours=24)
    assert config.settings.sla["urgent"].first_response == timedelta(hours=1)
    assert config.path == path.resolve()


def test_no_config_gives_defaults() -> None:
    config = load_config(None, env={})
    assert config.path is None
    assert config.settings == Settings()


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "must be a mapping" in str(info.value)
    assert str(path) in str(info.value)


def test_non_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"ticket_source: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "UTF-8" in str(info.value)
    assert str(path) in str(info.value)


def test_unreadable_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})  # a folder, not a file
    assert str(tmp_path) in str(info.value)
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.yaml", env={})


def test_several_documents_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "ticket_source: a\n---\nticket_source: b\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value)


# --- durations ------------------------------------------------------------------------------


def test_durations_in_config(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        llm:
          timeout: 1.5
        investigation:
          lookback: 90m
          timeout: 2m
          connector_timeout: 45
        sla:
          urgent: {first_response: 30m, resolution: 1h30m}
        """,
    )
    investigation = config.settings.investigation
    assert investigation.lookback == timedelta(minutes=90)
    assert investigation.timeout == timedelta(minutes=2)
    assert investigation.connector_timeout == timedelta(seconds=45)
    assert config.settings.llm.timeout == timedelta(seconds=1.5)
    assert config.settings.sla["urgent"].resolution == timedelta(minutes=90)
    # A section that is given replaces the defaults (only "urgent" is configured).
    assert set(config.settings.sla) == {"urgent"}


@pytest.mark.parametrize("value", ["soon", "-5", "-5m", "1x"])
def test_bad_duration_names_the_key_and_line(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"investigation:\n  timeout: 10s\n  lookback: {value}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "investigation.lookback" in str(info.value)
    assert_at(str(info.value), path, 3)


@pytest.mark.parametrize("value", [".inf", "9999999999d"])
def test_absurd_duration_is_a_config_error(tmp_path: Path, value: str) -> None:
    # Out-of-range durations must be reported like any other bad value, not crash with
    # an OverflowError traceback.
    path = write(tmp_path, f"investigation:\n  lookback: {value}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "investigation.lookback" in str(info.value)


# --- connector sections ---------------------------------------------------------------------


class SqliteSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    path: ConfigPath
    max_rows: int = 50
    timeout: Duration | None = None


def test_connector_relative_path_resolves_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working directory must not matter
    path = write(
        tmp_path / "conf",
        """\
        connectors:
          db:
            type: sqlite
            path: data/demo.db
            timeout: 2m
        """,
    )
    section = load_config(path, env={}).connector_config("db", SqliteSection)
    assert section.path == path.resolve().parent / "data" / "demo.db"
    assert section.timeout == timedelta(minutes=2)


def test_connector_relative_path_with_a_relative_config_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "conf", "connectors:\n  db: {type: sqlite, path: demo.db}\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("conf/config.yaml"), env={})
    monkeypatch.chdir(tmp_path.parent)  # later code may run from anywhere
    section = config.connector_config("db", SqliteSection)
    assert section.path == tmp_path.resolve() / "conf" / "demo.db"


def test_connector_absolute_and_home_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load(
        tmp_path,
        """\
        connectors:
          a: {type: sqlite, path: /srv/data/prod.db}
          b: {type: sqlite, path: ~/demo.db}
        """,
    )
    assert config.connector_config("a", SqliteSection).path == Path("/srv/data/prod.db")
    assert config.connector_config("b", SqliteSection).path == tmp_path / "home" / "demo.db"


def test_connector_section_error_names_the_key_path_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        ticket_source: db
        connectors:
          db:
            type: sqlite
            path: demo.db
            max_rows: lots
        """,
    )
    config = load_config(path, env={})  # the core settings do not look inside sections
    with pytest.raises(ConfigError) as info:
        config.connector_config("db", SqliteSection)
    message = str(info.value)
    assert "connectors.db.max_rows" in message
    assert "'lots'" in message
    assert_at(message, path, 6)


def test_connector_section_unknown_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        connectors:
          db:
            type: sqlite
            path: demo.db
            max_rowz: 5
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={}).connector_config("db", SqliteSection)
    message = str(info.value)
    assert "connectors.db" in message
    assert "unknown key 'max_rowz'" in message
    assert_at(message, path, 5)


def test_connector_section_missing_key_points_at_the_section(tmp_path: Path) -> None:
    path = write(tmp_path, "\nconnectors:\n  db:\n    type: sqlite\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={}).connector_config("db", SqliteSection)
    assert "connectors.db.path" in str(info.value)
    assert_at(str(info.value), path, 3)


# --- lookup order ---------------------------------------------------------------------------


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """One config file in every place the lookup knows, and a clean working directory."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return {
        "explicit": write(tmp_path, "ticket_source: explicit\n", "explicit.yaml"),
        "env": write(tmp_path, "ticket_source: env\n", "from-env.yaml"),
        "local": write(work, "ticket_source: local\n", "investigate.yaml"),
        "xdg": write(tmp_path / "xdg" / "investigate", "ticket_source: xdg\n"),
        "xdg_home": tmp_path / "xdg",
    }


def test_explicit_path_wins(places: dict[str, Path]) -> None:
    env = {"INVESTIGATE_CONFIG": str(places["env"]), "XDG_CONFIG_HOME": str(places["xdg_home"])}
    assert find_config(places["explicit"], env) == places["explicit"]


def test_env_var_beats_local_and_xdg(places: dict[str, Path]) -> None:
    env = {"INVESTIGATE_CONFIG": str(places["env"]), "XDG_CONFIG_HOME": str(places["xdg_home"])}
    assert find_config(None, env) == places["env"]


def test_local_file_beats_xdg(places: dict[str, Path]) -> None:
    env = {"XDG_CONFIG_HOME": str(places["xdg_home"])}
    found = find_config(None, env)
    assert found is not None
    assert found.resolve() == places["local"].resolve()
    assert load_config(found, env={}).settings.ticket_source == "local"


def test_empty_investigate_config_is_ignored(places: dict[str, Path]) -> None:
    env = {"INVESTIGATE_CONFIG": "", "XDG_CONFIG_HOME": str(places["xdg_home"])}
    found = find_config(None, env)
    assert found is not None
    assert found.resolve() == places["local"].resolve()


def test_xdg_config_home_is_last(places: dict[str, Path]) -> None:
    places["local"].unlink()
    env = {"XDG_CONFIG_HOME": str(places["xdg_home"])}
    assert find_config(None, env) == places["xdg"]


def test_home_dot_config_when_xdg_is_unset(places: dict[str, Path], tmp_path: Path) -> None:
    places["local"].unlink()
    user = write(tmp_path / "home" / ".config" / "investigate", "ticket_source: home\n")
    assert find_config(None, {}) == user


def test_nothing_found_is_none(places: dict[str, Path], tmp_path: Path) -> None:
    places["local"].unlink()
    assert find_config(None, {"XDG_CONFIG_HOME": str(tmp_path / "empty")}) is None


def test_explicit_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        find_config(missing, {"INVESTIGATE_CONFIG": str(tmp_path)})
    assert str(missing) in str(info.value)
    assert info.value.exit_code == 2


def test_env_var_pointing_at_a_missing_file_is_an_error(
    places: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "gone.yaml"
    with pytest.raises(ConfigError) as info:
        find_config(None, {"INVESTIGATE_CONFIG": str(missing)})
    assert "INVESTIGATE_CONFIG" in str(info.value)
    assert str(missing) in str(info.value)


# --- contract -------------------------------------------------------------------------------


def test_config_error_exit_code() -> None:
    error = ConfigError("bad")
    assert error.exit_code == 2
    assert error.exit_code == ExitCode.USAGE
    assert isinstance(error, InvestigateError)


def test_example_config_loads_with_an_empty_environment() -> None:
    assert EXAMPLE.is_file(), EXAMPLE
    config = load_config(EXAMPLE, env={})
    assert config.path == EXAMPLE
    settings = config.settings
    assert settings.ticket_source == "tickets"
    assert settings.ticket_source in settings.connectors
    assert {"tickets", "logs", "db"} <= set(settings.connectors)
    assert settings.investigation.lookback == timedelta(hours=24)
    assert config.base_dir == EXAMPLE.parent


class _KeyedSection(ConnectorConfig):
    api_key: SecretStr
    site: str
    retries: int = 3

    @model_validator(mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("site") == "bad":
            raise ValueError("site must be a real site")  # a whole-section error
        return value


@pytest.mark.parametrize(
    "section",
    [
        "{type: x, api_key: canary-7f3a9-secret, site: bad}",  # whole-section error
        "{type: x, api_key: [canary-7f3a9-secret], site: ok}",  # wrong type on the secret
        "{type: x, api_key: canary-7f3a9-secret, site: ok, retries: [canary-7f3a9-secret]}",
        "{type: x, api_key: canary-7f3a9-secret, site: ok, extra: canary-7f3a9-secret}",
    ],
)
def test_config_errors_never_echo_secret_values(tmp_path: Path, section: str) -> None:
    path = write(tmp_path, f"connectors:\n  a: {section}\n")
    config = load_config(path, env={})
    with pytest.raises(ConfigError) as info:
        config.connector_config("a", _KeyedSection)
    assert "canary-7f3a9" not in str(info.value)
    assert "connectors.a" in str(info.value)

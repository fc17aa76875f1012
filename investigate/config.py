"""Configuration: where it is found, how it is read, and the core settings model.

Lookup order (product.md §6): `--config`, `$INVESTIGATE_CONFIG`, `./investigate.yaml`,
`$XDG_CONFIG_HOME/investigate/config.yaml`.

The YAML is composed node by node with the safe loader, so every value keeps its line for
error messages, no tag can construct an object, and alias expansion is bounded (a "billion
laughs" file is an error, not an out-of-memory). `${VAR}` and `${VAR:-default}` are expanded
in string values only, once (an expanded value is never expanded again). Each connector's
section is validated later by the connector's own model (`LoadedConfig.connector_config`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from investigate.durations import parse_duration
from investigate.errors import ConfigError

MAX_NODES = 100_000
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_STD_TAG = "tag:yaml.org,2002:"
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (~10× faster), else the pure-Python one."""
_ALLOWED_TAGS = {
    _STD_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}

Key = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    value = value.expanduser()
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return value


def _numeric(annotation: Any) -> bool:
    """int, float, or an optional one (bool is not a number here)."""
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
    return annotation in (int, float) or any(m in (int, float) for m in members)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda d: f"{int(d.total_seconds())}s", return_type=str),
]
"""A duration: `30s`, `15m`, `24h`, `7d`, or a number of seconds."""

ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
"""A file path; relative paths resolve against the config file's folder."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """`max_rows: true` is a mistake, not 1: a number field refuses YAML booleans."""
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _numeric(field.annotation):
                raise ValueError("should be a number, not true/false")
        return value


class Price(Strict):
    """US dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(0.0, ge=0)
    cache_write: float = Field(0.0, ge=0)


class LLMSettings(Strict):
    provider: Literal["auto", "anthropic", "openai", "offline"] = "auto"
    model: str | None = None
    api_key: SecretStr | None = None
    base_url: str | None = None
    max_tokens: int = Field(4096, gt=0)
    timeout: Duration = Field(timedelta(seconds=120), description="Total, retries included.")
    max_retries: int = Field(2, ge=0, le=10)
    stream: bool = False
    prices: dict[str, Price] = Field(
        default_factory=dict, description="Per model; overrides the built-in price table."
    )


class InvestigationSettings(Strict):
    lookback: Duration = timedelta(hours=24)
    baseline: Duration = Field(
        timedelta(days=3),
        description="Log lines this long before the window are the baseline for novelty; "
        "older lines are not read.",
    )
    timeout: Duration = Field(timedelta(seconds=60), description="Overall deadline.")
    connector_timeout: Duration = Field(
        timedelta(seconds=30), description="Default per-connector deadline."
    )
    max_evidence: int = Field(40, ge=1, le=500)
    link_horizon: Duration = Field(
        timedelta(hours=24), description="Longest change → first-new-error gap that is linked."
    )
    intent_phrases: dict[Literal["feature", "howto"], list[str]] = Field(
        default_factory=dict,
        description="Extra phrases (any language) that mark a feature request or a how-to.",
    )
    service_aliases: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Names of one service across sources, e.g. {import: [acme-import, importer]}.",
    )
    evidence_budget_tokens: int = Field(12_000, ge=500)


class RedactionSettings(Strict):
    enabled: bool = True
    sensitive: list[str] = Field(
        default_factory=list, description="Extra strings to redact: customer names, hostnames."
    )
    fields: list[str] = Field(
        default_factory=list,
        description="Extra field names whose values are personal data (redacted everywhere).",
    )
    phone_region: str = Field(
        "US",
        pattern=r"^[A-Z]{2}$",
        description="Region (ISO 3166 alpha-2) in which national phone numbers are read.",
    )


class MCPSettings(Strict):
    redact: bool | None = Field(
        None,
        description="Redact PII in what `investigate mcp` returns [default: true over HTTP, "
        "false over stdio].",
    )


class SLAPolicy(Strict):
    first_response: Duration
    resolution: Duration


def _default_sla() -> dict[str, SLAPolicy]:
    hours = {"urgent": (1, 4), "high": (4, 24), "normal": (8, 72), "low": (24, 120)}
    return {
        name: SLAPolicy(first_response=timedelta(hours=f), resolution=timedelta(hours=r))
        for name, (f, r) in hours.items()
    }


class EscalationFields(Strict):
    """Where the helpdesk records escalation: a custom field holding the tier, and tags or
    groups mapped to a tier. A ticket's tier is the highest one found (L1 when none)."""

    field: str | None = Field(None, description="Custom field whose value is L1, L2 or L3.")
    tags: dict[str, Literal["L1", "L2", "L3"]] = Field(default_factory=dict)
    groups: dict[str, Literal["L1", "L2", "L3"]] = Field(default_factory=dict)


class NPSSource(Strict):
    """Survey answers (0–10): a JSON/JSONL/CSV export (`path`) or a JSON endpoint (`url`)."""

    path: ConfigPath | None = None
    url: str | None = None
    items: str | None = Field(None, description="Key of the list in a JSON object answer.")
    score_field: str = "score"
    time_field: str = "created_at"


class RadarSettings(Strict):
    window: Duration = Field(timedelta(hours=24), description="Tickets this recent are clustered.")
    min_customers: int = Field(3, ge=2)
    alerts: list[str] = Field(
        default_factory=list,
        description="Connector instances whose alerts/incidents cover a cluster.",
    )


class StatsSettings(Strict):
    source: str | None = Field(None, description="Ticket history source [default: ticket_source].")
    since: Duration = timedelta(days=30)
    as_of: datetime | None = Field(None, description="Pin 'now' (the demo; reproducible reports).")
    min_samples: int = Field(
        5, ge=1, description="Fewer samples are flagged, not shown as precise."
    )
    escalation: EscalationFields = Field(default_factory=EscalationFields)
    nps: NPSSource | None = None
    radar: RadarSettings = Field(default_factory=RadarSettings)


class ReplySettings(Strict):
    """How draft replies read. Nothing product-specific lives in code: names, sign-off and help
    links come from here."""

    product: str = Field("our product", description="How the reply names the product.")
    team: str = Field("Support", description="Who signs the reply.")
    sign_off: str = "Best regards"
    tone: Literal["friendly", "formal"] = "friendly"
    help_links: dict[str, str] = Field(
        default_factory=dict, description="Per category (or 'default'): a help-centre link."
    )
    public_codes: bool = Field(False, description="Error codes may appear in replies.")
    public_terms: list[str] = Field(
        default_factory=list, description="Words the reply linter must not treat as internal."
    )


class Settings(Strict):
    ticket_source: str | None = None
    llm: LLMSettings = Field(default_factory=LLMSettings)
    investigation: InvestigationSettings = Field(default_factory=InvestigationSettings)
    redaction: RedactionSettings = Field(default_factory=RedactionSettings)
    sla: dict[str, SLAPolicy] = Field(default_factory=_default_sla)
    stats: StatsSettings = Field(default_factory=StatsSettings)
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    mcp: MCPSettings = Field(default_factory=MCPSettings)
    reply: ReplySettings = Field(default_factory=ReplySettings)
    runbooks: ConfigPath | None = Field(
        None, description="A folder of Markdown runbooks with front matter (see runbooks.py)."
    )


@dataclass
class LoadedConfig:
    """A parsed config file: the core settings plus what is needed to validate the rest."""

    path: Path | None
    settings: Settings
    raw: dict[str, Any] = field(default_factory=dict)
    lines: dict[Key, int] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def connector_config(self, name: str, model: type[M]) -> M:
        """Validate one connector's section with the connector's own model."""
        section = self.settings.connectors[name]
        return validate(model, section, self, prefix=("connectors", name))


def find_config(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(
                f"config file not found: {explicit}",
                hint="check the path, or try the demo: investigate demo 4812",
            )
        return explicit
    if env.get("INVESTIGATE_CONFIG"):
        candidate = Path(env["INVESTIGATE_CONFIG"])
        if not candidate.is_file():
            raise ConfigError(f"$INVESTIGATE_CONFIG points to a missing file: {candidate}")
        return candidate
    local = Path("investigate.yaml")
    if local.is_file():
        return local
    xdg = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = xdg / "investigate" / "config.yaml"
    return user if user.is_file() else None


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read and validate a config file (`None` gives the built-in defaults)."""
    if path is None:
        return LoadedConfig(path=None, settings=Settings())
    env = os.environ if env is None else env
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    reader = _Reader(path, env)
    raw = reader.read(text)
    loaded = LoadedConfig(path=path.resolve(), settings=Settings(), raw=raw, lines=reader.lines)
    loaded.settings = validate(Settings, raw, loaded)
    return loaded


def validate(model: type[M], data: Any, config: LoadedConfig, prefix: Key = ()) -> M:
    """Validate `data` with `model`; errors name the file, the key path and the line."""
    try:
        return model.model_validate(data, context={"base_dir": config.base_dir})
    except ValidationError as exc:
        from investigate.demo import example_config_location

        raise ConfigError(
            _describe(exc, config, prefix, model),
            hint=f"every key, its type and an example: {example_config_location()}",
        ) from None


def _describe(
    exc: ValidationError, config: LoadedConfig, prefix: Key, model: type[BaseModel]
) -> str:
    from investigate.suggest import allowed_keys, did_you_mean

    problems = []
    for err in exc.errors(include_url=False):
        loc: Key = prefix + tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_for(loc, config.lines)
        location = f"{config.path or 'config'}:{line}" if line else f"{config.path or 'config'}"
        if err["type"] == "extra_forbidden":
            keys = allowed_keys(model, [str(p) for p in err["loc"][:-1]])
            message = f"unknown key '{loc[-1]}'{did_you_mean(str(loc[-1]), keys)}"
            where = ".".join(str(p) for p in loc[:-1]) or "(top level)"
        elif err["type"] == "missing":
            message = "required, but missing"
        else:
            message = _plain(err["msg"])
            if "input" in err:
                message += f" (got {_preview(err['input'], loc)})"
        problems.append(f"{location}: {where}: {message}")
    head = problems[0] if len(problems) == 1 else f"{len(problems)} problems in the config:"
    return head if len(problems) == 1 else "\n  ".join([head, *problems])


_PYDANTIC_PREFIX = re.compile(r"^(Value error|Assertion failed), ")


def _plain(message: str) -> str:
    """A validation message without Pydantic's framing ("Value error, …")."""
    text = _PYDANTIC_PREFIX.sub("", message)
    return text.replace("Input should be", "should be")


_SECRET_KEY = re.compile(r"key|token|secret|passw|pwd|dsn|credential|auth|cookie", re.I)


def _preview(value: Any, loc: Key = ()) -> str:
    """What the user wrote, for an error message, without echoing anything secret: a mapping
    or list is described, not printed, and a value under a secret-sounding key is hidden."""
    if isinstance(value, SecretStr) or (loc and _SECRET_KEY.search(str(loc[-1]))):
        return "a secret value, not shown"
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(k) for k in value)[:8])
        return f"a mapping with keys {keys}" if keys else "an empty mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _line_for(loc: Key, lines: Mapping[Key, int]) -> int | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


class _Reader:
    """YAML text → plain data, keeping the line of every key and item."""

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self.lines: dict[Key, int] = {}
        self.nodes = 0
        self.active: set[int] = set()  # nodes being converted: an alias to one is a cycle
        self.constructor = yaml.SafeLoader("")
        self.missing: dict[str, int] = {}
        """Unset ${VAR} → the first line naming it; reported together once the file is read."""

    def read(self, text: str) -> dict[str, Any]:
        try:
            try:
                root = yaml.compose(text, Loader=SAFE_LOADER)
            except yaml.YAMLError:  # worded (and located) by the pure-Python loader
                root = yaml.compose(text, Loader=yaml.SafeLoader)
        except RecursionError:
            raise ConfigError(f"{self.path}: the YAML is nested too deeply") from None
        except yaml.reader.ReaderError as exc:  # a NUL, ESC or other control character
            line = text[: exc.position].count("\n") + 1
            code = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
            raise ConfigError(
                f"{self.path}:{line}: invalid YAML: control character U+{code:04X} is not allowed"
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{self.path}:{mark.line + 1}" if mark else str(self.path)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"{where}: invalid YAML: {problem}") from None
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _STD_TAG + "null"):
            return {}
        if not isinstance(root, yaml.MappingNode):
            raise ConfigError(f"{self.path}: the config must be a mapping of keys to values")
        value = self._convert(root, ())
        assert isinstance(value, dict)
        if self.missing:
            raise _missing_variables(self.path, self.missing)
        return value

    def _fail(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def _convert(self, node: yaml.Node, key: Key) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._fail(node, f"the config expands to more than {MAX_NODES} values")
        if node.tag not in _ALLOWED_TAGS:
            raise self._fail(node, f"YAML tag {node.tag!r} is not allowed in a config")
        self.lines.setdefault(key, node.start_mark.line + 1)
        if isinstance(node, yaml.CollectionNode):
            if id(node) in self.active:
                raise self._fail(node, "a YAML alias refers to itself")
            if len(self.active) > 100:
                raise self._fail(node, "the YAML is nested too deeply")
            self.active.add(id(node))
            try:
                return self._collection(node, key)
            finally:
                self.active.discard(id(node))
        value = self._scalar(node)
        return self._expand(value, node) if isinstance(value, str) else value

    def _collection(self, node: yaml.CollectionNode, key: Key) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for k_node, v_node in node.value:
                if k_node.tag == _STD_TAG + "merge":
                    raise self._fail(k_node, "YAML merge keys (<<) are not supported")
                name = str(self._scalar(k_node))
                if name in out:
                    raise self._fail(k_node, f"duplicate key '{name}'")
                self.lines[(*key, name)] = k_node.start_mark.line + 1
                out[name] = self._convert(v_node, (*key, name))
            return out
        return [self._convert(item, (*key, i)) for i, item in enumerate(node.value)]

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail(node, "keys must be plain values")
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self._fail(node, f"invalid value: {exc}") from None
        # `!!int abc`, `!!bool maybe`, `2026-02-30`: the constructor fails outside YAMLError.
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            raise self._fail(node, f"invalid value {node.value[:60]!r} for {node.tag}") from None

    def _expand(self, value: str, node: yaml.Node) -> str:
        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.env and (self.env[name] or default is None):
                return self.env[name]
            if default is not None:
                return default
            self.missing.setdefault(name, node.start_mark.line + 1)
            return ""

        return _VAR.sub(substitute, value)


def _missing_variables(path: Path, missing: dict[str, int]) -> ConfigError:
    """Every unset ${VAR} at once, with the lines that use them and how to set them."""
    if len(missing) == 1:
        ((name, line),) = missing.items()
        message = (
            f"{path}:{line}: environment variable {name} is not set (referenced as ${{{name}}})"
        )
    else:
        listed = ", ".join(f"{name} (line {line})" for name, line in missing.items())
        message = f"{path}: {len(missing)} environment variables are not set: {listed}"
    first = next(iter(missing))
    return ConfigError(
        message,
        hint=f"export {first}=… (each of them) before running, or give a default: "
        f"${{{first}:-value}}",
    )

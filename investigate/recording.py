"""Record, replay and cache what the connectors and the analyst returned.

`--record DIR` writes a run's inputs to the ranking and the analyst as JSON files: the ticket,
the entities after identity resolution, the window, every connector's result per stage, and
the analysis. Secrets are masked; PII is redacted with one consistent mapping (the same
e-mail is the same placeholder in every file) unless `--no-redact`.

`--replay DIR` rebuilds the investigation from those files with no network and no config
beyond defaults: the same evidence, ranked the same way; the recorded analysis is reused
unless an analyst is named (`--replay DIR --analyst offline` re-analyses recorded evidence).

`--cache TTL` keeps each connector's result on disk, keyed by the connector's config (secrets
hashed, never stored), the stage, the ticket and the window, so a second look at the same
ticket is instant. Cache files hold customer data: the folder is private to the user (0700).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, SecretStr, ValidationError

from investigate import __version__
from investigate.errors import SourceError, SourceTimeout, UsageError
from investigate.models import Analysis, Entities, Evidence, Ticket, Usage, Window
from investigate.sdk.contract import Collected
from investigate.secrets import MASKER

if TYPE_CHECKING:
    from investigate.evidence.redaction import Redactor

FORMAT = 1
MAX_FILE_BYTES = 64 * 1024 * 1024
"""A recorded file larger than this is refused, not read (a link to /dev/zero ends here)."""
MAX_SOURCE_FILES = 1000
"""More files than this in `sources/` is not a recording this tool wrote."""
StageResults = dict[str, tuple[Collected | SourceError, int]]


def result_to_json(result: Collected | SourceError, elapsed_ms: int) -> dict[str, Any]:
    if isinstance(result, SourceError):
        return {
            "error": result.message,
            "hint": result.hint,
            "status": result.status,
            "elapsed_ms": elapsed_ms,
        }
    return {
        "evidence": [e.model_dump(mode="json") for e in result.evidence],
        "provides": result.provides,
        "notes": result.notes,
        "partial": result.partial,
        "failures": [
            {"error": f.message, "hint": f.hint, "status": f.status} for f in result.failures
        ],
        "elapsed_ms": elapsed_ms,
    }


def result_from_json(data: dict[str, Any]) -> tuple[Collected | SourceError, int]:
    elapsed = int(data.get("elapsed_ms", 0))
    if "error" in data:
        return _error_from_json(data), elapsed
    return (
        Collected(
            evidence=[Evidence.model_validate(e) for e in data.get("evidence", [])],
            provides={k: list(v) for k, v in (data.get("provides") or {}).items()},
            notes=list(data.get("notes", [])),
            partial=bool(data.get("partial", False)),
            failures=[_error_from_json(f) for f in data.get("failures") or []],
        ),
        elapsed,
    )


def _error_from_json(data: dict[str, Any]) -> SourceError:
    cls = SourceTimeout if data.get("status") == "timeout" else SourceError
    return cls(str(data["error"]), hint=data.get("hint"))


class NotARegularFile(OSError):
    """A recording file that is a device, a FIFO or a folder, or larger than the cap."""


def read_text_capped(path: Path, limit: int | None = None) -> str:
    """A regular file's text, at most `limit` bytes: a FIFO is refused without waiting for a
    writer (O_NONBLOCK), a device without reading it, an oversized file without loading it."""
    limit = MAX_FILE_BYTES if limit is None else limit
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"{path} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise NotARegularFile(f"{path} is larger than {limit // (1024 * 1024)} MiB")
    return data.decode("utf-8")


def _masked(value: Any, key: str = "") -> Any:
    """Secrets masked value by value, so the file stays valid JSON (`"input_tokens": 5000`
    is a count, not a token). A string under a secret-looking key is masked as the text
    `key: value` would be."""
    if isinstance(value, dict):
        return {MASKER.mask_values(str(k)): _masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, key) for v in value]
    if not isinstance(value, str):
        return value
    if key:
        prefix = f"{key}: "
        masked = MASKER.mask(prefix + value)
        if masked.startswith(prefix):
            return masked[len(prefix) :]
    return MASKER.mask(value)


def write_json(path: Path, data: Any, *, private: bool = False) -> None:
    """Atomically, secrets masked; `private` files are readable by the user only."""
    text = json.dumps(_masked(data), indent=1, ensure_ascii=False, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if private:
            Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Recorder:
    def __init__(self, folder: Path, redactor: Redactor | None) -> None:
        try:
            (folder / "sources").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--record: cannot create {folder}: {exc.strerror or exc}") from None
        self.folder = folder
        self.redactor = redactor

    def _clean(self, data: Any) -> Any:
        return self.redactor.redact_json(data) if self.redactor is not None else data

    def evidence_run(
        self,
        ticket: Ticket,
        entities: Entities,
        window: Window,
        types: dict[str, str],
        stages: dict[str, StageResults],
    ) -> None:
        write_json(self.folder / "ticket.json", self._clean(ticket.model_dump(mode="json")))
        write_json(
            self.folder / "context.json",
            self._clean(
                {
                    "entities": entities.model_dump(mode="json"),
                    "window": window.model_dump(mode="json"),
                    "types": types,
                }
            ),
        )
        for stage, results in stages.items():
            for name, (result, ms) in results.items():
                data = self._clean(result_to_json(result, ms))
                write_json(self.folder / "sources" / f"{_safe(name)}.{stage}.json", data)

    def analysis(self, analysis: Analysis, usage: Usage) -> None:
        data = {
            "analysis": analysis.model_dump(mode="json"),
            "usage": usage.model_dump(mode="json"),
        }
        write_json(self.folder / "analysis.json", self._clean(data))
        write_json(
            self.folder / "manifest.json",
            {
                "format": FORMAT,
                "investigate": __version__,
                "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "redacted": self.redactor is not None and self.redactor.enabled,
            },
        )


@dataclass
class Replay:
    ticket: Ticket
    entities: Entities
    window: Window
    types: dict[str, str]
    stages: dict[str, StageResults]
    analysis: Analysis | None
    usage: Usage | None


def load_replay(folder: Path) -> Replay:
    def read(name: str) -> Any:
        path = folder / name
        try:
            return json.loads(read_text_capped(path))
        except FileNotFoundError:
            raise UsageError(
                f"--replay: {path} is missing",
                hint="record a run first: investigate ticket ID --record DIR",
            ) from None
        except NotARegularFile as exc:
            raise UsageError(
                f"--replay: {exc}", hint="a recording holds only the files --record wrote"
            ) from None
        except RecursionError:
            raise UsageError(f"--replay: {path} is nested too deeply to be a recording") from None
        except (OSError, ValueError) as exc:
            raise UsageError(f"--replay: cannot read {path}: {exc}") from None

    manifest = read("manifest.json")
    if manifest.get("format") != FORMAT:
        raise UsageError(f"--replay: {folder} was recorded in an unknown format")
    try:
        context = read("context.json")
        stages: dict[str, StageResults] = {"resolve": {}, "collect": {}}
        files = sorted(itertools.islice((folder / "sources").glob("*.json"), MAX_SOURCE_FILES + 1))
        if len(files) > MAX_SOURCE_FILES:
            raise UsageError(f"--replay: {folder}/sources holds more than {MAX_SOURCE_FILES} files")
        for path in files:
            name, _, stage = path.stem.rpartition(".")
            if stage in stages:
                stages[stage][name] = result_from_json(read(f"sources/{path.name}"))
        recorded = read("analysis.json") if (folder / "analysis.json").exists() else None
        return Replay(
            ticket=Ticket.model_validate(read("ticket.json")),
            entities=Entities.model_validate(context["entities"]),
            window=Window.model_validate(context["window"]),
            types=dict(context["types"]),
            stages=stages,
            analysis=Analysis.model_validate(recorded["analysis"]) if recorded else None,
            usage=Usage.model_validate(recorded["usage"]) if recorded else None,
        )
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise UsageError(f"--replay: {folder} is not a valid recording: {first}") from None


class Cache:
    """Connector results on disk for `ttl`, keyed by config, stage, ticket and window."""

    def __init__(self, folder: Path, ttl: timedelta, *, live_end: bool = True) -> None:
        self.folder = folder
        self.ttl = ttl.total_seconds()
        self.live_end = live_end
        """The window ends "now": leave the end out of the key (an entry younger than the TTL
        ended at most TTL ago), or every second look would miss."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
        except OSError as exc:
            raise UsageError(f"--cache: cannot use {folder}: {exc.strerror or exc}") from None

    def key_for(
        self, config: BaseModel, stage: str, ticket_id: str, window: Window, entities: Entities
    ) -> str:
        end = None if self.live_end else window.end.isoformat()
        return self.key(config, stage, ticket_id, window.start.isoformat(), end, entities)

    @staticmethod
    def key(
        config: BaseModel,
        stage: str,
        ticket_id: str,
        start: str,
        end: str | None,
        entities: Entities,
    ) -> str:
        def reveal(value: Any) -> Any:
            if isinstance(value, SecretStr):  # part of the key as a hash only
                return hashlib.sha256(value.get_secret_value().encode()).hexdigest()
            if isinstance(value, dict):
                return {str(k): reveal(v) for k, v in value.items()}
            if isinstance(value, list | tuple | set | frozenset):
                return [reveal(v) for v in value]
            return value

        material = json.dumps(
            {
                "config": reveal(config.model_dump()),
                "type": type(config).__name__,
                "stage": stage,
                "ticket": ticket_id,
                "window": [start, end],
                "entities": entities.model_dump(mode="json"),
                "version": __version__,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(material.encode()).hexdigest()[:40]

    def get(self, key: str) -> tuple[Collected | SourceError, int] | None:
        path = self.folder / f"{key}.json"
        try:
            if time.time() - path.stat().st_mtime > self.ttl:
                return None
            return result_from_json(json.loads(read_text_capped(path)))
        except (OSError, ValueError, ValidationError, KeyError, TypeError):
            return None  # a missing, stale or damaged entry is a miss

    def put(self, key: str, result: Collected | SourceError, elapsed_ms: int) -> None:
        if isinstance(result, SourceError) or result.partial or result.failures:
            return  # only complete answers are worth keeping
        with contextlib.suppress(OSError):  # an optimisation: a full disk must not fail the run
            write_json(
                self.folder / f"{key}.json", result_to_json(result, elapsed_ms), private=True
            )


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "investigate"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)

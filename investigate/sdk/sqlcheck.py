"""The SQL guard's verdicts, cached, so sqlglot (~0.1-0.4 s to import) is loaded only when a
statement is checked for the first time.

`checked(sql, dialect)` returns what `sqlguard.check_sql` returns. Passing statements are
remembered for the run (a dict) and for the user (one JSON file per statement under
`$XDG_CACHE_HOME/investigate/sql/`, the folder 0700 and the files 0600), keyed by a SHA-256 of
the statement, the dialect, the guard's own source (with its deny list and result type) and the sqlglot version, so a new guard or
parser re-checks everything. A refused statement is never cached: it is checked (and its error
worded) every time. The cache is not trusted when its folder is not the user's own or can be
written by others.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path

from investigate.sdk.sqltypes import CheckedSQL

_RUN: dict[tuple[str, str], CheckedSQL] = {}
_GUARD_SOURCES = ("sqlguard.py", "sqlfuncs.py", "sqltypes.py")


def checked(sql: str, dialect: str) -> CheckedSQL:
    """The guard's verdict on `sql` (raises `ReadOnlyViolation` like `check_sql`)."""
    found = _RUN.get((sql, dialect))
    if found is not None:
        return found
    folder = cache_folder()
    key = _key(sql, dialect)
    result = _read(folder, key) if folder is not None else None
    if result is None:
        from investigate.sdk.sqlguard import check_sql

        result = check_sql(sql, dialect)
        if folder is not None:
            _write(folder, key, result)
    _RUN[(sql, dialect)] = result
    return result


def cache_folder() -> Path | None:
    """The user's SQL cache folder (created 0700), or None when it is unusable or unsafe."""
    if os.environ.get("INVESTIGATE_SQL_CACHE", "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "investigate" / "sql"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


@cache
def _version() -> str:
    here = Path(__file__)  # the guard, its deny list and the shape of what it returns
    guard = b"".join(here.with_name(f).read_bytes() for f in _GUARD_SOURCES)
    try:
        parser = metadata.version("sqlglot")
    except metadata.PackageNotFoundError:  # pragma: no cover
        parser = "?"
    return hashlib.sha256(guard + b"\0" + parser.encode()).hexdigest()


def _key(sql: str, dialect: str) -> str:
    text = f"{_version()}\0{dialect}\0{sql}".encode()
    return hashlib.sha256(text).hexdigest()


def _read(folder: Path, key: str) -> CheckedSQL | None:
    try:
        data = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        sql, params, escapes = data["sql"], data["params"], data["like_escapes"]
        like_escapes = tuple((name, char) for name, char in escapes)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(sql, str) or not all(isinstance(p, str) for p in params):
        return None
    if not all(isinstance(n, str) and isinstance(c, str) for n, c in like_escapes):
        return None
    return CheckedSQL(sql=sql, params=tuple(params), like_escapes=like_escapes)


def _write(folder: Path, key: str, result: CheckedSQL) -> None:
    data = json.dumps(
        {
            "sql": result.sql,
            "params": list(result.params),
            "like_escapes": [list(pair) for pair in result.like_escapes],
        }
    )
    with contextlib.suppress(OSError):  # an optimisation: a full disk must not fail the run
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            Path(tmp).replace(folder / f"{key}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

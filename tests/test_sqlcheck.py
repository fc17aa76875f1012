"""The SQL guard's verdicts cached per user: a second run does not import sqlglot, refusals are
never cached, and a cache others could write to is ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from investigate.errors import ReadOnlyViolation
from investigate.sdk import sqlcheck
from investigate.sdk.sqlguard import check_sql

SQL = "SELECT id, plan FROM accounts WHERE email = :email -- owner"

PROBE = """
import json, sys
from investigate.sdk.sqlcheck import checked
result = checked(sys.argv[1], "sqlite")
print(json.dumps({"sql": result.sql, "params": result.params, "sqlglot": "sqlglot" in sys.modules}))
"""


def run(cache: Path, sql: str = SQL) -> dict[str, object]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("INVESTIGATE_SQL_CACHE", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, sql], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_a_checked_statement_is_reused_by_the_next_run_without_sqlglot(tmp_path: Path) -> None:
    first = run(tmp_path)
    second = run(tmp_path)

    assert first["sqlglot"] is True
    assert second["sqlglot"] is False
    expected = check_sql(SQL, "sqlite")
    assert first["sql"] == second["sql"] == expected.sql  # the comment is gone either way
    assert second["params"] == list(expected.params) == ["email"]
    folder = tmp_path / "investigate" / "sql"
    assert folder.stat().st_mode & 0o777 == 0o700


def test_a_refused_statement_is_refused_every_time_and_never_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(sqlcheck, "_RUN", {})
    for _ in range(2):
        with pytest.raises(ReadOnlyViolation):
            sqlcheck.checked("DELETE FROM accounts", "sqlite")
    assert list((tmp_path / "investigate" / "sql").iterdir()) == []


def test_a_cache_folder_others_can_write_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(sqlcheck, "_RUN", {})
    folder = tmp_path / "investigate" / "sql"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    # A planted "verdict" that would turn a read into a write.
    key = sqlcheck._key("SELECT 1", "sqlite")
    (folder / f"{key}.json").write_text(json.dumps({"sql": "DELETE FROM accounts", "params": []}))

    assert sqlcheck.checked("SELECT 1", "sqlite").sql == "SELECT 1"


LIKE_SQL = "SELECT id FROM accounts WHERE email LIKE :email || '%' AND slug GLOB :org_id"
LIKE_PROBE = """
import json, sys
from investigate.sdk.sqlcheck import checked
from investigate.sdk.sqlparams import bound
result = checked(sys.argv[1], "sqlite")
sent = bound(result, {"email": "50%_off@x.io", "org_id": "a*b"})
print(json.dumps({"sent": sent, "sqlglot": "sqlglot" in sys.modules}))
"""


@pytest.mark.slow  # fresh python subprocesses
def test_a_cached_verdict_still_escapes_entities_bound_into_like(tmp_path: Path) -> None:
    """The second run reads the verdict from the cache (no sqlglot) and must still escape `%`
    and `_` in a LIKE value and `*` in a GLOB one, or an entity would match every row."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("INVESTIGATE_SQL_CACHE", None)
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", LIKE_PROBE, LIKE_SQL],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(2)
    ]

    assert [r["sqlglot"] for r in runs] == [True, False]
    expected = {"email": "50!%!_off@x.io", "org_id": "a[*]b"}
    assert runs[0]["sent"] == runs[1]["sent"] == expected
    assert check_sql(LIKE_SQL, "sqlite").like_escapes == (("email", "!"), ("org_id", "["))


def test_a_cached_verdict_without_like_escapes_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry written before LIKE escaping existed (no `like_escapes`) is not trusted."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(sqlcheck, "_RUN", {})
    folder = sqlcheck.cache_folder()
    assert folder is not None
    key = sqlcheck._key(LIKE_SQL, "sqlite")
    (folder / f"{key}.json").write_text(json.dumps({"sql": LIKE_SQL, "params": ["email"]}))

    assert dict(sqlcheck.checked(LIKE_SQL, "sqlite").like_escapes) == {"email": "!", "org_id": "["}

"""Regenerate `investigate/evidence/gitleaks_rules.json` from gitleaks' default rule list.

    python scripts/vendor_gitleaks.py path/to/gitleaks/config/gitleaks.toml <commit>

Go's RE2 syntax is translated to Python's `re` (a `(?i)` in mid-pattern becomes a scoped
`(?i:…)`, `\\z` becomes `\\Z`). Left out: rules that only apply to file paths, rules we already
cover more precisely (`generic-api-key`, `curl-auth-*`: our labelled-entropy and Authorization
rules), multi-line YAML rules, and any rule that does not compile.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
import warnings
from pathlib import Path

SKIP = {"generic-api-key", "curl-auth-header", "curl-auth-user", "kubernetes-secret-yaml"}
OUT = Path(__file__).resolve().parent.parent / "investigate" / "evidence" / "gitleaks_rules.json"


def scope_inline_flags(rx: str) -> str:
    """`ab(?i)cd` → `ab(?i:cd)`: Python allows global flags only at the start."""
    while True:
        pos = rx.find("(?i)", 1)
        if pos < 0:
            return rx.replace(r"\z", r"\Z").replace("[[:alnum:]]", "[A-Za-z0-9]")
        depth, end, i = 0, len(rx), pos + 4
        while i < len(rx):
            c = rx[i]
            if c == "\\":
                i += 2
                continue
            if c == "[":  # skip a character class
                i += 1
                if i < len(rx) and rx[i] == "]":
                    i += 1
                while i < len(rx) and rx[i] != "]":
                    i += 2 if rx[i] == "\\" else 1
            elif c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    end = i
                    break
                depth -= 1
            i += 1
        rx = rx[:pos] + "(?i:" + rx[pos + 4 : end] + ")" + rx[end:]


def main(toml_path: str, commit: str) -> None:
    config = tomllib.loads(Path(toml_path).read_text())
    rows: list[list[object]] = []
    for rule in config["rules"]:
        if rule["id"] in SKIP or "path" in rule or "regex" not in rule:
            continue
        rx = scope_inline_flags(rule["regex"])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                re.compile(rx)
        except (re.error, FutureWarning):
            continue
        allow = [
            a
            for block in rule.get("allowlists", [])
            if "paths" not in block and block.get("regexTarget", "secret") == "secret"
            for a in block.get("regexes", [])
        ]
        keywords = [k.lower() for k in rule.get("keywords", [])]
        rows.append(
            [
                rule["id"],
                rx,
                rule.get("secretGroup", 0),
                float(rule.get("entropy", 0)),
                keywords,
                allow,
            ]
        )
    doc = {
        "source": "https://github.com/gitleaks/gitleaks config/gitleaks.toml",
        "commit": commit,
        "license": "MIT License, Copyright (c) 2019 Zachary Rice",
        "generated_by": "scripts/vendor_gitleaks.py (do not edit by hand)",
        "fields": ["id", "regex", "secret_group", "min_entropy", "keywords", "allowlisted_secrets"],
        "rules": rows,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(rows)} rules -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

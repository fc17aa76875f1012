"""detect-secrets' default plugins vs. our pre-LLM redaction, on the privacy corpus (issue 14).

    uv pip install detect-secrets           # not a dependency: only this script needs it
    .venv/bin/python benchmarks/secret_detectors.py [--verbose]

Runs over the `secret` class of the canary corpus (`tests/privacy_corpus.py`), each canary as
written and inside a sentence of a ticket, and over the benign precision set. A canary is
*caught* when none of its needles is left readable (the corpus tests' own criterion): for
detect-secrets, each value it reports is cut out of the text; for us, the text goes through
`Redactor().redact` exactly as it does before a hosted LLM (with the corpus' configured
connector token registered, as config loading does). A benign string is a *false positive*
when a detector changes or reports anything in it.

detect-secrets runs through `detect_secrets.core.scan.scan_line` under `default_settings()`
(all 27 default plugins, its default filters). `scan_line` is its ad-hoc mode: high-entropy
strings are searched without quotes and *not* filtered by entropy; we then apply each
high-entropy plugin's own default limit (base64 4.5, hex 3.0), as `detect-secrets scan
--string` does when it prints True/False. `--no-entropy-limit` shows the raw ad-hoc output.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from privacy_corpus import BENIGN, CANARIES, CONFIGURED_TOKEN, PLACEMENTS, REQUESTER  # noqa: E402

from investigate.evidence.redaction import Redactor  # noqa: E402
from investigate.secrets import MASKER  # noqa: E402

Detector = Callable[[str], str]
"""Text → the text with every finding cut out."""


def _hex(tag: str, n: int) -> str:
    return (hashlib.sha512(tag.encode()).hexdigest() * 4)[:n]


def _alnum(tag: str, n: int) -> str:
    raw = base64.b64encode(hashlib.sha512(tag.encode()).digest() * 4).decode()
    return "".join(c for c in raw if c.isalnum())[:n]


_AZ = base64.b64encode(hashlib.sha512(b"azure-bench").digest()).decode()
_PUTTY_BODY = "\n".join(
    base64.b64encode(hashlib.sha256(f"putty{i}".encode()).digest()).decode() for i in range(3)
)

FAMILY: list[tuple[str, str, tuple[str, ...]]] = [
    # one or two shapes per detect-secrets default plugin, written from its regexes, in the
    # layouts it is built for (source files, configs) and in prose; not in the canary corpus
    (
        "ArtifactoryDetector",
        "artifactory_token: AKCp8" + _alnum("af", 68),
        (_alnum("af", 68)[:30],),
    ),
    (
        "ArtifactoryDetector",
        'ARTIFACTORY_PASSWORD="AP6' + _alnum("ap", 20) + '"',
        (_alnum("ap", 20),),
    ),
    ("AWSKeyDetector", 'aws_pass = "' + _alnum("aws", 40) + '"', (_alnum("aws", 40),)),
    ("AWSKeyDetector", "ACCA" + _alnum("acca", 16).upper(), (_alnum("acca", 16).upper(),)),
    ("AzureStorageKeyDetector", "AccountKey=" + _AZ, (_AZ[:40],)),
    ("BasicAuthDetector", "https://admin:Sup3rS3cret@git.example.com/repo.git", ("Sup3rS3cret",)),
    ("CloudantDetector", f'cloudant_password = "{_hex("cl", 64)}"', (_hex("cl", 64),)),
    ("CloudantDetector", f"https://acme:{_hex('cl2', 64)}@acme.cloudant.com", (_hex("cl2", 64),)),
    (
        "DiscordBotTokenDetector",
        "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ." + _alnum("discord-bot", 27),
        (_alnum("discord-bot", 27),),
    ),
    ("GitHubTokenDetector", "ghs_" + _alnum("ghs", 36), (_alnum("ghs", 36),)),
    ("GitLabTokenDetector", "GR1348941" + _alnum("glrrt", 20), (_alnum("glrrt", 20),)),
    ("IbmCloudIamDetector", f'ibm_cloud_iam_key = "{_alnum("iam", 44)}"', (_alnum("iam", 44),)),
    ("IbmCosHmacDetector", f'cos_hmac_secret_access_key = "{_hex("cos", 48)}"', (_hex("cos", 48),)),
    (
        "JwtTokenDetector",
        "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYmVuY2gifQ." + _alnum("jwt", 43),
        ("eyJ1c2VyIjoiYmVuY2gifQ",),
    ),
    ("KeywordDetector", 'db_password = "letmeinplease"', ("letmeinplease",)),
    ("KeywordDetector", 'private_key: "' + _alnum("pk", 16) + '"', (_alnum("pk", 16),)),
    ("KeywordDetector", 'secret = "s3cr3tValue"', ("s3cr3tValue",)),
    ("KeywordDetector", '$api_key = "' + _alnum("php", 18) + '";', (_alnum("php", 18),)),
    ("KeywordDetector", 'pwd := "Gopher2024x"', ("Gopher2024x",)),
    ("KeywordDetector", 'if (password == "Tr0ub4dor&3") {', ("Tr0ub4dor&3",)),
    ("MailchimpDetector", _hex("mc", 32) + "-us12", (_hex("mc", 32),)),
    (
        "NpmDetector",
        "//registry.npmjs.org/:_authToken=" + str(uuid.UUID(_hex("npm", 32))),
        (_hex("npm", 8),),
    ),
    (
        "OpenAIDetector",
        "sk-" + _alnum("oa1", 20) + "T3BlbkFJ" + _alnum("oa2", 20),
        (_alnum("oa1", 20),),
    ),
    (
        "PrivateKeyDetector",
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: bench\n"
        + _PUTTY_BODY
        + "\n---- END SSH2 ENCRYPTED PRIVATE KEY ----",
        (_PUTTY_BODY[:30],),
    ),
    (
        "PrivateKeyDetector",
        "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: bench\nPublic-Lines: 1\nAAAAB3NzaC1yc2E\nPrivate-Lines: 3\n"
        + _PUTTY_BODY
        + "\nPrivate-MAC: "
        + _hex("mac", 40),
        (_PUTTY_BODY[:30], _PUTTY_BODY[-30:]),
    ),
    (
        "PypiTokenDetector",
        "pypi-AgENdGVzdC5weXBpLm9yZw" + _alnum("testpypi", 72),
        (_alnum("testpypi", 72)[:30],),
    ),
    ("SendGridDetector", "SG." + _alnum("sg1", 22) + "." + _alnum("sg2", 43), (_alnum("sg2", 43),)),
    ("SlackDetector", "xoxp-1234567890-1234567890-" + _hex("slack", 32), (_hex("slack", 32),)),
    ("SoftlayerDetector", f'softlayer_api_key = "{_hex("sl", 64)}"', (_hex("sl", 64),)),
    (
        "SoftlayerDetector",
        f"https://api.softlayer.com/soap/v3/{_hex('sl2', 64)}",
        (_hex("sl2", 64),),
    ),
    ("SquareOAuthDetector", "sq0csp-" + _alnum("sq", 43), (_alnum("sq", 43),)),
    ("StripeDetector", "rk_live_" + _alnum("rk", 24), (_alnum("rk", 24),)),
    ("TelegramBotTokenDetector", "123456789:" + "AA" + _alnum("tg", 33), (_alnum("tg", 33),)),
    ("TwilioKeyDetector", "SK" + _hex("tw", 32), (_hex("tw", 32),)),
    ("Base64HighEntropyString", 'config["signing"] = "' + _AZ[:40] + '"', (_AZ[:40],)),
    ("HexHighEntropyString", 'checksum_seed = "' + _hex("hexent", 40) + '"', (_hex("hexent", 40),)),
]
"""Shapes from detect-secrets' own plugin families (its regexes), outside our corpus."""


def import_cost() -> tuple[float, int, list[str]]:
    """Cold import time of `detect_secrets.core.scan` (fresh interpreter, ms), installed size
    of detect-secrets itself (bytes) and what it requires."""
    code = (
        "import time; t = time.perf_counter(); import detect_secrets.core.scan; "
        "from detect_secrets.settings import default_settings\n"
        "with default_settings():\n"
        "    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class\n"
        "    get_mapping_from_secret_type_to_class()\n"
        "print((time.perf_counter() - t) * 1000)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    dist = metadata.distribution("detect-secrets")
    size = sum((dist.locate_file(f).stat().st_size for f in dist.files or ()), 0)
    return sorted(runs)[2], size, list(dist.requires or [])


def detect_secrets_detector(entropy_limit: bool) -> Detector:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.settings import default_settings, get_plugins

    def cut(text: str) -> str:
        with default_settings():
            limits = {
                p.secret_type: p for p in get_plugins() if isinstance(p, HighEntropyStringsPlugin)
            }
            values: set[str] = set()
            for line in text.splitlines() or [text]:
                for found in scan_line(line):
                    value = found.secret_value or ""
                    plugin = limits.get(found.type)
                    if (
                        entropy_limit
                        and plugin is not None
                        and plugin.calculate_shannon_entropy(value) <= plugin.entropy_limit
                    ):
                        continue
                    if value:
                        values.add(value)
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value, "\x00")
        return text

    return cut


def our_detector(text: str) -> str:
    return Redactor(names=REQUESTER[::2]).redact(text)


def caught(detector: Detector, text: str, needles: tuple[str, ...]) -> bool:
    out = detector(text)
    return not any(n in out for n in needles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every shape missed")
    parser.add_argument("--no-entropy-limit", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    ours: Detector = our_detector
    theirs = detect_secrets_detector(entropy_limit=not args.no_entropy_limit)
    MASKER.add(f"Bearer {CONFIGURED_TOKEN}")
    corpus = [(text, needles) for cls, text, needles in CANARIES if cls == "secret"]
    family = [(text, needles) for _plugin, text, needles in FAMILY]
    sentence = PLACEMENTS[0][1]
    print(
        f"secret canaries: {len(corpus)}; detect-secrets' plugin shapes: {len(family)}; "
        f"benign strings: {len(BENIGN)}"
    )
    print(f"{'':44}{'detect-secrets':>14}{'ours':>8}{'either':>8}")
    only: dict[str, list[str]] = {"detect-secrets": [], "ours": []}
    for name, shapes in (("corpus", corpus), ("plugin shapes", family)):
        for layout, wrap in (("as written", "{c}"), ("in a sentence", sentence)):
            d = [caught(theirs, wrap.format(c=t), n) for t, n in shapes]
            o = [caught(ours, wrap.format(c=t), n) for t, n in shapes]
            either = sum(a or b for a, b in zip(d, o, strict=True))
            n = len(shapes)
            label = f"recall, {name}, {layout}"
            print(f"{label:44}{sum(d):>8}/{n:<5}{sum(o):>3}/{n:<4}{either:>3}/{n}")
            for (text, _), a, b in zip(shapes, d, o, strict=True):
                if a and not b:
                    only["detect-secrets"].append(f"{name}, {layout}: {text[:70]!r}")
                if b and not a:
                    only["ours"].append(f"{name}, {layout}: {text[:70]!r}")
    fp_d = [s for s in BENIGN if theirs(s) != s]
    fp_o = [s for s in BENIGN if ours(s) != s]
    n = len(BENIGN)
    print(f"{'false positives, benign':44}{len(fp_d):>8}/{n:<5}{len(fp_o):>3}/{n}")
    print(f"\ncaught by detect-secrets only ({len(only['detect-secrets'])}):")
    for line in only["detect-secrets"]:
        print("  ", line)
    print(f"caught by ours only ({len(only['ours'])}):")
    for line in only["ours"] if args.verbose else only["ours"][:12]:
        print("  ", line)
    if not args.verbose and len(only["ours"]) > 12:
        print(f"   … {len(only['ours']) - 12} more (--verbose)")
    print(f"benign strings detect-secrets reports ({len(fp_d)}):")
    for s in fp_d:
        print("  ", repr(s))
    print(f"benign strings we change ({len(fp_o)}):")
    for s in fp_o:
        print("  ", repr(s))
    ms, size, requires = import_cost()
    version = metadata.version("detect-secrets")
    print(
        f"\ndetect-secrets {version}: import {ms:.0f} ms (median of 5 cold imports), "
        f"{size / 1024:.0f} KiB installed, requires {', '.join(requires) or 'nothing'}"
    )
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

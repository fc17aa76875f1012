"""Keeping secrets out of everything we print, log or write.

Every `SecretStr` in a validated config is registered with the process-wide `MASKER`; the CLI's
error boundary, `--verbose` output and every connector error message pass through
`MASKER.mask`, which also hides URL passwords, bearer tokens and secret-looking query values.
"""

from __future__ import annotations

import threading
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretStr

from investigate.lazyre import lazy

M = TypeVar("M", bound=BaseModel)
MASK = "***"
_MIN_SECRET = 4
_PATTERNS = [  # compiled when first used: most runs mask nothing
    # https://user:password@host
    (lazy(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1" + MASK + "@"),
    # Authorization: Bearer xyz / Token token=xyz / Basic xyz
    (
        lazy(r"(?i)\b(bearer|basic|token token=|token)\s+[A-Za-z0-9._~+/=-]{8,}"),
        r"\1 " + MASK,
    ),
    # ?api_key=…&token=…  and  "password": "…"
    (
        lazy(
            # not `KeyError: <str>`, and not a URL path segment (`…/oauth2/token: [Errno -2]`)
            r"(?i)(?<!/)\b(?![a-z_-]*(?:error|exception)s?\b)"
            r"([a-z_-]*(?:key|token|secret|password|passwd|signature|auth)[a-z_-]*)"
            r"(\"?\s*[=:]\s*\"?)(?!\$\{)(?=[^\s&\"',}]*[^A-Za-z\s&\"',}])([^\s&\"',}]{4,})"  # not a plain word, not ${VAR}
        ),
        r"\1\2" + MASK,
    ),
    # well-known key shapes: Stripe, Anthropic/OpenAI, GitHub, Slack, AWS
    (
        lazy(
            r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|\bsk-[A-Za-z0-9_-]{16,}"
            r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAKIA[0-9A-Z]{16}\b"
        ),
        MASK,
    ),
]


class SecretMasker:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | SecretStr | None) -> None:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value and len(value) >= _MIN_SECRET:
            # as written, as it appears inside a URL, and the credential of `Bearer <token>`
            parts = {value, *(p for p in value.split()[1:] if len(p) >= 8)}
            with self._lock:
                for part in parts:
                    self._values.update({part, quote(part, safe=""), quote_plus(part)})

    def values(self) -> frozenset[str]:
        """Every registered secret (for the redactor, which replaces them with placeholders)."""
        with self._lock:
            return frozenset(self._values)

    def collect(self, obj: Any) -> None:
        """Register every SecretStr found in a model, dict or list (recursively)."""
        if isinstance(obj, SecretStr):
            self.add(obj)
        elif isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                self.collect(getattr(obj, name))
        elif isinstance(obj, dict):
            for item in obj.values():
                self.collect(item)
        elif isinstance(obj, list | tuple | set):
            for item in obj:
                self.collect(item)

    def mask_values(self, text: str) -> str:
        """Only the registered secrets (no shape patterns): safe on any report text."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def scrub(self, model: M) -> M:
        """A copy of a model with every registered secret masked in every string."""
        if not self._values:
            return model

        def walk(value: Any) -> Any:
            if isinstance(value, str):
                return self.mask_values(value)
            if isinstance(value, list):
                return [walk(v) for v in value]
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            return value

        return type(model).model_validate(walk(model.model_dump(mode="json")))

    def mask(self, text: str) -> str:
        text = self.mask_values(text)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


MASKER = SecretMasker()

"""Credentials written into connector URLs (`https://user:password@host/…`), literal or from
`${VAR}`, are secrets like any `SecretStr`: registered with the masker at config load, so
`investigate check`, errors and reports show `***@host`, whatever form the URL is printed in
(a bare `user:password@host` netloc has no scheme for the masker's URL pattern to find)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel

from investigate.secrets import MASKER

_USERINFO = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://([^/?#\s@]+)@")


def url_credentials(value: Any) -> set[str]:
    """The user-info (`user:password`, a bare token) and the password of every URL found in
    `value`'s strings, recursively through dicts and lists, as written and percent-decoded."""
    found: set[str] = set()
    if isinstance(value, str):
        for m in _USERINFO.finditer(value):
            userinfo = m.group(1)
            _, colon, password = userinfo.partition(":")
            for item in (userinfo, password if colon else ""):
                found |= {item, unquote(item)} - {""}
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found |= url_credentials(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            found |= url_credentials(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= url_credentials(item)
    return found


def mask_url_credentials(settings: Any) -> None:
    """Register the URL credentials found anywhere in the settings (connectors, llm)."""
    for secret in url_credentials(settings):
        MASKER.add(secret)

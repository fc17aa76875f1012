"""The secret masker: registered values and secret-looking shapes never reach the output."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, SecretStr

from investigate.secrets import MASK, SecretMasker


@pytest.fixture
def masker() -> SecretMasker:
    return SecretMasker()


def test_registered_value_is_masked_everywhere(masker: SecretMasker) -> None:
    masker.add("hunter2-but-longer")
    text = masker.mask("login with hunter2-but-longer failed (hunter2-but-longer)")
    assert "hunter2-but-longer" not in text
    assert text == f"login with {MASK} failed ({MASK})"


def test_registered_secretstr_is_masked(masker: SecretMasker) -> None:
    masker.add(SecretStr("plain-value-42"))
    assert masker.mask("value plain-value-42 here") == f"value {MASK} here"


def test_longer_secret_masked_before_its_prefix(masker: SecretMasker) -> None:
    masker.add("abcd")
    masker.add("abcdefgh")
    # If "abcd" were replaced first, "efgh" (the rest of the longer secret) would leak.
    assert masker.mask("x abcdefgh y") == f"x {MASK} y"


@pytest.mark.parametrize("short", ["a", "ab", "abc", ""])
def test_short_values_are_not_registered(masker: SecretMasker, short: str) -> None:
    masker.add(short)
    masker.add(None)
    # Masking every "abc" in every message would make output unreadable.
    assert masker.mask("the abc of it") == "the abc of it"


def test_clear_forgets_registered_values(masker: SecretMasker) -> None:
    masker.add("forget-me-please")
    masker.clear()
    assert masker.mask("forget-me-please") == "forget-me-please"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("fetching https://u:pw@host/path", "pw"),
        ("postgres://admin:p4ssw0rd@db.internal:5432/app", "p4ssw0rd"),
        ("Authorization: Bearer abcdefgh12345", "abcdefgh12345"),
        ("header was bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("key sk_live_abcdefgh1234 in use", "sk_live_abcdefgh1234"),
        ("restricted rk_test_ABCDEFGH1234", "rk_test_ABCDEFGH1234"),
        ("token ghp_" + "a1B2" * 9, "ghp_" + "a1B2" * 9),
        ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
        ("aws AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
        ("anthropic sk-ant-api03-abcdefghijklmnop", "sk-ant-api03-abcdefghijklmnop"),
        ("GET /v1/things?api_key=zzz999yyy&limit=5", "zzz999yyy"),
        ('{"password": "topsecret!"}', "topsecret!"),
        ("client_secret=0123456789abcdef", "0123456789abcdef"),
    ],
)
def test_secret_shapes_are_masked_without_registration(
    masker: SecretMasker, text: str, secret: str
) -> None:
    masked = masker.mask(text)
    assert secret not in masked
    assert MASK in masked


def test_masking_keeps_the_rest_of_the_message(masker: SecretMasker) -> None:
    masked = masker.mask("GET https://u:pw@example.com/api?limit=5&api_key=abcdef123 failed")
    assert masked == f"GET https://u:{MASK}@example.com/api?limit=5&api_key={MASK} failed"


@pytest.mark.parametrize(
    "text",
    [
        "a normal sentence about tokens and keys",
        "HTTP 404 Not Found from GET https://example.com/api/v2/tickets/4812",
        "sk_live_short",  # too short to be a real key
        "unhandled exception: KeyError: <str> [ERR_INTERNAL]",  # an exception, not a label
        "TokenExpiredError: <num> seconds ago",
        "POST https://api.helpscout.net/v2/oauth2/token: [Errno -2] Name or service not known",
    ],
)
def test_ordinary_text_is_left_alone(masker: SecretMasker, text: str) -> None:
    assert masker.mask(text) == text


class _Inner(BaseModel):
    token: SecretStr
    label: str = "not secret"


class _Outer(BaseModel):
    api_key: SecretStr
    inner: _Inner
    extra: dict[str, object] = {}
    maybe: SecretStr | None = None


def test_collect_registers_secrets_nested_in_models_dicts_and_lists(
    masker: SecretMasker,
) -> None:
    config = _Outer(
        api_key=SecretStr("top-level-key-1"),
        inner=_Inner(token=SecretStr("nested-token-2")),
        extra={
            "list": [SecretStr("in-a-list-3"), {"deep": SecretStr("in-a-dict-4")}],
            "tuple": (SecretStr("in-a-tuple-5"),),
        },
    )
    masker.collect(config)
    text = masker.mask(
        "top-level-key-1 nested-token-2 in-a-list-3 in-a-dict-4 in-a-tuple-5 not secret"
    )
    assert text == " ".join([MASK] * 5) + " not secret"


def test_collect_ignores_plain_strings(masker: SecretMasker) -> None:
    masker.collect({"name": "visible-value", "nested": ["also-visible"]})
    assert masker.mask("visible-value also-visible") == "visible-value also-visible"

"""Redaction before anything reaches a hosted LLM: what is found, what is left alone, and that
`restore` gives back exactly what was sent."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from investigate.evidence.redaction import PLACEHOLDER, Redactor, entropy, luhn


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


# --- each kind, in realistic context ------------------------------------------------------------

TICKET = (
    "Hi team, this is Dana Whitfield (dana.whitfield@northwind-logistics.com). Since this "
    "morning our exports fail with ERR_EXPORT_SERIALIZE on workspace acc_1042 (request "
    "req_16e8c4bf144d3334955d, 2026-11-24 09:13:02 UTC). Please call me on +1 (415) 555-0132 "
    "or my desk 415-555-0199. We were charged twice on card 4242 4242 4242 4242. Our server "
    "203.0.113.77 calls you with key sk_live_51NwLgKJbDq8Zr3XyTbQ0aPc9 and I can see a 503 "
    "after 1500ms. We run v2.14.0. Thanks!"
)


def test_support_ticket_paragraph(redactor: Redactor) -> None:
    out = redactor.redact(TICKET)
    assert out == (
        "Hi team, this is Dana Whitfield (<EMAIL_1>). Since this "
        "morning our exports fail with ERR_EXPORT_SERIALIZE on workspace acc_1042 (request "
        "req_16e8c4bf144d3334955d, 2026-11-24 09:13:02 UTC). Please call me on <PHONE_1> "
        "or my desk <PHONE_2>. We were charged twice on card <CARD_1>. Our server "
        "<IP_1> calls you with key <SECRET_1> and I can see a 503 "
        "after 1500ms. We run v2.14.0. Thanks!"
    )
    assert redactor.restore(out) == TICKET
    assert redactor.counts() == {"email": 1, "phone": 2, "card": 1, "ip": 1, "secret": 1}


def test_json_log_line(redactor: Redactor) -> None:
    line = json.dumps(
        {
            "ts": "2026-11-24T09:13:02.415Z",
            "level": "error",
            "request_id": "req_9f8e7d6c5b4a39281706",
            "user_id": "usr_0x8flcxz2o",
            "client_ip": "2001:db8:85a3::8a2e:370:7334",
            "email": "ops@example.org",
            "headers": {"authorization": "Bearer abc123DEF456ghi789JKL"},
            "api_key": "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0L",
            "status": 500,
            "duration_ms": 1500,
            "error_code": "ERR_EXPORT_SERIALIZE",
            "commit": "e83c5163316f89bfbde7d9ab23ca2e25604af290",
        }
    )
    out = redactor.redact(line)
    record = json.loads(out)  # still valid JSON
    assert record["client_ip"] == "<IP_1>"
    assert record["email"] == "<EMAIL_1>"
    assert record["headers"]["authorization"] == "Bearer <SECRET_1>"
    assert record["api_key"] == "<SECRET_2>"
    for key in ("ts", "request_id", "user_id", "status", "duration_ms", "error_code", "commit"):
        assert record[key] == json.loads(line)[key]
    assert redactor.restore(out) == line


def test_sql_row_rendered_as_text(redactor: Redactor) -> None:
    row = (
        "id=1042 | name=Dana Whitfield | email=Dana.Whitfield@Northwind-Logistics.com | "
        "phone=+44 20 7946 0958 | card=378282246310005 | last_ip=198.51.100.23 | "
        "balance=DECIMAL(38,4) 1042.5000 | created_at=2026-11-24 09:13:02 | plan_id=sub_1MowQVLkdIwHu7ix"
    )
    out = redactor.redact(row)
    assert out == (
        "id=1042 | name=<NAME_1> | email=<EMAIL_1> | "
        "phone=<PHONE_1> | card=<CARD_1> | last_ip=<IP_1> | "
        "balance=DECIMAL(38,4) 1042.5000 | created_at=2026-11-24 09:13:02 | plan_id=sub_1MowQVLkdIwHu7ix"
    )
    assert redactor.restore(out) == row


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("mail dana@x.com now", "dana@x.com", "EMAIL"),
        ("cc: first.last+tag@mail.example.co.uk.", "first.last+tag@mail.example.co.uk", "EMAIL"),
        ("?email=dana%40example.com&x=1", "dana%40example.com", "EMAIL"),
        ("call +44 20 7946 0958 today", "+44 20 7946 0958", "PHONE"),
        ("call +1 (415) 555-0132 today", "+1 (415) 555-0132", "PHONE"),
        ("call 415-555-0132 today", "415-555-0132", "PHONE"),
        ("call (415) 555 0132 today", "(415) 555 0132", "PHONE"),
        ("call 1-800-555-0199 today", "1-800-555-0199", "PHONE"),
        ("call +14155550132 today", "+14155550132", "PHONE"),
        ("Phone: 07700 900123", "07700 900123", "PHONE"),
        ("ring me on 07700 900123 after 5", "07700 900123", "PHONE"),  # UK mobile, unlabelled
        ("office 020 7946 0958, ask for Dana", "020 7946 0958", "PHONE"),  # UK London
        ("appelez le 01 23 45 67 89 svp", "01 23 45 67 89", "PHONE"),  # France
        ("Büro 030-12345678 bis 17 Uhr", "030-12345678", "PHONE"),  # Germany
        ("card 4242424242424242 declined", "4242424242424242", "CARD"),
        ("card 4242-4242-4242-4242 declined", "4242-4242-4242-4242", "CARD"),
        ("amex 3782 822463 10005 declined", "3782 822463 10005", "CARD"),
        ("mc 5555 5555 5555 4444, exp 12/27", "5555 5555 5555 4444", "CARD"),
        ("card 4242 4242 4242 4242 declined", "4242 4242 4242 4242", "CARD"),
        ("from 203.0.113.77:8443", "203.0.113.77", "IP"),
        ("from 10.0.0.1.", "10.0.0.1", "IP"),
        ("key sk_live_51NwLgKJbDq8Zr3XyTbQ0aPc9", "sk_live_51NwLgKJbDq8Zr3XyTbQ0aPc9", "SECRET"),
        ("key sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "SECRET"),
        ("key rk_live_51AbCdEfGh12345678", "rk_live_51AbCdEfGh12345678", "SECRET"),
        ("key rk_test_51AbCdEfGh12345678", "rk_test_51AbCdEfGh12345678", "SECRET"),
        (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ok",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "SECRET",
        ),
        (
            "gh ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "SECRET",
        ),
        (
            "gh gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "SECRET",
        ),
        (
            "gh ghu_16C7e42F292c6912E7710c838347Ae178B4a",
            "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
            "SECRET",
        ),
        (
            "gh ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "SECRET",
        ),
        (
            "gh ghr_16C7e42F292c6912E7710c838347Ae178B4a",
            "ghr_16C7e42F292c6912E7710c838347Ae178B4a",
            "SECRET",
        ),
        (
            "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "SECRET",
        ),
        ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij", "SECRET"),
        ("slack xoxp-1234567890-0987654321-abcdef", "xoxp-1234567890-0987654321-abcdef", "SECRET"),
        ("aws AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE", "SECRET"),
        (
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "SECRET",
        ),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "SECRET",
        ),
        ("Authorization: Bearer abc123.def456-ghi", "abc123.def456-ghi", "SECRET"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "SECRET"),
        (
            "ANTHROPIC_API_KEY is sk-ant-api03-AbCdEf0123456789-xyz",
            "sk-ant-api03-AbCdEf0123456789-xyz",
            "SECRET",
        ),
        ("openai sk-proj-Ab12Cd34Ef56Gh78Ij90Kl", "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl", "SECRET"),
        ("password: hunter2xY9kLmN3pQrS7tUvW1zA5", "hunter2xY9kLmN3pQrS7tUvW1zA5", "SECRET"),
        ("db_password=hunter2!", "hunter2!", "SECRET"),
        (
            '{"api_key": "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0L"}',
            "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0L",
            "SECRET",
        ),
        ("X-Api-Key: 9fKq2LmZ7xYt4RwB8nVc3HsD6jPa", "9fKq2LmZ7xYt4RwB8nVc3HsD6jPa", "SECRET"),
        (
            "client_secret = 'q8W3e5R7t9Y1u3I5o7P9a1S3d5F7'",
            "q8W3e5R7t9Y1u3I5o7P9a1S3d5F7",
            "SECRET",
        ),
    ],
)
def test_each_kind_is_found(redactor: Redactor, text: str, value: str, kind: str) -> None:
    out = redactor.redact(text)
    assert value not in out
    assert out == text.replace(value, f"<{kind}_1>", 1)
    assert redactor.mapping == {f"<{kind}_1>": value}
    assert redactor.restore(out) == text


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-24 09:13:02",
        "2026-11-24T09:13:02.415Z",
        "2026-11-24T08:14:22+00:00",
        "between 2026-11-23 and 2026-11-24",
        "released v2.14.0 and 3.12.1",
        "HTTP 503 Service Unavailable, then 429 and 200",
        "req_9f8e7d6c5b4a39281706",
        "request req_16e8c4bf144d3334955d failed",
        '"request_id":"req_16e8c4bf144d3334955d"',
        "took 1500ms (p99 39265ms)",
        "order 12345, job 123456, port 8080",
        "amount DECIMAL(38,4) overflowed",
        "acc_1042 and usr_0x8flcxz2o",
        "cus_NffrFeUfNV2Hib in_1MtHbELkdIwHu7ixl4OzzPMv ch_3MmlLrLkdIwHu7ix0snN0B15",
        "sub_1MowQVLkdIwHu7ixeRlqHVzs job_8f3k2m1x",
        "trace 123e4567-e89b-12d3-a456-426614174000",
        "fixed in 3f9a2c1 (e83c5163316f89bfbde7d9ab23ca2e25604af290)",
        "ERR_EXPORT_SERIALIZE ERR_RATE_LIMITED",
        "at 12:30:45 and 09:13",
        "card 4242424242424241 (fails the Luhn check)",
        "ts 1764000000000 (ms epoch) snowflake 1234567890123456789",
        "rows_scanned 1670015491",
        "user agent Chrome/131.0.0.0 Safari/537.36",
        "cert fingerprint C4:19:0B:6E:A2:F3:71:9D",
        "mac 00:1a:2b:3c:4d:5e",
        "std::vector and a::b",
        "idempotency_key: req_16e8c4bf144d3334955d",
        "token expired; authorization: failed; password: incorrect",
        "signature: e83c5163316f89bfbde7d9ab23ca2e25604af290e83c5163316f89bf",
        '"password_reset_required": true',
        "ratio 3:2, pages 10-20, v1.2",
        "rows 0 12 34 and partition 07 12",  # a leading zero, too few digits for a phone
        "build 2026-11-24-0915 on 05/11/2026",
        "version 0.12.3 and 01.02.2026",
    ],
)
def test_ordinary_values_are_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text
    assert redactor.counts() == {}


def test_luhn() -> None:
    assert luhn("4242424242424242")
    assert luhn("378282246310005")
    assert not luhn("4242424242424241")
    assert not luhn("1234567812345678")


def test_a_16_digit_number_failing_luhn_is_kept(redactor: Redactor) -> None:
    text = "ref 1234 5678 1234 5678 and 4111111111111112"
    assert redactor.redact(text) == text


@pytest.mark.parametrize(
    "address",
    [
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "2001:db8:85a3::8a2e:370:7334",
        "2001:db8::",
        "fe80::1",
        "::1",
        "::ffff:203.0.113.77",
        "2001:DB8::ff00:42:8329",
    ],
)
def test_ipv6_forms(redactor: Redactor, address: str) -> None:
    text = f"client [{address}] connected"
    out = redactor.redact(text)
    assert out == "client [<IP_1>] connected"
    assert redactor.restore(out) == text


# --- URLs ----------------------------------------------------------------------------------------


def test_url_password_is_redacted_the_rest_kept(redactor: Redactor) -> None:
    text = "connecting to postgres://admin:p4ssw0rd@db.example.com:5432/app failed"
    out = redactor.redact(text)
    assert out == "connecting to postgres://admin:<SECRET_1>@db.example.com:5432/app failed"
    assert redactor.restore(out) == text


def test_secret_query_values_are_redacted_the_rest_kept(redactor: Redactor) -> None:
    text = "GET https://api.example.com/v2/export?token=abcd1234&page=2&api_key=XYZW9876&sort=asc"
    out = redactor.redact(text)
    assert out == (
        "GET https://api.example.com/v2/export?token=<SECRET_1>&page=2&api_key=<SECRET_2>&sort=asc"
    )


def test_url_with_digits_is_not_half_eaten(redactor: Redactor) -> None:
    text = (
        "see https://status.example.com/incidents/2026-11-24/415 and support+4155550132@example.com"
    )
    out = redactor.redact(text)
    assert out == "see https://status.example.com/incidents/2026-11-24/415 and <EMAIL_1>"


# --- consistency, numbering, restore ---------------------------------------------------------------


def test_same_value_same_placeholder_across_calls(redactor: Redactor) -> None:
    first = redactor.redact("ticket from dana@x.com, card 4242 4242 4242 4242")
    second = redactor.redact("evidence: login by dana@x.com from 198.51.100.7")
    third = redactor.redact("evidence: charge on 4242 4242 4242 4242 for dana@x.com")
    assert first == "ticket from <EMAIL_1>, card <CARD_1>"
    assert second == "evidence: login by <EMAIL_1> from <IP_1>"
    assert third == "evidence: charge on <CARD_1> for <EMAIL_1>"
    assert redactor.counts() == {"email": 1, "card": 1, "ip": 1}


def test_numbering_is_per_kind_in_order_of_first_appearance(redactor: Redactor) -> None:
    out = redactor.redact("b@x.com 10.0.0.2 a@x.com 10.0.0.1 b@x.com")
    assert out == "<EMAIL_1> <IP_1> <EMAIL_2> <IP_2> <EMAIL_1>"
    assert redactor.mapping == {
        "<EMAIL_1>": "b@x.com",
        "<IP_1>": "10.0.0.2",
        "<EMAIL_2>": "a@x.com",
        "<IP_2>": "10.0.0.1",
    }


def test_emails_are_caseless_and_restore_the_first_spelling(redactor: Redactor) -> None:
    out = redactor.redact("Dana@X.com wrote; reply to dana@x.com")
    assert out == "<EMAIL_1> wrote; reply to <EMAIL_1>"
    assert redactor.restore("write to <EMAIL_1>") == "write to Dana@X.com"
    assert redactor.counts() == {"email": 1}


def test_restore_replaces_only_exact_issued_placeholders(redactor: Redactor) -> None:
    redactor.redact("dana@x.com")
    reply = "To <EMAIL_1>, not <email_1>, < EMAIL_1 >, <EMAIL_01>, <EMAIL_2> or <PHONE_1>."
    assert redactor.restore(reply) == (
        "To dana@x.com, not <email_1>, < EMAIL_1 >, <EMAIL_01>, <EMAIL_2> or <PHONE_1>."
    )


def test_placeholder_shaped_input_is_never_confused_with_ours(redactor: Redactor) -> None:
    # Not yet issued: left as it is, and its number is never used for a real value.
    text = "the template says <EMAIL_1>; the customer is dana@x.com"
    out = redactor.redact(text)
    assert out == "the template says <EMAIL_1>; the customer is <EMAIL_2>"
    assert redactor.restore(out) == text
    # Already issued: a literal copy in later input gets a placeholder of its own.
    later = "hostile text repeats <EMAIL_2> to fish for the address"
    out = redactor.redact(later)
    assert "<EMAIL_2>" not in out
    assert redactor.restore(out) == later
    assert redactor.counts() == {"email": 1}


def test_mapping_is_a_copy(redactor: Redactor) -> None:
    redactor.redact("dana@x.com")
    redactor.mapping["<EMAIL_1>"] = "someone@else.com"
    assert redactor.restore("<EMAIL_1>") == "dana@x.com"


REALISTIC = [
    TICKET,
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\npassword=S3cr3t!",
    "From: Ingrid Solberg <ingrid.solberg@fjordline.no>\nTel: +47 22 33 44 55\n\nHei!",
    '10.0.0.1 - - [24/Nov/2026:09:13:02 +0000] "GET /login?next=/home&sig=ab12cd HTTP/1.1" 302',
    "INSERT INTO users VALUES (7, 'ravi@lumen.io', '415.555.0132', '5555-5555-5555-4444');",
]


@pytest.mark.parametrize("text", REALISTIC)
def test_restore_round_trips_realistic_text(text: str) -> None:
    redactor = Redactor(["Ingrid Solberg"])
    out = redactor.redact(text)
    assert out != text
    assert redactor.restore(out) == text


# --- configured sensitive strings ------------------------------------------------------------------


def test_sensitive_strings_whole_words_caseless_longest_first() -> None:
    redactor = Redactor(["Northwind", "Northwind Logistics", "db-prod-7.internal", "  ", ""])
    text = (
        "NORTHWIND LOGISTICS says Northwind staff cannot reach DB-PROD-7.internal; "
        "northwinds and SouthNorthwind are other words"
    )
    out = redactor.redact(text)
    assert out == (
        "<SENSITIVE_1> says <SENSITIVE_2> staff cannot reach <SENSITIVE_3>; "
        "northwinds and SouthNorthwind are other words"
    )
    assert redactor.mapping["<SENSITIVE_1>"] == "NORTHWIND LOGISTICS"
    assert redactor.counts() == {"sensitive": 3}


def test_sensitive_name_inside_an_email_goes_with_the_email() -> None:
    redactor = Redactor(["northwind"])
    out = redactor.redact("dana@northwind.com works at Northwind")
    assert out == "<EMAIL_1> works at <SENSITIVE_1>"


def test_sensitive_hostname_part() -> None:
    redactor = Redactor(["acme"])
    assert redactor.redact("GET https://api.acme.com/v1") == "GET https://api.<SENSITIVE_1>.com/v1"


# --- disabled mode, JSON ------------------------------------------------------------------------


def test_disabled_changes_nothing() -> None:
    redactor = Redactor(["Northwind"], enabled=False)
    assert redactor.redact(TICKET + " Northwind") == TICKET + " Northwind"
    assert redactor.restore("<EMAIL_1> stays") == "<EMAIL_1> stays"
    assert redactor.mapping == {} and redactor.counts() == {}
    assert redactor.redact_json({"e": "dana@x.com"}) == {"e": "dana@x.com"}


def test_redact_json_redacts_values_not_keys(redactor: Redactor) -> None:
    value = {
        "dana@x.com": "key is not touched",
        "requester": {"email": "dana@x.com", "phones": ["+44 20 7946 0958", None, 3]},
        "rows": [("10.0.0.1", 42, True)],
        "count": 7,
    }
    assert redactor.redact_json(value) == {
        "dana@x.com": "key is not touched",
        "requester": {"email": "<EMAIL_1>", "phones": ["<PHONE_1>", None, 3]},
        "rows": [("<IP_1>", 42, True)],
        "count": 7,
    }


def test_entropy() -> None:
    assert entropy("") == 0.0
    assert entropy("aaaa") == 0.0
    assert entropy("abcd") == 2.0


# --- the canary test -----------------------------------------------------------------------------

CANARIES = {
    "email": "canary.person@canary-corp.example",
    "email2": "CANARY.Two@Example.org",
    "phone_intl": "+44 20 7946 0958",
    "phone_us": "(415) 555 0132",
    "card": "4242 4242 4242 4242",
    "amex": "378282246310005",
    "ipv4": "203.0.113.77",
    "ipv6": "2001:db8::c4a7:77",
    "stripe": "sk_live_51CanaryCanaryCanary0123456789",
    "github": "ghp_CanaryCanary0123456789CanaryCanary01",
    "aws": "AKIACANARY0123456789",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJjYW5hcnkiOjF9.Q2FuYXJ5U2lnbmF0dXJl",
    "password": "Canary-Pa55word!",
    "generic": "cAn4rYq8W3e5R7t9Y1u3I5o7P9",
    "url_password": "canaryUrlPw9",
    "customer": "Canary Holdings",
}


def test_no_canary_survives() -> None:
    text = (
        f"From {CANARIES['email']} (cc {CANARIES['email2']}), phone {CANARIES['phone_intl']} "
        f"or {CANARIES['phone_us']}. Customer: {CANARIES['customer']}.\n"
        f'{{"card": "{CANARIES["card"]}", "backup_card": "{CANARIES["amex"]}", '
        f'"ip": "{CANARIES["ipv4"]}", "ip6": "{CANARIES["ipv6"]}"}}\n'
        f"STRIPE_KEY={CANARIES['stripe']} GITHUB_TOKEN={CANARIES['github']} "
        f"AWS_ACCESS_KEY_ID={CANARIES['aws']}\n"
        f"Authorization: Bearer {CANARIES['jwt']}\n"
        f"password: {CANARIES['password']}\nsecret_token: {CANARIES['generic']}\n"
        f"dsn=https://svc:{CANARIES['url_password']}@db.internal/app\n"
    )
    redactor = Redactor(["canary holdings"])
    out = redactor.redact(text)
    for name, value in CANARIES.items():
        assert value not in out, name
    assert "canary" not in out.lower().replace("canary-corp", "")  # nothing half-eaten
    assert redactor.restore(out) == text


# --- robustness ------------------------------------------------------------------------------------

ADVERSARIAL = [
    "a" * 1_000_000,
    "1" * 1_000_000,
    "1 " * 500_000,
    "4242-" * 200_000,
    "a." * 500_000,
    "a@" * 500_000,
    ":" * 1_000_000,
    "ab:" * 333_333,
    "eyJ-" * 250_000,
    "token=" * 166_666,
    "password=" * 111_111,
    "authorization=" * 71_428,
    "key: " * 200_000,
    "+1 " * 333_333,
    "(415) " * 166_666,
    "a://b:" * 166_666,
    "?x=" * 333_333,
    "sk-" * 333_333,
    "bearer " * 142_857,
    "-----BEGIN RSA PRIVATE KEY-----" * 32_258,
    "<EMAIL_" * 142_857,
    "Ab3+/=_-" * 125_000,
]


@pytest.mark.slow  # a megabyte of adversarial text per case
@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:16]))
def test_one_megabyte_adversarial_inputs_finish(text: str) -> None:
    redactor = Redactor(["acme"])
    out = redactor.redact(text)
    assert redactor.restore(out) == text


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("<EMAIL_1> dana@x.com <EMAIL_1>")
@example("\x00dana@x.com\x00")
def test_arbitrary_text_round_trips(text: str) -> None:
    redactor = Redactor(["Northwind"])
    out = redactor.redact(text)
    assert redactor.restore(out) == text
    assert ("\x00" in out) == ("\x00" in text)


FRAGMENTS = [
    "dana@x.com",
    "ops@example.org",
    "+44 20 7946 0958",
    "415-555-0132",
    "4242 4242 4242 4242",
    "10.0.0.1",
    "fe80::1",
    "sk_live_51CanaryCanaryCanary0123456789",
    "password: S3cr3t!",
    "https://u:pw@h/x?token=abcd1234",
    "northwind",
    "<EMAIL_1>",
    "<PHONE_2>",
    "<SECRET_1",
    "2026-11-24 09:13:02",
    "req_16e8c4bf144d3334955d",
    "v2.14.0",
]
# No ASCII letters in the filler, so it cannot turn a value into a case variant of another.
FILLER = st.text(alphabet=" \n\t.,:;=@-_/+()<>\"'0123456789#%&?é漢", max_size=4)


SOUP = st.lists(st.one_of(st.sampled_from(FRAGMENTS), FILLER), max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(SOUP, min_size=1, max_size=4))
def test_mixed_findings_round_trip_across_calls(texts: list[str]) -> None:
    redactor = Redactor(["northwind"])
    outs = [redactor.redact(text) for text in texts]
    for text, out in zip(texts, outs, strict=True):
        assert redactor.restore(out) == text
        for token in (m[0] for m in PLACEHOLDER.finditer(out)):
            assert token in redactor.mapping or token in text


# --- issue 14, second pass: what the larger corpus found -----------------------------------------


def test_findings_of_one_finder_out_of_text_order_do_not_shift_the_rest(
    redactor: Redactor,
) -> None:
    """gitleaks runs its rules in name order: a Heroku key before a Grafana token in the text
    comes back after it, and hiding it out of order once moved every later finding."""
    heroku = "HRKU-AA" + "Zq8xR2mK9vL4nB7cT1yW6pH3sD5fG0aJ" * 2
    heroku = heroku[:65]
    grafana = "glsa_" + "Zq8xR2mK9vL4nB7cT1yW6pH3sD5fG0aJ" + "_327232b6"
    text = f"a {heroku} b {grafana} c, Kartennummer 4242 4242 4242 4242 danke"
    out = redactor.redact(text)
    assert out == "a <SECRET_1> b <SECRET_2> c, Kartennummer <CARD_1> danke"
    assert redactor.restore(out) == text


@pytest.mark.parametrize("end", [".", ",", ")", "!"])
def test_a_vendor_key_followed_by_punctuation_in_prose(redactor: Redactor, end: str) -> None:
    key = "pul-" + "cd1f5d483b064b44634795bfd60c90c33f4874a4"
    assert (
        redactor.redact(f"the token is {key}{end} thanks") == f"the token is <SECRET_1>{end} thanks"
    )


def test_a_gitleaks_rule_with_alternatives_takes_the_group_that_matched(
    redactor: Redactor,
) -> None:
    token = "ATATT3" + ("xFfGF0T3BlbkFJ" * 14)[:186]
    assert redactor.redact(f"token {token} here") == "token <SECRET_1> here"


def test_a_weak_name_field_does_not_swallow_an_id_label(redactor: Redactor) -> None:
    out = redactor.redact('{"contact": "NIE Y-1234567-X"}')
    assert "1234567" not in out and "NIE" in out


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ('{"prénom": "Hélène", "nom": "Kanarieaux"}', ["Hélène", "Kanarieaux"], ["prénom"]),
        ("ФИО: Канарейкина Ольга", ["Канарейкина"], ["ФИО"]),
        ("voornaam: Sanne; achternaam: Kanarie", ["Sanne", "Kanarie"], ["voornaam"]),
    ],
)
def test_name_fields_in_other_languages(
    redactor: Redactor, text: str, gone: list[str], kept: list[str]
) -> None:
    out = redactor.redact(text)
    assert [g for g in gone if g in out] == [] and all(k in out for k in kept)


@pytest.mark.parametrize(
    "table",
    [
        "first_name,last_name,plan\nBjörn,Kanariensson,pro",
        "see the export: first_name;last_name\nBjörn;Kanariensson",
        "| id | Vorname | Nachname |\n|---|---|---|\n| 7 | Björn | Kanariensson |",
        "INSERT INTO users (id, first_name, last_name) VALUES (7, 'Björn', 'Kanariensson')",
    ],
)
def test_names_in_the_personal_columns_of_a_table(redactor: Redactor, table: str) -> None:
    out = redactor.redact(table)
    assert "Kanariensson" not in out and "Björn" not in out
    assert redactor.redact("user_id,plan,seats\n1042,pro,12") == "user_id,plan,seats\n1042,pro,12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('From: "Doe, Jane" <jane@example.com>', 'From: "<NAME_1>" <<EMAIL_1>>'),
        ("Reply-To: Jane Doe <jane@example.com>", "Reply-To: <NAME_1> <<EMAIL_1>>"),
        ("Dear Mrs. Kanarienholm,", "Dear Mrs. <NAME_1>,"),
        ("cache Miss Rate 3%", "cache Miss Rate 3%"),
    ],
)
def test_display_names_and_titles(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06.12.34.56.78", "<PHONE_1>"),
        ("geb. 17.08.1962", "geb. <DOB_1>"),
        ("fecha de nacimiento: 5 de mayo de 1990", "fecha de nacimiento: <DOB_1>"),
        ("生年月日: 1985年4月12日", "生年月日: <DOB_1>"),
        ("2 95 10 99 126 111 93", "<ID_1>"),
        ("ITIN 912-70-1234", "ITIN <ID_1>"),
        ("cf: mrtmtt91d08f205j", "cf: <ID_1>"),
        ("pasaporte n.º PAA123456", "pasaporte n.º <ID_1>"),
        ("PO Box 4471, Austin", "<ADDRESS_1>, Austin"),
        ("jane@[192.0.2.17]", "<EMAIL_1>"),
        ("ya29.a0AfH6SMCcanaryGoogleOAuth2Token12", "<SECRET_1>"),
        ("Cookie: theme=dark; sid=k2j3h4g5f6d7s8a9", "Cookie: theme=dark; sid=<SECRET_1>"),
        ("Set-Cookie: sid=k2j3h4g5f6d7s8a9; Path=/", "Set-Cookie: sid=<SECRET_1>; Path=/"),
    ],
)
def test_second_pass_shapes(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected


def test_an_sql_insert_with_endless_quotes_is_read_in_linear_time(redactor: Redactor) -> None:
    """Each row is read by one scan (a regex for quoted literals backtracked exponentially)."""
    text = "insert into t (first_name) values (" + "'" * 5000
    assert redactor.redact(text) == text
    rows = "INSERT INTO u (id, last_name) VALUES (1, 'Kanar(ie)'), (2, 'O''Brien'); SELECT 1"
    assert "Kanar(ie)" not in redactor.redact(rows)


@pytest.mark.parametrize(
    "text, value",
    [
        ("0 390.533.447-05 ", "390.533.447-05"),  # CPF after a number (found by hypothesis)
        ("ref 7 123-456-782", "123-456-782"),  # SIN with dashes
        ("12 811218-9876 3", "811218-9876"),  # personnummer between numbers
        ("3 X1234567L", "X1234567L"),  # NIE
    ],
)
def test_a_punctuated_national_id_is_redacted_beside_a_number(text: str, value: str) -> None:
    assert value not in Redactor().redact(text)


def test_a_space_grouped_slice_of_a_longer_number_is_not_an_id() -> None:
    """`2341 2341 2346` alone is a valid Aadhaar; inside a longer run of digit groups it is a
    slice of some other number and stays."""
    assert "2341 2341 2346" not in Redactor().redact("Aadhaar-shaped 2341 2341 2346")
    from investigate.evidence.detect import national_ids

    assert list(national_ids("serial 0 2341 2341 2346 7")) == []
    assert list(national_ids("serial 2341 2341 2346")) == [(7, 21)]


def test_a_vendor_key_longer_than_its_rule_is_taken_whole(redactor: Redactor) -> None:
    """A gitleaks rule of fixed length (`CLOJARS_` + 60) must not leave the rest of a longer
    token readable: a secret's span never ends inside a run of letters and digits."""
    token = "CLOJARS_" + "k3" * 30 + "Tail9Canary"
    out = redactor.redact(f"deploy token {token} expired")
    assert "Tail9Canary" not in out and out == "deploy token <SECRET_1> expired"

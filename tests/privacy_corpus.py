"""Canaries (personal data and secrets that must never reach a hosted LLM) and benign strings
(that the analyst needs and that must stay readable), for the privacy corpus tests.

Each canary is `(class, text as written, needles)`: the needles are what must not appear in
anything the model receives (the text itself, and for disguised forms what it decodes to)."""

from __future__ import annotations

import base64
import hashlib

CONFIGURED_TOKEN = "cfgTok_9Qm2Lx7Vb4Nc8Zr1Ws5Ty3Ui6Op0"
"""An `http` connector's `Authorization: Bearer ${TOKEN}`, also quoted in a log line."""

_B64_EMAIL = base64.b64encode(b"canary.b64@canary-corp.example").decode()
_PGP = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n"
    "lQOYBGNcanaryPGPkeyMaterial0123456789abcdefABCDEF+/0123456789abcdefAB\n"
    "CDEFcanaryPGPsecondLine0123456789abcdefABCDEF+/0123456789abcdefABCD\n=Xq3k\n"
    "-----END PGP PRIVATE KEY BLOCK-----"
)
_RSA_LINES = [f"MIIEcanaryRSA{i:02d}" + "Qk9PTUFSSVNLRVlMSU5FCg" * 3 for i in range(26)]
_RSA = (
    "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(_RSA_LINES) + "\n-----END RSA PRIVATE KEY-----"
)

CANARIES: list[tuple[str, str, tuple[str, ...]]] = [
    # e-mail, plain and disguised
    ("email", "canary.plain@canary-corp.example", ("canary.plain",)),
    ("email", "Canary.Upper@Canary-Corp.Example", ("Canary.Upper",)),
    ("email", "canary.pct%40canary-corp.example", ("canary.pct",)),
    ("email", "canary%2Edots%40canary-corp%2Eexample", ("canary%2Edots", "canary.dots")),
    ("email", "canary.html&#64;canary-corp.example", ("canary.html",)),
    ("email", "canary.named&commat;canary-corp.example", ("canary.named",)),
    ("email", "canary.brk [at] canary-corp [dot] example", ("canary.brk",)),
    ("email", "canary.paren (at) canary-corp (dot) example", ("canary.paren",)),
    ("email", "canary.caps AT canary-corp DOT example", ("canary.caps",)),
    ("email", _B64_EMAIL, (_B64_EMAIL, "canary.b64")),
    ("email", "canary.wide＠canary-corp.example", ("canary.wide",)),
    ("email", "jürgen.canary@bücher-canary.de", ("jürgen.canary",)),
    ("email", '"canary quoted"@canary-corp.example', ("canary quoted",)),
    ("email", "canary.esc\\u0040canary-corp.example", ("canary.esc",)),
    ("email", "canary.idn@xn--bcher-kva.example", ("canary.idn",)),
    # phone numbers
    ("phone", "0044 20 7946 0123", ("0044 20 7946 0123", "7946 0123")),
    ("phone", "(+44) 20 7946 0456", ("(+44) 20 7946 0456", "7946 0456")),
    ("phone", "+44 20 7946 0958", ("+44 20 7946 0958",)),
    ("phone", "4155550132", ("4155550132",)),
    ("phone", "(415) 555-0177", ("555-0177",)),
    ("phone", "+1 212 555 0199", ("212 555 0199",)),
    ("phone", "+33 1 42 68 53 00", ("42 68 53 00",)),
    ("phone", "+49 30 901820", ("30 901820",)),
    ("phone", "+81 3-1234-5678", ("3-1234-5678",)),
    ("phone", "+61 2 9374 4000", ("9374 4000",)),
    ("phone", "07700 900123", ("07700 900123",)),
    ("phone", "030-12345678", ("030-12345678",)),
    # IBANs
    ("iban", "DE89370400440532013000", ("DE89370400440532013000",)),
    ("iban", "DE89 3704 0044 0532 0130 00", ("DE89 3704 0044 0532 0130 00",)),
    ("iban", "GB82WEST12345698765432", ("GB82WEST12345698765432",)),
    ("iban", "GB82 WEST 1234 5698 7654 32", ("GB82 WEST 1234 5698 7654 32",)),
    ("iban", "FR14 2004 1010 0505 0001 3M02 606", ("FR14 2004",)),
    ("iban", "NL91ABNA0417164300", ("NL91ABNA0417164300",)),
    ("iban", "ES9121000418450200051332", ("ES9121000418450200051332",)),
    ("iban", "IT60X0542811101000000123456", ("IT60X0542811101000000123456",)),
    ("iban", "CH9300762011623852957", ("CH9300762011623852957",)),
    ("iban", "PL61109010140000071219812874", ("PL61109010140000071219812874",)),
    # national IDs and tax numbers
    ("ssn", "SSN 536-90-5173", ("536-90-5173",)),
    ("ssn", "ssn: 536905173", ("536905173",)),
    ("ssn", "social security number 401-22-3333", ("401-22-3333",)),
    ("ssn", "401-22-3334", ("401-22-3334",)),
    ("tax", "VAT number: DE136695976", ("DE136695976",)),
    ("tax", "tax id: 12-3456789", ("12-3456789",)),
    ("tax", "Steuer-ID: 65929970489", ("65929970489",)),
    ("tax", "NIF 12345678Z", ("12345678Z",)),
    ("tax", "codice fiscale RSSMRA85T10A562S", ("RSSMRA85T10A562S",)),
    ("tax", "PAN ABCPE1234F", ("ABCPE1234F",)),
    ("national_id", "SIN 046 454 286", ("046 454 286",)),
    ("national_id", "Aadhaar 2341 2341 2346", ("2341 2341 2346",)),
    ("national_id", "personnummer 811218-9876", ("811218-9876",)),
    ("national_id", "CPF 529.982.247-25", ("529.982.247-25",)),
    ("passport", "passport number: X1234567", ("X1234567",)),
    ("passport", "Reisepass: C01X00T47", ("C01X00T47",)),
    ("passport", "passport no. 533380006", ("533380006",)),
    ("passport", "numéro de passeport: 18AV12345", ("18AV12345",)),
    # dates of birth
    ("dob", "DOB: 1985-04-12", ("1985-04-12",)),
    ("dob", "date of birth: 12/04/1985", ("12/04/1985",)),
    ("dob", "born on 12 March 1985", ("12 March 1985",)),
    ("dob", "Geburtsdatum: 12.03.1986", ("12.03.1986",)),
    ("dob", "fecha de nacimiento: 03/05/1990", ("03/05/1990",)),
    ("dob", "née le 14/07/1979", ("14/07/1979",)),
    ("dob", "birthday: July 4, 1976", ("July 4, 1976",)),
    # street addresses
    ("address", "221B Baker Street", ("221B Baker Street", "Baker Street")),
    ("address", "1600 Pennsylvania Avenue NW", ("Pennsylvania Avenue",)),
    ("address", "742 Evergreen Terrace", ("Evergreen Terrace",)),
    ("address", "12 rue de la Paix", ("rue de la Paix",)),
    ("address", "Hauptstraße 5", ("Hauptstraße 5",)),
    ("address", "Calle Mayor 10", ("Calle Mayor 10",)),
    ("address", "Via Roma 15", ("Via Roma 15",)),
    ("address", "Keizersgracht 123", ("Keizersgracht 123",)),
    ("address", "London SW1A 1AA", ("SW1A 1AA",)),
    # cards and security codes
    ("card", "4242.4242.4242.4242", ("4242.4242.4242.4242",)),
    ("card", "4242\u00a04242\u00a04242\u00a04242", ("4242\u00a04242",)),
    ("card", "5555 5555 5555 4444", ("5555 5555 5555 4444",)),
    ("card", "378282246310005", ("378282246310005",)),
    ("card", "6011111111111117", ("6011111111111117",)),
    ("card", "4000-0566-5566-5556", ("4000-0566-5566-5556",)),
    ("cvv", "4111 1111 1111 1111 exp 12/27 cvv 8291", ("4111 1111", "8291")),
    ("cvv", "card 5105105105105100 cvc: 5837", ("5105105105105100", "5837")),
    ("cvv", "5200828282828210 6243", ("5200828282828210", "6243")),
    # vendor keys and secrets
    ("secret", "SKa1b2c3d4e5f60718293a4b5c6d7e8f90", ("SKa1b2c3d4e5f60718293a4b5c6d7e8f90",)),
    ("secret", "ACa1b2c3d4e5f60718293a4b5c6d7e8f91", ("ACa1b2c3d4e5f60718293a4b5c6d7e8f91",)),
    (
        "secret",
        "SG.canaryCanaryCanary22.canaryCanaryCanaryCanaryCanaryCanaryCanar",
        ("SG.canaryCanaryCanary22",),
    ),
    ("secret", "glpat-CanaryCanary12345678", ("glpat-CanaryCanary12345678",)),
    ("secret", "glrt-CanaryCanary12345678", ("glrt-CanaryCanary12345678",)),
    ("secret", "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", ("shpat_a1b2c3d4e5f6",)),
    ("secret", "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", ("shpss_a1b2c3d4e5f6",)),
    ("secret", "key-a1b2c3d4e5f60718293a4b5c6d7e8f90", ("key-a1b2c3d4e5f6",)),
    ("secret", "mailgun_key = key-0f1e2d3c4b5a69788796a5b4c3d2e1f0", ("key-0f1e2d3c4b5a",)),
    (
        "secret",
        "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        ("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",),
    ),
    (
        "secret",
        "telegram_bot_token: 7012345678:AAEcanaryCanaryCanaryCanaryCanaryCan",
        ("AAEcanary",),
    ),
    ("secret", _PGP, ("canaryPGP",)),
    ("secret", _RSA, ("canaryRSA",)),
    ("secret", "api_key: 9f86d081884c7d659a2feaa0c55ad015", ("9f86d081884c7d659a2feaa0c55ad015",)),
    (
        "secret",
        '"x-api-key": "0cc175b9c0f1b6a831c399e269772661"',
        ("0cc175b9c0f1b6a831c399e269772661",),
    ),
    ("secret", "sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", ("sk-proj-abcdefghij",)),
    ("secret", "sk-ant-api03-CanaryCanaryCanaryCanaryCanary", ("sk-ant-api03-Canary",)),
    ("secret", "sk_live_51CanaryCanaryCanary0123456789", ("sk_live_51Canary",)),
    ("secret", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", ("ghp_16C7e42F292c",)),
    ("secret", "AKIAIOSFODNN7CANARY1", ("AKIAIOSFODNN7CANARY1",)),
    ("secret", "xoxb-123456789012-CanaryCanaryCanary", ("xoxb-123456789012",)),
    ("secret", "npm_CanaryCanaryCanaryCanaryCanary123456", ("npm_CanaryCanary",)),
    ("secret", "Authorization: Bearer canaryBearer0123456789abcdef", ("canaryBearer",)),
    ("secret", "postgres://svc:CanaryPassw0rd@db.internal:5432/app", ("CanaryPassw0rd",)),
    ("secret", "password=Canary-Hunter2!", ("Canary-Hunter2",)),
    (
        "secret",
        "client_secret=Zq8xR2mK9vL4nB7cT1yW6pH3sD5fG0aJ",
        ("Zq8xR2mK9vL4nB7cT1yW6pH3sD5fG0aJ",),
    ),
    ("secret", f"upstream accepted token {CONFIGURED_TOKEN}", (CONFIGURED_TOKEN,)),
    (
        "secret",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5",
        ("eyJzdWIiOiJjYW5hcnkifQ",),
    ),
    # people's names in structured fields
    ("name", "name=Maria Canaryson", ("Canaryson",)),
    ("name", '"first_name": "Olivetta", "last_name": "Canarywood"', ("Olivetta", "Canarywood")),
    ("name", "customer_name: Jürgen Kanarienvogel", ("Kanarienvogel",)),
    ("name", "full_name=Aiko Kanariya", ("Kanariya",)),
    (
        "address",
        "street=18 Kanarienweg; city=Vogelsberg; postcode=35321",
        ("Kanarienweg", "Vogelsberg"),
    ),
    ("phone", "mobile: 0151 23456789", ("0151 23456789",)),
    ("dob", "dob=1979-02-28", ("1979-02-28",)),
    # shapes beyond the first pass
    ("iban", "iban de89 3704 0044 0532 0130 00", ("de89 3704",)),
    ("card", "4242-4242 4242.4242", ("4242-4242 4242.4242",)),
    ("name", 'user="Marisol Canaria-Vega" action=login', ("Canaria-Vega",)),
    ("name", "owner: Jean-Luc Kanarienhof", ("Kanarienhof",)),
    ("ssn", "my social is 536-90-5174", ("536-90-5174",)),
    ("email", "canary.fwdot＠canary-corp．example", ("canary.fwdot",)),
    ("email", "ｃａｎａｒｙ.fwlocal@canary-corp.example", ("fwlocal",)),
    ("email", "canary.hex&#x40;canary-corp.example", ("canary.hex",)),
    (
        "email",
        '"payload":"eyJlbWFpbCI6ICJjYW5hcnkuanNvbkBjYW5hcnktY29ycC5leGFtcGxlIn0="',
        ("eyJlbWFpbCI6ICJjYW5hcnkuanNvbk",),
    ),
    ("secret", "API-Key: 0cc175b9c0f1b6a831c399e269772669", ("0cc175b9c0f1b6a831c399e269772669",)),
    (
        "secret",
        "auth_token=5d41402abc4b2a76b9719d911017c592",
        ("5d41402abc4b2a76b9719d911017c592",),
    ),
    ("name", "login by dana.whitfield from the web app", ("dana.whitfield",)),
    ("name", "WHITFIELD, DANA", ("WHITFIELD",)),
    ("email", "canary.zw@canary\u200b-corp.example", ("canary.zw",)),
    ("card", "4242\u200b4242\u200b4242\u200b4242", ("4242\u200b4242",)),
    ("email", "canary.shy@canary-\u00adcorp.example", ("canary.shy",)),
    ("secret", "X-Api-Key: 7c9e6679-7425-40de-944b-e07fc1f90ae7", ("7c9e6679-7425-40de-944b",)),
]

REQUESTER = ("Dana Whitfield", "dana.whitfield@northwind-logistics.com", "Northwind Logistics")

# Where a canary is placed: (source kind, template). `{c}` is the canary.
PLACEMENTS: list[tuple[str, str]] = [
    ("ticket", "Hi team, please look into this: {c}. Thanks!"),
    ("comment", "Hallo, hier noch die Angabe: {c} — danke"),
    (
        "log",
        "2026-11-24T09:13:02.415Z ERROR billing.worker req_8f2kX91q payment failed for {c} (retry 2/3)",
    ),
    ("db", "id=1042; plan=pro; status=past_due; note={c}; created_at=2026-11-24 09:13:02"),
    (
        "record",
        '{{"event": "profile.updated", "field": "contact", "value": "{c}", "at": "2026-11-24T09:13:02Z"}}',
    ),
    ("http", '{{"data": {{"attributes": {{"customer": {{"contact": "{c}"}}, "plan": "pro"}}}}}}'),
    ("error", 'HTTP 422 from upstream: {{"error": "invalid value", "detail": "{c}"}}'),
    ("ticket", "Bonjour, voici les informations : {c}\nCordialement"),
    ("log", 'level=warn msg="webhook rejected" payload="{c}" service=api'),
    ("comment", "Hola, el dato es {c}, gracias."),
]

BENIGN: list[str] = [
    *(
        "ticket 4812",
        "PROJ-1234",
        "JIRA-98765",
        "INC0012345",
        "CHG0034567",
        "#4812",
        "case 00123456",
    ),
    *(
        "v2.3.1",
        "1.20.4",
        "3.11.7",
        "2026.11.1",
        "v10.0.0-rc.1",
        "node 18.19.0",
        "Chrome/131.0.0.0",
    ),
    *("2026-11-24", "2026-11-24T09:13:02Z", "2026-11-24 09:13:02.415", "09:13:02", "Nov 24, 2026"),
    *(
        "24/11/2026",
        "11/24/2026 9:13 AM",
        "1732439582",
        "1732439582415",
        "Mon, 24 Nov 2026 09:13:02 GMT",
    ),
    *(
        "350ms",
        "1.5s",
        "2m30s",
        "took 12034 ms",
        "p99 latency 2300ms",
        "timeout after 30s",
        "PT15M",
    ),
    *("3f2b1c4e-8a9d-4e2f-b1c3-9d8e7f6a5b4c", "req_8f2kX91q", "trace_01HF8Z3K2M", "acc_1007"),
    *(
        "org_44a9",
        "usr_77Kq21",
        "cus_NffrFeUfNV2Hib",
        "in_1MtHbELkdIwHu7ixl4OzzPMv",
        "sub_1MowQVLkdIwHu7ix",
    ),
    *("pi_3MtwBwLkdIwHu7ix28a3tqPa", "ch_3MmlLrLkdIwHu7ix0snN0B15", "evt_1NG8Du2eZvKYlo2CUI79vXWy"),
    *("commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "sha256:e3b0c44298fc1c149afbf4c8996fb924"),
    *(
        "HTTP 503",
        "status 429",
        "502 Bad Gateway",
        "ECONNRESET",
        "ETIMEDOUT",
        "ORA-00942",
        "E11000",
    ),
    *(
        "card_declined",
        "insufficient_funds",
        "RATE_LIMIT_EXCEEDED",
        "PERMISSION_DENIED",
        "SQLSTATE 40001",
    ),
    *("https://app.example.com/dashboards/42", "https://status.example.com/incidents/abc123"),
    *(
        "https://api.example.com/v1/invoices?limit=100",
        "/api/v2/exports/8812/download",
        "GET /v1/users/me",
    ),
    *(
        "s3://exports-bucket/2026/11/24/export-8812.csv",
        "file:///var/log/app/worker.log",
        "localhost:8080",
    ),
    *("port 5432", "pid 31337", "exit code 137", "OOMKilled", "SIGTERM", "errno 111", "0x7f3a2c00"),
    *("amount 4200", "$42.00", "€1.234,56", "EUR 99.00", "total=12999", "qty 3", "12 seats"),
    *(
        "dashboard",
        "export",
        "invoice",
        "subscription",
        "webhook",
        "billing",
        "read-only",
        "workspace",
    ),
    *(
        "Scheduled report",
        "CSV export",
        "Single sign-on",
        "SAML assertion",
        "API token rotated",
        "2FA",
    ),
    *(
        "Acme Analytics Pro plan",
        "Enterprise tier",
        "EU region",
        "us-east-1",
        "eu-west-2",
        "ap-south-1",
    ),
    *(
        "build 20241107",
        "build #8812",
        "run 4471",
        "job nightly-export",
        "queue exports-high",
        "shard 7",
    ),
    *(
        "retry 2/3",
        "attempt 5 of 5",
        "page 3 of 12",
        "1/1",
        "50%",
        "99.95% uptime",
        "4 of 12 nodes",
    ),
    *("worker-7f9c8d6b5-x2x4q", "api-5d8f7c9b6-abcde", "ip-10-0-0-1.ec2.internal", "db-primary-01"),
    *("feature flag new_export_ui", "flag beta-dashboards", "experiment exp_2026_11", "variant B"),
    *(
        "user agent Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        "python-requests/2.31.0",
        "curl/8.4.0",
    ),
    *(
        "SELECT id, status FROM invoices WHERE account_id = ?",
        "UPDATE jobs SET state='done'",
        "LIMIT 100",
    ),
    *("max_connections=100", "pool size 20", "batch_size: 500", "retries: 3", "timeout_ms: 5000"),
    *(
        "key: exports",
        "token bucket empty",
        "secret rotation scheduled",
        "password reset email sent",
    ),
    *("auth: sso", "api_key missing", "token expired", "signature mismatch", "credentials invalid"),
    *(
        "The export finished in 3 minutes",
        "Customer cannot edit dashboards",
        "Invoice payment failed",
    ),
    *("Le rapport planifié ne part plus", "Der Export schlägt fehl", "La factura no se genera"),
    *("レポートが送信されない", "导出失败", "Отчёт не отправляется", "Die Rechnung ist überfällig"),
    *(
        "ticket created 3 days ago",
        "SLA breach in 2h",
        "priority high",
        "status open",
        "tags: billing",
    ),
    *("metric api_5xx_rate 0.12", "cpu 93%", "memory 7.5Gi", "disk 81%", "rps 1200", "errors 37"),
    *(
        "ISO-8601",
        "UTF-8",
        "gzip",
        "application/json",
        "text/csv; charset=utf-8",
        "multipart/form-data",
    ),
    *(
        "order 1234567",
        "invoice INV-2026-0042",
        "PO 4500012345",
        "ref ABC123XYZ",
        "SKU PRO-ANNUAL-12",
    ),
    *(
        "Version 4.2 released on 2026-11-20",
        "migrated 12,000 rows",
        "1,234,567 events",
        "42 rows affected",
    ),
    *(
        "snowflake 1183462895716352000",
        "offset 1048576",
        "size 10485760 bytes",
        "checksum 3735928559",
    ),
    *(
        "line 42 col 7",
        "worker.py:118",
        "at Object.<anonymous> (index.js:12:5)",
        "NullPointerException",
    ),
    *("The role Editor was removed", "admin on your side", "workspace settings", "plan downgrade"),
    *(
        'ETag W/"5f2b-1a"',
        "If-None-Match",
        "X-Request-Id",
        "Retry-After: 120",
        "Content-Length: 2048",
    ),
]

BENIGN += [
    *("Steps: 1) open dashboard 2) click export", "see KB-1042", "docs section 4.2.1", "RFC 7231"),
    *("monday 09:00-17:00 CET", "UTC+01:00", "Europe/Berlin", "week 47", "Q4 2026", "FY2026"),
    *("nightly at 02:00", "every 15 minutes", "cron 0 2 * * *", "backoff 2^n", "ttl 3600"),
    *("user=admin", "owner: platform-team", "customer=Acme", "the price changed", "a long field"),
    *(
        "request_id=3f2b1c4e-8a9d-4e2f-b1c3-9d8e7f6a5b4d",
        "X-Request-Id: 7c9e6679-7425-40de-944b-e07fc1f90ae8",
    ),
]


# --- the second pass: more countries, vendors and disguises (issue 14) ---------------------------
# Written from each format's own description (ITU national plans, the IBAN registry, the
# national ID schemes python-stdnum implements, each vendor's published token format) rather
# than from what the redactor catches. Every ID, IBAN and card passes its checksum.


def _hex(tag: str, n: int) -> str:
    """`n` hex digits, fixed per tag (a vendor key's random part)."""
    return (hashlib.sha512(tag.encode()).hexdigest() * 4)[:n]


def _alnum(tag: str, n: int) -> str:
    """`n` letters and digits, fixed per tag."""
    raw = base64.b64encode(hashlib.sha512(tag.encode()).digest() * 4).decode()
    return "".join(c for c in raw if c.isalnum())[:n]


_DO = "dop_v1_" + _hex("do", 64)
_DATABRICKS = "dapi" + _hex("databricks", 32)
_VAULT = "hvs." + _alnum("vault", 95)
_HEROKU_V2 = "HRKU-AA" + _alnum("heroku", 58)
_ATLASSIAN = "ATATT3" + _alnum("atlassian", 186)
_DOPPLER = "dp.pt." + _alnum("doppler", 43)
_POSTMAN = "PMAK-" + _hex("postman-a", 24) + "-" + _hex("postman-b", 34)
_PYPI = "pypi-AgEIcHlwaS5vcmc" + _alnum("pypi", 70)
_RK = "rk_live_51" + _alnum("stripe-rk", 60)
_HF = "hf_" + "".join(c for c in _alnum("hf", 80) if c.isalpha())[:34]
_GLSA = "glsa_" + _alnum("grafana", 32) + "_" + _hex("grafana", 8)
_LINEAR = "lin_api_" + _alnum("linear", 40)
_PULUMI = "pul-" + _hex("pulumi", 40)
_SIB = "xkeysib-" + _hex("brevo", 64) + "-" + _alnum("brevo", 16)
_PPLX = "pplx-" + _alnum("perplexity", 48)
_AZURE_KEY = base64.b64encode(hashlib.sha512(b"azure-storage").digest()).decode()
_GCP_KEY_LINES = "\\n".join(
    base64.b64encode(hashlib.sha512(f"gcp{i}".encode()).digest()).decode() for i in range(6)
)
_GCP_SA = (
    '{"type": "service_account", "project_id": "acme-prod", "private_key_id": "'
    + _hex("gcp-id", 40)
    + '", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvgIBADANcanaryGCP'
    + _GCP_KEY_LINES
    + '\\n-----END PRIVATE KEY-----\\n", "client_email": "exporter@acme-prod.iam.gserviceaccount.com"}'
)
_JWT_RS = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjEifQ."
    + base64.urlsafe_b64encode(b'{"sub":"canary-rs","email":"canary.jwt@canary-corp.example"}')
    .decode()
    .rstrip("=")
    + "."
    + _alnum("jwt-sig", 86)
)
_SLACK_HOOK = "https://hooks.slack.com/services/T0CANARY1/B0CANARY2/" + _alnum("slackhook", 24)

CANARIES += [
    # phone numbers: national plans of more countries, with and without trunk prefix
    ("phone", "01 42 68 53 17", ("01 42 68 53 17", "42 68 53 17")),
    ("phone", "+33 (0)1 45 22 81 09", ("45 22 81 09",)),
    ("phone", "06.12.34.56.78", ("06.12.34.56.78", "12.34.56.78")),
    ("phone", "+33 6 71 23 45 90", ("71 23 45 90",)),
    ("phone", "+34 912 345 678", ("912 345 678",)),
    ("phone", "+34 612 34 56 78", ("612 34 56 78",)),
    ("phone", "teléfono: 913 456 789", ("913 456 789",)),
    ("phone", "+39 06 6982 1234", ("6982 1234",)),
    ("phone", "+39 347 123 4567", ("347 123 4567",)),
    ("phone", "+31 20 123 4567", ("20 123 4567",)),
    ("phone", "+31 (0)6 12345678", ("12345678",)),
    ("phone", "020-6234567", ("020-6234567",)),
    ("phone", "+55 11 91234-5678", ("91234-5678",)),
    ("phone", "+55 (11) 3456-7890", ("3456-7890",)),
    ("phone", "+91 98765 43210", ("98765 43210",)),
    ("phone", "+91-22-2345-6789", ("2345-6789",)),
    ("phone", "+81 90-1234-5678", ("90-1234-5678",)),
    ("phone", "03-3456-7890", ("03-3456-7890",)),
    ("phone", "+52 55 1234 5678", ("55 1234 5678",)),
    ("phone", "+27 21 123 4567", ("21 123 4567",)),
    ("phone", "082 123 4567", ("082 123 4567",)),
    ("phone", "+1.415.555.0190", ("415.555.0190",)),
    ("phone", "415.555.0143", ("415.555.0143",)),
    ("phone", "+49 (0)30 12345678", ("30 12345678",)),
    ("phone", "tel:+4915123456789", ("4915123456789", "15123456789")),
    ("phone", "+1 212 555 0142 ext. 204", ("212 555 0142",)),
    ("phone", "+44 20 7946 0011 x123", ("7946 0011",)),
    ("phone", "+353 1 234 5678", ("234 5678",)),
    ("phone", "+48 22 123 45 67", ("22 123 45 67",)),
    ("phone", "Tel. 089 1234567", ("089 1234567",)),
    # IBANs of more countries, spaced, lower case, with dashes
    ("iban", "FR7630006000011234567890189", ("FR7630006000011234567890189",)),
    ("iban", "fr76 3000 6000 0112 3456 7890 189", ("fr76 3000 6000", "7890 189")),
    ("iban", "ES91 2100 0418 4502 0005 1332", ("ES91 2100 0418", "0005 1332")),
    ("iban", "IT60 X054 2811 1010 0000 0123 456", ("IT60 X054", "0123 456")),
    ("iban", "NL91 ABNA 0417 1643 00", ("NL91 ABNA", "0417 1643")),
    ("iban", "BE71096123456769", ("BE71096123456769",)),
    ("iban", "BE71 0961 2345 6769", ("BE71 0961", "2345 6769")),
    ("iban", "CH93 0076 2011 6238 5295 7", ("CH93 0076", "6238 5295")),
    ("iban", "PL61 1090 1014 0000 0712 1981 2874", ("PL61 1090", "1981 2874")),
    ("iban", "AT611904300234573201", ("AT611904300234573201",)),
    ("iban", "DE89-3704-0044-0532-0130-00", ("DE89-3704", "0532-0130")),
    ("iban", "gb82west12345698765432", ("gb82west12345698765432",)),
    ("iban", "IBAN: IE29 AIBK 9311 5212 3456 78", ("IE29 AIBK", "5212 3456")),
    ("iban", "PT50000201231234567890154", ("PT50000201231234567890154",)),
    ("iban", "SE45 5000 0000 0583 9825 7466", ("SE45 5000", "9825 7466")),
    ("iban", "NO9386011117947", ("NO9386011117947",)),
    # national IDs and tax numbers python-stdnum validates, labelled and bare
    ("national_id", "DNI 54362315-K", ("54362315",)),
    ("national_id", "NIE Y-1234567-X", ("1234567",)),
    ("national_id", "X1234567L", ("X1234567L",)),
    ("tax", "MRTMTT91D08F205J", ("MRTMTT91D08F205J",)),
    ("tax", "cf: mrtmtt91d08f205j", ("mrtmtt91d08f205j",)),
    ("national_id", "numéro de sécurité sociale : 2 95 10 99 126 111 93", ("99 126 111",)),
    ("national_id", "NIR 185057800608491", ("185057800608491",)),
    ("national_id", "BSN 1112.22.333", ("1112.22.333",)),
    ("national_id", "burgerservicenummer: 123456782", ("123456782",)),
    ("national_id", "CPF: 39053344705", ("39053344705",)),
    ("national_id", "390.533.447-05", ("390.533.447-05",)),
    ("national_id", "Aadhaar: 2341-2341-2346", ("2341-2341-2346",)),
    ("tax", "AAPFU0939F", ("AAPFU0939F",)),
    ("national_id", "123-456-782", ("123-456-782",)),
    ("national_id", "NAS 123 456 782", ("123 456 782",)),
    ("national_id", "National Insurance number: QQ 12 34 56 C", ("QQ 12 34 56 C", "12 34 56")),
    ("national_id", "NINO AB123456C", ("AB123456C",)),
    ("tax", "Steuer-IdNr. 86 095 742 719", ("86 095 742 719",)),
    ("tax", "Steueridentifikationsnummer 86095742719", ("86095742719",)),
    ("tax", "ITIN 912-70-1234", ("912-70-1234",)),
    ("national_id", "CURP BOXW310820HNERXN09", ("BOXW310820HNERXN09",)),
    ("national_id", "PESEL 44051401359", ("44051401359",)),
    ("passport", "Ausweisnummer: T22000129", ("T22000129",)),
    ("passport", "pasaporte n.º PAA123456", ("PAA123456",)),
    ("passport", "passaporto YA1234567", ("YA1234567",)),
    # dates of birth, in more notations and languages
    ("dob", "DOB 04/12/1985", ("04/12/1985",)),
    ("dob", "Geburtsdatum 3. März 1986", ("3. März 1986",)),
    ("dob", "geb. 17.08.1962", ("17.08.1962",)),
    ("dob", "né le 5 juin 1980", ("5 juin 1980",)),
    ("dob", "fecha de nacimiento: 5 de mayo de 1990", ("5 de mayo de 1990", "mayo de 1990")),
    ("dob", "data di nascita: 21/09/1983", ("21/09/1983",)),
    ("dob", "geboortedatum: 12-03-1985", ("12-03-1985",)),
    ("dob", "DOB: 12-Apr-1985", ("12-Apr-1985",)),
    ("dob", "D.O.B. 04.12.85", ("04.12.85",)),
    ("dob", "birth_date: 19850412", ("19850412",)),
    ("dob", '"birthDate": "1991-06-30"', ("1991-06-30",)),
    ("dob", "date of birth: 1985/04/12", ("1985/04/12",)),
    ("dob", "生年月日: 1985年4月12日", ("1985年4月12日",)),
    # street addresses in DE/FR/ES/UK/US layouts
    ("address", "350 Fifth Avenue, New York, NY 10118", ("Fifth Avenue",)),
    ("address", "4059 Mt Lee Dr.", ("Mt Lee Dr",)),
    ("address", "123 Main St Apt 4B, Springfield, IL 62704", ("Main St",)),
    ("address", "10 Downing Street, London SW1A 2AA", ("Downing Street", "SW1A 2AA")),
    ("address", "Flat 3, 27 Old Gloucester Road", ("Old Gloucester Road",)),
    ("address", "Musterstraße 12a, 10115 Berlin", ("Musterstraße 12a",)),
    ("address", "Friedrichstr. 123, 10117 Berlin", ("Friedrichstr. 123",)),
    ("address", "8 boulevard Haussmann, 75009 Paris", ("boulevard Haussmann",)),
    ("address", "3 bis avenue des Champs-Élysées", ("Champs-Élysées",)),
    ("address", "C/ Gran Vía 28, 28013 Madrid", ("Gran Vía 28",)),
    ("address", "Avenida de la Constitución 5", ("Constitución 5",)),
    ("address", "Piazza Navona 45", ("Piazza Navona 45",)),
    ("address", "Prinsengracht 263", ("Prinsengracht 263",)),
    ("address", "Manchester M1 1AE", ("M1 1AE",)),
    ("address", "PO Box 4471, Austin, TX 78701", ("Box 4471",)),
    ("address", "Postfach 10 20 30, 80331 München", ("10 20 30",)),
    # people's names with diacritics in DB rows and log lines
    (
        "name",
        '"nombre": "José Luis", "apellidos": "García Ñúñez"',
        ("José Luis", "García Ñúñez", "Ñúñez"),
    ),
    ("name", "Vorname=Jürgen; Nachname=Kanarienbräu", ("Jürgen", "Kanarienbräu")),
    ("name", '{"prénom": "Hélène", "nom": "Kanarieaux"}', ("Hélène", "Kanarieaux")),
    ("name", "given_name=Siobhán family_name=Ó Canaráin", ("Siobhán", "Canaráin")),
    ("name", "cognome: Canarìni, nome: Lucía", ("Canarìni", "Lucía")),
    ("name", "display_name: Zoë Kanarienfeld", ("Kanarienfeld",)),
    ("name", "author: Ólafur Kanarisson", ("Kanarisson",)),
    ("name", "cardholder: MARÍA KANARIA-LÓPEZ", ("KANARIA-LÓPEZ",)),
    ("name", "contact_name='Łukasz Kanarkowski'", ("Łukasz", "Kanarkowski")),
    ("name", "ФИО: Канарейкина Ольга Петровна", ("Канарейкина", "Ольга")),
    ("name", "voornaam: Sanne; achternaam: van Kanarie", ("Sanne", "van Kanarie")),
    ("name", "first_name,last_name,plan\nBjörn,Kanariensson,pro", ("Björn", "Kanariensson")),
    (
        "name",
        "| id | Vorname | Nachname |\n|---|---|---|\n| 7 | Zoë | Kanarienfeldt |",
        ("Kanarienfeldt",),
    ),
    (
        "name",
        "INSERT INTO users (first_name, last_name) VALUES ('Agnès', 'Kanarivaud')",
        ("Agnès", "Kanarivaud"),
    ),
    ("name", "Dear Mrs. Kanarienholm,", ("Kanarienholm",)),
    ("name", "Sehr geehrte Frau Kanarienwald-Öztürk", ("Kanarienwald-Öztürk",)),
    # cards with more separators and lengths, and a security code beside one
    ("card", "3782 822463 10005", ("3782 822463 10005", "822463")),
    ("card", "3056 930902 5904", ("3056 930902 5904", "930902")),
    ("card", "6759 6498 2643 8453 128", ("6759 6498 2643 8453",)),
    ("card", "6759649826438453128", ("6759649826438453128",)),
    ("card", "3530 1113 3330 0000", ("3530 1113 3330 0000",)),
    ("card", "6200 0000 0000 0005", ("6200 0000 0000 0005",)),
    ("card", "2223 0031 2200 3222", ("2223 0031 2200 3222",)),
    ("card", "4242\u20094242\u20094242\u20094242", ("4242\u20094242",)),
    ("card", "4242\u202f4242\u202f4242\u202f4242", ("4242\u202f4242",)),
    ("card", '"card_number": "4111111111111111"', ("4111111111111111",)),
    ("cvv", "Amex 378282246310005 CID 7391", ("378282246310005", "7391")),
    ("cvv", "4012888888881881 exp 03/29 CVV2: 846", ("4012888888881881", "CVV2: 846")),
    ("cvv", "cvv=417, card=4000056655665556", ("4000056655665556", "cvv=417")),
    (
        "cvv",
        "Kartennummer 4242 4242 4242 4242, Prüfnummer 913",
        ("4242 4242 4242", "Prüfnummer 913"),
    ),
    # keys of more vendors (formats as the gitleaks rules describe them)
    ("secret", _SLACK_HOOK, (_SLACK_HOOK[33:],)),
    ("secret", f"STRIPE_KEY={_RK}", (_RK[10:40],)),
    ("secret", f"export DATABRICKS_TOKEN={_DATABRICKS}", (_DATABRICKS,)),
    ("secret", f"VAULT_TOKEN={_VAULT}", (_VAULT[4:40],)),
    ("secret", "heroku_api_key = 2e4d8f0a-9b1c-4e7a-8d3f-6a5b4c3d2e1f", ("2e4d8f0a-9b1c",)),
    ("secret", _HEROKU_V2, (_HEROKU_V2[7:40],)),
    ("secret", f'"token": "{_DO}"', (_DO[7:40],)),
    ("secret", _ATLASSIAN, (_ATLASSIAN[6:60],)),
    ("secret", f"DOPPLER_TOKEN={_DOPPLER}", (_DOPPLER[6:],)),
    ("secret", f"X-Api-Key: {_POSTMAN}", (_POSTMAN[5:29],)),
    ("secret", f"password = {_PYPI}", (_PYPI[20:60],)),
    ("secret", f"npm config set //registry.npmjs.org/:_authToken={_HF}", (_HF[3:],)),
    ("secret", _GLSA, (_GLSA[5:37],)),
    ("secret", f"LINEAR_API_KEY={_LINEAR}", (_LINEAR[8:],)),
    ("secret", _PULUMI, (_PULUMI[4:],)),
    ("secret", _SIB, (_SIB[8:40],)),
    ("secret", _PPLX, (_PPLX[5:],)),
    (
        "secret",
        "DefaultEndpointsProtocol=https;AccountName=canarystore;AccountKey="
        + _AZURE_KEY
        + ";EndpointSuffix=core.windows.net",
        (_AZURE_KEY[:40],),
    ),
    ("secret", _GCP_SA, ("canaryGCP", _GCP_KEY_LINES[:40])),
    ("secret", _JWT_RS, (_JWT_RS.split(".")[1][:30], _JWT_RS.split(".")[2][:30])),
    (
        "secret",
        "AKIAZ7CANARYKEYQ2X4M aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY",
        ("wJalrXUtnFEMI/K7MDENG",),
    ),
    # e-mails in more disguises
    (
        "email",
        "https://app.example.com/reset?email=canary.query%40canary-corp.example&step=2",
        ("canary.query",),
    ),
    ("email", "mailto:canary.mailto@canary-corp.example?subject=Export", ("canary.mailto",)),
    ("email", "mailto:canary.mt%40canary-corp.example", ("canary.mt",)),
    ("email", '{"email":"canary.jsonesc\\u0040canary-corp\\u002eexample"}', ("canary.jsonesc",)),
    (
        "email",
        'From: "Kanarienvogel, Rosa" <canary.from@canary-corp.example>',
        ("canary.from", "Kanarienvogel"),
    ),
    (
        "email",
        "Reply-To: Rosalind Canarywhistle <canary.reply@canary-corp.example>",
        ("canary.reply", "Canarywhistle"),
    ),
    ("email", "canary.plus+billing@canary-corp.example", ("canary.plus",)),
    ("email", "canary.dbl%2540canary-corp.example", ("canary.dbl",)),
    ("email", "CANARY.SHOUT@MAIL.CANARY-CORP.CO.UK", ("CANARY.SHOUT",)),
    ("email", "<canary.angle@canary-corp.example>", ("canary.angle",)),
    ("email", "canary.literal@[192.0.2.17]", ("canary.literal",)),
    # session cookies and OAuth tokens
    (
        "secret",
        "ya29.a0AfH6SMCcanaryGoogleOAuth2TokenValue1234567890abcdef",
        ("canaryGoogleOAuth2",),
    ),
    (
        "secret",
        "Cookie: theme=dark; session=eyJfcGVybWFuZW50Ijp0cnVlfQ.Zq8xRw.canarySessionSig123456",
        ("canarySessionSig", "eyJfcGVybWFuZW50"),
    ),
    (
        "secret",
        "Set-Cookie: sessionid=k2j3h4g5f6d7s8a9canary1e2r3t4y5; Path=/; HttpOnly",
        ("k2j3h4g5f6d7s8a9canary",),
    ),
]


# Near-misses for the second pass's rules: order numbers, SKUs, versions, timestamps, SHAs,
# UUIDs, dates that are not birth dates, tables and cookies without personal data.
BENIGN += [
    "order #2026-0042-7781",
    "order 112-4455667-8899001",
    "AWB 176-12345675",
    "RMA-2026-11-0042",
    "SKU ABC-12345-XL",
    "EAN 4006381333931",
    "ISBN 978-3-16-148410-0",
    "part no. 0805-1234-01",
    "tracking 1Z999AA10123456784",
    "item 8712345678906",
    "batch 20261124-0815",
    "lot L2026-47",
    "v3.12.0-beta.2+build.20261124",
    "release 2026.11.24.1",
    "kernel 6.8.0-49-generic",
    "OID 1.3.6.1.4.1.311.21.7",
    "build 04.12.85",
    "schema v01.02.03",
    "2026-11-24T09:13:02+01:00",
    "20261124T091302Z",
    "1732439582.415",
    "24.11.2026 09:13",
    "13:45:07,123",
    "2026/11/24",
    "created_at: 1990-05-03",
    "expires 2027-12-31",
    "valid from 01/04/2026",
    "since 2019-03-01",
    "Q3 2025 to Q1 2026",
    "week 2026-W48",
    "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
    "merge 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "fixup abc1234",
    "550e8400-e29b-41d4-a716-446655440000",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
    "span 00f067aa0ba902b7",
    "etag 33a64df551425fcc55e4d42a148795d9f25f89d4",
    "error 0x80070005",
    "see the Confluence page: Runbook v2.",
    "jira: PROJ-1234.",
    "Heroku dyno web.1 restarted.",
    "Map<String, Integer>",
    "List<Order> orders",
    "contact: support@",
    "itinerary 20261124 confirmed",
    "price 1.299,00 EUR",
    "cost 12 345,67 €",
    "shipped 3 of 12 parcels",
    "rack EU-DE-FRA-04",
    "user_id,plan,seats\n1042,pro,12",
    "| metric | value |\n|---|---|\n| p99 | 2300ms |",
    "Cookie: theme=dark; lang=en-GB",
    "Set-Cookie: Path=/; Max-Age=3600",
]

# --- the audit pass: shapes a red-team rerun tried that the corpus did not hold (issue 14) ---------
_SLACK_WORKFLOW = (
    "https://hooks.slack.com/workflows/T04ABCDEF12/A05GHIJKL34/412345678901234567/"
    + _alnum("slack-workflow", 24)
)
_SLACK_TRIGGER = "https://hooks.slack.com/triggers/T04ABCDEF12/7012345678901/" + _hex("trig", 32)
_DISCORD_HOOK = "https://discord.com/api/webhooks/1234567890123456789/" + _alnum("discord", 68)
_CLOJARS_LONG = "CLOJARS_" + _alnum("clojars", 60).lower() + "tail0canary"

CANARIES += [
    # webhook URLs: the whole token, never a cut-off tail
    ("secret", _SLACK_WORKFLOW, (_SLACK_WORKFLOW[-8:],)),
    ("secret", _SLACK_TRIGGER, (_SLACK_TRIGGER[-8:],)),
    ("secret", _DISCORD_HOOK, (_DISCORD_HOOK[-20:],)),
    ("secret", _CLOJARS_LONG, ("tail0canary",)),
    # passwords behind a label in other languages
    ("secret", "Passwort: Sommer2024!", ("Sommer2024",)),
    ("secret", "Kennwort=Winter#2025", ("Winter#2025",)),
    ("secret", "mot de passe : Soleil#2024", ("Soleil#2024",)),
    ("secret", '"contraseña": "Sol#2024xyz"', ("Sol#2024xyz",)),
    ("secret", "senha=Praia!2024", ("Praia!2024",)),
    ("secret", "wachtwoord: Fiets2024!", ("Fiets2024",)),
    ("secret", "hasło: Zamek#2024", ("Zamek#2024",)),
    ("secret", "lösenord=Skog2024!", ("Skog2024",)),
    ("secret", "пароль: Zima2024!", ("Zima2024",)),
    ("secret", "パスワード: Sakura2024!", ("Sakura2024",)),
    # national IDs of more countries (python-stdnum checksums), labelled and bare
    ("national_id", "henkilötunnus 131052-308T", ("131052-308T",)),
    ("national_id", "131052-308T", ("131052-308T",)),
    ("national_id", "CPR-nr. 211062-5629", ("211062-5629",)),
    ("national_id", "rijksregisternummer 85.07.30-033.28", ("85.07.30-033.28",)),
    ("national_id", "85.07.30-033.28", ("85.07.30-033.28",)),
    ("national_id", "n° sécu 269054958815780", ("269054958815780",)),
    ("national_id", "numéro INSEE: 184127645108946", ("184127645108946",)),
]

BENIGN += [
    "Passwort vergessen",
    "mot de passe oublié",
    "contraseña incorrecta",
    "Kennwort: ********",
    "build 131052-308",
    "version 85.07.30",
    "hooks.slack.com/workflows returned 404",
    "https://discord.com/api/webhooks is rate limited",
]

# --- the third pass: detect-secrets' plugin families (benchmarks/secret_detectors.py) and the
# shapes a rerun of the audit still found (issue 14) -----------------------------------------------
_AZURE_BARE = [
    base64.b64encode(hashlib.sha512(f"azure-bare-{i}".encode()).digest()).decode() for i in range(4)
]
_B64_QUOTED = _alnum("b64-quoted", 20) + "/" + _alnum("b64-quoted-2", 14) + "+" + _alnum("q3", 8)
_DISCORD_BOT = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ." + _alnum("discord-bot", 27)
_DISCORD_BOT2 = "NzkyNzE1NDU0MTk2MDg4ODQy.X-hvzA." + _alnum("discord-bot-2", 38)
_PUTTY_BODY = "\n".join(
    base64.b64encode(hashlib.sha256(f"putty{i}".encode()).digest()).decode() for i in range(3)
)
_SSH2_KEY = (
    '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "canary"\n'
    + _PUTTY_BODY
    + "\n---- END SSH2 ENCRYPTED PRIVATE KEY ----"
)
_PUTTY_KEY = (
    "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: canary\nPublic-Lines: 1\n"
    "AAAAB3NzaC1yc2EAAAABJQ\nPrivate-Lines: 3\n" + _PUTTY_BODY + "\nPrivate-MAC: " + _hex("mac", 40)
)

CANARIES += [
    # detect-secrets' plugin families that neither gitleaks nor our rules took
    ("secret", f'aws_pass = "{_alnum("aws-pass", 40)}"', (_alnum("aws-pass", 40),)),
    ("secret", "ACCAK9FALGYKHIPPHGNQ", ("ACCAK9FALGYKHIPPHGNQ",)),
    ("secret", "A3TXK7PQLMZR2WY6BNCD", ("A3TXK7PQLMZR2WY6BNCD",)),
    ("secret", _DISCORD_BOT, (_DISCORD_BOT[25:],)),
    ("secret", f"bot token {_DISCORD_BOT2}", (_DISCORD_BOT2[25:],)),
    ("secret", 'db_password = "letmeinplease"', ("letmeinplease",)),
    ("secret", "PASSWORD ?= 'correcthorsebattery'", ("correcthorsebattery",)),
    ("secret", f'private_key: "{_alnum("pk", 16)}"', (_alnum("pk", 16),)),
    ("secret", 'secret = "s3cr3tValue"', ("s3cr3tValue",)),
    ("secret", f'$api_key = "{_alnum("php", 18)}";', (_alnum("php", 18),)),
    ("secret", '"client_secret": "x7Kp2mQ9vL"', ("x7Kp2mQ9vL",)),
    ("secret", 'pwd := "Gopher2024x"', ("Gopher2024x",)),
    ("secret", 'if (password == "Tr0ub4dor&3") {', ("Tr0ub4dor&3",)),
    ("secret", 'const dbPass = "Secr3t!2024";', ("Secr3t!2024",)),
    ("secret", _hex("mailchimp", 32) + "-us12", (_hex("mailchimp", 32),)),
    ("secret", "mc key " + _hex("mailchimp2", 32) + "-us6", (_hex("mailchimp2", 32),)),
    ("secret", _SSH2_KEY, (_PUTTY_BODY[:30], _PUTTY_BODY[-30:])),
    ("secret", _PUTTY_KEY, (_PUTTY_BODY[:30], _PUTTY_BODY[-30:])),
    (
        "secret",
        "https://api.softlayer.com/soap/v3/" + _hex("softlayer", 64),
        (_hex("softlayer", 64)[:40],),
    ),
    ("secret", "sq0csp-" + _alnum("square", 43), (_alnum("square", 43),)),
    ("secret", f'config["signing"] = "{_B64_QUOTED}"', (_B64_QUOTED,)),
    # a bare base64 key (an Azure storage key: 88 characters ending `==`) in prose, no label
    ("secret", f"The storage account key is {_AZURE_BARE[0]}", (_AZURE_BARE[0][:40],)),
    ("secret", f"{_AZURE_BARE[1]} — das ist der Schlüssel aus dem Portal", (_AZURE_BARE[1][:40],)),
    ("secret", f"voici la clé : {_AZURE_BARE[2]}", (_AZURE_BARE[2][20:60],)),
    ("secret", f"copiada del portal ({_AZURE_BARE[3]}) ayer", (_AZURE_BARE[3][40:80],)),
    # bank account numbers other than IBANs, behind a label (EN/DE/FR/ES)
    ("bank", "sort code 20-00-00 account 55779911", ("20-00-00", "55779911")),
    ("bank", "Sort code: 40-47-84, account number: 70872490", ("40-47-84", "70872490")),
    ("bank", "sort code and account: 30-96-26 10457738", ("30-96-26", "10457738")),
    ("bank", "Sortcode 60-16-13, Kontonummer 31926819", ("60-16-13", "31926819")),
    ("bank", "BLZ 370 400 44, Kontonummer 0532013000", ("370 400 44", "0532013000")),
    ("bank", "Bankleitzahl: 37040044 Konto-Nr. 532013001", ("37040044", "532013001")),
    ("bank", "routing 021000021 account 123456789", ("021000021", "123456789")),
    ("bank", "ABA routing number: 121000358, acct no. 9876543210", ("121000358", "9876543210")),
    ("bank", "Routing-Nummer 011401533, Kontonummer 4455667788", ("011401533", "4455667788")),
    (
        "bank",
        "numéro de routage 021000021 numéro de compte 55667788",
        ("021000021", "55667788"),
    ),
    (
        "bank",
        "code banque 30006, code guichet 00001, numéro de compte 12345678901, clé RIB 89",
        ("12345678901",),
    ),
    ("bank", "número de ruta 121000358, número de cuenta 000123456789", ("000123456789",)),
    ("bank", "cuenta bancaria: 2100 0418 45 0200051332", ("0200051332",)),
    ("bank", "2100-0418-45-0200051332", ("0200051332",)),
    ("bank", "n° de compte : 00012345678", ("00012345678",)),
    ("bank", "Kontonummer: 1234567890", ("1234567890",)),
    ("bank", "bank account number 31926818", ("31926818",)),
    # e-mails written `(a)`, `arobase`/`arroba`, `punkt`/`point`/`punto`, or with spaces
    ("email", "canary.aparen(a)canary-corp.example", ("canary.aparen",)),
    ("email", "canary.abrk[a]canary-corp.de", ("canary.abrk",)),
    ("email", "jean.canari arobase canari-corp point fr", ("jean.canari",)),
    ("email", "jeanne.canari arobase canari-corp.fr", ("jeanne.canari",)),
    ("email", "juan.canario arroba canario-corp punto es", ("juan.canario",)),
    ("email", "max.kanarie at kanarien-corp punkt de", ("max.kanarie",)),
    ("email", "canary.spaced @ canary-corp . example", ("canary.spaced",)),
    ("email", "canary.spaced2 @ mail . canary-corp . co . uk", ("canary.spaced2",)),
    ("email", "canary.spaced3 @canary-corp . com", ("canary.spaced3",)),
    # a password in a sentence
    ("secret", "my password is Hunter2!x", ("Hunter2!x",)),
    ("secret", "the new password was set to Kx9#mPq2 yesterday", ("Kx9#mPq2",)),
    ("secret", 'password is now "Tr0ub4dor&3x"', ("Tr0ub4dor&3x",)),
    ("secret", "mein Passwort ist Sommer!2025", ("Sommer!2025",)),
    ("secret", "das Kennwort lautet Blume7#Tal", ("Blume7#Tal",)),
    ("secret", "mon mot de passe est Soleil#2025", ("Soleil#2025",)),
    ("secret", "le mot de passe est maintenant Plage!77", ("Plage!77",)),
    ("secret", "mi contraseña es Playa#2025", ("Playa#2025",)),
    ("secret", "la contraseña era Luna-2024x", ("Luna-2024x",)),
    ("secret", "a senha é Praia#2025", ("Praia#2025",)),
    # cards grouped 4-2-4-4-2 or with slashes (Luhn-valid)
    ("card", "4242 42 4242 4242 42", ("4242 42 4242 4242 42", "4242 4242 42")),
    ("card", "5555 55 5555 5544 44", ("5555 55 5555 5544 44", "5555 5544")),
    ("card", "4000.05.6655.6655.56", ("4000.05.6655", "6655.6655.56")),
    ("card", "4242/4242/4242/4242", ("4242/4242/4242/4242", "4242/4242")),
    ("card", "5105/1051/0510/5100", ("5105/1051", "0510/5100")),
    ("card", "3782/822463/10005", ("822463/10005",)),
    ("card", "Kartennummer 4111/1111/1111/1111", ("4111/1111", "1111/1111")),
]

BENIGN += [
    "my password is incorrect",
    "mein Passwort ist abgelaufen",
    "mon mot de passe est expiré",
    "mi contraseña es incorrecta",
    "the password is too short",
    'password = "" (empty)',
    '{"errors": {"password": "required"}}',
    "routing table updated",
    "sort code column is empty",
    "account 1007",
    "Konto gesperrt seit 2026-11-20",
    "compte bloqué",
    "la cuenta está suspendida",
    "ping @ support . thanks",
    "failed at step . retry",
    "logged in at app.example.com",
    "ratio 4242/4242",
    "path 2026/11/24/0815",
    "card 4242/4242/4242/4241",
    "card ending 4242",
    "see /api/v2/exports/8812/download?format=csv",
    '"cache_key": "dashboard-42"',
    '"token_type": "Bearer"',
    'secret_name = "prod-db-2"',
]

# KNOWN GAPS: shapes that still reach the model (left out of the corpus above, on purpose).
# - people's names in free prose or log text with no label, title or field (`session started
#   for Ingrid Kanarienholm`) unless they are the requester's: use `redaction.sensitive`;
# - national phone numbers of a country other than `redaction.phone_region`, without `+`/`00`
#   or a label (`912 345 678` read in the US region); `(0)20 7946 0321` without a country code;
# - German streets without a street word (`Unter den Linden 77`); Japanese addresses
#   (`〒100-0001 東京都千代田区千代田1-1`);
# - national IDs written as bare digits without a label or formatting (`111222333`, a BSN);
# - a year of birth alone (`born in 1985`);
# - a surname after `Dr`, `Miss` or `M.` (left out: `Lee Dr.`, `Cache Miss`, an initial);
# - a name with a doubled quote in an SQL literal (`'O''Brien'` is learned as `O'Brien`).

"""Canaries (personal data and secrets that must never reach a hosted LLM) and benign strings
(that the analyst needs and that must stay readable), for the privacy corpus tests.

Each canary is `(class, text as written, needles)`: the needles are what must not appear in
anything the model receives (the text itself, and for disguised forms what it decodes to)."""

from __future__ import annotations

import base64

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

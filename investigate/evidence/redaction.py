"""Reversible redaction: the single chokepoint between our data and a hosted LLM.

Everything sent to a hosted model (ticket text, evidence, error messages) passes through one
`Redactor`. Each finding is replaced by a numbered placeholder; the same value always gets the
same placeholder on one instance, so the ticket and every evidence item refer to one customer
consistently. `restore` puts the original values back into the model's answer, locally.

| Kind        | Placeholder     | What is found                                                    |
|-------------|-----------------|------------------------------------------------------------------|
| `SECRET`    | `<SECRET_n>`    | private-key PEM blocks; URL passwords (`scheme://user:pw@host`); |
|             |                 | secret-named query values (`?token=…`, `&api_key=…`); JWTs;      |
|             |                 | Stripe `sk_/rk_live|test_…`, `whsec_…`; GitHub `ghp_ gho_ ghu_`  |
|             |                 | `ghs_ ghr_ github_pat_…`; Slack `xox[abprs]-…` and webhook       |
|             |                 | paths; AWS `AKIA…`/`ASIA…` and labelled 40-char secret keys;     |
|             |                 | Google `AIza…`; Anthropic/OpenAI `sk-…`; `Authorization:` and    |
|             |                 | `Bearer` credentials; `password: …` values; labelled high-entropy|
|             |                 | tokens (see below)                                               |
| `EMAIL`     | `<EMAIL_n>`     | e-mail addresses (also `%40`-encoded); identity ignores case     |
| `SENSITIVE` | `<SENSITIVE_n>` | the configured literal strings, case-insensitive, whole words,   |
|             |                 | longest first; identity ignores case                             |
| `CARD`      | `<CARD_n>`      | 13-19 digits (bare, or grouped with one kind of space, dash, dot |
|             |                 | or slash) starting 2-6 and passing the Luhn check                |
| `IP`        | `<IP_n>`        | IPv4 with valid octets; IPv6 (full, `::`-compressed, v4-mapped)  |
| `PHONE`     | `<PHONE_n>`     | `+` international (8-15 digits), North American `415-555-0132` / |
|             |                 | `(415) 555 0132`, national `020 7946 0958` / `01 23 45 67 89`    |
|             |                 | (a leading 0, 9-12 digits in groups), and numbers labelled       |
|             |                 | `phone:`/`tel:`/`mobile:`                                        |

Built on libraries (see `investigate.evidence.detect`): vendor keys from the gitleaks rule list and key
blocks cut short (`SECRET`); IBANs, SSNs and national IDs and tax numbers with their checksums,
and IDs behind a label (`ID`); phone numbers in every region (`PHONE`, libphonenumber); dates of
birth behind a label (`DOB`); street addresses and UK postcodes (`ADDRESS`); the requester's and
organisation's names and the values of personal-data fields, also the columns of a table under
its header and of an SQL `INSERT` (`NAME`, and the field's kind); the display name beside an
address and a surname after a title (`NAME`); session cookies (`SECRET`); e-mails in disguise
(`[at]`/`[dot]`, `(a)`, `arobase`, `name @ host . tld`); a CVV beside a card; bank accounts
behind a label (`ID`); passwords in a sentence, quoted secrets in code and unlabelled base64
keys (`SECRET`); and every configured secret the masker knows. Tokens are also decoded (percent, HTML entities, `\\u` escapes, NFKC, base64)
and taken whole when what they decode to holds a finding.

A *labelled high-entropy token* is 24+ characters of `[A-Za-z0-9+/=_-]` that mixes letters and
digits, has a Shannon entropy of at least 4.0 bits per character, and follows a key whose name
has a component `key`, `token`, `secret`, `password`, `passwd`, `credential`, `auth`,
`signature`, `api_key`… (`"api_key": "…"`, `client_secret=…`, `X-Api-Key: …`). UUIDs, plain
hex (git SHAs, digests) and our own prefixed IDs (`req_`, `cus_`, `acc_`…) are never taken.

Precedence: detectors run in the order above (secrets, then e-mails, then configured strings,
then cards, IPs and phones); a region taken by one detector is hidden from the later ones, so
an e-mail or a URL is never half-eaten by the phone or IP patterns. Numbering is per kind, in
order of first appearance. A placeholder-shaped token already present in the input is left as
it is (its number is never issued), or, if that placeholder has already been issued, is itself
replaced by a fresh placeholder, so `restore(redact(text)) == text` always holds, except that
case variants of one e-mail or configured string come back in the first-seen spelling.

Every pattern is bounded and anchored on the start of a run of its own characters, so a
hostile input costs linear time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from investigate.evidence import detect
from investigate.evidence.detect import entropy
from investigate.evidence.entities import UUID
from investigate.models import Ticket
from investigate.secrets import MASKER

KINDS = ("EMAIL", "PHONE", "CARD", "IP", "SECRET", "SENSITIVE", "NAME", "ADDRESS", "ID", "DOB")
PLACEHOLDER = re.compile(
    r"<(EMAIL|PHONE|CARD|IP|SECRET|SENSITIVE|NAME|ADDRESS|ID|DOB)_([0-9]{1,9})>"
)
"""Exactly the tokens `restore` replaces (and `redact` never lets through ambiguously)."""

_LITERAL = ""  # the kind of a placeholder-shaped token found in the input
_HIDE = "\x00"  # what a claimed region looks like to the detectors that run after it
_CASELESS = frozenset({"EMAIL", "SENSITIVE", "NAME", "ADDRESS"})

Span = tuple[int, int]
Finder = Callable[[str], Iterator[Span]]


# --- checks ------------------------------------------------------------------------------------

_SECRET_WORDS = frozenset(
    {
        *("key", "keys", "apikey", "accesskey", "secretkey", "privatekey", "signingkey"),
        *("token", "tokens", "accesstoken", "authtoken", "refreshtoken", "idtoken"),
        *("secret", "secrets", "clientsecret", "password", "passwords", "passwd", "pwd"),
        *("passphrase", "credential", "credentials", "creds", "auth", "authorization"),
        *("pass", "pw"),
        *("signature", "sig"),
    }
)
_COMPONENT = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]+")
_ID_PREFIX = re.compile(
    r"(?:req|request|trace|corr|acc|acct|org|usr|user|cus|in|ii|il|ch|py|pi|pm|po|sub|si|"
    r"job|evt|txn|prod|price|inv|ord|seti|src|tok|ba|re|tr|rpt|q|dsh)_",
    re.I,
)
_NOT_PASSWORDS = frozenset({"true", "false", "null", "none", "nil", "redacted", "hidden"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _components(label: str) -> list[str]:
    """`X-Api-Key` → `["api", "key"]`; `aws_secret_access_key` → `["aws", "secret", …]`."""
    return [c.lower() for c in _COMPONENT.findall(label)]


def _secret_label(label: str) -> bool:
    return any(c in _SECRET_WORDS for c in _components(label))


def _key_label(label: str) -> bool:
    """A label naming a key itself (not a signature or digest of something)."""
    return any(c in _KEY_WORDS for c in _components(label))


_KEY_WORDS = frozenset({"key", "apikey", "secret", "token", "password", "clientsecret"})


def _high_entropy(value: str, *, hex_ok: bool = False) -> bool:
    if hex_ok and UUID.fullmatch(value):
        return True  # `api_key: 3f2b1c4e-…`: a UUID-shaped key (a request ID has no key label)
    if hex_ok and 32 <= len(value) <= 64 and _HEX.fullmatch(value):
        # a 32+ hex API key under a secret label (`api_key: 3f…`); not all one case of digits
        return (
            any(c.isdigit() for c in value)
            and any(c.isalpha() for c in value)
            and entropy(value) >= 3.0
        )
    return (
        len(value) >= 24
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not UUID.fullmatch(value)
        and not _HEX.fullmatch(value)
        and not _ID_PREFIX.match(value)
        and entropy(value) >= 4.0
    )


def _password_like(value: str) -> bool:
    """Anything but a plain lowercase word (`incorrect`, `reset`), a boolean or a mask."""
    if value.lower() in _NOT_PASSWORDS or not value.strip("*•xX."):
        return False
    return any(not c.isalpha() for c in value) or any(c.isupper() for c in value[1:])


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_number(digits: str) -> bool:
    # Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay all start 2-6. Leaving 0, 1 and 7-9
    # out keeps millisecond timestamps, snowflake IDs and parcel numbers readable.
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn(digits)


def _ipv6(value: str) -> bool:
    if not any(c.isdigit() for c in value):
        return False  # `a::b`, `dead::beef`: code, not addresses
    if "::" not in value and all(len(g) == 2 for g in value.split(":")):
        return False  # `C4:19:0B:6E:A2:F3:71:9D`: a fingerprint the analyst needs
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


# --- detectors ---------------------------------------------------------------------------------

MatchCheck = Callable[[re.Match[str]], bool]


def _rx(
    pattern: str, flags: int = 0, group: str | int = 0, check: MatchCheck | None = None
) -> Finder:
    compiled = re.compile(pattern, flags)

    def find(text: str) -> Iterator[Span]:
        for m in compiled.finditer(text):
            start, end = m.span(group)
            if start < end and (check is None or check(m)):
                yield start, end

    return find


def _v(check: Callable[[str], bool]) -> MatchCheck:
    return lambda m: check(m.group("v"))


# A key name: a whole run of name characters (so a long word is tried once, not at every letter).
_LABEL = r"(?<![A-Za-z0-9_.-])(?P<label>[A-Za-z0-9_.-]{1,64})(?![A-Za-z0-9_.-])"
_ASSIGN = r"[\"'`]?[ \t]{0,3}(?:[:=]|=>)[ \t]{0,3}[\"'`]?"

_URL_PASSWORD = _rx(
    r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}://[^/\s:@\x00]{0,256}:(?P<v>[^@\s/\x00]{1,256})@",
    group="v",
)
_QUERY_SECRET = _rx(
    r"[?&;](?P<label>[A-Za-z0-9_.\[\]-]{1,64})=(?P<v>[^?&;#\s\"'<>\x00]{4,4096})",
    group="v",
    check=lambda m: _secret_label(m.group("label")) and m.group("v").lower() not in _NOT_PASSWORDS,
)
_JWT = _rx(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,4096}"
)
_KNOWN_KEYS = _rx(
    r"(?<![A-Za-z0-9_-])(?:"
    r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,512}"  # Stripe secret and restricted keys
    r"|whsec_[A-Za-z0-9+/=]{8,512}"  # Stripe webhook signing secrets
    r"|gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255}"  # GitHub
    r"|xox[abprs]-[A-Za-z0-9-]{10,255}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Za-z])"  # AWS access key IDs
    r")"
)
_SK_DASH = _rx(  # Anthropic (sk-ant-…) and OpenAI (sk-proj-…, sk-…); a bare sk- needs a digit
    r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,512}",
    check=lambda m: (
        m[0].startswith(("sk-proj-", "sk-ant-", "sk-svcacct-", "sk-admin-"))
        or any(c.isdigit() for c in m[0])
    ),
)
_SLACK_WEBHOOK = _rx(
    r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v>[A-Za-z0-9_/-]{8,256})", group="v"
)
_AWS_SECRET = _rx(
    r"(?i)aws_?secret(?:_?access)?_?key" + _ASSIGN + r"(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    group="v",
)
_AUTHORIZATION = _rx(
    r"(?i)(?<![A-Za-z0-9_-])(?:proxy-)?authorization" + _ASSIGN + r"(?:(?P<scheme>basic|digest|"
    r"token|bearer|negotiate|ntlm|apikey)[ \t]{1,3})?"
    r"(?P<v>[A-Za-z0-9._~+/=-]{5,4095}[A-Za-z0-9_~+/=-])",
    group="v",
    check=lambda m: bool(m.group("scheme")) or not m.group("v").isalpha(),  # not `failed`
)
_BEARER = _rx(
    r"(?i)(?<![A-Za-z0-9_-])bearer[ \t]{1,3}(?P<v>[A-Za-z0-9._~+/=-]{7,4095}[A-Za-z0-9_~+/=-])",
    group="v",
    check=_v(lambda v: any(c.isdigit() for c in v)),
)
# The key word is part of the pattern (not checked afterwards) and a rejected value has no `:`
# or `=`, so no stretch of text is scanned as a value more than once.
_PASSWORD = _rx(
    r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,48}(?i:pass(?:word|wd|phrase|code)|pwd|"
    r"passwort|kennwort|mot[ ]de[ ]passe|contrase[ñn]a|senha|wachtwoord|has[łl]o|l[öo]senord|"
    r"passord|adgangskode|salasana|jelsz[óo]|heslo|пароль|パスワード|密码|密碼|비밀번호)"
    r"(?![A-Za-z0-9_.-])" + _ASSIGN + r"(?P<v>[^\s\"'`,;&{}<>()\[\]\x00]{4,1024})",
    group="v",
    check=_v(_password_like),
)
# Values cannot contain a separator, so each value ends before the next label begins.
_LABELLED = _rx(
    _LABEL + r"[ \t\"'`:=|>]{1,8}(?P<v>[A-Za-z0-9+/_-]{24,4096}={0,2})(?![A-Za-z0-9+/=_-])",
    group="v",
    check=lambda m: (
        _secret_label(m.group("label"))
        and _high_entropy(m.group("v"), hex_ok=_key_label(m.group("label")))
    ),
)

_EMAIL = _rx(  # also internationalised (`jürgen@bücher.de`), quoted (`"j doe"@x.com`), `＠`
    r"(?:(?<![\w.%+-])[\w.%+-]{1,64}|\"[^\"\s@]{1,64}(?: [^\"\s@]{1,64}){0,4}\")"
    r"[ ]?(?:@|%40|＠|﹫)[ ]?(?:(?:[\w-]{1,63}\.){1,8}(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{2,59})(?![\w-])"
    r"|\[(?:IPv6:)?[0-9A-Fa-f:.]{2,45}\])"  # an address literal: `jane@[192.0.2.1]`
)

_CARD = re.compile(
    r"(?<![0-9A-Za-z_+-])(?:[0-9]{13,19}"
    r"|[0-9]{4}(?:[ .\u00a0\u202f\u2009-][0-9]{4}){2}[ .\u00a0\u202f\u2009-][0-9]{1,4}"
    r"(?:[ .\u00a0\u202f\u2009-][0-9]{1,3})?"
    r"|[0-9]{4}[ .\u00a0\u202f\u2009-][0-9]{6}[ .\u00a0\u202f\u2009-][0-9]{4,5}"
    # any grouping with one separator throughout, slashes too (`4242 42 4242 4242 42`, `4242/4242/…`)
    r"|[0-9]{4}(?P<sep>[ ./\u00a0\u202f\u2009-])[0-9]{2,6}(?:(?P=sep)[0-9]{2,6}){1,4})"
    r"(?![0-9A-Za-z_])"
)
_DIGITS = re.compile(r"[0-9]+")


def _cards(text: str) -> Iterator[Span]:
    """A candidate's longest valid prefix of whole digit groups (`4242 4242 4242 4242 123`
    may be a card followed by its security code)."""
    for m in _CARD.finditer(text):
        groups = list(_DIGITS.finditer(m.group()))
        for j in range(len(groups), 0, -1):
            if _card_number("".join(g.group() for g in groups[:j])):
                end = m.start() + groups[j - 1].end()
                yield m.start(), end
                if (cvv := detect.cvv_after(text, end)) is not None:
                    yield cvv  # the security code written beside it
                break


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = _rx(  # not after `Chrome/`: user agents carry four-part versions like `131.0.0.0`
    rf"(?<![\w.])(?<![A-Za-z]/)(?:{_OCTET}\.){{3}}{_OCTET}(?![\w]|\.[0-9])"
)
_IPV6 = _rx(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{1,4})?"
    r"(?![\w:]|\.[0-9])",
    check=lambda m: _ipv6(m[0]),
)


def _digit_count(low: int, high: int) -> Callable[[str], bool]:
    return lambda v: low <= sum(c.isdigit() for c in v) <= high


_PHONE_INTL = _rx(
    r"(?<![\w+])\+(?:[0-9]{7,15}|[0-9]{1,3}(?:[ .-]?\([0-9]{1,4}\)[ .-]?[0-9]{1,5})?"
    r"(?:[ .-][0-9]{1,5}){1,6})(?![\w]|[.-][0-9])",
    check=lambda m: _digit_count(8, 15)(m[0]),
)
_PHONE_NANP = _rx(
    r"(?<![\w+.-])(?:1[ .-])?(?:\([0-9]{3}\)[ .-]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}"
    r"(?![\w]|[.-][0-9])"
)
_PHONE_NATIONAL = _rx(  # unlabelled national formats: 020 7946 0958, 07700 900123, 01 23 45 67 89
    r"(?<![\w+.:/-])0[1-9][0-9]{0,4}(?:[ -][0-9]{2,8}){1,4}(?![\w]|[.:/-][0-9])"
    r"|(?<![\w+.:/-])0[1-9](?:\.[0-9]{2}){4}(?![\w]|[.:/-][0-9])",  # French: 06.12.34.56.78
    check=lambda m: _digit_count(9, 12)(m[0]),
)
_PHONE_LABELLED = _rx(
    r"(?i)(?<![A-Za-z])(?:telephone|phone|mobile|cell|fax|tel|sms|whatsapp|mobil|handy|telefon"
    r"|téléphone|portable|móvil|teléfono|cellulare|telefono)"
    r"(?:[ _-]?(?:number|num|no|nr|\#))?\.?[\"']?[ \t]{0,3}[:=\#][ \t]{0,3}[\"']?"
    r"(?P<v>\+?\(?[0-9](?:[ ./()-]{0,2}[0-9]){6,14})(?![0-9])",
    group="v",
    check=_v(lambda v: _digit_count(7, 15)(v) and not _DATE.search(v)),
)


@dataclass(frozen=True)
class _Rule:
    kind: str
    find: Finder


_RULES = (
    _Rule("SECRET", detect.key_blocks),  # before anything can take a piece of a key
    _Rule("SECRET", _URL_PASSWORD),
    _Rule("SECRET", _QUERY_SECRET),
    _Rule("SECRET", _JWT),
    _Rule("SECRET", _KNOWN_KEYS),
    _Rule("SECRET", _SK_DASH),
    _Rule("SECRET", detect.our_keys),
    _Rule("SECRET", _SLACK_WEBHOOK),  # the whole path, before gitleaks' rule of at most 56
    _Rule("SECRET", detect.gitleaks),
    _Rule("SECRET", _AWS_SECRET),
    _Rule("SECRET", _AUTHORIZATION),
    _Rule("SECRET", detect.cookies),
    _Rule("SECRET", _BEARER),
    _Rule("SECRET", _PASSWORD),
    _Rule("SECRET", detect.quoted_assignments),
    _Rule("SECRET", detect.prose_passwords),
    _Rule("SECRET", _LABELLED),
    _Rule("SECRET", detect.opaque_keys),
    _Rule("NAME", detect.display_names),  # before the address beside it is taken
    _Rule("EMAIL", _EMAIL),
    _Rule("EMAIL", detect.obfuscated_emails),
    _Rule("EMAIL", detect.spelled_emails),
    _Rule("NAME", detect.honorific_names),  # before a field's value can take `Dear Mrs`
)
_LATE_RULES = (  # after the configured strings and learned values
    _Rule("ID", detect.ibans),
    _Rule("ID", detect.bank_accounts),
    _Rule("DOB", detect.births),
    _Rule("ID", detect.labelled_ids),
    _Rule("ID", detect.national_ids),
    _Rule("CARD", detect.cvvs),
    _Rule("CARD", _cards),
    _Rule("IP", _IPV6),
    _Rule("IP", _IPV4),
)
_LAST_RULES = (  # our own phone shapes, where libphonenumber is stricter, then addresses
    _Rule("PHONE", _PHONE_INTL),
    _Rule("PHONE", _PHONE_NANP),
    _Rule("PHONE", _PHONE_NATIONAL),
    _Rule("PHONE", _PHONE_LABELLED),
    _Rule("ADDRESS", detect.addresses),
)

_FIELD_KINDS = {
    **dict.fromkeys(("phone", "phonenumber", "mobile", "mobilephone", "telephone", "tel"), "PHONE"),
    **dict.fromkeys(("cell", "fax"), "PHONE"),
    **dict.fromkeys(("email", "emailaddress", "mail", "contactemail", "billingemail"), "EMAIL"),
    **dict.fromkeys(("dob", "dateofbirth", "birthdate", "birthday", "geburtsdatum"), "DOB"),
    **dict.fromkeys(("card", "cardnumber", "pan", "creditcard", "cvv", "cvc"), "CARD"),
    **dict.fromkeys(
        ("address", "addressline1", "addressline2", "address1", "address2", "street"), "ADDRESS"
    ),
    **dict.fromkeys(
        ("streetaddress", "billingaddress", "shippingaddress", "homeaddress"), "ADDRESS"
    ),
    **dict.fromkeys(("city", "town", "postcode", "postalcode", "zip", "zipcode", "plz"), "ADDRESS"),
    **dict.fromkeys(("adresse", "strasse", "ort"), "ADDRESS"),
}


_LEARNED_KINDS = ("ADDRESS", "ID", "DOB", "EMAIL", "PHONE", "CARD")


def field_kind(field: str) -> str:
    """The placeholder kind for a personal-data field's value (`first_name` → `NAME`)."""
    key = detect.normalise_field(field)
    if key in _FIELD_KINDS:
        return _FIELD_KINDS[key]
    named = "name" in key or key in _NAMEISH or key in detect.NAME_FIELDS
    return "NAME" if key in detect.PII_FIELDS and named else "ID"


_NAMEISH = frozenset({"nom", "nome", "prenom", "vorname", "nombre", "apellido", "apellidos"})
_NAMEISH |= {"cognome", "cardholder", "accountholder", "surname"}


def _literals(values: Iterable[str], *, caseless: bool = True, words: bool = True) -> Finder | None:
    """Whole words, case-insensitive, longest first; `caseless=False`: as written (and in
    capitals); `words=False`: anywhere, even inside a longer token (configured secrets)."""
    unique: dict[str, str] = {}
    for value in values:
        value = value.strip()
        if value and _HIDE not in value:
            unique.setdefault(value.casefold() if caseless else value, value)
    if not unique:
        return None
    ordered = sorted(unique.values(), key=lambda v: (-len(v), v))
    alternatives = "|".join(re.escape(v) for v in ordered)
    if not words:
        return _rx(alternatives)
    return _rx(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE if caseless else 0)


def _placeholders(text: str) -> Iterator[Span]:
    for m in PLACEHOLDER.finditer(text):
        yield m.span()


# --- the redactor ------------------------------------------------------------------------------


class Redactor:
    """Replaces PII and secrets with placeholders, consistently, and puts them back.

    `sensitive`: configured strings; `fields`: extra field names whose values are personal
    (`redaction.fields`); `names`: people and organisations to redact wherever they appear
    (the requester and their organisation); `phone_region`: how national phone numbers are
    read. Every secret the process-wide masker knows (config `SecretStr`s, connector headers)
    is always redacted, even when redaction of personal data is off."""

    def __init__(
        self,
        sensitive: Iterable[str] = (),
        enabled: bool = True,
        *,
        fields: Iterable[str] = (),
        names: Iterable[str] = (),
        phone_region: str = "US",
    ) -> None:
        self.enabled = enabled
        self._sensitive = [v for v in sensitive if v]
        self._fields = tuple(fields)
        self._phones = _Rule("PHONE", detect.phones(phone_region))
        self._learned: dict[str, dict[str, str]] = {}  # kind -> casefolded value -> value
        for name in names:
            self.learn("NAME", detect.name_parts(name) if " " in name.strip() else [name])
        self._secrets: frozenset[str] = frozenset()
        self._rules: tuple[_Rule, ...] = ()
        self._inner: tuple[_Rule, ...] = ()
        self._dirty = True
        self._mapping: dict[str, str] = {}  # placeholder -> first-seen original
        self._issued: dict[tuple[str, str], str] = {}  # (kind, identity) -> placeholder
        self._last: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._reserved: set[str] = set()  # placeholder-shaped input we must never issue
        self.own_text = ""
        """Casefolded text of the ticket's own fields: what may be restored for the customer."""

    @classmethod
    def from_settings(cls, settings: Any, *, enabled: bool) -> Redactor:
        """From the config's `redaction` section (`sensitive`, `fields`, `phone_region`)."""
        return cls(
            settings.sensitive,
            enabled=enabled,
            fields=settings.fields,
            phone_region=settings.phone_region,
        )

    def learn(self, kind: str, values: Iterable[str]) -> None:
        """Redact these values (of one kind) wherever they appear from now on."""
        known = self._learned.setdefault(kind, {})
        for value in values:
            value = value.strip()
            if len(value) >= 2 and value.casefold() not in known and _HIDE not in value:
                known[value.casefold()] = value
                self._dirty = True

    def learn_from(self, texts: Iterable[str]) -> None:
        """Learn the personal-data fields of every text before any of them is redacted."""
        for text in texts:
            self.learn_fields(text)

    def learn_fields(self, text: str) -> None:
        """Values of personal-data fields (`name=…`, `"email": "…"`) in this text."""
        for field, value in chain(
            detect.field_values(text, self._fields), detect.table_values(text, self._fields)
        ):
            kind = field_kind(field)
            self.learn(kind, detect.name_parts(value) if kind == "NAME" else [value])
        # a bank account behind its label is redacted wherever else it appears (an account ID
        # the entity extractor took from `account number: …`, a bare digit string)
        self.learn("ID", (text[s:e] for s, e in detect.bank_accounts(text)))

    def _build(self) -> None:
        secrets = MASKER.values()
        if not self._dirty and secrets == self._secrets:
            return
        self._secrets = secrets
        literal_rules: list[_Rule] = []
        names = list(self._learned.get("NAME", {}).values())
        # One-word names (`Price`, `Long`) only as written or in capitals: `the price` stays.
        single = [v for n in names if " " not in n for v in (n, n.upper())]
        for kind, finder in (
            ("NAME", _literals(n for n in names if " " in n)),
            ("NAME", _literals(single, caseless=False)),
            *((k, _literals(self._learned.get(k, {}).values())) for k in _LEARNED_KINDS),
        ):
            if finder:
                literal_rules.append(_Rule(kind, finder))
        sensitive = _literals(self._sensitive)
        if sensitive:
            literal_rules.append(_Rule("SENSITIVE", sensitive))
        configured = _literals(secrets, caseless=False, words=False)
        head: tuple[_Rule, ...] = (_Rule(_LITERAL, _placeholders),)
        if configured:
            head += (_Rule("SECRET", configured),)
        body = (*_RULES, *literal_rules, *_LATE_RULES, self._phones, *_LAST_RULES)
        self._inner = (*head[1:], *body)
        decoded = _Rule("SECRET", detect.encoded(self._finds_any))
        self._rules = (*head, *_RULES, decoded, *body[len(_RULES) :])
        self._dirty = False

    def _finds_any(self, text: str) -> bool:
        return any(any(True for _ in rule.find(text)) for rule in self._inner)

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder → original value (a copy)."""
        return dict(self._mapping)

    def counts(self) -> dict[str, int]:
        """Kind (`email`, `phone`, `card`, `ip`, `secret`, `sensitive`, `name`…) → distinct values."""
        return {kind.lower(): n for kind, n in self._counts.items() if n}

    def know_ticket(self, ticket: Ticket) -> None:
        """The requester's and organisation's names are redacted wherever they appear, and the
        ticket's own fields are what `is_own` accepts for restoring into a customer reply."""
        if ticket.requester.name:
            self.learn("NAME", detect.name_parts(ticket.requester.name))
        local = (ticket.requester.email or "").partition("@")[0]
        if len(local) >= 6 and any(c in local for c in "._-0123456789"):
            self.learn("NAME", [local])  # `dana.whitfield` as a user name in a log line
        if ticket.organization.name:
            self.learn("NAME", [ticket.organization.name])
        own = [ticket.subject, ticket.description, ticket.requester.name or ""]
        own += [ticket.requester.email or "", ticket.organization.name or ""]
        own += [c.body for c in ticket.comments if c.public]
        own += [str(v) for v in ticket.custom_fields.values() if isinstance(v, str | int)]
        self.own_text = "\n".join(own).casefold()

    def redact(self, text: str, *, keep_issued: bool = False) -> str:
        """`keep_issued`: text that has been redacted already (placeholders we issued stay)."""
        if not text:
            return text
        if not self.enabled:  # personal data stays, configured secrets never do
            configured = _literals(MASKER.values(), caseless=False, words=False)
            if configured is None:
                return text
            return _splice(text, ((s, e, "SECRET") for s, e in configured(text)), self)
        self.learn_fields(text)
        self._build()
        found = self._scan(text)
        for start, end, kind in found:
            if kind == _LITERAL and text[start:end] not in self._mapping:
                self._reserved.add(text[start:end])
        if keep_issued:
            found = [f for f in found if f[2] != _LITERAL]
        return _splice(text, found, self)

    def restore(self, text: str) -> str:
        """Put the original values back; only exact, issued `<KIND_n>` tokens are replaced."""
        if not self.enabled or not self._mapping:
            return text
        return PLACEHOLDER.sub(lambda m: self._mapping.get(m[0], m[0]), text)

    def is_own(self, placeholder: str) -> bool:
        """Whether the value behind a placeholder is in the ticket's own fields (`own_text`)."""
        value = self._mapping.get(placeholder)
        return value is not None and bool(self.own_text) and value.casefold() in self.own_text

    def redact_json(self, value: Any) -> Any:
        """Redact every string inside nested dicts, lists and tuples; keys are kept as they are,
        and a value under a personal-data key (`first_name`, `iban`…) is redacted everywhere."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, str | int) and detect.value_is_personal(
                    str(k), str(v), self._fields
                ):
                    kind = field_kind(str(k))
                    self.learn(kind, detect.name_parts(str(v)) if kind == "NAME" else [str(v)])
            return {k: self.redact_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.redact_json(v) for v in value)
        return value

    def _scan(self, text: str) -> list[tuple[int, int, str]]:
        self._build()
        """Every finding as (start, end, kind), in text order; earlier rules win overlaps."""
        work = text
        found: list[tuple[int, int, str]] = []
        for rule in self._rules:
            spans = _disjoint(s for s in rule.find(work) if _HIDE not in work[s[0] : s[1]])
            if not spans:
                continue
            found += ((s, e, rule.kind) for s, e in spans)
            pieces: list[str] = []
            pos = 0
            for start, end in spans:
                pieces += (work[pos:start], _HIDE * (end - start))
                pos = end
            pieces.append(work[pos:])
            work = "".join(pieces)
        found.sort()
        return found

    def _placeholder(self, kind: str, value: str, *, literal: bool = False) -> str:
        identity = (
            ("", value) if literal else (kind, value.casefold() if kind in _CASELESS else value)
        )
        placeholder = self._issued.get(identity)
        if placeholder is None:
            n = self._last[kind] + 1
            while f"<{kind}_{n}>" in self._reserved:
                n += 1
            self._last[kind] = n
            placeholder = f"<{kind}_{n}>"
            self._issued[identity] = placeholder
            self._mapping[placeholder] = value
            if not literal:
                self._counts[kind] += 1
        return placeholder


def _disjoint(spans: Iterable[Span]) -> list[Span]:
    """In text order, without overlaps: a finder that runs several patterns (gitleaks' rules,
    each national ID scheme) yields spans in pattern order, and hiding them out of order would
    shift the rest of the text."""
    out: list[Span] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


def _splice(text: str, found: Iterable[tuple[int, int, str]], redactor: Redactor) -> str:
    out: list[str] = []
    pos = 0
    for start, end, kind in found:
        value = text[start:end]
        if kind != _LITERAL:
            placeholder = redactor._placeholder(kind, value)
        elif value in redactor._mapping:  # our own placeholder, typed by someone: escape it
            placeholder = redactor._placeholder(value[1:].split("_")[0], value, literal=True)
        else:
            continue  # never issued, and now never will be: restore leaves it alone
        out += (text[pos:start], placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out)

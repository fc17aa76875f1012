"""Detectors built on well-kept libraries, used by `investigate.evidence.redaction`.

- phone numbers: `phonenumbers` (Google's libphonenumber) in every region; national formats
  are read in a configurable default region (`redaction.phone_region`), and international
  ones (`+44 …`, `(+44) …`, `0044 …`) in any region;
- IBANs, national IDs and tax numbers: `python-stdnum`, with each scheme's checksum;
- vendor keys: the gitleaks rule list (vendored in `gitleaks_rules.py`, with its keywords and
  entropy thresholds), plus the few shapes it misses;
- dates of birth, passport and other ID numbers behind a label, street addresses, CVVs next to
  a card;
- structured fields whose names say what they hold (`name`, `email`, `street`, `iban`…).

Every finder takes a text and yields `(start, end)` spans; each pattern is bounded.
"""

from __future__ import annotations

import base64
import binascii
import csv
import html
import importlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any
from urllib.parse import unquote

from investigate.evidence.gitleaks_rules import RULES as GITLEAKS

Span = tuple[int, int]
Finder = Callable[[str], Iterator[Span]]

MAX_PHONE_CHECKS = 2_000
"""At most this many candidates per text are validated one by one (hostile input stays fast)."""
MAX_PHONE_TEXT = 400_000
"""libphonenumber's matcher is pure Python; beyond this many characters only our own patterns
look for phone numbers."""


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _spans(rx: re.Pattern[str], group: str | int = 0) -> Finder:
    def find(text: str) -> Iterator[Span]:
        for m in rx.finditer(text):
            yield m.span(group)

    return find


# --- secrets -----------------------------------------------------------------------------------

_GL_ALLOW = [
    re.compile(r"(?i)^(?:true|false|null)$"),
    re.compile(r"^\$\{?[A-Za-z_]+\}?$"),
    re.compile(r"^\{\{[ \t]*[\w ().|]+[ \t]*}}$"),
]


# gitleaks ends a key at a quote, whitespace, `;` or the end of the text (a key in a source
# file); in prose and logs a key is also followed by punctuation (`… dapi0f1e…, thanks.`).
_GL_END = r"""(?:[\x60'"\s;]|\\[nr]|$)"""
_PROSE_END = r"""(?:[\x60'"\s;,)\]}>|]|[.!?:](?![A-Za-z0-9_])|\\[nr]|$)"""


@cache
def _gitleaks_rule(index: int) -> tuple[re.Pattern[str], list[re.Pattern[str]]]:
    """Compiled on first use: most texts hold the keywords of only a few rules."""
    _id, rx, _group, _entropy, _keywords, allow = GITLEAKS[index]
    return re.compile(rx.replace(_GL_END, _PROSE_END)), [re.compile(a) for a in allow]


def _secret_group(m: re.Match[str], group: int) -> int:
    """The rule's secret group, or else its first group that took part in the match (a rule
    with alternatives, such as Atlassian's labelled token or bare `ATATT3…`, has one each)."""
    if group:
        return group
    return next((i for i in range(1, (m.re.groups or 0) + 1) if m.start(i) >= 0), 0)


def _run_end(text: str, end: int) -> int:
    """A secret never ends inside a run of letters and digits: a rule of fixed length
    (`CLOJARS_` + 60, a Slack workflow URL of at most 56) takes the rest of a longer token too,
    so no tail of it stays readable."""
    if end == 0 or not text[end - 1].isascii() or not text[end - 1].isalnum():
        return end
    while end < len(text) and text[end].isascii() and text[end].isalnum():
        end += 1
    return end


def gitleaks(text: str) -> Iterator[Span]:
    """gitleaks' rules; a rule runs only when one of its keywords is in the text."""
    lower = text.lower()
    for index, (_id, _rx, group, min_entropy, keywords, _allow) in enumerate(GITLEAKS):
        if keywords and not any(k in lower for k in keywords):
            continue
        rx, allow = _gitleaks_rule(index)
        for m in rx.finditer(text):
            start, end = m.span(_secret_group(m, group))
            if start < 0 or start >= end:
                continue
            end = _run_end(text, end)
            secret = text[start:end]
            if min_entropy and entropy(secret) < min_entropy:
                continue
            if any(a.search(secret) for a in (*allow, *_GL_ALLOW)):
                continue
            yield start, end


_NB = r"(?<![A-Za-z0-9_-])"
_OUR_KEYS = re.compile(
    _NB + r"(?:"
    r"[0-9]{5,16}:AA[A-Za-z0-9_-]{32,40}(?![A-Za-z0-9_-])"  # Telegram bot token, unlabelled
    r"|sk-(?:proj|ant|svcacct|admin)-[A-Za-z0-9_-]{16,512}"  # OpenAI/Anthropic, any letters
    r"|(?:SK|AC)[0-9a-f]{32}(?![0-9A-Za-z])"  # Twilio API key / account SID
    r"|SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"  # SendGrid
    r"|gl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent|ffct)-[A-Za-z0-9_.-]{16,300}"  # GitLab
    r"|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"  # Shopify
    r"|(?:key|pubkey)-[a-f0-9]{32}(?![0-9A-Za-z])"  # Mailgun
    r"|xapp-[0-9]-[A-Z0-9]{6,}-[0-9]{6,}-[a-f0-9]{32,}"  # Slack app tokens
    r"|npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_-]{50,}"  # package registries
    r"|ya29\.[A-Za-z0-9_-]{20,2048}|1//0[A-Za-z0-9_-]{40,512}"  # Google OAuth access/refresh
    r"|discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,100}"  # Discord webhook
    r")"
)

# `Cookie: a=…; b=…` and `Set-Cookie: a=…; Path=/`: a session cookie is a credential. Values of
# 8+ characters with a digit (not `en-GB`, `true`, `dark`); Set-Cookie's attributes are not values.
_COOKIE_HEADER = re.compile(r"(?i)(?<![\w-])(set-)?cookie[ \t]{0,3}:[ \t]{0,3}([^\r\n]{1,8192})")
_COOKIE_PAIR = re.compile(r"[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,128})=\"?([^;\s\"]{8,4096})")


def cookies(text: str) -> Iterator[Span]:
    for header in _COOKIE_HEADER.finditer(text):
        pairs = header.group(2).split(";")
        pos = header.start(2)
        for i, pair in enumerate(pairs):
            m = _COOKIE_PAIR.match(pair)
            if m and (i == 0 or not header.group(1)) and any(c.isdigit() for c in m.group(2)):
                yield pos + m.start(2), pos + m.end(2)
            pos += len(pair) + 1


our_keys = _spans(_OUR_KEYS)


# A private key block: up to its END line, or (cut short somewhere upstream) to the end of its
# base64 body, so a truncated key is still taken whole.
_KEY_BLOCK = re.compile(
    r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:(?:Version|Comment|Hash|Proc-Type|DEK-Info):[^\n\\]{0,200}|(?:\s|\\[nrt])+|[A-Za-z0-9+/=]+){0,4096}"
    r"(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)?"
)


key_blocks = _spans(_KEY_BLOCK)


# --- phone numbers -----------------------------------------------------------------------------

_INTL_REGION = "DE"  # any region whose international prefix is 00 reads `0044 20 …`
_DATEISH = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|\d:\d\d")


def phones(region: str) -> Finder:
    def find(text: str) -> Iterator[Span]:
        if len(text) > MAX_PHONE_TEXT:
            return
        import phonenumbers as pn  # imported when first needed: it costs ~0.3 s

        seen: set[Span] = set()
        for m in pn.PhoneNumberMatcher(text, region, leniency=pn.Leniency.VALID, max_tries=2000):
            if _plausible(text, m.start, m.end, m.raw_string):
                seen.add((m.start, m.end))
                yield m.start, m.end
        # Candidates the matcher does not take (`0044 20 …` outside 00-dialling regions, a number
        # followed by more digits): the longest run of whole digit groups that libphonenumber
        # validates, international ones as dialled from a 00 region.
        budget = MAX_PHONE_CHECKS
        for run in _PHONE_RUN.finditer(text):
            at = run.start()
            if budget <= 0:
                break
            if any(s <= at < e for s, e in seen):
                continue
            groups = list(re.finditer(r"[0-9]+", run.group()))
            for j in range(len(groups), max(0, len(groups) - 4), -1):
                stop = at + groups[j - 1].end()
                raw = text[at:stop]
                if sum(c.isdigit() for c in raw) < 7 or not _plausible(text, at, stop, raw):
                    continue
                budget -= 1
                reg = _INTL_REGION if raw.startswith(("+", "00", "(+")) else region
                if valid_phone(raw, reg):
                    seen.add((at, stop))
                    yield at, stop
                    break

    return find


_PHONE_RUN = re.compile(r"(?<![\w+.-])(?:\(?\+|00)?[0-9][0-9 ().\u00a0-]{5,28}[0-9]")


def _plausible(text: str, start: int, end: int, raw: str) -> bool:
    """Not part of a longer token (an ID, a version, a path, an address) and not a date."""
    before = text[start - 1] if start else " "
    after = text[end : end + 2] + "  "
    if before.isalnum() or before in "_./:-#":
        return False
    if after[0].isalnum() or after[0] in "_/-" or (after[0] in ".:" and after[1].isdigit()):
        return False
    if _DATEISH.search(raw):
        return False
    if raw.isdigit():  # bare digits: a ten-digit national number (or eleven with a 0 or 1)
        return len(raw) == 10 or (len(raw) == 11 and raw[0] in "01")
    return sum(c.isdigit() for c in raw) >= 7


def valid_phone(value: str, region: str) -> bool:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    if phonenumbers.is_valid_number(number):
        return not (value.startswith("00") and value.isdigit())  # `0012345678`: an ID
    # `+44 7700 900123`: dialled with a `+`, a possible number of full length is enough (ranges
    # kept for drama and tests are not "valid", but are numbers all the same)
    return (
        value.lstrip("(").startswith("+")
        and len(str(number.national_number)) >= 9
        and bool(phonenumbers.is_possible_number(number))
    )


# --- national IDs, tax numbers, IBANs ----------------------------------------------------------

_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ \u00a0-]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])"
)


def _stdnum(module: str) -> Callable[[str], bool]:
    """`is_valid` of a python-stdnum module, imported when first used."""

    def valid(value: str) -> bool:
        return bool(_stdnum_module(module).is_valid(value))

    return valid


@cache
def _stdnum_module(module: str) -> Any:
    return importlib.import_module(f"stdnum.{module}")


def ibans(text: str) -> Iterator[Span]:
    std_iban = _stdnum_module("iban")
    for m in _IBAN.finditer(text):
        # the longest prefix of whole groups that is a valid IBAN (`… 00 123` may follow)
        raw = m.group()
        for end in range(len(raw), 14, -1):
            if not raw[end - 1].isalnum() or (end < len(raw) and raw[end].isalnum()):
                continue
            if std_iban.is_valid(raw[:end]):
                yield m.start(), m.start() + end
                break


_Validator = Callable[[str], bool]
_FORMATTED_IDS: tuple[tuple[re.Pattern[str], _Validator], ...] = (
    (
        re.compile(r"(?<![\w-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w-])"),
        lambda v: _stdnum("us.ssn")(v) or _stdnum("us.itin")(v),
    ),  # US SSN and ITIN (9XX-7X-XXXX)
    (
        re.compile(r"(?<![\w.-])[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}(?![\w-])"),
        _stdnum("br.cpf"),
    ),
    (
        re.compile(r"(?<![\w-])[0-9]{3}[ -][0-9]{3}[ -][0-9]{3}(?![\w-])"),
        _stdnum("ca.sin"),
    ),
    (
        re.compile(r"(?<![\w-])[2-9][0-9]{3} [0-9]{4} [0-9]{4}(?![\w-])"),
        _stdnum("in_.aadhaar"),
    ),
    (
        re.compile(r"(?<![\w-])(?:19|20)?[0-9]{6}[-+][0-9]{4}(?![\w-])"),
        _stdnum("se.personnummer"),
    ),
    (
        re.compile(
            r"(?<![\w-])[12] [0-9]{2} [0-9]{2} (?:[0-9]{2}|2[AB]) [0-9]{3} [0-9]{3}"
            r" [0-9]{2}(?![\w-])"
        ),
        _stdnum("fr.nir"),
    ),  # French NIR, written in its groups (`2 95 10 99 126 111 93`)
    (
        re.compile(r"(?<![\w-])[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y](?![\w-])"),
        _stdnum("fi.hetu"),
    ),  # Finnish henkilötunnus (`131052-308T`)
    (
        re.compile(r"(?<![\w.-])[0-9]{2}\.[0-9]{2}\.[0-9]{2}-[0-9]{3}\.[0-9]{2}(?![\w-])"),
        _stdnum("be.nn"),
    ),  # Belgian national number (`85.07.30-033.28`)
    (
        re.compile(r"(?<![\w-])[0-9]{8}-?[A-Z](?![\w-])"),
        _stdnum("es.dni"),
    ),  # Spain DNI
    (
        re.compile(r"(?<![\w-])[XYZ]-?[0-9]{7}-?[A-Z](?![\w-])"),
        _stdnum("es.nie"),
    ),
    (
        re.compile(
            r"(?i)(?<![\w-])[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![\w-])"
        ),
        _stdnum("it.codicefiscale"),
    ),
    (
        re.compile(r"(?<![\w-])[A-Z]{3}[PCHFATBLJG][A-Z][0-9]{4}[A-Z](?![\w-])"),
        _stdnum("in_.pan"),
    ),
    (
        re.compile(
            r"(?<![\w-])(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK)U?[0-9][0-9A-Z]{7,11}(?![\w-])"
        ),
        _stdnum("eu.vat"),
    ),
)


_DIGITS_AND_SPACES = re.compile(r"[0-9 ]+")


def _inside_longer_digits(text: str, start: int, end: int) -> bool:
    """`1 234 567 890 123`: a space-grouped match that a digit group continues on either side is
    a slice of a longer number, not an ID. Punctuated or lettered forms (`390.533.447-05`,
    `123-45-6789`, `X1234567L`) say what they are wherever they stand, so they are never skipped
    for a neighbouring number (`0 390.533.447-05` is still a CPF)."""
    before = text[max(0, start - 2) : start]
    after = text[end : end + 2]
    return (len(before) == 2 and before[0].isdigit() and before[1] in " .") or (
        len(after) == 2 and after[0] in " ." and after[1].isdigit()
    )


def national_ids(text: str) -> Iterator[Span]:
    for rx, valid in _FORMATTED_IDS:
        for m in rx.finditer(text):
            value = m.group()
            if _DIGITS_AND_SPACES.fullmatch(value) and _inside_longer_digits(text, *m.span()):
                continue
            if valid(value):
                yield m.span()


# A value behind a label that says what it is: IDs, tax numbers, passports, SSNs (also bare).
_ID_LABEL = (
    r"(?:ssn|ss\#|social(?:[ _-]?security)?(?:[ _-]?(?:number|no))?|sozialversicherungs\w{0,8}|"
    r"national[ _-]?(?:id|insurance)(?:[ _-]?(?:number|no))?|nino|id[ _-]?card|"
    r"passport|pass[ _-]?nr|reisepass(?:nummer)?|passeport|pasaporte|passaporto|"
    r"(?:personal)?ausweis(?:nummer)?|id[ _-]?nummer|"
    r"tax[ _-]?(?:id|number|no|code)|tin|itin|vat[ _-]?(?:id|number|no)|ust-?id(?:nr)?|"
    r"steuer-?(?:id|nummer)|steueridentifikationsnummer|"
    r"nir|(?:num[ée]ro[ ]de[ ])?s[ée]curit[ée][ ]sociale|burgerservicenummer|sofinummer|curp|"
    r"nif|nie|dni|cif|codice[ _-]?fiscale|bsn|personnummer|pesel|cpf|cnpj|aadhaar|pan|sin|tfn|abn|"
    r"driver'?s?[ _-]?licen[cs]e(?:[ _-]?(?:number|no))?|licen[cs]e[ _-]?(?:number|no)|"
    r"cpr|hetu|henkil[öo]tunnus|rijksregister(?:nummer)?|registre[ ]national|insee|s[ée]cu|"
    r"f[øo]dselsnummer|personnr)"
)
_LABELLED_ID = re.compile(
    r"(?<![A-Za-z])(?i:"
    + _ID_LABEL
    + r"(?:[ _-]?(?:number|no|nr|num|#|n\.?[º°]))?)\.?[\"']?[ \t]{0,3}"
    r"(?:[:=#]|(?i:is|was))?[ \t]{0,3}[\"']?"
    r"(?P<v>[A-Z0-9](?:[A-Z0-9]|[./-](?=[A-Z0-9])|[ ](?=[0-9])){4,39})",
)


def labelled_ids(text: str) -> Iterator[Span]:
    for m in _LABELLED_ID.finditer(text):
        v = m.group("v")
        if sum(c.isdigit() for c in v) >= 4:
            yield m.span("v")


_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|"
    r"juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|"
    r"julio|agosto|septiembre|octubre|noviembre|diciembre"
)
_DATE_VALUE = (
    r"(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/. ][0-9]{1,2}[-/. ][0-9]{2,4}"
    r"|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日"  # 1985年4月12日
    rf"|[0-9]{{1,2}}[ ]de[ ](?:{_MONTHS})[ ]de[ ][0-9]{{4}}"  # 5 de mayo de 1990
    rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?\.?[ ](?:{_MONTHS})\.?,?[ ][0-9]{{4}}"
    rf"|(?:{_MONTHS})\.?[ ][0-9]{{1,2}}(?:st|nd|rd|th)?,?[ ][0-9]{{4}})"
)
_DOB = re.compile(
    r"(?i)(?<![A-Za-z])(?:dob|d\.o\.b\.?|date[ _-]?of[ _-]?birth|birth[ _-]?date|birthday|born(?:[ ]on)?|"
    r"geburtsdatum|geb(?:oren|\.)(?:[ ]am)?|geb\.?-?datum|生年月日|出生日期|誕生日|date[ ]de[ ]naissance|n[ée]e?[ ]le|fecha[ ]de[ ]nacimiento|"
    r"nacid[oa][ ]el|data[ ]di[ ]nascita|nat[oa][ ]il|geboortedatum)"
    r"[\"']?[ \t]{0,3}[:=]?[ \t]{0,3}[\"']?(?P<v>" + _DATE_VALUE + ")"
)


births = _spans(_DOB, "v")


_STREET = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"terrace|close|square|sq|crescent|highway|hwy|parkway|pkwy|circle|cir|trail|row|walk|mews"
)
_ADDRESS = re.compile(
    # 221B Baker Street, 1600 Pennsylvania Avenue NW, 12 rue de la Paix, Hauptstraße 5
    r"(?<![\w.-])[0-9]{1,5}[A-Za-z]?,?[ ](?:[A-Z][\w'’.-]{1,30}[ ]){1,4}"
    rf"(?i:{_STREET})\.?(?:[ ](?:N|S|E|W|NE|NW|SE|SW))?(?![\w])"
    r"|(?<![\w.-])[0-9]{1,5}(?:[ ]?bis|[A-Za-z])?,?[ ](?i:rue|avenue|av\.|boulevard|bd|chemin|place|"
    r"allée|impasse|quai|cours|via|viale|piazza|corso|calle|avenida|plaza|paseo|rua|praça)"
    r"[ ](?:[\w'’.-]{1,30}[ ]){0,4}[\w'’.-]{2,30}"
    r"|(?<![\w.-])(?i:calle|c/|avenida|av\.|via|viale|piazza|corso|rua)[ ](?:[\w'’.-]{1,30}[ ]){0,4}?"
    r"[\w'’.-]{2,30},?[ ](?:n[º°o]\.?[ ]?)?[0-9]{1,5}[A-Za-z]?(?![\w])"
    r"|(?<![\w-])[A-ZÄÖÜ][\wäöüß-]{1,40}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|"
    r"ufer|laan|straat|gracht|plein|vej|gade|gatan|vägen)[ ][0-9]{1,5}[a-z]?(?![\w])"
    r"|(?<![\w-])(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[ ][0-9][ABD-HJLNP-UW-Z]{2}(?![\w-])"  # UK postcode
    r"|(?<![\w-])(?i:p\.?[ ]?o\.?[ ]?box|post[ ]office[ ]box|postfach|apartado(?:[ ]de[ ]correos)?"
    r"|casella[ ]postale|bo[iî]te[ ]postale)[ ]?[0-9]{1,6}(?:[ ][0-9]{2}){0,3}(?![\w])"  # PO boxes
)


addresses = _spans(_ADDRESS)


_CVV = re.compile(
    r"[ \t,;/|:()\u00a0-]{0,4}(?:(?i:exp(?:iry|ires|iration)?|valid(?:[ ]thru)?|mm/yy)\.?[ \t:]{0,3}"
    r"[0-9]{1,2}[ ]?/[ ]?[0-9]{2,4}[ \t,;/|:()\u00a0-]{0,4})?"
    r"(?:(?i:cvv2?|cvc2?|csc|cid|security[ ]code|sec(?:urity)?[ ]?code|pr[üu]fnummer|cryptogramme)"
    r"[ \t:=#]{0,3})?(?P<v>[0-9]{3,4})(?![0-9]|[ .\u00a0-][0-9])"
)
_CVV_LABELLED = re.compile(
    r"(?i)(?<![A-Za-z])(?:cvv2?|cvc2?|csc|card[ _-]?security[ _-]?code|security[ _-]?code)"
    r"[\"']?[ \t]{0,3}[:=#]?[ \t]{0,3}[\"']?(?P<v>[0-9]{3,4})(?![0-9])"
)


def cvv_after(text: str, card_end: int) -> Span | None:
    """The security code written right after a card number (`… 4242 123`, `… exp 12/27 cvv 123`)."""
    m = _CVV.match(text, card_end)
    return m.span("v") if m else None


cvvs = _spans(_CVV_LABELLED, "v")


# --- e-mail in disguise ------------------------------------------------------------------------

_AT_WORD = r"(?:\s{0,3}[\[({<]\s{0,2}(?:at|AT|@)\s{0,2}[\])}>]\s{0,3}|\s(?:at|AT)\s)"
_DOT_WORD = r"(?:\s{0,3}[\[({<]\s{0,2}(?:dot|DOT|\.)\s{0,2}[\])}>]\s{0,3}|\s(?:dot|DOT)\s|\.)"
_OBFUSCATED_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]{1,64}" + _AT_WORD + r"[\w-]{1,63}(?:" + _DOT_WORD + r"[\w-]{1,63}){1,6}"
)
_SPELLED = re.compile(r"[\[({<]|\sdot\s|\sDOT\s")


def obfuscated_emails(text: str) -> Iterator[Span]:
    """`name [at] host [dot] tld`, `name (at) host.tld`, `name AT host DOT tld`."""
    for m in _OBFUSCATED_EMAIL.finditer(text):
        if _SPELLED.search(m.group()):
            yield m.span()


# The display name of an address (RFC 5322 name-addr: `From: "Doe, Jane" <jane@…>`,
# `Reply-To: Jane Doe <jane@…>`, a git `Author:` line): a person's name beside their address.
_DISPLAY_NAME = re.compile(
    r"(?:\"(?P<q>[^\"\n<>@]{2,80})\"|(?<![\w\"'@.-])(?P<v>[^\W\d_][\w'’.-]{0,40}"
    r"(?:,?[ ][^\W\d_][\w'’.-]{0,40}){0,4}))[ \t]{0,3}<[^<>\s@]{1,64}(?:@|%40)[^<>\s]{1,255}>"
)


def display_names(text: str) -> Iterator[Span]:
    """`"Doe, Jane" <jane@…>`, `Jane Doe <jane@…>`: the name (only its capitalised words)."""
    for m in _DISPLAY_NAME.finditer(text):
        if m.group("q") is not None:
            yield m.span("q")
            continue
        start, value = m.start("v"), m.group("v")
        for word in re.finditer(r"\S+", value):  # `sent to Jane Doe <…>`: from `Jane`
            if word.group()[:1].isupper():
                yield start + word.start(), m.end("v")
                break


# A surname after a title (`Dear Mrs. Kanarienholm`, `Frau Müller`, `Sra. García López`).
# Not `Dr` (also a street), `Miss` (`Cache Miss`) or `M.` (an initial).
_HONORIFIC = re.compile(
    r"(?<![\w.])(?:Mr|Mrs|Ms|Mx|Herr|Frau|Mme|Mlle|Madame|Monsieur|Sr|Sra|Srta|Señor|Señora|"
    r"Sig\.ra|Signora|Signor|Dhr|Mevr)\.?[ ]"
    r"(?P<v>[^\W\d_a-z][\w'’-]{1,40}(?:[ ][^\W\d_a-z][\w'’-]{1,40}){0,2})"
)


def honorific_names(text: str) -> Iterator[Span]:
    for m in _HONORIFIC.finditer(text):
        if not m.group("v")[:1].islower():
            yield m.span("v")


# Tokens that may hide something behind an encoding: percent-escapes, HTML entities, JSON and
# Python escapes, characters NFKC folds (fullwidth `＠`), base64 runs.
_TOKEN = re.compile(r"[^\s\"'<>(),\[\]{}|`\x00]{6,4096}")
_ENCODED_HINT = re.compile(
    r"%[0-9A-Fa-f]{2}|&#?[A-Za-z0-9]{2,8};|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}"
)
_B64 = re.compile(r"[A-Za-z0-9+/_-]{12,4096}={0,2}")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})")


def _b64_text(value: str) -> str | None:
    if not any(c.isdigit() or c in "+/=_-" for c in value) and value.isalpha() and value.islower():
        return None  # a long plain word
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    printable = sum(c.isprintable() or c in "\n\t" for c in text)
    return text if text and printable / len(text) >= 0.95 else None


def decodings(token: str) -> Iterator[str]:
    """What a token may say once decoded (each pass alone and all together)."""
    out = token
    if _ENCODED_HINT.search(out):
        out = _ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)), out)
        out = html.unescape(unquote(html.unescape(out)))
    if not out.isascii():  # fullwidth forms fold; invisible format characters (U+200B…) go
        out = unicodedata.normalize("NFKC", out)
        out = "".join(c for c in out if unicodedata.category(c) != "Cf")
    if out != token:
        yield out
    bare = token.rstrip(".,;:!?")
    value = bare.rsplit("=", 1)[-1] if not bare.endswith("=") else bare.split("=", 1)[-1]
    for piece in dict.fromkeys((bare, value)):
        m = _B64.fullmatch(piece)
        if m and (decoded := _b64_text(piece)) is not None:
            yield decoded


def encoded(contains_finding: Callable[[str], bool]) -> Finder:
    """Tokens whose decoded form holds a finding of any other detector."""

    def find(text: str) -> Iterator[Span]:
        for m in _TOKEN.finditer(text):
            token = m.group()
            for decoded in decodings(token):
                if contains_finding(decoded):
                    yield _trim_label(token, m.start(), contains_finding)
                    break

    return find


def _trim_label(token: str, start: int, contains_finding: Callable[[str], bool]) -> Span:
    """`email=am9obkBleC5jb20=` → only the value, when the value alone still hides something."""
    m = re.match(r"[A-Za-z_][\w.-]{0,40}[=:]", token)
    if m and any(contains_finding(d) for d in decodings(token[m.end() :])):
        return start + m.end(), start + len(token)
    return start, start + len(token)


# --- structured fields -------------------------------------------------------------------------

PII_FIELDS = frozenset(
    {
        *("name", "fullname", "firstname", "lastname", "givenname", "familyname", "surname"),
        *("middlename", "displayname", "customername", "contactname", "requestername"),
        *("billingname", "cardholder", "cardholdername", "accountholder", "username", "nachname"),
        *("vorname", "nom", "prenom", "nombre", "apellido", "apellidos", "cognome", "nome"),
        *("voornaam", "achternaam", "sobrenome", "imie", "nazwisko"),
        *("фио", "фамилия", "имя", "отчество", "氏名", "名前", "姓名"),
        *("address", "addressline1", "addressline2", "address1", "address2", "street"),
        *("streetaddress", "billingaddress", "shippingaddress", "homeaddress", "city", "town"),
        *("postcode", "postalcode", "zip", "zipcode", "plz", "adresse", "strasse", "ort"),
        *("phone", "phonenumber", "mobile", "mobilephone", "telephone", "tel", "cell", "fax"),
        *("email", "emailaddress", "mail", "contactemail", "billingemail"),
        *("dob", "dateofbirth", "birthdate", "birthday", "geburtsdatum"),
        *("ssn", "socialsecuritynumber", "taxid", "taxnumber", "tin", "vatid", "vatnumber"),
        *("passport", "passportnumber", "passportno", "nationalid", "iban", "bic", "swift"),
        *("card", "cardnumber", "pan", "creditcard", "cvv", "cvc", "accountnumber"),
    }
)
NAME_FIELDS = frozenset(
    {
        *("nom", "nome", "prenom", "nombre", "apellido", "apellidos", "cognome", "voornaam"),
        *("achternaam", "sobrenome", "imie", "nazwisko", "фио", "фамилия", "имя", "отчество"),
        *("氏名", "名前", "姓名"),
    }
)
"""Fields for a person's name in other languages (besides every field with `name` in it)."""
_PERSON_FIELDS = frozenset(f for f in PII_FIELDS if "name" in f) | NAME_FIELDS
_WEAK_PERSON_FIELDS = frozenset(
    {"user", "customer", "contact", "owner", "requester", "author", "assignee", "agent", "member"}
)
"""Fields that hold a person's name only sometimes (`user=admin`, `user=Maria Gonzalez`): taken
when the value is two or more capitalised words."""
_FIELD = re.compile(
    r"(?<![\w.-])[\"']?(?P<k>[^\W\d_][\w.-]{0,40})[\"']?[ \t]{0,3}(?:=|:|=>)[ \t]{0,3}"
    r"(?:(?P<q>[\"'])(?P<qv>[^\"'\n\\]{1,200})(?P=q)|(?P<v>[^\s\"'`,;|&{}()\[\]<>=][^\"'`,;|&{}()\[\]<>=\n]{0,119}))"
)
_NAME_WORD = r"[^\W\d_](?:[^\W\d_]|['’-]){0,40}\.?"  # letters, apostrophes, hyphens
_PERSON = re.compile(rf"{_NAME_WORD}(?: (?:&[ ])?{_NAME_WORD}){{0,4}}(?![\w])")
_LABEL_OR_NUMBER = re.compile(r"^[ \t]?[-/#]|[0-9]|:")
_BLANK = frozenset({"", "null", "none", "nil", "n/a", "na", "-", "true", "false", "unknown"})


def normalise_field(name: str) -> str:
    """`First-Name` → `firstname`, `prénom` → `prenom`, `Фамилия` → `фамилия`: letters and
    digits only, casefolded, accents dropped."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in folded if c.isalnum() and not unicodedata.combining(c))


def field_values(text: str, extra: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """(field, value) for every `field=value`, `"field": "value"`, `field: value` whose field
    name says it holds personal data."""
    fields = PII_FIELDS | _WEAK_PERSON_FIELDS | {normalise_field(f) for f in extra}
    pos = 0
    while (m := _FIELD.search(text, pos)) is not None:
        # a value may itself hold fields (`"value": "name=Dana Whitfield; city=Leeds"`)
        pos = m.start("qv") if m.group("qv") is not None else m.start("v")
        key = normalise_field(m.group("k").rsplit(".", 1)[-1])
        if key not in fields:
            continue
        value = (m.group("qv") or m.group("v") or "").strip()
        if value.lower() in _BLANK or len(value) < 2:
            continue
        if key in _WEAK_PERSON_FIELDS:
            name = person_name(value) or ""
            words = name.split()
            if len(words) < 2 or not all(w[:1].isupper() for w in words):
                continue
            rest = value[value.find(name) + len(name) :] if name in value else ""
            if _LABEL_OR_NUMBER.search(rest):
                continue  # `contact: NIE Y-1234567-X`: a label and its number, not a name
            key, value = "name", name
        elif key in _PERSON_FIELDS:
            value = person_name(value) or ""
            if not value:
                continue
        yield key, value


_CELL = re.compile(r"[^\W\d][\w .-]{0,40}")
_DELIMITERS = (",", "\t", ";", "|")
_INSERT = re.compile(
    r"(?i)insert[ \t]+into[ \t]+[\w.\"`\[\]]{1,128}[ \t]*\((?P<cols>[^()]{1,2000})\)[ \t\n]*values"
)
MAX_INSERT_TEXT = 100_000
"""How far after `VALUES` the rows of an SQL `INSERT` are read."""


def _sql_rows(text: str, start: int) -> Iterator[str]:
    """The parenthesised rows after `VALUES`, in one linear pass (quotes may hold `(`, `)`)."""
    quoted = False
    row_start = -1
    for i in range(start, min(len(text), start + MAX_INSERT_TEXT)):
        c = text[i]
        if c == "'":
            quoted = not quoted  # `''` inside a literal toggles twice
        elif quoted:
            continue
        elif c == "(" and row_start < 0:
            row_start = i + 1
        elif c == ")" and row_start >= 0:
            yield text[row_start:i]
            row_start = -1
        elif c == ";" or (row_start < 0 and c not in " \t\r\n,"):
            return


def _cells(line: str, delimiter: str, quote: str = '"') -> list[str]:
    row = next(csv.reader([line], delimiter=delimiter, quotechar=quote, skipinitialspace=True))
    cells = [c.strip() for c in row]
    if delimiter == "|":  # `| a | b |`: no empty cells at the ends
        while cells and not cells[0]:
            cells.pop(0)
        while cells and not cells[-1]:
            cells.pop()
    return cells


def _header(cells: list[str], fields: frozenset[str]) -> list[str] | None:
    """Column names at the end of a line, if one of them is personal: the cells from the last
    one back while they are names of at most three words; the first may end other text
    (`see the export: first_name,last_name`)."""
    names: list[str] = []
    for cell in reversed(cells):
        if _CELL.fullmatch(cell) and len(cell.split()) <= 3:
            names.append(cell)
            continue
        tail = re.search(r"[^\W\d][\w.-]*$", cell)
        if tail:
            names.append(tail.group())
        break
    keys = [normalise_field(c) for c in reversed(names)]
    return keys if len(keys) >= 2 and any(k in fields for k in keys) else None


def table_values(text: str, extra: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """(column, value) for personal-data columns of a table: a CSV, TSV or pipe table whose
    header names them (`first_name,last_name` then `Björn,Kanariensson`), or an SQL
    `INSERT INTO t (first_name, …) VALUES ('Agnès', …)`."""
    fields = PII_FIELDS | {normalise_field(f) for f in extra}
    header: str | None = None  # the line that may name the columns of the lines below it
    known: dict[tuple[str, str], list[str] | None] = {}
    for line in text.splitlines()[:5000]:
        if not line.strip():
            header = None
            continue
        if set(line.strip()) <= set("|-:+ "):
            continue  # a Markdown table's `|---|---|` rule
        taken = False
        if header is not None:
            for delimiter in _DELIMITERS:
                if delimiter not in line or delimiter not in header:
                    continue
                if (header, delimiter) not in known:
                    known[header, delimiter] = _header(_cells(header, delimiter), fields)
                names = known[header, delimiter]
                if names is None:
                    continue
                values = _cells(line, delimiter)
                if names is None or len(values) < len(names):
                    continue
                taken = True  # the row's cells in order; text after the last one is left
                for name, value in zip(names, values, strict=False):
                    if name in fields and value.lower() not in _BLANK and len(value) >= 2:
                        yield name, value
                break
        if not taken:
            header = line
    for m in _INSERT.finditer(text):
        names = [normalise_field(c.strip(' \t\n"`[]')) for c in m.group("cols").split(",")]
        for row in _sql_rows(text, m.end()):
            values = _cells(row, ",", "'")
            if len(values) == len(names):
                for name, value in zip(names, values, strict=True):
                    if name in fields and value.lower() not in _BLANK and len(value) >= 2:
                        yield name, value


def value_is_personal(key: str, value: str, extra: Iterable[str] = ()) -> bool:
    fields = PII_FIELDS | {normalise_field(f) for f in extra}
    key = normalise_field(key)
    if key not in fields or value.strip().lower() in _BLANK or len(value.strip()) < 2:
        return False
    return key not in _PERSON_FIELDS or bool(person_name(value))


def person_name(value: str) -> str | None:
    """The name at the start of a value (`Maria Canaryson. Thanks!` → `Maria Canaryson`): up to
    five words of letters; when it starts capitalised, only the capitalised words."""
    m = _PERSON.match(value.strip())
    if m is None:
        return None
    words: list[str] = []
    for w in m.group().split():
        words.append(w.rstrip("."))
        if w.endswith(".") and len(w) > 2:  # the end of a sentence, not an initial
            break
    if words[0][:1].isupper():
        for i, w in enumerate(words):
            if not w[:1].isupper() and w != "&":
                words = words[:i]
                break
    name = " ".join(w for w in words if w)
    return name if len(name) >= 2 else None


def name_parts(name: str) -> list[str]:
    """A person's full name and its last part (`Dana Whitfield` → also `Whitfield`)."""
    name = " ".join(name.split())
    parts = [name] if len(name) >= 3 else []
    words = name.split(" ")
    if len(words) > 1 and len(words[-1]) >= 4 and words[-1][0].isupper():
        parts.append(words[-1])
    return parts

"""A guarded botocore client for a read-only AWS connector (`cloudwatch_logs`).

    aws = AwsService(label, name, "logs", "CloudWatch Logs", reads=LOGS_READS, ...)
    clients = aws.open(deadline, timeout)        # blocking: call through `in_thread`
    reply = aws.call(clients.client.filter_log_events, args, group)

What it owns, so the connector does not: importing boto3 (an optional extra: a missing one is
one line with the install hint), resolving the credential chain up front (a missing or expired
credential is one clear line; the secret key and token are registered with the masker), a
`before-call` guard refusing every operation outside `reads` before it is signed, streamed
response bodies refused past `max_response_bytes`, botocore's `standard` retries but never a
backoff past the deadline, and every failure as a one-line `SourceError` with a hint.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from investigate.sdk import MASKER, ReadOnlyViolation, SourceError, SourceTimeout

DENIED = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException"}
)
BAD_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredTokenException",
        "ExpiredToken",
        "IncompleteSignature",
        "MissingAuthenticationToken",
    }
)


@dataclass
class Stats:
    calls: int = 0
    retries: int = 0


@dataclass
class Clients:
    client: Any
    region: str
    session: Any
    botocore_config: Any

    @property
    def logs(self) -> Any:
        return self.client

    def close(self) -> None:
        self.client.close()


@dataclass
class AwsService:
    """One AWS service read by one connector: how to open its client and name its failures."""

    label: str
    name: str
    service: str
    """The boto3 service name (`logs`)."""
    display: str
    """What messages call it (`CloudWatch Logs`)."""
    reads: frozenset[str]
    install: str
    max_attempts: int
    max_response_bytes: int
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    not_found: str = "resource"
    not_found_hint: str = ""
    denied_hint: str = ""
    reading: str = "reads"
    """What the connector reads, for the throttling hint (`log reads`)."""
    stats: Stats = field(default_factory=Stats)

    def _boto(self) -> tuple[Any, Any]:
        try:
            boto3 = importlib.import_module("boto3")
            botocore_config = importlib.import_module("botocore.config")
        except ImportError:
            raise SourceError(
                f"{self.label}: boto3 is not installed ({self.display} is an optional extra)",
                hint=f"{self.install}, or disable connectors.{self.name}",
            ) from None
        return boto3, botocore_config

    def open(self, deadline: float | None, timeout: float) -> Clients:
        """A guarded client (blocking: call through `in_thread`)."""
        boto3, botocore_config = self._boto()
        try:
            session = boto3.session.Session(
                botocore_session=_botocore_session(),
                profile_name=self.profile,
                region_name=self.region,
            )
        except Exception as exc:  # ProfileNotFound and friends
            raise self.failure(exc) from None
        try:  # resolves the chain now: a missing or expired credential is one clear line
            credentials = session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials is not None else None
        except Exception as exc:  # an expired SSO token, a failing credential_process…
            raise self.failure(exc) from None
        if frozen is None:
            raise self.failure(_NoCredentials())
        MASKER.add(frozen.secret_key)
        MASKER.add(frozen.token)
        region = session.region_name
        if not region:
            raise SourceError(
                f"{self.label}: no AWS region configured",
                hint=f"set connectors.{self.name}.region (or AWS_REGION, or the profile's region)",
            )
        config = botocore_config.Config(
            region_name=region,
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            connect_timeout=min(timeout, 10.0),
            read_timeout=timeout,
            user_agent_extra="investigate",
        )
        client = session.client(self.service, endpoint_url=self.endpoint_url, config=config)
        guard(client, self.reads, self.label)
        self._cap_retries(client, deadline)
        cap_responses(client, self.max_response_bytes, self.label, self.name, self.display)
        return Clients(client, region, session, config)

    def _cap_retries(self, client: Any, deadline: float | None) -> None:
        """botocore's standard retries, but never a backoff that would end past `deadline`."""
        standard = importlib.import_module("botocore.retries.standard")
        event = f"needs-retry.{client.meta.service_model.service_id.hyphenize()}"
        unique = f"retry-config-{client.meta.service_model.service_id.hyphenize()}"
        client.meta.events.unregister(event, unique_id=unique)
        handler = standard.register_retry_handler(client, max_attempts=self.max_attempts)
        client.meta.events.unregister(event, unique_id=unique)

        def capped(**kwargs: Any) -> float | None:
            delay: float | None = handler.needs_retry(**kwargs)
            code = _code_of(kwargs.get("response")) or f"HTTP {_status_of(kwargs)}"
            asked = _retry_after(kwargs.get("response"))
            if asked is not None and deadline is not None:
                # botocore ignores Retry-After; a wait that cannot fit is an answer, not a hang
                if time.monotonic() + asked >= deadline - 0.1:
                    raise SourceError(
                        f"{self.label}: {self.display} answered {code}",
                        hint=f"rate limited: Retry-After asked for {asked:g}s, more than the "
                        "time left; try again later",
                    )
                delay = max(delay, asked) if delay is not None else None
            if delay is None:
                return None
            if deadline is not None and time.monotonic() + delay >= deadline - 0.1:
                raise SourceTimeout(
                    f"{self.label}: {self.display} answered {code} and the next retry would "
                    f"pass the deadline; gave up after {kwargs.get('attempts', 1)} attempts",
                    hint=f"AWS is throttling this account's {self.reading}; try again later or "
                    "raise investigation.timeout",
                )
            self.stats.retries += 1
            return delay

        client.meta.events.register(event, capped, unique_id=unique)

    def call(self, method: Callable[..., Any], args: dict[str, Any], target: str | None) -> Any:
        """One API call (blocking), every failure a one-line `SourceError`."""
        self.stats.calls += 1
        try:
            reply = method(**args)
        except SourceError:
            raise
        except Exception as exc:
            raise self.failure(exc, target) from None
        return reply if isinstance(reply, dict) else {}

    def failure(self, exc: BaseException, target: str | None = None) -> SourceError:
        """`exc` (a botocore error, a credential-chain error…) as one line with a hint;
        `target` names what was read (a log group) when AWS says it does not exist."""
        kind = type(exc).__name__
        response = getattr(exc, "response", None)
        error = response.get("Error", {}) if isinstance(response, dict) else {}
        code = str(error.get("Code") or "")
        code = "" if code.isdigit() else code  # botocore's stand-in when AWS named no code
        status = (
            response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if isinstance(response, dict)
            else None
        )
        detail = MASKER.mask(" ".join(str(error.get("Message") or exc).split()))[:300]
        label, name = self.label, self.name
        if code == "ResourceNotFoundException":
            where = f"{self.not_found} {target!r}" if target else f"the {self.not_found}"
            return SourceError(
                f"{label}: {where} does not exist (ResourceNotFoundException)",
                hint=self.not_found_hint,
            )
        if code in DENIED or (status == 403 and code not in BAD_CREDENTIALS):
            return SourceError(
                f"{label}: access denied ({code or 'HTTP 403'}): {detail}", hint=self.denied_hint
            )
        if code in BAD_CREDENTIALS or (status == 401 and not code):
            return SourceError(
                f"{label}: AWS rejected the credentials ({code or 'HTTP 401'})",
                hint="check the credential chain: AWS_PROFILE / connectors."
                f"{name}.profile, AWS_ACCESS_KEY_ID, SSO login, or the instance role",
            )
        if "Throttl" in code or code in ("TooManyRequestsException", "LimitExceededException"):
            return SourceError(
                f"{label}: {self.display} kept throttling ({code}) after "
                f"{self.max_attempts} attempts",
                hint=f"try again later or raise connectors.{name}.max_attempts",
            )
        if kind in ("NoCredentialsError", "_NoCredentials"):
            return SourceError(
                f"{label}: no AWS credentials found",
                hint=f"set AWS_PROFILE or connectors.{name}.profile (run `aws sso login` for SSO), "
                "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an instance role",
            )
        if kind in ("UnauthorizedSSOTokenError", "SSOTokenLoadError", "TokenRetrievalError"):
            return SourceError(
                f"{label}: the AWS SSO session is missing or expired ({kind})",
                hint="run `aws sso login`" + (f" --profile {self.profile}" if self.profile else ""),
            )
        if kind in ("CredentialRetrievalError", "PartialCredentialsError"):
            return SourceError(
                f"{label}: could not get AWS credentials ({kind}): {detail}",
                hint=f"check the profile (connectors.{name}.profile or AWS_PROFILE) and its "
                "credential source",
            )
        if kind in ("ProfileNotFound", "InvalidConfigError"):
            return SourceError(f"{label}: {detail}", hint=f"check connectors.{name}.profile")
        if kind == "ResponseParserError":
            return SourceError(
                f"{label}: {self.display} sent a response that is not valid JSON",
                hint=f"check connectors.{name}.endpoint_url (a proxy or login page may answer)",
            )
        if kind in ("ConnectTimeoutError", "ReadTimeoutError"):
            return SourceTimeout(f"{label}: request timed out ({detail})")
        if kind in ("EndpointConnectionError", "ConnectionClosedError", "ProxyConnectionError"):
            return SourceError(
                f"{label}: cannot reach {self.display}: {detail}",
                hint=f"check connectors.{name}.region and endpoint_url",
            )
        if isinstance(status, int) and status >= 500:
            return SourceError(f"{label}: {self.display} failed (HTTP {status}): {detail}")
        if kind in _PARSER_SLIPS:  # botocore's parser meeting JSON of another shape
            return SourceError(
                f"{label}: {self.display} sent a response of an unexpected shape",
                hint=f"check connectors.{name}.endpoint_url (something other than {self.display} "
                "may answer there)",
            )
        if isinstance(status, int):
            what = f"{code} (HTTP {status})" if code else f"HTTP {status}"
            return SourceError(f"{label}: {self.display} answered {what}: {detail}")
        return SourceError(f"{label}: {code or kind}: {detail}")


def guard(client: Any, allowed: frozenset[str], label: str) -> None:
    """Refuse, before signing, every operation of `client` outside `allowed`."""

    def check(model: Any, **_: Any) -> None:
        if model.name not in allowed:
            raise ReadOnlyViolation(
                f"{label}: refused {model.name}: only {', '.join(sorted(allowed))} may be sent",
                hint="investigate never writes to AWS",
            )

    client.meta.events.register_first("before-call", check)


def cap_responses(client: Any, cap: int, label: str, name: str, display: str) -> None:
    """Stream every response body and refuse one larger than `cap` bytes (botocore would
    otherwise read it whole into memory)."""
    session = client._endpoint.http_session

    def too_big() -> SourceError:
        return SourceError(
            f"{label}: a {display} response is larger than {cap:,} bytes; stopped reading",
            hint=f"lower connectors.{name}.page_size or raise connectors.{name}.max_response_bytes",
        )

    def send(request: Any, **_: Any) -> Any:
        request.stream_output = True
        response = session.send(request)
        declared = str(response.headers.get("content-length", ""))
        if declared.isdigit() and int(declared) > cap:
            response.raw.close()
            raise too_big()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.raw.stream(65_536):
            size += len(chunk)
            if size > cap:
                response.raw.close()
                raise too_big()
            chunks.append(chunk)
        response._content = b"".join(chunks)
        return response

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service}", send)


_LOADER: Any = None
"""botocore's service-model loader, shared by every session of the process: a client built
with it skips re-reading the JSON models (about 60 ms of CPU per client, per ticket in a
batch). Credentials are still resolved per session."""


def _botocore_session() -> Any:
    global _LOADER
    core = importlib.import_module("botocore.session").get_session()
    if _LOADER is None:
        _LOADER = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _LOADER)
    return core


class _NoCredentials(Exception):
    """The default chain found nothing (botocore would raise NoCredentialsError later)."""


_PARSER_SLIPS = frozenset({"AttributeError", "TypeError", "KeyError", "IndexError"})


def _retry_after(response: Any) -> float | None:
    """Seconds from the `Retry-After` header of a botocore (http_response, parsed) pair."""
    if not (isinstance(response, tuple) and len(response) == 2):
        return None
    from investigate.sdk.transport import retry_after_seconds

    return retry_after_seconds(str(getattr(response[0], "headers", {}).get("retry-after", "")))


def _status_of(kwargs: dict[str, Any]) -> str:
    response = kwargs.get("response")
    if isinstance(response, tuple) and response:
        return str(getattr(response[0], "status_code", "") or "")
    return ""


def _code_of(response: Any) -> str:
    if isinstance(response, tuple) and len(response) == 2 and isinstance(response[1], dict):
        code = str(response[1].get("Error", {}).get("Code") or "")
        return "" if code.isdigit() else code  # botocore's stand-in when AWS named no code
    return ""


def one_line(exc: SourceError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")

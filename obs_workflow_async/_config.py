"""Client configuration: timeouts, credentials, endpoint. Values only, no I/O.

Environment variables are read (by :mod:`.credentials`) when a client is
constructed, never at import time.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import os
import random as _random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import unquote, urlsplit

from ._signing import SignatureMode
from .errors import ErrorDetail, InvalidRequestError

__all__ = [
    "DEFAULT_TIMEOUT",
    "Endpoint",
    "Proxy",
    "RetryConfig",
    "Runtime",
    "Timeout",
    "TimeoutLike",
    "VerifyLike",
    "parse_endpoint",
    "parse_proxy",
    "to_timeout",
]


@dataclass(frozen=True, slots=True)
class Timeout:
    """Per-attempt time limits in seconds (``None`` disables a limit).

    ``total`` bounds one attempt from sending to the last byte of the answer (the
    wait for a free pooled connection is *not* counted: the client queues calls
    itself before the attempt's clock starts); ``connect`` bounds opening the TCP/TLS
    connection; ``read`` bounds the wait for each chunk of the answer. The
    deadline across all retries of a call is set separately (``deadline=``).
    """

    total: float | None = 60.0
    connect: float | None = 10.0
    read: float | None = None

    def __post_init__(self) -> None:
        for name in ("total", "connect", "read"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise _bad(f"timeout.{name}", f"must be positive or None (got {value!r})")


TimeoutLike = float | int | Timeout
"""Seconds (the per-attempt total) or a :class:`Timeout`."""

DEFAULT_TIMEOUT = Timeout()

DEFAULT_RETRY_AFTER_CAP = 10.0
"""The longest ``Retry-After`` honoured per retry by default (seconds)."""
DEFAULT_MAX_RETRY_WAIT = 10.0
"""Seconds one call may sleep between its attempts in total, by default: a start
answered 503 with ``Retry-After: 7`` is retried once (7 s), not three times (21 s)."""


def to_timeout(value: TimeoutLike) -> Timeout:
    """Normalise ``timeout=`` arguments."""
    if isinstance(value, Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad("timeout", f"must be seconds or a Timeout (got {type(value).__name__})")
    return Timeout(total=float(value), connect=min(float(value), DEFAULT_TIMEOUT.connect or 10.0))


def _bad(field: str, rule: str) -> InvalidRequestError:
    return InvalidRequestError([ErrorDetail(field, rule)])


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class Runtime:
    """Where the client gets time, sleep and randomness (inject them in tests).

    ``clock`` is monotonic seconds (timeouts, deadlines, backoff), ``wall_clock`` the
    UTC time written into signed ``Date`` headers, ``sleep`` waits between retries,
    ``random`` draws the backoff jitter.
    """

    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = field(default_factory=lambda: _random.Random().random)


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """How often and how patiently to retry; see ``docs/errors-and-retries.md``.

    :param max_retries: Retries after the first attempt (0 disables retries).
    :param retry_non_idempotent: Retry a start whose request may have reached the
        service (it may start the workflow twice); off by default.
    :param backoff_base: Seconds before the first retry (doubled each retry, with
        jitter), when the service names no wait.
    :param backoff_cap: The longest backoff sleep, in seconds.
    :param retry_after_cap: The longest server-requested wait (``Retry-After``)
        honoured per retry, in seconds; an answer asking for longer ends the retries at
        once, and its error carries ``retry_after`` for the caller to pass on.
    :param max_retry_wait: Seconds of sleeping between attempts one call may spend in
        total (backoff and ``Retry-After`` together); a retry whose sleep would pass
        it is not made. ``None``: no total (only ``max_retries`` and the call's
        ``deadline`` bound it).
    """

    max_retries: int = 3
    retry_non_idempotent: bool = False
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP
    max_retry_wait: float | None = DEFAULT_MAX_RETRY_WAIT

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise _bad("max_retries", "must be an int (0 disables retries)")
        if self.max_retries < 0:
            raise _bad("max_retries", f"must be >= 0 (got {self.max_retries})")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise _bad("retry", "backoff bounds must be >= 0")
        if not self.retry_after_cap >= 0:
            raise _bad("retry_after_cap", f"must be >= 0 (got {self.retry_after_cap!r})")
        if self.max_retry_wait is not None and not self.max_retry_wait >= 0:
            raise _bad("max_retry_wait", f"must be >= 0 or None (got {self.max_retry_wait!r})")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go: scheme, host and port of the OBS endpoint."""

    scheme: Literal["http", "https"]
    host: str
    port: int

    @property
    def host_header(self) -> str:
        """``host``, or ``host:port`` when the port is not 80 or 443 (as the SDK sends it)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port in (80, 443) else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    @property
    def is_ipv4(self) -> bool:
        try:
            ipaddress.IPv4Address(self.host)
        except ValueError:
            return False
        return True

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_endpoint(server: str) -> Endpoint:
    """``https://host[:port]``, ``http://host[:port]`` or a bare ``host[:port]`` (https)."""
    text = server.strip()
    if any(c in text for c in "\r\n\x00"):
        raise InvalidRequestError([ErrorDetail("server", "must not contain CR, LF or NUL")])
    if not text:
        raise InvalidRequestError([ErrorDetail("server", "must not be empty")])
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidRequestError([ErrorDetail("server", "scheme must be http or https")])
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidRequestError(
            [ErrorDetail("server", "must be a scheme and host only, without a path or query")]
        )
    if parts.username or parts.password:
        raise InvalidRequestError([ErrorDetail("server", "must not contain credentials")])
    try:
        port = parts.port
    except ValueError:
        raise InvalidRequestError([ErrorDetail("server", "has an invalid port")]) from None
    host = parts.hostname
    if not host:
        raise InvalidRequestError([ErrorDetail("server", "must name a host")])
    checked: Literal["http", "https"] = "https" if scheme == "https" else "http"
    return Endpoint(checked, host, port or (443 if checked == "https" else 80))


@dataclass(frozen=True, slots=True)
class Proxy:
    """An HTTP proxy: its URL without credentials, and the ``Proxy-Authorization`` value."""

    url: str
    authorization: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        auth = ", authorization=***" if self.authorization else ""
        return f"Proxy(url={self.url!r}{auth})"


def parse_proxy(proxy: str) -> Proxy:
    """``http://[user:password@]host:port``; the credentials move to a header, never logged."""
    if any(c in proxy for c in "\r\n\x00"):
        raise InvalidRequestError([ErrorDetail("proxy", "must not contain CR, LF or NUL")])
    parts = urlsplit(proxy.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError([ErrorDetail("proxy", "must be an http:// or https:// URL")])
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidRequestError([ErrorDetail("proxy", "must not have a path or query")])
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    url = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    authorization = None
    if parts.username is not None:
        user, password = unquote(parts.username), unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
    return Proxy(url, authorization)


VerifyLike = bool | str | os.PathLike[str] | ssl.SSLContext
"""``True`` (system CAs), a CA bundle path, an ``SSLContext``, or ``False`` (no checks)."""


def build_ssl_context(verify: VerifyLike) -> ssl.SSLContext | Literal[False]:
    """Build the TLS setting once (this loads CA files: call it off the event loop)."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        return False
    if verify is True:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=os.fspath(verify))


def check_signature_mode(signature: str) -> SignatureMode:
    lowered = signature.lower()
    if lowered == "obs":
        return "obs"
    if lowered == "v2":
        return "v2"
    if lowered == "v4":
        return "v4"
    raise InvalidRequestError([ErrorDetail("signature", "must be 'obs', 'v2' or 'v4'")])

"""Credentials, the provider interface, simple providers, and the refreshing cache.

A provider is anything with ``async def get(self) -> Credentials``. The transport
does not call providers directly: it asks a :class:`CredentialsCache`, which hands
out the current credentials without awaiting while they are fresh, and refreshes
temporary ones before they expire without a stampede:

- **advisory window** (default: 15 minutes or less left): one task refreshes, the
  others keep using the current credentials; a failed refresh is logged;
- **mandatory window** (default: 10 minutes or less left, or expired): every caller
  waits for the one refresh; a failure raises :class:`CredentialsError`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from ..errors import CredentialsError
from ..validation import check_header_value

__all__ = [
    "ChainProvider",
    "Credentials",
    "CredentialsCache",
    "CredentialsProvider",
    "EnvironmentProvider",
    "StaticProvider",
    "resolve_credentials",
]

logger = logging.getLogger("obs_workflow_async")

ENV_ACCESS_KEY_ID = "OBS_ACCESS_KEY_ID"
ENV_SECRET_ACCESS_KEY = "OBS_SECRET_ACCESS_KEY"
ENV_SECURITY_TOKEN = "OBS_SECURITY_TOKEN"


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key pair, an optional security token and, for temporary keys, an expiry.

    ``repr`` and ``str`` never show the secret or the token. Values that reach a
    header (the key id, the token) may not contain CR, LF or NUL.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    """When temporary credentials stop working (timezone-aware), or ``None``."""

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.secret_access_key:
            raise CredentialsError("credentials need both an access key id and a secret")
        for name, value in (("access_key_id", self.access_key_id),
                            ("security_token", self.security_token)):  # fmt: skip
            if value is not None and check_header_value(value) is not None:
                raise CredentialsError(f"{name} must not contain CR, LF or NUL characters")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise CredentialsError("expires_at must be timezone-aware")

    def __repr__(self) -> str:
        ak = self.access_key_id
        shown = ak[:4] + "..." if len(ak) > 8 else "***"
        token = ", security_token=***" if self.security_token else ""
        expiry = f", expires_at={self.expires_at.isoformat()}" if self.expires_at else ""
        return f"Credentials(access_key_id={shown!r}, secret_access_key=***{token}{expiry})"

    __str__ = __repr__

    def seconds_left(self, now: float) -> float:
        return float("inf") if self.expires_at is None else self.expires_at.timestamp() - now


@runtime_checkable
class CredentialsProvider(Protocol):
    """Where credentials come from. ``get`` may do I/O; it must not block the loop."""

    async def get(self) -> Credentials: ...


class StaticProvider:
    """Fixed credentials."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    async def get(self) -> Credentials:
        return self._credentials

    def __repr__(self) -> str:
        return f"StaticProvider({self._credentials!r})"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


class EnvironmentProvider:
    """``OBS_ACCESS_KEY_ID``, ``OBS_SECRET_ACCESS_KEY``, ``OBS_SECURITY_TOKEN``, read at ``get``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def lookup(self) -> Credentials | None:
        env = os.environ if self._environ is None else self._environ
        ak = _clean(env.get(ENV_ACCESS_KEY_ID))
        sk = _clean(env.get(ENV_SECRET_ACCESS_KEY))
        if ak is None or sk is None:
            return None
        return Credentials(ak, sk, _clean(env.get(ENV_SECURITY_TOKEN)))

    async def get(self) -> Credentials:
        found = self.lookup()
        if found is None:
            raise CredentialsError(f"{ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY} are not set")
        return found

    def __repr__(self) -> str:
        return "EnvironmentProvider()"


class ChainProvider:
    """Asks each provider in turn; the first that answers wins (and is remembered)."""

    def __init__(self, providers: Sequence[CredentialsProvider]) -> None:
        if not providers:
            raise ValueError("a chain needs at least one provider")
        self._providers = tuple(providers)
        self._winner: CredentialsProvider | None = None

    async def get(self) -> Credentials:
        if self._winner is not None:
            return await self._winner.get()
        problems: list[str] = []
        for provider in self._providers:
            try:
                credentials = await provider.get()
            except CredentialsError as error:
                problems.append(f"{type(provider).__name__}: {error}")
                continue
            self._winner = provider
            return credentials
        raise CredentialsError("no credentials found: " + "; ".join(problems))

    def __repr__(self) -> str:
        return "ChainProvider([" + ", ".join(type(p).__name__ for p in self._providers) + "])"


def resolve_credentials(
    access_key_id: str | None,
    secret_access_key: str | None,
    security_token: str | None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Explicit keys win; otherwise the ``OBS_ACCESS_KEY_ID``, ``OBS_SECRET_ACCESS_KEY`` and
    ``OBS_SECURITY_TOKEN`` environment variables (or ``environ`` when given).

    Raises :class:`CredentialsError` when no complete key pair is found, so a
    missing key is reported before any request instead of as a 403.
    """
    ak, sk, token = _clean(access_key_id), _clean(secret_access_key), _clean(security_token)
    source = "arguments"
    if ak is None and sk is None:
        env = os.environ if environ is None else environ
        ak = _clean(env.get(ENV_ACCESS_KEY_ID))
        sk = _clean(env.get(ENV_SECRET_ACCESS_KEY))
        if token is None:
            token = _clean(env.get(ENV_SECURITY_TOKEN))
        source = f"environment ({ENV_ACCESS_KEY_ID}, {ENV_SECRET_ACCESS_KEY})"
    if ak is None or sk is None:
        missing = " and ".join(
            name
            for name, value in (("access_key_id", ak), ("secret_access_key", sk))
            if value is None
        )
        raise CredentialsError(
            f"missing {missing}: pass access_key_id= and secret_access_key=, or set "
            f"{ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY}, or pass credentials= "
            f"(looked in {source})"
        )
    return Credentials(ak, sk, token)


class CredentialsCache:
    """The current credentials of a client, refreshed ahead of expiry (see module doc)."""

    def __init__(
        self,
        provider: CredentialsProvider,
        *,
        initial: Credentials | None = None,
        advisory_seconds: float = 15 * 60,
        mandatory_seconds: float = 10 * 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if mandatory_seconds > advisory_seconds:
            raise ValueError("the mandatory window must not be longer than the advisory one")
        self.provider = provider
        self._current = initial
        self._advisory = advisory_seconds
        self._mandatory = mandatory_seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        self.refreshes = 0
        """How many times the provider was asked (for tests and metrics)."""

    @property
    def current(self) -> Credentials | None:
        return self._current

    def fresh(self) -> Credentials | None:
        """The current credentials if no refresh is due (no await needed), else ``None``."""
        current = self._current
        if current is None or current.expires_at is None:
            return current
        return current if current.seconds_left(self._clock()) > self._advisory else None

    async def get(self) -> Credentials:
        current = self._current
        if current is not None:
            left = current.seconds_left(self._clock())
            if left > self._advisory:
                return current
            if left > self._mandatory:
                return await self._advisory_refresh(current)
        return await self._mandatory_refresh(current)

    async def _advisory_refresh(self, current: Credentials) -> Credentials:
        if self._lock.locked():
            return current  # someone is refreshing: keep going with what we have
        async with self._lock:
            if self._current is not current:
                return self._current or current
            try:
                self._current = await self._fetch()
            except Exception as error:
                logger.warning("refreshing credentials failed; still using the current ones: %s",
                               error)  # fmt: skip
                return current
        return self._current or current

    async def _mandatory_refresh(self, seen: Credentials | None) -> Credentials:
        async with self._lock:
            current = self._current
            if (
                current is not None
                and current is not seen
                and (current.seconds_left(self._clock()) > self._mandatory)
            ):
                return current  # refreshed by the task that held the lock before us
            try:
                self._current = await self._fetch()
            except CredentialsError:
                raise
            except Exception as error:
                raise CredentialsError(f"cannot refresh credentials: {error}") from error
            return self._current

    async def _fetch(self) -> Credentials:
        self.refreshes += 1
        credentials = await self.provider.get()
        if not isinstance(credentials, Credentials):
            raise CredentialsError(f"{type(self.provider).__name__}.get() returned no Credentials")
        return credentials

    def __repr__(self) -> str:
        return f"CredentialsCache({self.provider!r}, current={self._current!r})"

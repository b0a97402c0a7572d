"""Credentials, the provider interface, simple providers, and the refreshing cache.

A provider is anything with ``async def get(self) -> Credentials``. The transport
does not call providers directly: it asks a :class:`CredentialsCache`, which hands
out the current credentials without awaiting while they are fresh, and refreshes
temporary ones before they expire without a stampede. Every fetch is one shared
task; callers await it through :func:`asyncio.shield`, so a caller that is
cancelled never cancels it for the others:

- **advisory window** (default: 15 minutes or less left): the refresh runs in the
  background; no caller waits for it;
- **mandatory window** (default: 10 minutes or less left): callers wait for the one
  refresh; if it fails they keep using the current keys while those have not
  expired (one warning), and raise :class:`CredentialsError` once they have;
- a fetch is started at most once per ``min_refresh_interval`` (default 30 s), after
  a success (keys that arrive already inside the mandatory window) as after a
  failure (callers without valid keys fail fast with the same error until then).
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

from ..errors import CredentialsError, ErrorDetail, InvalidRequestError
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

logger = logging.getLogger(__name__)

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
        # The checks run in a helper that returns a message: the frame that raises
        # holds no secret in a local (tracebacks may render locals).
        problem = _credentials_problem(self)
        if problem is not None:
            raise CredentialsError(problem)

    def __repr__(self) -> str:
        ak = self.access_key_id
        shown = ak[:4] + "..." if len(ak) > 8 else "***"
        token = ", security_token=***" if self.security_token else ""
        expiry = f", expires_at={self.expires_at.isoformat()}" if self.expires_at else ""
        return f"Credentials(access_key_id={shown!r}, secret_access_key=***{token}{expiry})"

    __str__ = __repr__

    def seconds_left(self, now: float) -> float:
        """Seconds until ``expires_at`` at ``now`` (epoch seconds); infinite for keys that never
        expire.

        :param now: The current time in epoch seconds (``time.time()``).
        :returns: Seconds left, negative once expired; ``inf`` without ``expires_at``.
        """
        return float("inf") if self.expires_at is None else self.expires_at.timestamp() - now


def _credentials_problem(credentials: Credentials) -> str | None:
    if not credentials.access_key_id or not credentials.secret_access_key:
        return "credentials need both an access key id and a secret"
    if check_header_value(credentials.access_key_id) is not None:
        return "access_key_id must not contain CR, LF or NUL characters"
    token = credentials.security_token
    if token is not None and check_header_value(token) is not None:
        return "security_token must not contain CR, LF or NUL characters"
    if credentials.expires_at is not None and credentials.expires_at.tzinfo is None:
        return "expires_at must be timezone-aware"
    return None


def _make(
    access_key_id: str, secret_access_key: str, security_token: str | None
) -> Credentials | str:
    """``Credentials``, or the message of why they are refused (never raises)."""
    try:
        return Credentials(access_key_id, secret_access_key, security_token)
    except CredentialsError as error:
        return str(error)


@runtime_checkable
class CredentialsProvider(Protocol):
    """Where credentials come from. ``get`` may do I/O; it must not block the loop."""

    async def get(self) -> Credentials:
        """The credentials to sign with now."""
        ...


class StaticProvider:
    """Fixed credentials."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    async def get(self) -> Credentials:
        """The credentials to sign with now (may do I/O; never blocks the loop)."""
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

    def _lookup(self) -> Credentials | str | None:
        env = os.environ if self._environ is None else self._environ
        ak = _clean(env.get(ENV_ACCESS_KEY_ID))
        sk = _clean(env.get(ENV_SECRET_ACCESS_KEY))
        if ak is None or sk is None:
            return None
        return _make(ak, sk, _clean(env.get(ENV_SECURITY_TOKEN)))

    def lookup(self) -> Credentials | None:
        """The keys in the environment now, or ``None`` when the pair is incomplete."""
        found = self._lookup()  # the environment stays out of this frame's locals
        if isinstance(found, str):
            raise CredentialsError(f"the environment's credentials are refused: {found}")
        return found

    async def get(self) -> Credentials:
        """The credentials to sign with now (may do I/O; never blocks the loop)."""
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
            raise InvalidRequestError([ErrorDetail("providers", "a chain needs at least one")])
        self._providers = tuple(providers)
        self._winner: CredentialsProvider | None = None

    async def get(self) -> Credentials:
        """The credentials to sign with now (may do I/O; never blocks the loop)."""
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
    found = _resolve(access_key_id, secret_access_key, security_token, environ)
    del access_key_id, secret_access_key, security_token, environ  # not in traceback locals
    if isinstance(found, str):
        raise CredentialsError(found)
    return found


def _resolve(
    access_key_id: str | None,
    secret_access_key: str | None,
    security_token: str | None,
    environ: Mapping[str, str] | None,
) -> Credentials | str:
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
        return (
            f"missing {missing}: pass access_key_id= and secret_access_key=, or set "
            f"{ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY}, or pass credentials= "
            f"(looked in {source})"
        )
    return _make(ak, sk, token)


class CredentialsCache:
    """The current credentials of a client, refreshed ahead of expiry (see module doc).

    ``min_refresh_interval`` (seconds, default 30) bounds how often the provider is
    asked: after a fetch ends, successfully or not, the next one starts no sooner
    than that. ``fetch_timeout`` (seconds, default 60, ``None`` for none) bounds one
    fetch, so a provider that hangs fails like one that raises. ``clock`` gives the
    time (``time.time`` by default) used for expiries and for both intervals.
    """

    def __init__(
        self,
        provider: CredentialsProvider,
        *,
        initial: Credentials | None = None,
        advisory_seconds: float = 15 * 60,
        mandatory_seconds: float = 10 * 60,
        min_refresh_interval: float = 30.0,
        fetch_timeout: float | None = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if mandatory_seconds > advisory_seconds:
            raise InvalidRequestError(
                [ErrorDetail("mandatory_seconds", "must not be longer than advisory_seconds")]
            )
        if min_refresh_interval < 0:
            raise InvalidRequestError([ErrorDetail("min_refresh_interval", "must not be negative")])
        if fetch_timeout is not None and fetch_timeout <= 0:
            raise InvalidRequestError([ErrorDetail("fetch_timeout", "must be positive (or None)")])
        self.provider = provider
        self._current = initial
        self._advisory = advisory_seconds
        self._mandatory = mandatory_seconds
        self._interval = min_refresh_interval
        self._fetch_timeout = fetch_timeout
        self._clock = clock
        self._task: asyncio.Task[Credentials | Exception] | None = None
        self._last_done: float | None = None
        """Clock time at which the last fetch ended (``None``: none yet)."""
        self._failure: Exception | None = None
        """What the last fetch raised, ``None`` if it succeeded."""
        self._failures = 0
        self._warned_short = False
        self.refreshes: int = 0
        """How many times the provider was asked (for tests and metrics)."""

    @property
    def current(self) -> Credentials | None:
        """The credentials in use now (``None`` before the first fetch)."""
        return self._current

    def fresh(self) -> Credentials | None:
        """The current credentials if no refresh is due (no await needed), else ``None``."""
        current = self._current
        if current is None or current.expires_at is None:
            return current
        return current if current.seconds_left(self._clock()) > self._advisory else None

    async def get(self) -> Credentials:
        """The credentials to sign with now; waits only where the module doc says so.

        Safe to cancel at any point: a cancelled caller raises ``CancelledError`` and
        the shared fetch goes on for the others.
        """
        now = self._clock()
        current = self._current
        left = current.seconds_left(now) if current is not None else float("-inf")
        if current is not None and left > self._advisory:
            return current
        task = self._running()
        if task is None and self._due(now):
            task = self._start()
        if current is not None and left > self._mandatory:
            return current  # advisory window: the refresh (if any) runs in the background
        if task is None:  # within the back-off interval of the last fetch
            if current is not None and (left > 0 or self._failure is None):
                return current  # still valid, or the newest the provider gave
            if self._failure is not None:
                raise self._error(self._failure)
            task = self._start()  # pragma: no cover - unreachable: no keys, no failure
        outcome = await self._join(task)
        if isinstance(outcome, Credentials):
            return outcome
        current = self._current
        if current is not None and current.seconds_left(self._clock()) > 0:
            return current  # the refresh failed but the keys have not expired yet
        raise self._error(outcome)

    async def aclose(self) -> None:
        """Cancel a fetch in progress (background or not) and wait for it to end."""
        task = self._task
        self._task = None
        if task is None or task.done():
            return
        if task.get_loop() is not asyncio.get_running_loop():
            task.cancel()  # pragma: no cover - a task of another (closed) loop
            return  # pragma: no cover
        task.cancel()
        await asyncio.wait({task})

    def _running(self) -> asyncio.Task[Credentials | Exception] | None:
        task = self._task
        if task is None or task.done():
            return None
        if task.get_loop() is not asyncio.get_running_loop():
            return None  # left over from another event loop: never await it here
        return task

    def _due(self, now: float) -> bool:
        last = self._last_done
        return last is None or now - last >= self._interval or now < last

    def _start(self) -> asyncio.Task[Credentials | Exception]:
        self.refreshes += 1
        task = asyncio.get_running_loop().create_task(
            self._fetch(), name="obs_workflow_async credentials fetch"
        )
        task.add_done_callback(_retrieve)
        self._task = task
        return task

    async def _join(self, task: asyncio.Task[Credentials | Exception]) -> Credentials | Exception:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            me = asyncio.current_task()
            cancelling = getattr(me, "cancelling", None)  # Python 3.11+
            if task.cancelled() and cancelling is not None and cancelling() == 0:
                # The fetch was cancelled by aclose(), not this caller.
                raise CredentialsError(
                    "the credentials fetch was cancelled (cache closed)"
                ) from None
            raise

    async def _fetch(self) -> Credentials | Exception:
        """One fetch; returns the credentials or the exception (never raises but CancelledError)."""
        outcome = await self._ask_provider()
        self._last_done = self._clock()
        if self._task is asyncio.current_task():
            self._task = None
        if isinstance(outcome, Credentials):
            self._current = outcome
            self._failure = None
            if self._failures:
                logger.info("credentials refreshed after %d failed attempts", self._failures)
            self._failures = 0
            left = outcome.seconds_left(self._last_done)
            if left <= self._mandatory and not self._warned_short:
                self._warned_short = True
                logger.warning(
                    "fetched credentials have only %.0f s left (the mandatory refresh window is "
                    "%.0f s): using them, and fetching again at most every %.0f s; check the clock",
                    left,
                    self._mandatory,
                    self._interval,
                )
            return outcome
        self._failure = outcome
        self._failures += 1
        current = self._current
        still_valid = current is not None and current.seconds_left(self._last_done) > 0
        level = logging.WARNING if self._failures == 1 else logging.DEBUG
        logger.log(
            level,
            "refreshing credentials failed (%s); %s; next attempt in %.0f s at the earliest",
            outcome,
            "still using the current ones until they expire" if still_valid else "no valid keys",
            self._interval,
        )
        return outcome

    async def _ask_provider(self) -> Credentials | Exception:
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        timed_out = False

        def expire() -> None:
            nonlocal timed_out
            timed_out = True
            if me is not None:
                me.cancel()

        limit = self._fetch_timeout
        handle = loop.call_later(limit, expire) if limit is not None else None
        try:
            credentials: object = await self.provider.get()  # a provider may return anything
        except asyncio.CancelledError:
            if not timed_out:
                raise
            uncancel = getattr(me, "uncancel", None)  # Python 3.11+
            if uncancel is not None:
                uncancel()
            return CredentialsError(
                f"{type(self.provider).__name__}.get() took more than {limit} s"
            )
        except CredentialsError as error:
            return error
        except Exception as error:
            failure = CredentialsError(
                f"cannot refresh credentials: {type(error).__name__}: {error}"
            )
            failure.__cause__ = error
            return failure
        finally:
            if handle is not None:
                handle.cancel()
        if not isinstance(credentials, Credentials):
            return CredentialsError(f"{type(self.provider).__name__}.get() returned no Credentials")
        return credentials

    @staticmethod
    def _error(failure: Exception) -> CredentialsError:
        """A caller's own error (each caller raises a new one; the shared one is its cause)."""
        error = CredentialsError(str(failure))
        error.__cause__ = failure
        return error

    def __repr__(self) -> str:
        return f"CredentialsCache({self.provider!r}, current={self._current!r})"


def _retrieve(task: asyncio.Task[Credentials | Exception]) -> None:
    """Retrieve the outcome of a fetch nobody awaited (no 'exception never retrieved')."""
    if not task.cancelled():
        task.exception()

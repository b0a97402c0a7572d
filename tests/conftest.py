"""Shared fixtures: an in-loop fake server, a client factory, and a secret scan.

Every test runs with the ``obs_workflow_async`` logger at DEBUG; afterwards the
captured log text is scanned for the test secrets (redaction must hold in every
test, not just the one that looks for it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async.testing import FakeWorkflowServer

# Property tests judge behaviour, never speed: no per-example deadline and no "too slow"
# health check, which a busy machine trips (a test that wants a bound says so itself).
settings.register_profile(
    "suite", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile("suite")

SECRET = "test-secret-key-DO-NOT-LEAK-0001"
TOKEN = "test-security-token-DO-NOT-LEAK-0002"
ACCESS_KEY = "TESTACCESSKEYID00001"
PROXY_PASSWORD = "proxy-pa55word-DO-NOT-LEAK"
SECRETS = (SECRET, TOKEN, PROXY_PASSWORD)


def pytest_configure(config: pytest.Config) -> None:
    """A suite started with signals ignored (``nohup``, ``cmd &`` in a script) would
    hand them on, ignored, to every CLI process it starts, and the CLI rightly leaves an
    ignored signal ignored: the signal tests would wait in vain. Take them back."""
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) == signal.SIG_IGN:
            handler = signal.default_int_handler if name == "SIGINT" else signal.SIG_DFL
            signal.signal(sig, handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long scenarios (marked ``slow``) first, in their random order, the rest after
    in theirs: pytest-xdist hands each worker its tests in this order, so a long test
    never starts last on one worker while the other has nothing left to do (that tail
    made the wall time). pytest-randomly shuffles before this hook (its wrapper runs
    first); the stable sort keeps its order within each group."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Fail any test whose output, logs or traceback contains a test secret."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    texts = [report.longreprtext or "", report.capstdout, report.capstderr, report.caplog]
    for secret in SECRETS:
        if any(secret in text for text in texts) and report.passed:
            report.outcome = "failed"
            report.longrepr = f"a test secret appeared in the output of {item.nodeid}"


@pytest.fixture(autouse=True)
def _no_user_cli_configuration(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The CLI reads ``OBS_WORKFLOW_*`` variables and ``~/.config/obs-workflow/config``:
    a developer's own settings must not change what the tests see."""
    import os

    for name in list(os.environ):
        if name.startswith("OBS_WORKFLOW_") and name != "OBS_WORKFLOW_LOG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-config"))


@pytest.fixture(autouse=True)
def _scan_logs_for_secrets(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG, logger="obs_workflow_async")
    yield
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in SECRETS:
        assert secret not in text, "a secret reached the logs"


@pytest.fixture(autouse=True)
def _no_thread_outlives_its_test() -> Iterator[None]:
    """A thread a test starts ends with it (else it runs on into the next test, in any
    order). The event loop's own executor threads (``asyncio_N``) end when
    pytest-asyncio closes the loop."""
    before = set(threading.enumerate())
    yield
    stray = [
        t for t in threading.enumerate() if t not in before and not t.name.startswith("asyncio_")
    ]
    for thread in stray:
        thread.join(timeout=30)  # one that is ending gets the time a slow machine needs
    assert [t.name for t in stray if t.is_alive()] == [], "a thread outlived its test"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWorkflowServer]:
    """The fake service in the test's own event loop, with the test credentials."""
    async with FakeWorkflowServer(
        access_key_id=ACCESS_KEY, secret_access_key=SECRET, security_token=TOKEN
    ) as server:
        yield server


@pytest.fixture
async def make_client(
    fake: FakeWorkflowServer,
) -> AsyncIterator[Callable[..., AsyncWorkflowClient]]:
    """Build clients for ``fake`` (closed at the end of the test)."""
    clients: list[AsyncWorkflowClient] = []

    def make(**overrides: Any) -> AsyncWorkflowClient:
        kwargs: dict[str, Any] = dict(fake.client_kwargs())
        kwargs.update(overrides)
        client = AsyncWorkflowClient(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()

"""Configuration: endpoints, credentials (env fallback, redaction), timeouts, TLS."""

from __future__ import annotations

import ssl

import pytest

from obs_workflow_async import AsyncWorkflowClient, CredentialsError, InvalidRequestError, Timeout
from obs_workflow_async._config import build_ssl_context, parse_endpoint, to_timeout
from obs_workflow_async.credentials import resolve_credentials
from tests.conftest import SECRET, TOKEN
from tests.support.inspect import session_of


@pytest.mark.parametrize(
    ("server", "origin", "host_header"),
    [
        (
            "obs.cn-north-4.myhuaweicloud.com",
            "https://obs.cn-north-4.myhuaweicloud.com",
            "obs.cn-north-4.myhuaweicloud.com",
        ),
        ("https://obs.example.com/", "https://obs.example.com", "obs.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("HTTP://Host:80", "http://host", "host"),
        ("https://[::1]:9443", "https://[::1]:9443", "[::1]:9443"),
    ],
)
def test_parse_endpoint(server: str, origin: str, host_header: str) -> None:
    endpoint = parse_endpoint(server)
    assert endpoint.origin == origin
    assert endpoint.host_header == host_header


@pytest.mark.parametrize(
    "server", ["", "ftp://h", "https://h/path", "https://u:p@h", "https://h:99999", "https://"]
)
def test_bad_endpoints(server: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_endpoint(server)
    assert caught.value.field == "server"


def test_explicit_credentials_win_over_environment() -> None:
    env = {"OBS_ACCESS_KEY_ID": "ENVAK", "OBS_SECRET_ACCESS_KEY": "envsk"}
    creds = resolve_credentials(" AK ", "SK\n", None, env)
    assert (creds.access_key_id, creds.secret_access_key, creds.security_token) == (
        "AK",
        "SK",
        None,
    )


def test_environment_fallback_includes_token() -> None:
    env = {
        "OBS_ACCESS_KEY_ID": "ENVAK",
        "OBS_SECRET_ACCESS_KEY": "envsk",
        "OBS_SECURITY_TOKEN": "t",
    }
    creds = resolve_credentials(None, None, None, env)
    assert (creds.access_key_id, creds.secret_access_key, creds.security_token) == (
        "ENVAK",
        "envsk",
        "t",
    )


@pytest.mark.parametrize(
    ("ak", "sk", "env", "missing"),
    [
        (None, None, {}, "access_key_id and secret_access_key"),
        ("AK", None, {"OBS_SECRET_ACCESS_KEY": "ignored"}, "secret_access_key"),
        (None, None, {"OBS_ACCESS_KEY_ID": "AK"}, "secret_access_key"),
        ("  ", "  ", {}, "access_key_id and secret_access_key"),
    ],
)
def test_missing_credentials_fail_in_the_constructor(
    ak: str | None, sk: str | None, env: dict[str, str], missing: str
) -> None:
    with pytest.raises(CredentialsError, match=missing):
        AsyncWorkflowClient(
            server="obs.example.com", access_key_id=ak, secret_access_key=sk, environ=env
        )


def test_env_is_read_by_the_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBS_ACCESS_KEY_ID", "FROMENVIRONMENT01")
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", SECRET)
    client = AsyncWorkflowClient(server="obs.example.com")
    assert "FROM" in repr(client)
    assert SECRET not in repr(client)


def test_header_injection_in_credentials_is_refused() -> None:
    with pytest.raises(CredentialsError, match="CR, LF"):
        resolve_credentials("AK", "SK", "tok\r\nX-Evil: 1", {})


def test_repr_and_str_never_show_secrets() -> None:
    creds = resolve_credentials("AKIDLONGENOUGH", SECRET, TOKEN, {})
    for text in (repr(creds), str(creds)):
        assert SECRET not in text and TOKEN not in text
    client = AsyncWorkflowClient(
        server="obs.example.com",
        access_key_id="AKIDLONGENOUGH",
        secret_access_key=SECRET,
        security_token=TOKEN,
    )
    assert SECRET not in repr(client) and TOKEN not in repr(client)
    assert SECRET not in str(vars(client)) and TOKEN not in repr(vars(client._core.pipeline))


def test_v4_region_is_inferred_or_required() -> None:
    AsyncWorkflowClient(
        server="obs.cn-north-4.myhuaweicloud.com",
        signature="v4",
        access_key_id="a",
        secret_access_key="b",
    )
    with pytest.raises(InvalidRequestError, match="region"):
        AsyncWorkflowClient(
            server="obs.example.com", signature="v4", access_key_id="a", secret_access_key="b"
        )
    with pytest.raises(InvalidRequestError, match="signature"):
        AsyncWorkflowClient(
            server="obs.example.com", signature="v3", access_key_id="a", secret_access_key="b"
        )


def test_timeouts() -> None:
    assert to_timeout(5) == Timeout(total=5.0, connect=5.0)
    assert to_timeout(30).connect == 10.0
    custom = Timeout(total=None, connect=1, read=2)
    assert to_timeout(custom) is custom
    with pytest.raises(ValueError):
        Timeout(total=0)
    with pytest.raises(InvalidRequestError):
        to_timeout("5")  # type: ignore[arg-type]


def test_tls_verification_is_on_by_default() -> None:
    context = build_ssl_context(True)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert build_ssl_context(False) is False
    mine = ssl.create_default_context()
    assert build_ssl_context(mine) is mine


def test_client_constructor_is_sync_and_lazy() -> None:
    client = AsyncWorkflowClient(server="obs.example.com", access_key_id="a", secret_access_key="b")
    assert session_of(client) is None  # nothing created outside a loop
    assert not client.closed


def test_bad_pool_and_deadline_values() -> None:
    with pytest.raises(ValueError):
        AsyncWorkflowClient(
            server="h.example", access_key_id="a", secret_access_key="b", max_connections=0
        )
    with pytest.raises(ValueError):
        AsyncWorkflowClient(
            server="h.example", access_key_id="a", secret_access_key="b", deadline=0
        )

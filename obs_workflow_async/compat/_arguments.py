"""The official constructor's keywords: refused, warned about, or converted to
:class:`~obs_workflow_async.AsyncWorkflowClient`'s."""

from __future__ import annotations

import warnings
from urllib.parse import quote, urlsplit

from ..credentials import (
    CredentialsProvider,
    EcsMetadataProvider,
    EnvironmentProvider,
    OidcProvider,
    default_chain,
)
from ..errors import ErrorDetail, InvalidRequestError

__all__ = [
    "SdkCompatWarning",
    "proxy_url",
    "refuse_unsupported",
    "sdk_credentials",
    "server_url",
    "warn_ignored",
]


class SdkCompatWarning(UserWarning):
    """An official ``WorkflowClient`` option that this client accepts but does not apply."""


_POLICIES = ("OBS_DEFAULT", "ENV", "ECS", "OIDC")


def _provider(policy: str) -> CredentialsProvider:
    if policy == "ENV":
        return EnvironmentProvider()
    if policy == "ECS":
        return EcsMetadataProvider()
    if policy == "OIDC":
        return OidcProvider()
    return default_chain()


def _refuse(option: str, why: str) -> InvalidRequestError:
    return InvalidRequestError([ErrorDetail(option, why)])


def _warn(option: str, what: str) -> None:
    # stacklevel: the line calling WorkflowClient(...) (_warn <- warn_ignored <- __init__)
    warnings.warn(f"WorkflowClient({option}=...): {what}", SdkCompatWarning, stacklevel=4)


def refuse_unsupported(
    *,
    json_result: object,
    path_style: object,
    is_signature_negotiation: object,
    is_cname: object,
    security_providers: object,
    is_use_gmssl: object,
    client_verify: object,
    custom_ciphers: object,
    timeout: float | None,
    security_provider_policy: str | None,
) -> None:
    """Refused: ignoring these would change what is sent, to whom, or what is trusted."""
    negotiation = "is not supported by the workflow client (the SDK refuses it too)"
    tls_hint = "build an ssl.SSLContext and pass it as AsyncWorkflowClient(verify=...)"
    policy = security_provider_policy
    refusals: tuple[tuple[object, str, str], ...] = (
        (json_result, "isJsonResult", "is not supported: bodies are typed models"),
        (path_style, "path_style", negotiation),
        (is_signature_negotiation, "is_signature_negotiation", negotiation),
        (is_cname, "is_cname", "is not supported"),
        (
            security_providers is not None,
            "security_providers",
            "is not supported: use security_provider_policy, or build an "
            "AsyncWorkflowClient(credentials=<provider>) and WorkflowClient.from_client",
        ),
        (is_use_gmssl, "is_use_gmssl", "is not supported (GM/T TLS)"),
        (client_verify is not None, "client_verify", f"is not supported: {tls_hint}"),
        (custom_ciphers is not None, "custom_ciphers", f"is not supported: {tls_hint}"),
        (timeout is None, "timeout", "can not be None"),
        (
            policy is not None and policy not in _POLICIES,
            "security_provider_policy",
            f"must be one of {', '.join(_POLICIES)}",
        ),
    )
    for refused, option, why in refusals:
        if refused:
            raise _refuse(option, why)


def warn_ignored(*, use_http2: bool, max_redirect_count: int, chunk_size: int) -> None:
    """Warned: nothing else changes (the answers are the same)."""
    if use_http2:
        _warn("use_http2", "HTTP/2 is not supported; HTTP/1.1 is used")
    if max_redirect_count not in (0, 10):
        _warn("max_redirect_count", "redirects are never followed; a 3xx is returned")
    if chunk_size != 65536:
        _warn("chunk_size", "has no effect (answers are read whole, up to a size cap)")


def sdk_credentials(
    access_key_id: str, secret_access_key: str, security_token: str | None, policy: str | None
) -> tuple[str | None, str | None, str | None, CredentialsProvider | None]:
    """The static keys, or (when both are not set and there is a policy) the provider."""
    ak: str | None = access_key_id or None
    sk: str | None = secret_access_key or None
    if not (ak and sk) and policy is not None:
        # As the SDK: static keys, when both are set, always win over the policy.
        return None, None, None, _provider(policy)
    return ak, sk, security_token, None


def server_url(server: str | None, is_secure: bool, port: int | None) -> str:
    text = (server or "").strip()
    if not text:
        raise _refuse("server", "is not set")
    if "://" not in text:
        text = ("https://" if is_secure else "http://") + text
    if port is not None and urlsplit(text).port is None:
        text = f"{text.rstrip('/')}:{port}"  # as the SDK: a port in server wins
    return text


def proxy_url(
    host: str | None, port: int | None, username: str | None, password: str | None
) -> str | None:
    if not host:
        return None  # the SDK ignores the other proxy options without a host too
    auth = ""
    if username is not None:
        auth = quote(username, safe="") + ":" + quote(password or "", safe="") + "@"
    return f"http://{auth}{host}" + (f":{port}" if port is not None else "")

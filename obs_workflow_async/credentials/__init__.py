"""Credentials and where they come from: explicit keys, the environment, ECS/CCE
instance metadata, OIDC; a chain of those; and the cache that refreshes them.

``default_chain()`` builds the usual order: environment → ECS metadata → OIDC (the
last only when ``HUAWEI_CLOUD_IDP_ID`` is set). Pass it, or any provider, as
``AsyncWorkflowClient(credentials=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .._endpoints import ECS_ENDPOINT
    from ._base import (
        ChainProvider,
        Credentials,
        CredentialsCache,
        CredentialsProvider,
        EnvironmentProvider,
        StaticProvider,
        resolve_credentials,
    )
    from ._chain import default_chain
    from ._remote import (
        MAX_ANSWER_BYTES,
        MAX_TOKEN_FILE_BYTES,
        EcsMetadataProvider,
        OidcProvider,
        parse_security_key,
    )

# Imported on first use (PEP 562): ``ECS_ENDPOINT`` (the command line's ``--help``
# shows it) without aiohttp, which the remote providers import.
_EXPORTS: dict[str, str] = {
    "ChainProvider": "._base",
    "Credentials": "._base",
    "CredentialsCache": "._base",
    "CredentialsProvider": "._base",
    "ECS_ENDPOINT": ".._endpoints",
    "EcsMetadataProvider": "._remote",
    "EnvironmentProvider": "._base",
    "MAX_ANSWER_BYTES": "._remote",
    "MAX_TOKEN_FILE_BYTES": "._remote",
    "OidcProvider": "._remote",
    "StaticProvider": "._base",
    "default_chain": "._chain",
    "parse_security_key": "._remote",
    "resolve_credentials": "._base",
}

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "ECS_ENDPOINT",
    "MAX_ANSWER_BYTES",
    "MAX_TOKEN_FILE_BYTES",
    "ChainProvider",
    "Credentials",
    "CredentialsCache",
    "CredentialsProvider",
    "EcsMetadataProvider",
    "EnvironmentProvider",
    "OidcProvider",
    "StaticProvider",
    "default_chain",
    "parse_security_key",
    "resolve_credentials",
]

"""Credentials and where they come from: explicit keys, the environment, ECS/CCE
instance metadata, OIDC; a chain of those; and the cache that refreshes them.

``default_chain()`` builds the usual order: environment → ECS metadata → OIDC (the
last only when ``HUAWEI_CLOUD_IDP_ID`` is set). Pass it, or any provider, as
``AsyncWorkflowClient(credentials=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._base import (
    ChainProvider,
    Credentials,
    CredentialsCache,
    CredentialsProvider,
    EnvironmentProvider,
    StaticProvider,
    resolve_credentials,
)
from ._remote import (
    ECS_ENDPOINT,
    MAX_ANSWER_BYTES,
    MAX_TOKEN_FILE_BYTES,
    EcsMetadataProvider,
    OidcProvider,
    parse_security_key,
)

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


def default_chain(
    *, environ: Mapping[str, str] | None = None, ecs_endpoint: str | None = None
) -> ChainProvider:
    """Environment, then ECS/CCE metadata, then OIDC when ``HUAWEI_CLOUD_IDP_ID`` is set.

    :param environ: The mapping environment variables are read from (default
        ``os.environ``).
    :param ecs_endpoint: The metadata service's URL; ``None``: the default one.
    :returns: The chain of providers, tried in that order.
    """
    providers: list[CredentialsProvider] = [EnvironmentProvider(environ)]
    providers.append(
        EcsMetadataProvider(endpoint=ecs_endpoint) if ecs_endpoint else EcsMetadataProvider()
    )
    if OidcProvider.configured(environ):
        providers.append(OidcProvider(environ=environ))
    return ChainProvider(providers)

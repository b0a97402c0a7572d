"""The default chain of providers: environment, ECS/CCE metadata, OIDC."""

from __future__ import annotations

from collections.abc import Mapping

from ._base import ChainProvider, CredentialsProvider, EnvironmentProvider
from ._remote import EcsMetadataProvider, OidcProvider

__all__ = ["default_chain"]


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

"""The shared constructor keywords are written where users read them (each public
constructor's signature, documented) and turned into options in one place
(``ClientOptions.build``): the three must never drift apart (defaults, types)."""

from __future__ import annotations

import inspect

import pytest

from obs_workflow_async import AsyncWorkflowClient
from obs_workflow_async._core.options import ClientOptions
from obs_workflow_async.dwr import AsyncDwrClient

SHARED = inspect.signature(ClientOptions.build).parameters


@pytest.mark.parametrize("client", [AsyncWorkflowClient, AsyncDwrClient])
def test_every_shared_keyword_is_taken_with_the_same_default_and_type(client: type) -> None:
    taken = inspect.signature(client.__init__).parameters
    assert len(SHARED) >= 20
    different = [
        name
        for name, option in SHARED.items()
        if name not in taken
        or taken[name].default != option.default
        or taken[name].annotation != option.annotation
        or taken[name].kind is not inspect.Parameter.KEYWORD_ONLY
    ]
    assert different == []

"""``AsyncWorkflowClient``: the public async client, assembled from the API groups.

Layering: an API method validates its arguments (:mod:`.models`), builds a
:class:`~.transport.RequestSpec`, hands it to the :class:`~.transport.Transport`
(which signs with :mod:`.signing` and retries per :mod:`.retry`) and parses the
answer into a typed model.
"""

from __future__ import annotations

from ._api.batch import BatchAPI
from ._api.executions import ExecutionsAPI
from ._api.policies import TriggerPoliciesAPI
from ._api.settle import SettleAPI
from ._api.templates import TemplatesAPI
from ._api.workflows import WorkflowsAPI

__all__ = ["AsyncWorkflowClient"]


class AsyncWorkflowClient(
    SettleAPI,
    ExecutionsAPI,
    BatchAPI,
    WorkflowsAPI,
    TemplatesAPI,
    TriggerPoliciesAPI,
):
    """Async client for Huawei Cloud OBS workflows (Data+).

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with AsyncWorkflowClient(server="https://obs.cn-north-4.myhuaweicloud.com",
                                       access_key_id=ak, secret_access_key=sk) as client:
            result = await client.start_workflow("graph", "bucket", "videos/a.mp4")

    One pooled ``aiohttp`` session per client, created lazily inside the running
    loop. Credentials fall back to ``OBS_ACCESS_KEY_ID``/``OBS_SECRET_ACCESS_KEY``/
    ``OBS_SECURITY_TOKEN`` when not passed (read in the constructor). Every method
    takes the per-call overrides of :class:`~.base_client.RequestOptions`
    (``timeout``, ``max_retries``, ``deadline``, ``retry_non_idempotent``).
    See ``docs/configuration.md`` for every option.
    """

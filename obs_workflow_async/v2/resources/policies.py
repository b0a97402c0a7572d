"""Bucket trigger policies: put, get, delete (bucket-addressed calls)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..._core.answers import read_model
from ..._core.client import CoreClient
from ..._core.options import RequestOptions
from ..._pipeline import RequestSpec
from . import _refs

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ...models import (
        OperationResult,
        PutTriggerPolicyRequest,
        TriggerPolicy,
        TriggerRule,
    )
    from ._names import BucketRef


__all__ = [
    "TriggerPoliciesMethods",
    "delete_trigger_policy_spec",
    "get_trigger_policy_spec",
    "put_trigger_policy_spec",
    "bucket_ref",
]

SUBRESOURCE = (("obsworkflowtriggerpolicy", None),)


def put_trigger_policy_spec(request: PutTriggerPolicyRequest) -> RequestSpec:
    return RequestSpec(
        "PUT", "", SUBRESOURCE, request.body(), request.bucket, operation="put_trigger_policy"
    )


def bucket_ref(bucket: object) -> BucketRef:
    """Validate a bucket name (``InvalidRequestError``, nothing sent)."""
    return _refs.validate_request(_refs.BucketRef, bucket=bucket)


def get_trigger_policy_spec(ref: BucketRef) -> RequestSpec:
    return RequestSpec("GET", "", SUBRESOURCE, None, ref.bucket, operation="get_trigger_policy")


def delete_trigger_policy_spec(ref: BucketRef) -> RequestSpec:
    return RequestSpec(
        "DELETE", "", SUBRESOURCE, None, ref.bucket, operation="delete_trigger_policy"
    )


class TriggerPoliciesMethods:
    """``<bucket>.<host>/?obsworkflowtriggerpolicy`` (path style for IP endpoints)."""

    _core: CoreClient

    async def put_trigger_policy(
        self, bucket: str, rules: Sequence[TriggerRule], **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """Replace ``bucket``'s trigger policy with ``rules`` (models or plain dicts).

        :param bucket: The bucket whose policy is replaced.
        :param rules: The trigger rules (:class:`TriggerRule` models or plain
            dicts).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._policies import PutTriggerPolicyRequest

        request = _refs.validate_request(PutTriggerPolicyRequest, bucket=bucket, rules=rules)
        return await self._core.request(
            put_trigger_policy_spec(request), _refs.read_operation, options
        )

    async def get_trigger_policy(
        self, bucket: str, **options: Unpack[RequestOptions]
    ) -> TriggerPolicy:
        """``bucket``'s trigger policy (its rules).

        :param bucket: The bucket.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        from ...models._policies import TriggerPolicy

        return await self._core.request(
            get_trigger_policy_spec(bucket_ref(bucket)), read_model(TriggerPolicy), options
        )

    async def delete_trigger_policy(
        self, bucket: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """Remove ``bucket``'s trigger policy.

        :param bucket: The bucket.
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises APIStatusError: The service answered an error
            (:class:`NotFoundError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout), after
            the retries.
        """
        return await self._core.request(
            delete_trigger_policy_spec(bucket_ref(bucket)), _refs.read_operation, options
        )

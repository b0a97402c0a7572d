"""Trigger policies: put, get, delete (the SDK's trigger policy calls)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import PutTriggerPolicyRequest, TriggerRule, validate_request
from ..v2.resources import policies
from ._results import GetResult, GetTriggerPolicyResponse
from ._sender import Sender

__all__ = ["TriggerPolicyCalls"]


class TriggerPolicyCalls(Sender):
    """Trigger policies: the calls of :class:`~obs_workflow_async.compat.WorkflowClient`."""

    async def putTriggerPolicy(
        self, bucketName: str, rules: Sequence[TriggerRule]
    ) -> GetResult[str]:
        """``PUT /?obsworkflowtriggerpolicy`` on the bucket (body ``{"rules": [...]}``).

        :param bucketName: The bucket.
        :param rules: The trigger rules, replacing the bucket's policy.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        request = validate_request(PutTriggerPolicyRequest, bucket=bucketName, rules=rules)
        return await self._text(policies.put_trigger_policy_spec(request))

    async def getTriggerPolicy(self, bucketName: str) -> GetResult[GetTriggerPolicyResponse]:
        """``GET /?obsworkflowtriggerpolicy`` on the bucket.

        :param bucketName: The bucket.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        spec = policies.get_trigger_policy_spec(policies.bucket_ref(bucketName))
        return await self._result(spec, GetTriggerPolicyResponse)

    async def deleteTriggerPolicy(self, bucketName: str) -> GetResult[str]:
        """``DELETE /?obsworkflowtriggerpolicy`` on the bucket.

        :param bucketName: The bucket.
        :raises InvalidRequestError: An argument breaks a rule (nothing sent).
        :raises TransportError: No complete answer, after the retries (HTTP
            error answers are returned, as the SDK does: ``status >= 300``).
        """
        return await self._text(
            policies.delete_trigger_policy_spec(policies.bucket_ref(bucketName))
        )

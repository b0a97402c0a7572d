"""Workflow authorization and service agreements (v3-only calls)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._core.answers import read_model
from ..._core.options import RequestOptions
from .. import _refs
from ..project import DwrCalls
from ..rules import agreement

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ...models import OperationResult
    from ..models import (
        DwrAgreement,
        DwrAuthorization,
    )


class AuthorizationMethods:
    """``/workflow-authorization`` and ``/workflow-agreements``."""

    _dwr: DwrCalls

    async def create_authorization(self, **options: Unpack[RequestOptions]) -> OperationResult:
        """``create_workflow_authentication`` (idempotent on the service).

        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec("POST", "workflow-authorization", "create_authorization")
        return await self._dwr.request(spec, _refs.read_operation, options)

    async def get_authorization(self, **options: Unpack[RequestOptions]) -> DwrAuthorization:
        """``check_workflow_authentication`` (404 :class:`NotFoundError` when none).

        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises NotFoundError: No workflow authorization is in place.
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec("GET", "workflow-authorization", "get_authorization")
        return await self._dwr.request(spec, read_model(_refs.DwrAuthorization), options)

    async def accept_agreement(
        self, agreement_type: str, **options: Unpack[RequestOptions]
    ) -> OperationResult:
        """``accept_service_contract``: ``agreement_type`` (the query's ``type``) is
        ``use_public_action_privacy_statement`` or ``register_public_action_statement``.

        :param agreement_type: ``use_public_action_privacy_statement`` or
            ``register_public_action_statement`` (the query's ``type``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: Another ``agreement_type`` (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec(
            "POST",
            "workflow-agreements",
            "accept_agreement",
            query=[("type", agreement(agreement_type))],
        )
        return await self._dwr.request(spec, _refs.read_operation, options)

    async def get_agreement(
        self, agreement_type: str, **options: Unpack[RequestOptions]
    ) -> DwrAgreement:
        """``show_service_contract``: ``agreement_type`` as for :meth:`accept_agreement`.

        :param agreement_type: ``use_public_action_privacy_statement`` or
            ``register_public_action_statement`` (the query's ``type``).
        :param options: Per-call overrides (:class:`~obs_workflow_async.RequestOptions`):
            ``timeout``, ``max_retries``, ``deadline``, ``max_retry_wait``,
            ``retry_non_idempotent``; omitted ones keep the client's.
        :raises InvalidRequestError: Another ``agreement_type`` (nothing sent).
        :raises DiscoveryError: The project id had to be discovered through IAM and the
            discovery failed (nothing was sent to DWR).
        :raises APIStatusError: The service answered an error (a subclass per status:
            :class:`NotFoundError`, :class:`RateLimitError`, ...), after the retries.
        :raises TransportError: No complete answer (connection, timeout:
            :class:`RequestTimeoutError`), after the retries.
        """
        spec = self._dwr.spec(
            "GET",
            "workflow-agreements",
            "get_agreement",
            query=[("type", agreement(agreement_type))],
        )
        return await self._dwr.request(spec, read_model(_refs.DwrAgreement), options)

"""``AsyncWorkflowClient``: the public async client.

Layering: the client validates arguments (:mod:`.models`), builds a
:class:`~.transport.RequestSpec`, hands it to the :class:`~.transport.Transport`
(which signs with :mod:`.signing` and retries per :mod:`.retry`) and parses the
answer into typed models.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from types import TracebackType
from typing import TypeVar

import aiohttp
from pydantic import BaseModel, JsonValue, ValidationError

from ._version import __version__
from .compat import AsyncAPIStartWorkflowResponse, GetResult, compat_headers
from .config import (
    DEFAULT_TIMEOUT,
    Credentials,
    RetryConfig,
    TimeoutLike,
    VerifyLike,
    check_signature_mode,
    parse_endpoint,
    resolve_credentials,
    to_timeout,
)
from .errors import APIStatusError, ErrorDetail, InvalidRequestError, ResponseParseError
from .models import StartWorkflowRequest, StartWorkflowResult, validate_request
from .transport import CallOptions, RawResponse, RequestSpec, Transport

__all__ = ["NOT_GIVEN", "AsyncWorkflowClient", "NotGiven"]

DEFAULT_USER_AGENT = f"obs-workflow-async/{__version__}"
_M = TypeVar("_M", bound=BaseModel)
_REGION_FROM_HOST = re.compile(r"^obs\.([a-z0-9-]+)\.myhuaweicloud\.com$")


class NotGiven(enum.Enum):
    """Sentinel type for per-call overrides that were not passed."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven.NOT_GIVEN
"""Default of per-call overrides: use the client's setting."""


class AsyncWorkflowClient:
    """Async client for Huawei Cloud OBS workflows (Data+).

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with AsyncWorkflowClient(server="https://obs.cn-north-4.myhuaweicloud.com",
                                       access_key_id=ak, secret_access_key=sk) as client:
            result = await client.start_workflow("graph", "bucket", "videos/a.mp4")

    One pooled ``aiohttp`` session per client, created lazily inside the running
    loop. Credentials fall back to ``OBS_ACCESS_KEY_ID``/``OBS_SECRET_ACCESS_KEY``/
    ``OBS_SECURITY_TOKEN`` when not passed (read here, in the constructor).
    See ``docs/configuration.md`` for every option.
    """

    def __init__(
        self,
        *,
        server: str,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        security_token: str | None = None,
        signature: str = "obs",
        region: str | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        max_retries: int = 3,
        retry_non_idempotent: bool = False,
        max_connections: int = 100,
        keepalive_timeout: float = 10.0,
        verify: VerifyLike = True,
        user_agent: str | None = None,
        session: aiohttp.ClientSession | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        endpoint = parse_endpoint(server)
        mode = check_signature_mode(signature)
        if mode == "v4" and region is None:
            match = _REGION_FROM_HOST.match(endpoint.host)
            if match is None:
                raise InvalidRequestError(
                    [ErrorDetail("region", "is required for signature='v4' with this server")]
                )
            region = match.group(1)
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise TypeError("max_connections must be an int")
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1 (got {max_connections})")
        if deadline is not None and not deadline > 0:
            raise ValueError(f"deadline must be positive or None (got {deadline!r})")
        self._credentials: Credentials = resolve_credentials(
            access_key_id, secret_access_key, security_token, environ
        )
        self._timeout = to_timeout(timeout)
        self._deadline = deadline
        self._retry = RetryConfig(
            max_retries=max_retries, retry_non_idempotent=retry_non_idempotent
        )
        self._signature = mode
        self._default_options = CallOptions(self._timeout, self._retry, self._deadline)
        self._transport = Transport(
            endpoint=endpoint,
            credentials=self._credentials,
            signature=mode,
            region=region or "region",
            verify=verify,
            max_connections=max_connections,
            keepalive_timeout=keepalive_timeout,
            user_agent=user_agent or DEFAULT_USER_AGENT,
            session=session,
        )

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> AsyncWorkflowClient:
        await self._transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled session (unless it was passed in). Safe to call twice."""
        await self._transport.aclose()

    @property
    def closed(self) -> bool:
        return self._transport.closed

    @property
    def server(self) -> str:
        return self._transport.endpoint.origin

    def __repr__(self) -> str:
        return (
            f"AsyncWorkflowClient(server={self.server!r}, signature={self._signature!r}, "
            f"credentials={self._credentials!r}, closed={self.closed})"
        )

    # -- plumbing ----------------------------------------------------------------

    def _options(
        self,
        timeout: TimeoutLike | NotGiven,
        max_retries: int | NotGiven,
        deadline: float | NotGiven | None,
        retry_non_idempotent: bool | NotGiven,
    ) -> CallOptions:
        if (
            timeout is NOT_GIVEN
            and max_retries is NOT_GIVEN
            and deadline is NOT_GIVEN
            and retry_non_idempotent is NOT_GIVEN
        ):
            return self._default_options
        retry = self._retry
        if max_retries is not NOT_GIVEN or retry_non_idempotent is not NOT_GIVEN:
            retry = RetryConfig(
                max_retries=retry.max_retries if max_retries is NOT_GIVEN else max_retries,
                retry_non_idempotent=(
                    retry.retry_non_idempotent
                    if retry_non_idempotent is NOT_GIVEN
                    else retry_non_idempotent
                ),
                backoff_base=retry.backoff_base,
                backoff_cap=retry.backoff_cap,
                retry_after_cap=retry.retry_after_cap,
            )
        return CallOptions(
            timeout=self._timeout if timeout is NOT_GIVEN else to_timeout(timeout),
            retry=retry,
            deadline=self._deadline if deadline is NOT_GIVEN else deadline,
        )

    @staticmethod
    def _parse_error(
        raw: RawResponse, model: type[BaseModel], exc: ValidationError
    ) -> ResponseParseError:
        problems = exc.errors(include_url=False, include_input=False)
        if problems and problems[0]["type"] == "json_invalid":
            what = "body is not JSON"
        elif problems and problems[0]["type"] == "model_type":
            what = "expected a JSON object"
        else:
            what = (
                f"body does not match {model.__name__} ("
                + ", ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in problems)
                + ")"
            )
        return ResponseParseError(
            what,
            status=raw.status,
            request_id=raw.request_id,
            body=raw.body[:2000].decode("utf-8", errors="replace"),
            headers=raw.headers,
        )

    def _parse(self, model: type[_M], raw: RawResponse) -> _M:
        """Validate the JSON body into ``model``, adding the response metadata."""
        context: dict[str, object] = {"headers": raw.headers, "retries_taken": raw.retries_taken}
        if raw.request_id is not None:
            context["request_id"] = raw.request_id  # else the body's request_id, if any
        try:
            return model.model_validate_json(raw.body, context=context)
        except ValidationError as exc:
            raise self._parse_error(raw, model, exc) from None

    # -- executions --------------------------------------------------------------

    async def start_workflow(
        self,
        graph_name: str,
        bucket: str,
        object_key: str,
        inputs: Mapping[str, JsonValue] | None = None,
        *,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
        retry_non_idempotent: bool | NotGiven = NOT_GIVEN,
    ) -> StartWorkflowResult:
        """Start one execution of workflow ``graph_name`` on ``bucket``/``object_key``.

        ``POST /v2/workflows/{graph_name}`` with ``{"bucket", "object", "inputs"}``.
        Arguments are validated first (:class:`InvalidRequestError`, nothing sent).
        The call is not idempotent: by default it is retried only when the service
        cannot have started anything (connection not made, 429, 503).
        """
        spec = _start_spec(graph_name, bucket, object_key, inputs)
        options = self._options(timeout, max_retries, deadline, retry_non_idempotent)
        raw = await self._transport.request(spec, options)
        return self._parse(StartWorkflowResult, raw)

    # -- official SDK names (migration) ------------------------------------------

    async def asyncAPIStartWorkflow(  # noqa: N802 - the official SDK's name
        self,
        graphName: str,  # noqa: N803
        bucket: str,
        object: str,  # noqa: A002
        inputs: Mapping[str, JsonValue] | None = None,
    ) -> GetResult[AsyncAPIStartWorkflowResponse]:
        """``obs.WorkflowClient.asyncAPIStartWorkflow`` as a coroutine.

        Returns a :class:`~.compat.GetResult` for HTTP errors instead of raising, as
        the official SDK does; invalid arguments and transport failures still raise.
        """
        spec = _start_spec(graphName, bucket, object, inputs)
        try:
            raw = await self._transport.request(spec, self._default_options)
        except APIStatusError as error:
            return GetResult[AsyncAPIStartWorkflowResponse].from_error(error)
        result = self._parse(StartWorkflowResult, raw)
        started_at = _raw_started_at(raw.body)
        return GetResult[AsyncAPIStartWorkflowResponse](
            status=raw.status,
            reason=raw.reason,
            requestId=result.request_id,
            indicator=raw.headers.get("x-reserved-indicator"),
            header=compat_headers(raw.headers),
            body=AsyncAPIStartWorkflowResponse(
                executionUrn=result.execution_urn,
                startedAt=started_at,
                executionName=result.execution_name,
            ),
        )


def _start_spec(
    graph_name: object, bucket: object, object_key: object, inputs: object
) -> RequestSpec:
    """Validate the start arguments (nothing is sent if they break a rule) and build the
    request; only the spec outlives this call, not the validated model."""
    request = validate_request(
        StartWorkflowRequest,
        graph_name=graph_name,
        bucket=bucket,
        object_key=object_key,
        inputs=inputs,
    )
    return RequestSpec("POST", f"v2/workflows/{request.graph_name}", (), request.body())


def _raw_started_at(body: bytes) -> str | None:
    """``started_at`` exactly as the service wrote it (the SDK keeps the string)."""
    value = json.loads(body).get("started_at")
    return value if isinstance(value, str) else None

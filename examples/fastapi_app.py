"""A FastAPI service whose lifespan owns one client; each uploaded object starts a workflow.

    OBS_SERVER=https://obs.cn-north-4.myhuaweicloud.com OBS_ACCESS_KEY_ID=... \\
    OBS_SECRET_ACCESS_KEY=... uvicorn examples.fastapi_app:create_app --factory

Inside a web request (docs/configuration.md, "Inside a web request"): every call has
a ``deadline`` (retries and their waits included), the server-requested waits are
short, and each kind of failure gets its own HTTP answer:

- a bad argument: 422; no such workflow: 404;
- throttled or unavailable (429/503, the service did not act): 503 with the service's
  ``Retry-After``, safe for the caller to send again;
- anything else: 502 (the service answered badly) or 504 (no answer in time), with
  ``may_have_started`` in the body: when true, the workflow may be running, so the
  caller must look it up (or settle) rather than blindly start again.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from obs_workflow_async import (
    AsyncWorkflowClient,
    InvalidRequestError,
    NotFoundError,
    ObsWorkflowError,
    RateLimitError,
    ServiceUnavailableError,
)

GRAPH = "transcode"
DEADLINE = 10.0
"""Seconds one call may take, retries and their waits included: under the handler's
own budget (a gateway in front commonly gives up after 30 to 60 s)."""
MAX_RETRY_WAIT = 3.0
"""Seconds one call may sleep between retries in total (the client's default is 10)."""


class Upload(BaseModel):
    bucket: str
    object_key: str


class Started(BaseModel):
    execution_name: str
    request_id: str | None


def error_response(error: ObsWorkflowError) -> JSONResponse:
    """The HTTP answer for a failed start: one status per kind of failure."""
    body: dict[str, object] = {
        "error": type(error).__name__,
        "detail": str(error),
        "may_have_started": error.may_have_started,
    }
    if isinstance(error, InvalidRequestError):
        return JSONResponse(body, status_code=422)
    if isinstance(error, NotFoundError):
        return JSONResponse(body, status_code=404)
    if isinstance(error, RateLimitError | ServiceUnavailableError):
        wait = error.retry_after if error.retry_after is not None else 1.0
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        return JSONResponse(body, status_code=503, headers=headers)
    if isinstance(error, TimeoutError):  # a per-attempt timeout or the deadline
        return JSONResponse(body, status_code=504)
    return JSONResponse(body, status_code=502)


def create_app(
    server: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    security_token: str | None = None,
) -> FastAPI:
    """Build the app; the server and credentials fall back to the OBS_* variables."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
        async with AsyncWorkflowClient(
            server=server,  # None: $OBS_SERVER
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            security_token=security_token,
            deadline=DEADLINE,
            max_retry_wait=MAX_RETRY_WAIT,
        ) as client:
            app.state.workflows = client  # one pooled client for the whole service
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/uploads", status_code=201, response_model=Started)
    async def on_upload(upload: Upload, request: Request) -> Started | JSONResponse:
        client: AsyncWorkflowClient = request.app.state.workflows
        try:
            result = await client.start_workflow(GRAPH, upload.bucket, upload.object_key)
        except ObsWorkflowError as error:
            return error_response(error)
        name = result.execution_name or result.execution_urn or ""  # a 2xx names one of them
        return Started(execution_name=name, request_id=result.request_id)

    return app

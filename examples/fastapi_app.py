"""A FastAPI service whose lifespan owns one client; each uploaded object starts a workflow.

    OBS_SERVER=https://obs.cn-north-4.myhuaweicloud.com OBS_ACCESS_KEY_ID=... \\
    OBS_SECRET_ACCESS_KEY=... uvicorn examples.fastapi_app:create_app --factory
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from obs_workflow_async import AsyncWorkflowClient, InvalidRequestError, ObsWorkflowError

GRAPH = "transcode"


class Upload(BaseModel):
    bucket: str
    object_key: str


class Started(BaseModel):
    execution_name: str
    request_id: str | None


def create_app(
    server: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> FastAPI:
    """Build the app; credentials fall back to the OBS_* environment variables."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
        async with AsyncWorkflowClient(
            server=server or os.environ["OBS_SERVER"],
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        ) as client:
            app.state.workflows = client  # one pooled client for the whole service
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/uploads", status_code=201)
    async def on_upload(upload: Upload, request: Request) -> Started:
        client: AsyncWorkflowClient = request.app.state.workflows
        try:
            result = await client.start_workflow(GRAPH, upload.bucket, upload.object_key)
        except InvalidRequestError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        except ObsWorkflowError as error:
            raise HTTPException(status_code=502, detail=str(error)) from error
        name = result.execution_name or result.execution_urn or ""  # a 2xx names one of them
        return Started(execution_name=name, request_id=result.request_id)

    return app

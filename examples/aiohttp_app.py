"""An aiohttp.web service: a cleanup context owns one client; each upload starts a workflow.

python -m examples.aiohttp_app    # with OBS_SERVER, OBS_ACCESS_KEY_ID, OBS_SECRET_ACCESS_KEY
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from aiohttp import web
from pydantic import BaseModel, ValidationError

from obs_workflow_async import AsyncWorkflowClient, InvalidRequestError, ObsWorkflowError

GRAPH = "transcode"
WORKFLOWS = web.AppKey("workflows", AsyncWorkflowClient)
SETTINGS = web.AppKey("settings", dict[str, str])


async def workflows_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with AsyncWorkflowClient(
        server=settings["server"],
        access_key_id=settings.get("access_key_id"),
        secret_access_key=settings.get("secret_access_key"),
    ) as client:
        app[WORKFLOWS] = client
        yield  # the client closes when the application shuts down


class Upload(BaseModel):
    bucket: str
    object_key: str


async def on_upload(request: web.Request) -> web.Response:
    try:
        upload = Upload.model_validate_json(await request.read())
    except ValidationError as error:
        return web.json_response({"error": str(error)}, status=400)
    try:
        result = await request.app[WORKFLOWS].start_workflow(
            GRAPH, upload.bucket, upload.object_key
        )
    except InvalidRequestError as error:
        return web.json_response({"error": str(error)}, status=422)
    except ObsWorkflowError as error:
        return web.json_response({"error": str(error)}, status=502)
    return web.json_response(
        {"execution_name": result.execution_name, "request_id": result.request_id}, status=201
    )


def create_app(settings: dict[str, str]) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app.cleanup_ctx.append(workflows_context)
    app.router.add_post("/uploads", on_upload)
    return app


if __name__ == "__main__":  # pragma: no cover
    web.run_app(create_app({"server": os.environ["OBS_SERVER"]}))

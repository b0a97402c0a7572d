"""IAM's answer to the project-id discovery (``GET /v3/projects?name=<region>``), read
by :func:`~obs_workflow_async.dwr.project.iam_discovery`; imported through
:mod:`obs_workflow_async.dwr._refs`, so importing the client builds no model."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["IamProject", "IamProjects"]


class IamProject(BaseModel):
    id: str | None = None
    name: str | None = None


class IamProjects(BaseModel):
    projects: list[IamProject] = []

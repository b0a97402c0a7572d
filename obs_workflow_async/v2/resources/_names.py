"""The v2 request models of a bare name (a workflow, a template, a bucket), validated
before anything is sent; imported through :mod:`._refs` (pydantic models are built
on first use, not when the client modules are imported)."""

from __future__ import annotations

from ...models._base import BucketName, GraphName, RequestModel, TemplateName

__all__ = ["BucketRef", "GraphRef", "TemplateRef"]


class GraphRef(RequestModel):
    graph_name: GraphName


class TemplateRef(RequestModel):
    template_name: TemplateName


class BucketRef(RequestModel):
    bucket: BucketName

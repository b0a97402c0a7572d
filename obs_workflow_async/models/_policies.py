"""Bucket trigger policies: which bucket events start which workflow."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .. import validation
from ._base import (
    BucketName,
    NullableList,
    RequestModel,
    ResponseModel,
    ResultModel,
    _rule,
    json_body,
)

__all__ = [
    "PutTriggerPolicyRequest",
    "TriggerEvent",
    "TriggerPolicy",
    "TriggerRule",
    "TriggerRuleInfo",
]

TriggerEvent = Literal[
    "ObjectCreated:Put",
    "ObjectCreated:Post",
    "ObjectCreated:Copy",
    "ObjectCreated:CompleteMultipartUpload",
    "ObjectCreated:*",
    "ObjectRemoved:Delete",
    "ObjectRemoved:DeleteMarkerCreated",
    "ObjectRemoved:*",
]
"""The bucket events a rule may name."""

RuleId = Annotated[str, Field(strict=True), AfterValidator(_rule(validation.check_trigger_rule_id))]


class TriggerRule(RequestModel):
    """One rule: objects matching ``prefix``/``suffix`` that see ``events`` start ``graph_urn``."""

    id: RuleId
    graph_urn: Annotated[str, Field(min_length=1)]
    events: Annotated[list[TriggerEvent], Field(min_length=1)]
    prefix: Annotated[str, Field(max_length=1024)] | None = None
    suffix: Annotated[str, Field(max_length=1024)] | None = None

    @model_validator(mode="after")
    def _filters_fit(self) -> TriggerRule:
        if len(self.prefix or "") + len(self.suffix or "") > 1024:
            raise PydanticCustomError(
                "obs_rule", "prefix and suffix together must be at most 1024 characters"
            )
        return self


class PutTriggerPolicyRequest(RequestModel):
    """``PUT <bucket>/?obsworkflowtriggerpolicy``."""

    bucket: BucketName
    rules: Annotated[list[TriggerRule], Field(min_length=1)]

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[TriggerRule]) -> list[TriggerRule]:
        ids = [rule.id for rule in rules]
        if len(ids) != len(set(ids)):
            raise PydanticCustomError("obs_rule", "rule ids must be unique within the policy")
        return rules

    def body(self) -> bytes:
        """The JSON body, formatted as the official SDK formats it."""
        rules = [rule.model_dump(mode="json", exclude_none=True) for rule in self.rules]
        return json_body({"rules": rules})


class TriggerRuleInfo(ResponseModel):
    """A rule as the service returns it (read leniently: new events or fields are kept)."""

    id: str
    graph_urn: str | None = None
    events: NullableList[str] = Field(default_factory=list)
    prefix: str | None = None
    suffix: str | None = None


class TriggerPolicy(ResultModel):
    """``get_trigger_policy``: the bucket's rules."""

    rules: NullableList[TriggerRuleInfo] = Field(default_factory=list)

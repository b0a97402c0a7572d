"""Griffe extension: render Sphinx roles in docstrings as inline code.

The package's docstrings use Sphinx roles (``:class:`X```, ``:meth:`X.y```,
``:func:``, ``:mod:``, ``:data:``); mkdocstrings would show them as literal text.
This rewrites each one to inline code (``~a.b.C`` shows ``C``, as in Sphinx),
so the source keeps one docstring style and the site shows no raw markup.
``python3 dev.py docs`` checks the built site for any role left over.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|exc|data|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def literal_blocks(text: str) -> str:
    """reST literal blocks (a paragraph ending in ``::``, then an indented block) as
    fenced Python blocks, as Sphinx renders them: ``done::`` shows ``done:``, a ``::``
    alone on its line disappears. mkdocstrings would show the ``::`` as text."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.rstrip().endswith("::") or line.strip().startswith((">>>", "```")):
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        block: list[str] = []
        while j < len(lines) and (not lines[j].strip() or lines[j][:1] in " \t"):
            block.append(lines[j])
            j += 1
        if not block:
            out.append(line)
            i += 1
            continue
        while block and not block[-1].strip():
            block.pop()
        lead = line.rstrip()[:-2].rstrip()
        if lead:
            out += [lead + ":", ""]
        out += ["```python", *textwrap.dedent("\n".join(block)).split("\n"), "```", ""]
        i = j
    return "\n".join(out)


KIND = {
    griffe.ParameterKind.positional_only: "positional only",
    griffe.ParameterKind.positional_or_keyword: "positional or keyword",
    griffe.ParameterKind.keyword_only: "keyword only",
}


# Parameters that mean the same wherever they appear: their description in the tables
# of a method whose docstring does not describe them itself.
COMMON_PARAMETERS = {
    "graph_name": "The workflow (its name, not its URN).",
    "bucket": "The bucket of the object the execution works on.",
    "object_key": "The object's key in the bucket.",
    "inputs": "Workflow parameters by name (JSON values); `None`: none.",
    "execution_name": "The execution's name, as the start returned it.",
    "template_name": "The workflow template's name.",
    "description": "Free text, 0-256 characters.",
    "limit": "Items per page, 1-1000 (default: the service's).",
    "start": "Offset of the first item, as the previous page's `next_start` gave it.",
    "next_marker": "Where the page starts: the previous page's `next_marker`.",
    "page_size": "Items per request, 1-1000.",
    "max_items": "Stop after this many items; `None`: all.",
    "state": "Keep only executions in this state (any case).",
    "execution_type": "`APICALL` or `TRIGGERCAL`: how the executions were started.",
    "request_options": "Per-call overrides (`RequestOptions`) for each request made.",
    "options": (
        "Per-call overrides (`RequestOptions`): `timeout`, `max_retries`, `deadline`, "
        "`max_retry_wait`, `retry_non_idempotent`; omitted ones keep the client's."
    ),
    "rules": "The trigger rules (`TriggerRule`), replacing the bucket's policy.",
    "agency": "The IAM agency the workflow acts as.",
    "states": "The template's states (`State`), as the service documents them.",
    "inputs_schema": "The template's input parameters (`InputParameter`).",
    "tags": "Tags (`Tag`) attached to the resource.",
    "prefix": "Keep only names starting with this text.",
    "offset": "Offset of the first item (0-based).",
    "since": "The start of the time window (an aware `datetime`).",
    "until": "The end of the time window (an aware `datetime`).",
    "start_time": "The start of the time window (an aware `datetime`).",
    "end_time": "The end of the time window (an aware `datetime`).",
    "timeout": "Seconds: per attempt for a request, in all for a wait; `None`: no limit.",
    "margin": "Seconds added on both sides of each time window (clock skew).",
    "concurrency": "Requests in flight at most.",
    "max_pages": "Listing pages per sweep at most; `None`: the default cap.",
    "settle_delay": "Seconds after a start's window before a listing may clear it.",
    "wait": "Sleep until `settle_delay` has passed (default); `False`: settle now.",
    "poll_interval": "Seconds before the second poll (the first is at once).",
    "max_poll_interval": "The longest pause between polls, in seconds.",
    "raise_on_failure": "Raise `ExecutionFailedError` unless the execution succeeds.",
    "environ": "The mapping environment variables are read from (default `os.environ`).",
    "access_key_id": "The access key (with the secret key).",
    "secret_access_key": "The secret key.",
    "security_token": "The temporary credentials' token.",
    "parameters": "Workflow parameters by name.",
    "definition": "The workflow's definition (its states), as the service takes it.",
    "category": "The template category.",
    "agreement_type": "The agreement to read or accept.",
    "outcomes": "Batch outcomes (`StartOutcome`) to settle.",
    "graph": "The workflow (its name).",
    "headers": "HTTP headers by name.",
    "body": "The body, as sent or received.",
    "status": "The HTTP status code.",
    "method": "The HTTP method.",
    "path": "The request path.",
    "query": "The query parameters.",
    "request_id": "The service's request id (`X-Request-ID`).",
    "retries_taken": "Retries made before this outcome.",
    "retry_after": "Seconds the service asked to wait (`Retry-After`).",
    "times": "How many times the fault applies; `None`: every time.",
    # the official SDK's camelCase names (compat)
    "graphName": "The workflow (the SDK's `graphName`).",
    "templateName": "The workflow template (the SDK's `templateName`).",
    "bucketName": "The bucket (the SDK's `bucketName`).",
    "executionName": "The execution's name (the SDK's `executionName`).",
    "executionType": "`APICALL` or `TRIGGERCAL` (the SDK's `executionType`).",
    "executionState": "Keep only executions in this state (the SDK's `executionState`).",
    "nextMarker": "Where the page starts (the SDK's `nextMarker`).",
    "graphNamePrefix": "Keep only workflows whose name starts with this text.",
    "templateNamePrefix": "Keep only templates whose name starts with this text.",
    "object": "The object's key (the SDK's `object`).",
}


class SphinxRoles(griffe.Extension):
    """Replace Sphinx cross-reference roles with inline code in every docstring, render
    reST literal blocks as fenced code, and give every parameter of a documented
    function a row in its table: its ``:param:`` field, else the common description of
    its name, else its kind (name, type and default come from the signature)."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        value = literal_blocks(ROLE.sub(_code, obj.docstring.value))
        if isinstance(obj, griffe.Function):
            documented = set(re.findall(r":param\s+(?:[^:]*\s)?\**(\w+):", value))
            fields = [
                f":param {p.name}: {COMMON_PARAMETERS.get(p.name) or KIND[p.kind]}"
                for p in obj.parameters
                if p.name not in {"self", "cls"}
                and (p.kind in KIND or p.name in COMMON_PARAMETERS)
                and p.name not in documented
            ]
            if fields:
                value = value.rstrip() + "\n\n" + "\n".join(fields)
        obj.docstring.value = value

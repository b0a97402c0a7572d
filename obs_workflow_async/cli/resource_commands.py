"""The single-resource commands (``start``, ``get``, ``list``, ``wait``, ``restore``)
for either API: each takes a v2 :class:`~obs_workflow_async.AsyncWorkflowClient` or a
v3 :class:`~obs_workflow_async.dwr.AsyncDwrClient` (``--api v3``) and prints through
:mod:`.output` (``--output``, ``--quiet``; metadata only with ``-v``)."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Sequence

from pydantic import BaseModel, JsonValue

from .. import AsyncWorkflowClient
from ..models import ExecutionDetail, ExecutionState
from .commands import EXIT_EXECUTION_FAILED, EXIT_OK, AnyClient, UsageError
from .output import emit, emit_item, emit_items

__all__ = ["get_command", "list_command", "restore_command", "start_command", "wait_command"]


def _parse_inputs(pairs: Sequence[str]) -> dict[str, JsonValue] | None:
    """``name=value`` pairs; a value that parses as JSON is taken as JSON, else as text."""
    if not pairs:
        return None
    inputs: dict[str, JsonValue] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--input expects name=value, got {pair!r}")
        try:
            inputs[name] = json.loads(value)
        except ValueError:
            inputs[name] = value
    return inputs


async def start_command(client: AnyClient, args: argparse.Namespace) -> int:
    inputs = _parse_inputs(args.input)
    if not args.wait:
        emit(args, await client.start_workflow(args.graph, args.bucket, args.object, inputs))
        return EXIT_OK
    final = await client.start_and_wait(
        args.graph, args.bucket, args.object, inputs, timeout=args.wait_timeout
    )
    return _print_outcome(args, final)


def _print_outcome(args: argparse.Namespace, final: ExecutionDetail) -> int:
    emit(args, final)
    return EXIT_OK if final.succeeded else EXIT_EXECUTION_FAILED


async def _template(client: AnyClient, args: argparse.Namespace) -> BaseModel:
    if isinstance(client, AsyncWorkflowClient):
        return await client.get_workflow_template(args.name)
    getter = {
        "system": client.get_system_template,
        "public": client.get_public_template,
        "mine": client.get_my_template,
    }[args.template_kind]
    return await getter(args.name)


async def get_command(client: AnyClient, args: argparse.Namespace) -> int:
    result: BaseModel
    if args.kind == "workflow":
        result = await client.get_workflow(args.name)
    elif args.kind == "template":
        result = await _template(client, args)
    else:
        if not args.execution:
            raise UsageError("usage: get execution GRAPH EXECUTION")
        result = await client.get_execution(args.name, args.execution)
    emit(args, result)
    return EXIT_OK


def _listing(client: AnyClient, args: argparse.Namespace) -> AsyncIterator[BaseModel]:
    """The items ``list`` prints, from either API."""
    limit, size = args.limit, args.page_size
    if isinstance(client, AsyncWorkflowClient):
        if args.kind == "workflows":
            return client.iter_workflows(args.name, max_items=limit, page_size=size)
        if args.kind == "templates":
            return client.iter_workflow_templates(args.name, max_items=limit, page_size=size)
        return client.iter_executions(
            args.name,
            state=_state_option(args),
            execution_type=args.type,
            max_items=limit,
            page_size=size,
        )
    if args.kind == "workflows":
        return client.iter_workflows(args.name, max_items=limit, page_size=size or 1000)
    if args.kind == "templates":
        return client.iter_templates(
            args.template_kind, args.name, max_items=limit, page_size=size or 1000
        )
    if args.type is not None:
        raise UsageError("--type: the v3 API lists executions without a type filter")
    state = _state_option(args)
    status = None if state is None else str(state.value).lower()
    return client.iter_executions(
        args.name,
        state=args.raw_state if args.raw_state is not None else status,
        max_items=limit,
        page_size=size or 200,
    )


async def list_command(client: AnyClient, args: argparse.Namespace) -> int:
    if args.kind == "executions" and not args.name:
        raise UsageError("usage: list executions GRAPH")
    items = _listing(client, args)
    if getattr(args, "output", "json") == "table" and not getattr(args, "quiet", False):
        emit_items(args, [item async for item in items])  # widths need every row
        return EXIT_OK
    async for item in items:
        emit_item(args, item)
    return EXIT_OK


def _state_option(args: argparse.Namespace) -> ExecutionState | None:
    """``--state`` (a documented state, any case) or ``--raw-state`` (sent as given)."""
    if args.raw_state is not None:
        return ExecutionState(args.raw_state)
    if args.state is None:
        return None
    known = {
        state.value: state
        for state in (ExecutionState.RUNNING, ExecutionState.SUCCESS, ExecutionState.FAILED)
    }
    state = known.get(args.state.strip().upper())
    if state is None:
        raise UsageError(
            f"--state {args.state}: not a known state (expected {', '.join(sorted(known))}, "
            "any case); for a state the service added later, pass --raw-state STATE"
        )
    return state


async def wait_command(client: AnyClient, args: argparse.Namespace) -> int:
    final = await client.wait_for_execution(args.graph, args.execution, timeout=args.timeout)
    return _print_outcome(args, final)


async def restore_command(client: AnyClient, args: argparse.Namespace) -> int:
    emit(args, await client.restore_execution(args.graph, args.execution))
    return EXIT_OK

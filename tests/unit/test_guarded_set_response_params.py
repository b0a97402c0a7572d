"""``GuardedResponseHandler.set_response_params`` takes exactly the installed aiohttp's
keyword-only parameters (built from its signature, which differs between 3.10 and 3.14)
and passes every one through, after making the connection *expecting* (the
one-answer-per-request books: ``_connections``' module docstring)."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace
from typing import Any

from aiohttp.client_proto import ResponseHandler

from obs_workflow_async._connections import _EXPECTING, GuardedResponseHandler, _expecting_then

AIOHTTP = inspect.signature(ResponseHandler.set_response_params)


def shape(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def test_the_signature_is_aiohttps() -> None:
    ours = inspect.signature(GuardedResponseHandler.set_response_params)
    assert shape(ours) == shape(AIOHTTP)
    assert len(AIOHTTP.parameters) > 1  # self and what aiohttp passes


class Payload:
    def on_eof(self, callback: object) -> None:
        pass


def answered(handler: GuardedResponseHandler) -> GuardedResponseHandler:
    """``handler`` after one exchange's final answer arrived (its payload not read)."""
    handler.set_response_params()
    handler.feed_data((SimpleNamespace(code=200), Payload()), 0)
    assert handler._answered
    return handler


def test_every_parameter_of_aiohttp_is_passed_through_after_expecting() -> None:
    seen: list[tuple[int, bool, dict[str, Any]]] = []

    def spy(self: GuardedResponseHandler, **kwargs: Any) -> None:
        seen.append((self._state, self._answered, kwargs))

    spy.__signature__ = AIOHTTP  # type: ignore[attr-defined]
    wrapper = _expecting_then(spy)
    loop = asyncio.new_event_loop()
    try:
        handler = answered(GuardedResponseHandler(loop))  # the previous exchange's answer
        values = {name: object() for name in list(AIOHTTP.parameters)[1:]}
        wrapper(handler, **values)
        assert seen == [(_EXPECTING, False, values)]  # the books first, then aiohttp's
        seen.clear()
        wrapper(handler)  # aiohttp's defaults, as aiohttp declares them
        defaults = {p.name: p.default for p in list(AIOHTTP.parameters.values())[1:]}
        assert seen == [(_EXPECTING, False, defaults)]
    finally:
        loop.close()


def test_the_real_handler_sets_aiohttps_params_and_expects() -> None:
    loop = asyncio.new_event_loop()
    try:
        handler = answered(GuardedResponseHandler(loop))
        handler.set_response_params(read_timeout=7.5, read_bufsize=1234, skip_payload=True)
        assert (handler._state, handler._answered) == (_EXPECTING, False)
        assert handler._read_timeout == 7.5
        assert handler._skip_payload is True
        # where the installed aiohttp keeps it (3.10.8 hands it to the parser only)
        assert getattr(handler, "_read_bufsize", 1234) == 1234
    finally:
        loop.close()


def test_another_signature_falls_back_to_keyword_arguments() -> None:
    seen: list[tuple[int, tuple[object, ...], dict[str, Any]]] = []

    def positional(self: GuardedResponseHandler, timer: object, **kwargs: Any) -> None:
        seen.append((self._state, (timer,), kwargs))

    wrapper = _expecting_then(positional)
    loop = asyncio.new_event_loop()
    try:
        handler = GuardedResponseHandler(loop)
        wrapper(handler, timer=1, read_timeout=2)
        assert seen == [(_EXPECTING, (1,), {"read_timeout": 2})]
    finally:
        loop.close()

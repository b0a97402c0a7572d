"""The common call in one coroutine: no hooks, no deadline, fresh credentials, a free
connection slot, the first attempt answered 2xx.

:meth:`Pipeline.call <._pipeline.Pipeline.call>` hands every call of a client without
hooks on the default transport (:class:`~._aiohttp_transport.AiohttpTransport`) to
:meth:`FastPath.call`. It does what the retry loop's first attempt does (the same
credentials, signing, slot, aiohttp call, body cap, stale-answer check and failure
judgement: the transport's :meth:`~._aiohttp_transport.AiohttpTransport.request_options`
and :meth:`~._aiohttp_transport.AiohttpTransport.failure`), and reads the answer
with the caller's reader, without the loop's layers (call state, observer, prepared
request, attempt, send and exchange coroutines). Anything else goes to the retry
loop: before the attempt when a precondition fails (it then runs the call from the
start, waiting for credentials or a slot as usual), after it when the attempt failed
or answered an error status (the loop judges that attempt as its own first one, then
retries or raises as it would have).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
from yarl import URL

from ._aiohttp_transport import ANSWER_MIXED_UP, AiohttpTransport, AnswerMixedUp, request_of
from ._body import MAX_RESPONSE_BYTES, read_body
from ._call import CallOptions, CallState, RawResponse, RequestSpec, answer_request_id
from ._connections import exchange_was_clean
from ._observer import NO_OBSERVER
from ._pipeline import Pipeline
from ._pipeline import logger as _pipeline_logger
from .transport import Answer, SendError

__all__ = ["FastPath"]

_T = TypeVar("_T")
_DEBUG = logging.DEBUG
_new_raw = tuple.__new__


class FastPath:
    """The flat first attempt of ``pipeline`` over ``transport`` (see the module doc)."""

    __slots__ = ("_clock", "_credentials", "_dialect", "_pipeline", "_transport", "_wall_clock")

    def __init__(self, pipeline: Pipeline, transport: AiohttpTransport) -> None:
        self._pipeline = pipeline
        self._transport = transport
        self._credentials = pipeline._credentials
        self._dialect = pipeline._dialect
        self._clock = pipeline._clock
        self._wall_clock = pipeline._wall_clock

    async def call(
        self, spec: RequestSpec, read: Callable[[RawResponse], _T], options: CallOptions
    ) -> _T:
        """:meth:`Pipeline.call` for a client without hooks (same results and errors)."""
        transport = self._transport
        creds = self._credentials.fresh()
        session = transport.ready_session(spec.method)
        slots = transport.slots
        if (
            creds is None
            or session is None
            or options.deadline is not None
            or not slots.try_acquire()
        ):
            return read(await self._pipeline._retry_loop(spec, options, NO_OBSERVER))
        try:
            url = self._dialect.url_for(spec)
            headers = self._dialect.headers(spec, self._wall_clock(), creds)
        except BaseException:  # a bug, not a failure of the attempt: raised as it is
            slots.release()
            raise
        started = self._clock()
        response: aiohttp.ClientResponse | None = None
        failure: SendError | None = None
        body = b""
        try:
            response = await request_of(session)(
                spec.method,
                url,
                data=spec.body,
                headers=headers,
                timeout=transport.client_timeout(options.timeout, None),
                **transport.request_options(session, headers),
            )
            # The connection's protocol (aiohttp's ClientResponse._protocol, 3.10 to
            # 3.14): the connection itself is released as soon as the body is in.
            protocol = getattr(response, "_protocol", None)
            length = response.content_length
            if (
                length is not None
                and length <= MAX_RESPONSE_BYTES
                and "Content-Encoding" not in response.headers
            ):
                body = await response.read()  # read_body's own fast path, inline
            else:
                body = await read_body(response)
            if not exchange_was_clean(protocol):
                raise AnswerMixedUp(ANSWER_MIXED_UP)
        except Exception as exc:  # every failure maps to a SendError
            failure = transport.failure(exc, session, (creds.security_token,))
        finally:
            del headers  # signed (a security token): not among this frame's locals
            slots.release()  # before any retry: the retry loop takes a slot of its own
            if response is not None:
                response.release()
        if failure is None:
            assert response is not None
            answer_headers = response.headers
            status = response.status
            if status < 300 and not _pipeline_logger.isEnabledFor(_DEBUG):
                request_id = answer_request_id(answer_headers)
                # RawResponse(status, reason, headers, body, request_id), without the
                # named tuple's Python __new__ (retries_taken 0: the first attempt)
                fields = (status, response.reason, answer_headers, body, request_id, 0)
                return read(_new_raw(RawResponse, fields))
            answer: Answer | SendError = Answer(status, response.reason, answer_headers, body)
        else:
            failure.__traceback__ = None  # its frames hold the signed headers
            answer = failure
        return read(await self._judged(spec, options, url, started, answer))

    def _judged(
        self,
        spec: RequestSpec,
        options: CallOptions,
        url: URL,
        started: float,
        answer: Answer | SendError,
    ) -> Awaitable[RawResponse]:
        """The rest of a call whose first attempt failed or was not a plain 2xx: the
        retry loop judges that attempt as its own first one, then goes on."""
        pipeline = self._pipeline
        call = CallState(None)
        if isinstance(answer, SendError):
            elapsed = self._clock() - started
            failed = pipeline._judge_failure(answer, spec, options, NO_OBSERVER, url, call, elapsed)
            return pipeline._retry_loop(spec, options, NO_OBSERVER, (call, failed))
        outcome = pipeline._judge_answer(answer, spec, options, NO_OBSERVER, url, call, started)
        if isinstance(outcome, RawResponse):
            return _ready(outcome)
        return pipeline._retry_loop(spec, options, NO_OBSERVER, (call, outcome))


async def _ready(raw: RawResponse) -> RawResponse:
    return raw

"""The common call in one coroutine: no hooks, no deadline, fresh credentials, a free
connection slot, the first attempt answered 2xx.

:meth:`Pipeline.request <._pipeline.Pipeline.request>` hands every call of a client
without hooks on the default transport (:class:`~._aiohttp_transport.AiohttpTransport`)
to :meth:`FastPath.request`. It does what the retry loop's first attempt does (the
same credentials, signing, slot, aiohttp call and checks: the transport's own
:meth:`~._aiohttp_transport.AiohttpTransport.exchange`), without the loop's layers
(call state, observer, prepared request, attempt and send coroutines). Anything
else goes to the retry loop: before the attempt when a precondition fails (it then
runs the call from the start, waiting for credentials or a slot as usual), after it
when the attempt failed or answered an error status (the loop judges that attempt
as its own first one, then retries or raises as it would have).
"""

from __future__ import annotations

import logging

from ._aiohttp_transport import AiohttpTransport
from ._call import CallOptions, CallState, RawResponse, RequestSpec, answer_request_id
from ._observer import NO_OBSERVER
from ._pipeline import Pipeline
from ._pipeline import logger as _pipeline_logger
from .transport import SendError

__all__ = ["FastPath"]

_DEBUG = logging.DEBUG


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

    async def request(self, spec: RequestSpec, options: CallOptions) -> RawResponse:
        """:meth:`Pipeline.request` for a client without hooks (same results and errors)."""
        pipeline = self._pipeline
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
            return await pipeline._retry_loop(spec, options, NO_OBSERVER)
        url = pipeline.url_for(spec)
        started = self._clock()
        try:
            answer = await transport.exchange(
                session,
                spec.method,
                url,
                spec.body,
                self._dialect.headers(spec, self._wall_clock(), creds),
                transport.client_timeout(options.timeout, None),
                (creds.security_token,),
            )
        except SendError as failure:
            failure.__traceback__ = None  # its frames hold the signed headers
            call = CallState(None)
            elapsed = self._clock() - started
            failed = pipeline._judge_failure(
                failure, spec, options, NO_OBSERVER, url, call, elapsed
            )
            return await pipeline._retry_loop(spec, options, NO_OBSERVER, (call, failed))
        finally:
            slots.release()
        if answer.status < 300 and not _pipeline_logger.isEnabledFor(_DEBUG):
            headers = answer.headers
            return RawResponse(
                answer.status, answer.reason, headers, answer.body, answer_request_id(headers)
            )
        call = CallState(None)
        outcome = pipeline._judge_answer(answer, spec, options, NO_OBSERVER, url, call, started)
        if isinstance(outcome, RawResponse):
            return outcome
        return await pipeline._retry_loop(spec, options, NO_OBSERVER, (call, outcome))

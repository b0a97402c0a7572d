"""Typed errors survive pickling (a process pool, multiprocessing, a result cache):
every field, above all ``request_sent`` (whether the start may have happened)."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from obs_workflow_async import errors as err
from obs_workflow_async import may_have_started

CASES: list[BaseException] = [
    err.TransportError("reset", method="POST", url="u", request_sent=True, retries_taken=2),
    err.TransportError("refused", method="POST", url="u", request_sent=False),
    err.RequestTimeoutError("slow", method="POST", url="u", request_sent=True),
    err.StartCancelledError("left", request_sent=True),
    err.ServerError(
        status=500, code="C", message="m", request_id="r", headers={"A": "b"}, body="x"
    ),
    err.ServiceUnavailableError(
        status=503, code=None, message=None, request_id=None, headers={}, body=""
    ),
    err.DiscoveryError("no project"),
    err.InvalidRequestError([err.ErrorDetail("graph_name", "required")]),
    err.WaitTimeoutError(graph_name="g", execution_name="e", timeout=1, last_state=None),
    err.ResponseParseError("not json", status=200, request_id=None, body=""),
    err.UnexpectedError("bug"),
    err.ClientClosedError("closed"),
    err.RedactedCause("OSError", "reset"),
]


def _fields(exc: BaseException) -> tuple[object, ...]:
    return (type(exc), exc.args, vars(exc), str(exc))


@pytest.mark.parametrize("exc", CASES, ids=lambda e: type(e).__name__)
def test_an_error_keeps_its_fields_through_pickle(exc: BaseException) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert _fields(copy) == _fields(exc)
    if isinstance(exc, err.ObsWorkflowError):
        assert may_have_started(copy) == may_have_started(exc)


def _raise_sent_timeout() -> None:
    raise err.RequestTimeoutError("slow", method="POST", url="u", request_sent=True)


def test_an_error_raised_in_a_worker_process_reaches_the_parent_typed() -> None:
    with ProcessPoolExecutor(1) as pool:
        future = pool.submit(_raise_sent_timeout)
        with pytest.raises(err.RequestTimeoutError) as caught:
            future.result(timeout=60)
    assert caught.value.request_sent
    assert may_have_started(caught.value)

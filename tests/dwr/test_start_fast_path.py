"""The v3 start's fast path (:func:`~obs_workflow_async.dwr.models.start_parts`) and the
full :class:`DwrStartRequest` accept and refuse the same arguments, with the same
errors, and build the same graph name and body bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from obs_workflow_async.dwr.models import DwrStartRequest, start_parts
from obs_workflow_async.models._base import validate_request

from ..unit.test_start_fast_path import inputs, keys, names, outcome, values


def full_v3(graph: object, bucket: object, key: object, given_inputs: object) -> object:
    """What ``start_workflow`` built before the fast path existed."""
    request = validate_request(
        DwrStartRequest,
        graph_name=graph,
        bucket=bucket,
        object_key=key,
        inputs=None if given_inputs is None else dict(given_inputs),  # type: ignore[call-overload]
    )
    return request.graph_name, request.body()


@settings(max_examples=500, deadline=None)
@given(graph=names, bucket=names, key=keys, given_inputs=inputs)
def test_fast_path_and_model_agree(
    graph: object, bucket: object, key: object, given_inputs: object
) -> None:
    fast = outcome(lambda: start_parts(graph, bucket, key, given_inputs))
    full = outcome(lambda: full_v3(graph, bucket, key, given_inputs))
    assert fast == full


@settings(max_examples=200, deadline=None)
@given(
    graph=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True),
    given_inputs=st.one_of(
        st.none(), st.dictionaries(st.text(min_size=1, max_size=5), values, max_size=4)
    ),
)
def test_valid_arguments_build_the_same_body(graph: str, given_inputs: object) -> None:
    fast = outcome(lambda: start_parts(graph, "bucket-a", "objects/ключ.mp4", given_inputs))
    assert fast == outcome(lambda: full_v3(graph, "bucket-a", "objects/ключ.mp4", given_inputs))


def test_the_pattern_ends_at_the_end_of_the_text() -> None:
    # Python's "$" also matches before a final newline; the model's (Rust) one does not.
    assert outcome(lambda: start_parts("graph\n", "bucket-a", "k", None)) == outcome(
        lambda: full_v3("graph\n", "bucket-a", "k", None)
    )
    assert start_parts("graph-1", "bucket-a", "k", None) == (
        "graph-1",
        b'{"bucket": "bucket-a", "object": "k"}',
    )

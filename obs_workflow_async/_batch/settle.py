"""Settling ambiguous starts: the pure part (windows, matching inputs, verdicts).

No I/O here: :mod:`obs_workflow_async._core.settle` lists and fetches, then asks these
functions what the answers prove. See ``docs/settling.md``.

Times: an item's ``since``/``until`` are this machine's clock (when the start was
sent, when its outcome came back). ``started_at`` is the service's clock. The
service's ``Date`` answers give the offset between the two; ``margin`` widens every
window by a fixed amount on top (Date's one-second resolution, round trips, and the
gap between the clock that writes ``Date`` and the one that writes ``started_at``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Literal

from ..models._timestamps import unclear_zone
from .settle_defaults import DEFAULT_MARGIN, DEFAULT_SETTLE_DELAY
from .settle_match import (
    UNSETTLED,
    InputTarget,
    Kind,
    input_targets,
    loose_index,
    loose_key,
    match_object,
    may_name,
    span_relation,
)

__all__ = [
    "CLOCK_STEP_TOLERANCE",
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_SETTLE_DELAY",
    "Candidate",
    "ListingSweep",
    "SettleItem",
    "SettleResult",
    "Verdict",
    "WindowSet",
    "clock_offset",
    "clock_step",
    "item_offsets",
    "input_target",
    "judge",
    "service_window",
    "verdict_for",
]

Verdict = Literal["started", "not_started", "unknown"]

CLOCK_STEP_TOLERANCE = timedelta(seconds=2)
"""How far the offset measured at settle time may lie outside an item's recorded
offsets before it counts as a step of this machine's clock (``Date`` has a one-second
resolution and each measure is off by part of a round trip)."""

DEFAULT_MAX_PAGES = 10_000
"""Pages one listing sweep reads at most unless ``max_pages`` says otherwise (10
million executions at 1000 a page on v2): a listing that goes on beyond it proves
nothing (its items stay ``unknown``), and a settle never loops for ever."""


@dataclass(frozen=True, slots=True)
class SettleItem:
    """One ambiguous start to settle.

    ``since`` and ``until`` bound when the start may have happened, in this machine's
    clock (aware datetimes): ``since`` no later than the moment the request was
    sent, ``until`` no earlier than the moment its outcome was known (``None``: up to
    the moment settling begins, e.g. a run killed with the item in flight).
    ``key`` is yours (an index, a manifest key), handed back in the result.

    ``offsets``: the service's clock minus this machine's, as measured while the item
    ran (e.g. ``outcome.answer_date`` minus this machine's time when the outcome
    arrived, or the offsets of the answers around it when it had none).
    ``since``/``until`` were read
    from this machine's clock *then*; if that clock has been stepped since (a VM
    resumed, NTP corrected it), the offset settling measures now is not theirs. The
    window covers every offset given here *and* the one settling measures, so a step
    between the run and the settle widens the window instead of moving it. Empty
    (the default): only the offset measured now is used (a clock stepped since the
    run then goes unseen).
    """

    graph_name: str
    bucket: str
    object_key: str
    since: datetime
    until: datetime | None = None
    key: object = None
    offsets: tuple[timedelta, ...] = ()

    def clock_step(self, offset: timedelta) -> timedelta:
        """How far ``offset`` (the service's clock minus this machine's, measured now)
        lies outside the recorded :attr:`offsets`: a step of this machine's clock since
        the item ran. Zero when none is recorded, or ``offset`` lies among them; a
        step larger than :data:`~obs_workflow_async.CLOCK_STEP_TOLERANCE` is one
        ``Date``'s resolution cannot explain."""
        return clock_step(self, offset)


@dataclass(frozen=True, slots=True)
class SettleResult:
    """The verdict on one :class:`SettleItem`.

    - ``started``: the service lists an API execution of this graph, started inside
      the window, whose input names this bucket and object (``execution_names``,
      oldest first; more than one is a duplicate start).
    - ``not_started``: the listing covered the whole window (swept to the end,
      beginning at least ``settle_delay`` after ``until``), every execution in the
      window carried a readable bucket/object, and none was this one. Safe to resend.
    - ``unknown``: anything else; ``reason`` says why. Not safe to resend.
    """

    item: SettleItem
    verdict: Verdict
    execution_names: tuple[str, ...] = ()
    reason: str = ""

    @property
    def duplicate(self) -> bool:
        """More than one execution matched: the object was started more than once."""
        return len(self.execution_names) > 1


@dataclass(frozen=True, slots=True)
class Candidate:
    """A listed execution whose start time falls in some window, with what its details said."""

    execution_name: str
    started_at: datetime | None
    target: tuple[str, str] | None
    """``(bucket, object)`` read from ``execution_info.input``, or ``None`` when the
    input (or the details call) did not tell."""
    span: tuple[datetime, datetime] | None = None
    """The moments ``started_at`` may denote as the service wrote it (a time without
    a zone, a number that may be seconds or milliseconds); ``None``: exactly
    ``started_at``, or unknown when that is ``None`` too."""
    kind: Kind = "api"
    """``unknown``: a type (or graph) spelling settling does not know: such an
    execution can make an item ``unknown``, never ``started``."""
    spelling: InputTarget | None = None
    """How the input named the object (encoded key, event shape, other strings);
    ``None``: exactly ``target``."""

    when: tuple[datetime, datetime] | None = field(init=False, compare=False, repr=False)
    """When it may have started (``None``: unknown): ``span``, else ``started_at``."""
    named: InputTarget | None = field(init=False, compare=False, repr=False)
    """The object its input names, with how it was spelt (``spelling``, else ``target``)."""
    index: frozenset[str] = field(init=False, compare=False, repr=False)
    """The loose keys it could be taken for (empty: it names no object)."""

    def __post_init__(self) -> None:
        when = self.span
        if when is None and self.started_at is not None:
            when = (self.started_at, self.started_at)
        named = self.spelling
        if named is None and self.target is not None:
            named = InputTarget(*self.target)
        object.__setattr__(self, "when", when)
        object.__setattr__(self, "named", named)
        object.__setattr__(self, "index", frozenset() if named is None else loose_index(named))


@dataclass(slots=True)
class ListingSweep:
    """What one sweep over a graph's ``APICALL`` listing showed."""

    graph_name: str
    began_local: datetime
    """This machine's clock when the first page was requested."""
    complete: bool = False
    """Every page was read, up to an explicit end: a page with no cursor that did not
    say it was truncated (a cursor seen twice, a page repeating the one before, or
    the page cap leave it ``False`` with an ``error``)."""
    error: str | None = None
    pages: int = 0
    listed: int = 0
    offset: timedelta = timedelta(0)
    """Service clock minus this machine's clock, from the pages' ``Date`` headers."""
    offset_measured: bool = False
    """Whether ``offset`` was read from a ``Date`` header (else it is taken as zero)."""
    time_ordered: bool = True
    """Whether the pages happened to come in ``started_at`` order (the service does
    not document it; the sweep never relies on it and always reads to the end)."""
    candidates: list[Candidate] = field(default_factory=list)
    _index: _CandidateIndex | None = field(default=None, init=False, repr=False, compare=False)

    def candidates_for(self, item: SettleItem) -> list[Candidate]:
        """The candidates that may concern ``item`` (in listing order): those whose
        input may name its key in some spelling, and those that name no object.
        :func:`judge` skips every other one whenever it started."""
        index = self._index
        if (
            index is None
            or index.source is not self.candidates
            or index.size != len(self.candidates)
        ):
            index = self._index = _CandidateIndex(self.candidates)
        return index.lookup(loose_key(item.object_key))


class _CandidateIndex:
    """Candidates by the loose keys they could be taken for (see :func:`loose_index`)."""

    __slots__ = ("by_key", "nameless", "size", "source")

    def __init__(self, candidates: list[Candidate]) -> None:
        self.source = candidates
        self.size = len(candidates)
        self.by_key: dict[str, list[int]] = {}
        self.nameless: list[int] = []
        for position, candidate in enumerate(candidates):
            if not candidate.index or UNSETTLED in candidate.index:
                self.nameless.append(position)  # looked up for every key
            for key in candidate.index:
                self.by_key.setdefault(key, []).append(position)

    def lookup(self, loose: str) -> list[Candidate]:
        if loose == UNSETTLED:  # a key that may be any: every candidate
            return list(self.source[: self.size])
        named = self.by_key.get(loose, [])
        positions = sorted({*named, *self.nameless}) if self.nameless else named
        return [self.source[p] for p in positions]


def clock_offset(date_header: str | None, sent: datetime, received: datetime) -> timedelta | None:
    """Service clock minus local clock from one answer's ``Date`` header, taking the
    middle of the request's round trip as the moment the service stamped it."""
    if not date_header or unclear_zone(date_header):
        return None  # none, or in a zone it does not tell (CST: China or US Central?)
    try:
        stamped = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if stamped.tzinfo is None:
        stamped = stamped.replace(tzinfo=timezone.utc)
    middle = sent + (received - sent) / 2
    return stamped - middle


def item_offsets(item: SettleItem, offset: timedelta) -> tuple[timedelta, timedelta]:
    """The lowest and highest offset (service minus local clock) that may apply to
    ``item``: its recorded ``offsets`` and ``offset``, the one measured now."""
    every = (*item.offsets, offset)
    return min(every), max(every)


def clock_step(item: SettleItem, offset: timedelta) -> timedelta:
    """How far the offset measured now lies outside the item's recorded ones (zero
    when it has none, or lies among them): a step of this machine's clock since the
    item ran."""
    if not item.offsets:
        return timedelta(0)
    low, high = min(item.offsets), max(item.offsets)
    if offset < low:
        return offset - low
    if offset > high:
        return offset - high
    return timedelta(0)


def service_window(
    item: SettleItem,
    default_until: datetime,
    offset: timedelta,
    margin: float,
) -> tuple[datetime, datetime]:
    """The item's window in the service's clock, widened by ``margin`` seconds.

    ``since``/``until`` are shifted by every offset that may apply (the item's
    recorded ones and ``offset``, measured now): the window runs from ``since`` plus
    the lowest to ``until`` plus the highest. An item left open (``until=None``) runs
    to ``default_until``, a moment of this machine's clock now: only ``offset``
    applies to it."""
    pad = timedelta(seconds=margin)
    low, high = item_offsets(item, offset)
    if item.until is None:
        return item.since + low - pad, default_until + max(high, offset) + pad
    return item.since + low - pad, item.until + high + pad


class WindowSet:
    """Merged windows, for "does this start time fall in any item's window?"."""

    def __init__(self, windows: Iterable[tuple[datetime, datetime]]) -> None:
        merged: list[list[datetime]] = []
        for low, high in sorted(windows):
            if merged and low <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        self._spans = [(low, high) for low, high in merged]
        self._lows = [low for low, _ in merged]
        self._highs = [high for _, high in merged]

    def __contains__(self, moment: object) -> bool:
        if not isinstance(moment, datetime):
            return False
        return self.overlaps((moment, moment))

    @property
    def empty(self) -> bool:
        return not self._spans

    @property
    def bounds(self) -> tuple[list[datetime], list[datetime]]:
        """The merged windows' starts and ends, both ascending (for a caller's own
        bisection, as :meth:`overlaps` does it)."""
        return self._lows, self._highs

    def overlaps(self, span: tuple[datetime, datetime]) -> bool:
        """Whether any window meets ``span`` (a start time that may be anywhere in it).

        The windows are merged, sorted and disjoint: the only one that can meet
        ``span`` without ending before it is the last one starting no later than its
        end."""
        at = bisect_right(self._lows, span[1]) - 1
        return at >= 0 and span[0] <= self._highs[at]


def input_target(value: object) -> tuple[str, str] | None:
    """The ``(bucket, object)`` an execution's ``execution_info.input`` names, or ``None``.

    The input may be a JSON object or JSON text. The pair is looked for at the top
    level (``bucket`` and ``object``, or close spellings), then inside the evident
    nestings (``input``, ``inputs``, ``body``, ``request``, ``payload``, ``data``, lists
    of those); event-style ``{"bucket": {"name"}, "object": {"key"}}`` counts too. No
    pair, or two different pairs, gives ``None``: the input does not tell. See
    :func:`~.settle_match.input_targets` for how the pair was spelt.
    """
    found = input_targets(value)
    return None if found is None else (found.bucket, found.key)


def judge(
    item: SettleItem,
    window: tuple[datetime, datetime],
    candidates: Iterable[Candidate],
    others: Iterable[tuple[str, str]] = (),
) -> tuple[list[Candidate], list[str]]:
    """The candidates that prove ``item`` started (oldest first), and why the others
    in its window leave it in doubt (one reason per doubtful candidate).

    A proof is an API execution surely inside the window whose input names the
    object (exactly, or in an equivalent spelling that is not exactly another of
    ``others``, the objects settled with it). In doubt: an execution maybe in the
    window (a time without a zone, no time), of an unknown type, whose input names
    no object or one merely similar to the item's."""
    pair = (item.bucket, item.object_key)
    loose = loose_key(item.object_key)
    kept = frozenset(others)  # the same set, not a copy, when given one
    proofs: list[Candidate] = []
    doubts: list[str] = []
    for candidate in candidates:
        if candidate.index and not may_name(loose, candidate.index):
            continue  # names another object in every spelling: whenever it started
        where = span_relation(candidate.when, window)
        if where == "out":
            continue
        named = candidate.named
        if named is None:
            doubts.append("carries no readable bucket/object")
            continue
        match = match_object(pair, named, kept, candidate.index or None)
        if match == "different":
            continue
        if match == "similar":
            doubts.append("names an object spelt like this one but not provably it")
        elif candidate.kind != "api":
            doubts.append("names this object but its type or graph is not recognised")
        elif where == "maybe":
            doubts.append("names this object but its start time is ambiguous")
        else:
            proofs.append(candidate)
    far_past = datetime.min.replace(tzinfo=timezone.utc)
    proofs.sort(key=lambda c: (c.started_at or far_past, c.execution_name))
    return proofs, doubts


def verdict_for(
    item: SettleItem,
    window: tuple[datetime, datetime],
    sweep: ListingSweep,
    *,
    default_until: datetime,
    settle_delay: float,
    others: Iterable[tuple[str, str]] = (),
) -> SettleResult:
    """The verdict on ``item`` from its graph's sweep (see :class:`SettleResult`);
    ``others``: the ``(bucket, object)`` of every item settled with it (see
    :func:`judge`)."""
    matched, doubts = judge(item, window, sweep.candidates_for(item), others)
    if matched:
        names = tuple(c.execution_name for c in matched)
        reason = "duplicate start" if len(names) > 1 else ""
        return SettleResult(item, "started", names, reason)
    if doubts:
        return SettleResult(
            item,
            "unknown",
            reason=f"{len(doubts)} execution(s) in the window leave it open: {doubts[0]}",
        )
    if not sweep.complete:
        return SettleResult(
            item, "unknown", reason=f"the listing was not read to the end ({sweep.error})"
        )
    if not _listed_late_enough(item, sweep, default_until, settle_delay):
        return SettleResult(
            item,
            "unknown",
            reason=f"the listing began less than settle_delay={settle_delay:g}s after the window",
        )
    return SettleResult(item, "not_started", reason="listing covered the window; nothing matched")


def _listed_late_enough(
    item: SettleItem, sweep: ListingSweep, default_until: datetime, settle_delay: float
) -> bool:
    """Whether the sweep began at least ``settle_delay`` after the item's ``until``.

    Both moments in one clock: this machine's while it has not been stepped (the
    item's recorded offsets and the one measured now agree within
    :data:`CLOCK_STEP_TOLERANCE`: ``until`` and the sweep's start were both read from
    the same clock); after a step, between the run and the settle or during the run,
    the service's: ``until`` plus the highest offset that may apply, against the
    sweep's start plus the offset measured now."""
    delay = timedelta(seconds=settle_delay)
    if item.until is None:  # read now, from the clock the sweep's start is read from
        return sweep.began_local >= default_until + delay
    low, high = item_offsets(item, sweep.offset)
    if sweep.offset_measured and high - low > CLOCK_STEP_TOLERANCE:
        return sweep.began_local + sweep.offset >= item.until + high + delay
    return sweep.began_local >= item.until + delay

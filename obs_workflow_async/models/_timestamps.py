"""Timestamps as the services send them: ISO 8601 in its common spellings, epoch
milliseconds, HTTP dates; read leniently, to an aware UTC ``datetime`` (or the span a
truncated one may mean)."""

from __future__ import annotations

import math
import re
import sys
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from pydantic_core import PydanticCustomError

_TIME = re.compile(
    r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})"  # date: 2020-04-23 or 2020/04/23
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"  # time, fraction
    r"\s*(?:(Z|z|UTC|GMT)|([+-])(\d{2}):?(\d{2})?)?"  # zone
)
_EPOCH_MS = re.compile(r"-?\d{1,16}(?:\.\d{1,9})?")
_TIME_TEXT_MAX = 64


def _from_epoch_ms(value: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def _from_match(match: re.Match[str]) -> datetime:
    year, _, month, day, hour, minute, second, fraction, _utc, sign, zh, zm = match.groups()
    zone = timezone.utc
    if sign is not None:
        offset = timedelta(hours=int(zh), minutes=int(zm or 0))
        zone = timezone(-offset if sign == "-" else offset)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        int((fraction or "0")[:6].ljust(6, "0")),
        tzinfo=zone,
    )


_FROMISOFORMAT_READS_IT = sys.version_info >= (3, 11)
"""``datetime.fromisoformat`` reads ``Z`` and any number of fraction digits from 3.11 on."""
_COMMON_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z?", re.ASCII).fullmatch
"""The service's common form, ASCII digits only (one C call: cheaper than testing the
separators and the fraction one by one)."""


def _from_common_iso(text: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM:SS[.fraction][Z]`` in ASCII digits (what the service writes)
    read without the general pattern, with exactly the result :data:`_TIME` gives it (the
    fraction cut to microseconds, no zone or ``Z`` meaning UTC); ``None`` for any other
    text, which the general reading then handles."""
    if _COMMON_ISO(text) is None:
        return None
    if _FROMISOFORMAT_READS_IT:  # C speed; the pattern leaves it only the common form
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None  # out of range, as the general reading finds it
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    end = len(text) - 1 if text[-1] == "Z" else len(text)
    digits = text[0:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]
    if not digits.isdigit():
        return None
    try:
        return datetime(
            int(digits[0:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
            int(text[20:end][:6].ljust(6, "0")) if end > 20 else 0,
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None  # out of range, as the general reading finds it


def parse_timestamp(value: object) -> datetime | None:
    """A timestamp in any form the service (or a proxy) writes, as an aware datetime.

    Accepts ISO 8601 (with or without a zone, ``Z``, any fractional seconds),
    ``YYYY/MM/DD HH:MM:SS``, RFC 1123 (``Thu, 23 Apr 2020 13:37:43 GMT``) and epoch
    milliseconds (a number or a numeric string). A time without a zone is taken as
    UTC. Anything else (``""``, ``null``, garbage, out of range) gives ``None``.
    """
    if isinstance(value, str):
        return _from_common_iso(value) or _parse_text(value)
    if isinstance(value, datetime):
        return _assume_utc(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_epoch_ms(value) if math.isfinite(value) else None
    return None


def _parse_text(value: str) -> datetime | None:
    text = value.strip()
    if not text or len(text) > _TIME_TEXT_MAX:
        return None
    if _EPOCH_MS.fullmatch(text):
        return _from_epoch_ms(float(text))
    match = _TIME.fullmatch(text)
    try:
        if match is not None:
            return _from_match(match)
        if any(c.isalpha() for c in text):
            return _assume_utc(parsedate_to_datetime(text))
        return _assume_utc(datetime.fromisoformat(text))
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


_PLAUSIBLE = (
    datetime(2000, 1, 1, tzinfo=timezone.utc),
    datetime(2200, 1, 1, tzinfo=timezone.utc),
)
"""Moments a service's timestamp can plausibly denote (to tell epoch seconds from
epoch milliseconds)."""
_ZONES = (timedelta(hours=-14), timedelta(hours=12))
"""How far a time written without a zone may be from the same digits read as UTC
(zones run from UTC-12 to UTC+14)."""


def _epoch_span(number: float) -> tuple[datetime, datetime] | None:
    readings = []
    for scale in (1, 1000):
        try:
            moment = datetime.fromtimestamp(number / scale, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):
            continue
        if _PLAUSIBLE[0] <= moment <= _PLAUSIBLE[1]:
            readings.append(moment)
    return (min(readings), max(readings)) if readings else None


def timestamp_span(value: object) -> tuple[datetime, datetime] | None:
    """The moments a timestamp as the service wrote it may denote, or ``None`` when
    it is unreadable.

    A time with a zone (or an aware ``datetime``) is exact: ``(t, t)``; written only
    to the minute, the hour or the day, it spans that minute, hour or day. A zone name
    other zones share (``CST``: China or US Central) counts as none. A time
    without a zone may be in any zone: the span runs from 14 hours before to 12
    hours after the digits read as UTC. A number (or numeric text) is epoch seconds
    or epoch milliseconds, whichever readings fall between 2000 and 2200; none
    plausible gives ``None``. :func:`parse_timestamp` gives one reading of each.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value, value
        utc = value.replace(tzinfo=timezone.utc)
        return utc + _ZONES[0], utc + _ZONES[1]
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _epoch_span(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _TIME_TEXT_MAX:
        return None
    if _EPOCH_MS.fullmatch(text):
        return _epoch_span(float(text))
    return _text_span(text)


def _text_span(text: str) -> tuple[datetime, datetime] | None:
    """:func:`timestamp_span` of a stripped text that is not a number."""
    parsed = parse_timestamp(text)
    if parsed is None:
        return None
    match = _TIME.fullmatch(text)
    if match is not None:
        zoned = match.group(9) is not None or match.group(10) is not None
        if match.group(5) is None:
            width = _DAY  # a date: any moment of that day
        elif match.group(7) is None:
            width = _MINUTE  # no seconds: any moment of that minute
        else:
            width = _NO_WIDTH
    else:
        width = _NO_WIDTH if _WITH_SECONDS(text) else _DAY  # coarser: an hour, a minute
        zoned = _has_zone(text)
        if not zoned and parsed.utcoffset():
            parsed = parsed.replace(tzinfo=timezone.utc)  # a named zone: its digits as UTC
    if zoned:
        return parsed, parsed + width
    return parsed + _ZONES[0], parsed + width + _ZONES[1]


_NO_WIDTH = timedelta(0)
_MINUTE = timedelta(minutes=1, microseconds=-1)
_DAY = timedelta(days=1, microseconds=-1)
_WITH_SECONDS = re.compile(r"\d:\d\d:\d\d").search
"""A time written to the second (``HH:MM:SS``): the other forms
``datetime.fromisoformat`` and the RFC 1123 reading take may stop at the hour or the
minute, and then denote any moment of it."""
_SHARED_ZONE_NAMES = frozenset(
    {"AST", "ADT", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}
)
"""The zone names :func:`email.utils.parsedate_to_datetime` reads as North American
offsets, which other zones write too (``CST``: China Standard Time, +08:00; ``AST``:
Arabia, +03:00): a time written with one may be in any zone."""
_WORDS = re.compile(r"[A-Za-z]+").findall
_SHORT_OFFSET = re.compile(r"(?:^|\s)[+-]\d{1,3}(?![\d:])").search
"""A numeric zone of fewer than four digits (``+08``): ``email.utils`` reads it as
minutes (``+00:08``), not hours."""


def unclear_zone(text: str) -> bool:
    """Whether ``text`` (a time ``email.utils`` may read) names its zone in a way that
    does not tell it: a name several zones share (:data:`_SHARED_ZONE_NAMES`) or a
    numeric zone of fewer than four digits. Its moment is then unknown within a day."""
    return (
        any(word.upper() in _SHARED_ZONE_NAMES for word in _WORDS(text))
        or _SHORT_OFFSET(text) is not None
    )


def _has_zone(text: str) -> bool:
    if unclear_zone(text):
        return False
    try:
        if any(c.isalpha() for c in text):
            return parsedate_to_datetime(text).tzinfo is not None
        return datetime.fromisoformat(text).tzinfo is not None
    except (ValueError, TypeError, OverflowError, IndexError):
        return False


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _required_timestamp(value: object) -> datetime:
    parsed = parse_timestamp(value)
    if parsed is None:
        raise PydanticCustomError(
            "datetime_parsing",
            "not a timestamp (ISO 8601, RFC 1123, YYYY/MM/DD HH:MM:SS or epoch milliseconds)",
        )
    return parsed

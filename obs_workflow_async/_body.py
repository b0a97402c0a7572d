"""Reading an answer's body within :data:`MAX_RESPONSE_BYTES`, on the wire and decoded.

aiohttp's own decompression inflates whatever a ``Content-Length`` of up to the cap
carries (1 MB of gzip on the wire is 1 GiB in memory). The transport therefore asks
aiohttp for the raw bytes (``auto_decompress=False``) and decodes them here,
streamed: each chunk read from the wire is inflated at most up to what is left of
the cap, and the answer is refused (:class:`BodyTooLarge`) as soon as it would
exceed it. Nothing is ever inflated whole.
"""

from __future__ import annotations

import zlib

import aiohttp

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_RESPONSE_BYTES",
    "BodyTooLarge",
    "UndecodableBody",
    "read_body",
]

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""Answers larger than this (on the wire, or once decoded) are refused without
being read or inflated whole."""

ACCEPT_ENCODING = "gzip, deflate"
"""What we ask for: the encodings :func:`read_body` decodes within the cap."""

_CHUNK = 65536
_IDENTITY = frozenset({"", "identity"})
_GZIP = frozenset({"gzip", "x-gzip"})


class BodyTooLarge(aiohttp.ClientPayloadError):
    """An answer over :data:`MAX_RESPONSE_BYTES`, refused without reading it whole."""


class UndecodableBody(aiohttp.ClientPayloadError):
    """An answer whose ``Content-Encoding`` we did not ask for, or whose compressed
    bytes are corrupt: it cannot be read."""


def _decompressor(encoding: str, first: bytes) -> zlib._Decompress:
    if encoding in _GZIP:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    # "deflate" is meant to be zlib-wrapped; some servers send raw deflate (as
    # aiohttp does, tell them apart by the zlib header's compression method).
    raw = bool(first) and (first[0] & 0x0F) != 8
    return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)


class _Inflater:
    """Inflates chunk by chunk, never producing more than the cap allows."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._encoding = encoding
        self._limit = limit
        self._size = 0
        self._decoder: zlib._Decompress | None = None
        self._parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = _decompressor(self._encoding, chunk)
        try:
            # At most one byte over what is left: enough to know the cap is passed.
            out = decoder.decompress(chunk, self._limit - self._size + 1)
        except zlib.error as exc:
            raise UndecodableBody(f"corrupt {self._encoding} response body: {exc}") from None
        self._add(out)

    def _add(self, out: bytes) -> None:
        self._size += len(out)
        if self._size > self._limit:
            raise BodyTooLarge(
                f"response body exceeds the {self._limit}-byte limit once decompressed "
                f"({self._encoding})"
            )
        self._parts.append(out)

    def finish(self) -> bytes:
        decoder = self._decoder
        if decoder is not None:
            try:
                out = decoder.flush()
            except zlib.error as exc:  # pragma: no cover - flush rarely fails
                raise UndecodableBody(f"corrupt {self._encoding} response body: {exc}") from None
            self._add(out)
            if not decoder.eof:
                raise UndecodableBody(f"truncated {self._encoding} response body")
        return b"".join(self._parts)


async def read_body(response: aiohttp.ClientResponse, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The answer's body (decoded), or :class:`BodyTooLarge` / :class:`UndecodableBody`.

    The response must have been requested with ``auto_decompress=False``.
    """
    length = response.content_length
    if length is not None and length > limit:
        raise BodyTooLarge(f"response body of {length} bytes exceeds the {limit}-byte limit")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in _IDENTITY:
        if length is not None:  # at most the cap: read it in one go (the fast path)
            return await response.read()
        return await _read_plain(response, limit)
    if encoding not in _GZIP and encoding != "deflate":
        raise UndecodableBody(f"response body in an encoding we did not ask for: {encoding!r}")
    inflater = _Inflater(encoding, limit)
    wire = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        wire += len(chunk)
        if wire > limit:
            raise BodyTooLarge(f"response body exceeds the {limit}-byte limit")
        inflater.feed(chunk)
    return inflater.finish()


async def _read_plain(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"response body exceeds the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)

"""The hand-written request signers of the benchmarks' hand-written aiohttp clients.

One copy for every benchmark (``bench_start``, ``bench_cpu``, ``bench_retained``,
``bench_start_parts``, ``bench_settle_cpu``, ``cg_start``), so that they all compare
this client against the same hand-written requests. Written by hand on purpose, from
the standard library only: it must not import ``obs_workflow_async`` (it is what the
client is measured against, and what a user would write without the client).
``tests/unit/test_bench_hand_signing.py`` holds its headers equal to the client's for
the same requests (the date text is the only input the caller may pass; left out, it
is now, formatted as each API wants it).

- :func:`obs_headers`: the v2 API's OBS signature (HMAC-SHA1 over
  ``METHOD\\n\\nCONTENT-TYPE\\nDATE\\nRESOURCE``, header ``OBS <AK>:<signature>``).
- :func:`v3_headers`: DWR v3's ``SDK-HMAC-SHA256`` (the canonical request over the
  signed headers, the URI with its trailing ``/``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from email.utils import formatdate

__all__ = ["V3_SIGNED", "V3_SIGNED_GET", "http_date", "obs_headers", "sdk_date", "v3_headers"]

V3_SIGNED = "content-type;host;user-agent;x-project-id;x-sdk-date"
"""The headers a v3 start signs (those the client signs without a security token)."""

V3_SIGNED_GET = "host;x-project-id;x-sdk-date"
"""The headers a hand-written v3 ``GET`` without ``Content-Type`` and ``User-Agent``
signs (``bench_settle_cpu``)."""


def http_date() -> str:
    """Now as the v2 ``Date`` header: ``Fri, 04 Dec 2026 12:00:00 GMT``."""
    return formatdate(usegmt=True)


def sdk_date() -> str:
    """Now as the v3 ``X-Sdk-Date`` header: ``20261204T120000Z``."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def obs_headers(
    ak: str,
    key: bytes,
    method: str,
    resource: str,
    host: str,
    *,
    content_type: bool = True,
    date: str | None = None,
) -> dict[str, str]:
    """The headers of a v2 request, OBS signature.

    :param key: The secret access key, encoded.
    :param resource: The canonical resource (the path, and the signed query if any).
    :param content_type: Send and sign ``Content-Type: application/json`` (a start);
        ``False``: no content type (the hand-written ``GET`` of ``bench_settle_cpu``).
    :param date: The ``Date`` text; default: now.
    """
    if date is None:
        date = formatdate(usegmt=True)
    if content_type:
        to_sign = f"{method}\n\napplication/json\n{date}\n{resource}"
        sig = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest())
        return {
            "Content-Type": "application/json",
            "Date": date,
            "Host": host,
            "Authorization": f"OBS {ak}:{sig.decode()}",
        }
    to_sign = f"{method}\n\n\n{date}\n{resource}"
    sig = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest())
    return {"Date": date, "Host": host, "Authorization": f"OBS {ak}:{sig.decode()}"}


def v3_headers(
    ak: str,
    key: bytes,
    method: str,
    path: str,
    host: str,
    pid: str,
    body: bytes = b"",
    *,
    query: str = "",
    user_agent: str | None = "bench",
    date: str | None = None,
) -> dict[str, str]:
    """The headers of a v3 request, ``SDK-HMAC-SHA256``.

    :param key: The secret access key, encoded.
    :param path: The encoded path (its trailing ``/`` is added in the canonical URI).
    :param query: The canonical query (sorted, percent-encoded ``k=v&...``).
    :param user_agent: Send and sign ``Content-Type: application/json`` and this
        ``User-Agent`` (a start, as the client signs them); ``None``: neither (the
        hand-written ``GET`` of ``bench_settle_cpu``, :data:`V3_SIGNED_GET`).
    :param date: The ``X-Sdk-Date`` text; default: now.
    """
    if date is None:
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    if user_agent is not None:
        canonical = (
            f"{method}\n{path}/\n{query}\ncontent-type:application/json\nhost:{host}\n"
            f"user-agent:{user_agent}\nx-project-id:{pid}\nx-sdk-date:{date}\n\n"
            f"{V3_SIGNED}\n{hashlib.sha256(body).hexdigest()}"
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        sig = hmac.new(
            key, f"SDK-HMAC-SHA256\n{date}\n{digest}".encode(), hashlib.sha256
        ).hexdigest()
        return {
            "Content-Type": "application/json",
            "Host": host,
            "User-Agent": user_agent,
            "X-Project-Id": pid,
            "X-Sdk-Date": date,
            "Authorization": f"SDK-HMAC-SHA256 Access={ak}, "
            f"SignedHeaders={V3_SIGNED}, Signature={sig}",
        }
    canonical = (
        f"{method}\n{path}/\n{query}\nhost:{host}\nx-project-id:{pid}\nx-sdk-date:{date}\n\n"
        f"{V3_SIGNED_GET}\n{hashlib.sha256(body).hexdigest()}"
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    sig = hmac.new(key, f"SDK-HMAC-SHA256\n{date}\n{digest}".encode(), hashlib.sha256).hexdigest()
    return {
        "Host": host,
        "X-Project-Id": pid,
        "X-Sdk-Date": date,
        "Authorization": f"SDK-HMAC-SHA256 Access={ak}, "
        f"SignedHeaders={V3_SIGNED_GET}, Signature={sig}",
    }

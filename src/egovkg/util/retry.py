"""Retries with exponential back-off for idempotent HTTP requests (SPARQL queries, Graph Store PUT).

Only transient faults are retried: 502/503/504 replies and a connection reset
or closed mid-reply. Refused connections, timeouts, 4xx and other 5xx replies
fail at once, so a wrong URL or a down server gives its error without delay.
"""

from __future__ import annotations

import http.client
import urllib.error

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

TRANSIENT_STATUS = frozenset({502, 503, 504})
ATTEMPTS = 3


def transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in TRANSIENT_STATUS
    if isinstance(exc, urllib.error.URLError):
        return isinstance(exc.reason, (ConnectionResetError, http.client.RemoteDisconnected))
    return isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected))


def retrying(attempts: int = ATTEMPTS, base: float = 0.25) -> Retrying:
    """A tenacity loop: ``for attempt in retrying(): with attempt: ...``."""
    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=base, max=4),
        retry=retry_if_exception(transient),
        reraise=True,
    )

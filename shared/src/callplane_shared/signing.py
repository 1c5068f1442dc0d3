"""How callplane signs the webhooks it sends, and the helper a customer uses to check them.

Two signatures ride on every masking callback and status report (when the account has set
masking credentials `{apiId, key}`):

* Infobip's, so existing integrations keep working:
  `Authorization: <apiId>:<hex SHA-256 of (path + query + body + key)>`, where `path + query` is
  the request target exactly as sent (`/hook?x=1`, or `/hook` without a query). It has no
  timestamp, so a captured request can be replayed forever.
* Ours, which closes that hole:
  `X-Callplane-Timestamp: <unix seconds>` and
  `X-Callplane-Signature: v1=<hex HMAC-SHA256(key, "<timestamp>." + body bytes)>`.
  The receiver recomputes it over the exact bytes it received (before any JSON parsing, so a
  proxy that re-serialises cannot silently break it) and refuses timestamps outside a window.

The HMAC secret is the credentials `key` itself (UTF-8): one secret per account, chosen by the
customer, which is why number-masking stores it encrypted rather than hashed. Only the standard
library is used so customers can vendor this module.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Callplane-Timestamp"
SIGNATURE_HEADER = "X-Callplane-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The request is not signed by callplane with this secret (the message says why)."""


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def signed_payload(timestamp: int, body: bytes) -> bytes:
    """The canonical bytes the v1 HMAC covers: ASCII decimal timestamp, a dot, the raw body."""
    return f"{timestamp}.".encode() + body


def compute_signature(secret: str | bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(_secret_bytes(secret), signed_payload(timestamp, body), hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def signature_headers(
    secret: str | bytes, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: compute_signature(secret, timestamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret: str | bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check the v1 signature of a request callplane sent; return its timestamp.

    `headers` may use any case; `body` must be the raw bytes received. Raises `SignatureError`
    when a header is missing, the timestamp is outside `now ± tolerance` seconds, or no `v1=`
    value matches (several comma-separated values are accepted, for secret rotation).
    """
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    raw_signature = _header(headers, SIGNATURE_HEADER)
    if raw_timestamp is None or raw_signature is None:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        timestamp = int(raw_timestamp.strip())
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"timestamp outside the {tolerance} s replay window")
    expected = compute_signature(secret, timestamp, body)
    candidates = [part.strip() for part in raw_signature.split(",")]
    if not any(hmac.compare_digest(expected, c) for c in candidates if c.startswith("v1=")):
        raise SignatureError("signature does not match")
    return timestamp


def infobip_authorization(api_id: str, key: str, target: str, body: bytes) -> str:
    """Infobip's `Authorization` value; `target` is the path plus `?query` when there is one."""
    digest = hashlib.sha256(target.encode() + body + key.encode()).hexdigest()
    return f"{api_id}:{digest}"


def verify_infobip(authorization: str, api_id: str, key: str, target: str, body: bytes) -> None:
    expected = infobip_authorization(api_id, key, target, body)
    if not hmac.compare_digest(expected, authorization.strip()):
        raise SignatureError("Authorization does not match apiId and key")

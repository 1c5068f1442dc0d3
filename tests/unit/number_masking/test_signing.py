from __future__ import annotations

import pytest

from callplane_shared import signing

pytestmark = pytest.mark.unit

# The worked example of services/number-masking/README.md, checked independently with
# `openssl dgst -sha256 -hmac` and `sha256sum`.
BODY = (
    b'{"from":"+41793026731","to":"+41793026000",'
    b'"correlationId":"call-1","nmCorrelationId":"call-1"}'
)
SECRET = "my-secret-key-1"
TIMESTAMP = 1764151200
EXPECTED_V1 = "v1=6431961d4f9057b366adf13ec6873722f1e751d4b659ef4a0967c0ca019b5394"
EXPECTED_INFOBIP = "my-app:53cb1d26e20d2160d92a040038e7b9df774133fa57327872e15cb5f8c6cebd43"


def test_worked_example_of_the_readme() -> None:
    assert signing.compute_signature(SECRET, TIMESTAMP, BODY) == EXPECTED_V1
    auth = signing.infobip_authorization("my-app", SECRET, "/masking/callback?tenant=a", BODY)
    assert auth == EXPECTED_INFOBIP


def test_verify_accepts_what_sign_produces_with_any_header_case() -> None:
    headers = signing.signature_headers(SECRET, BODY, now=TIMESTAMP)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert signing.verify(lowered, BODY, SECRET, now=TIMESTAMP + 10) == TIMESTAMP


@pytest.mark.parametrize(
    ("body", "secret", "now", "message"),
    [
        (BODY + b" ", SECRET, TIMESTAMP, "does not match"),
        (BODY, "other-secret", TIMESTAMP, "does not match"),
        (BODY, SECRET, TIMESTAMP + 301, "replay window"),
        (BODY, SECRET, TIMESTAMP - 301, "replay window"),
    ],
    ids=["body-changed", "wrong-secret", "too-old", "from-the-future"],
)
def test_verify_refuses(body: bytes, secret: str, now: int, message: str) -> None:
    headers = signing.signature_headers(SECRET, BODY, now=TIMESTAMP)
    with pytest.raises(signing.SignatureError, match=message):
        signing.verify(headers, body, secret, now=now)


def test_verify_refuses_missing_or_malformed_headers() -> None:
    with pytest.raises(signing.SignatureError, match="missing"):
        signing.verify({}, BODY, SECRET, now=TIMESTAMP)
    bad = {signing.TIMESTAMP_HEADER: "soon", signing.SIGNATURE_HEADER: EXPECTED_V1}
    with pytest.raises(signing.SignatureError, match="integer"):
        signing.verify(bad, BODY, SECRET, now=TIMESTAMP)


def test_verify_accepts_one_of_several_signatures_during_rotation() -> None:
    headers = {
        signing.TIMESTAMP_HEADER: str(TIMESTAMP),
        signing.SIGNATURE_HEADER: f"v1=00ff, {EXPECTED_V1}",
    }
    assert signing.verify(headers, BODY, SECRET, now=TIMESTAMP) == TIMESTAMP


def test_infobip_verification_covers_the_query() -> None:
    signing.verify_infobip(EXPECTED_INFOBIP, "my-app", SECRET, "/masking/callback?tenant=a", BODY)
    with pytest.raises(signing.SignatureError):
        signing.verify_infobip(EXPECTED_INFOBIP, "my-app", SECRET, "/masking/callback", BODY)

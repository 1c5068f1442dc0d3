"""Encryption at rest of a customer's webhook secret (AES-256-GCM), for every service that signs
with one (masking credentials, call-event subscriptions).

The secret has to be recoverable, not just checkable, because we sign with it on every delivery;
hence encryption rather than a hash. The owner (the account id) is bound in as associated data,
so a ciphertext copied onto another account's document does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Annotated

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import AfterValidator, SecretStr

NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256


def _thirty_two_bytes(value: SecretStr) -> SecretStr:
    try:
        raw = base64.b64decode(value.get_secret_value(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError("must decode to exactly 32 bytes")
    return value


SealingKey = Annotated[SecretStr, AfterValidator(_thirty_two_bytes)]
"""A setting holding a `CredentialCipher` key: base64 of 32 random bytes, checked at start."""


def key_bytes(key: SecretStr) -> bytes:
    return base64.b64decode(key.get_secret_value())


class CredentialCipher:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, account_id: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), account_id.encode())
        return base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, account_id: str) -> str:
        raw = base64.b64decode(token)
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        return self._aead.decrypt(nonce, sealed, account_id.encode()).decode()

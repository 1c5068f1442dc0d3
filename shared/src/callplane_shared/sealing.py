"""Encryption at rest of a customer's webhook secret (AES-256-GCM), for every service that signs
with one (masking credentials, call-event subscriptions).

The secret has to be recoverable, not just checkable, because we sign with it on every delivery;
hence encryption rather than a hash. The owner (the account id) is bound in as associated data,
so a ciphertext copied onto another account's document does not decrypt.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


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

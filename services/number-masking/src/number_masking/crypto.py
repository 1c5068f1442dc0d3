"""Masking credentials are sealed with the shared cipher (`callplane_shared.sealing`)."""

from callplane_shared.sealing import NONCE_BYTES, CredentialCipher

__all__ = ["NONCE_BYTES", "CredentialCipher"]

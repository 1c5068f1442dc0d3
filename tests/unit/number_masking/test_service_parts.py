from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import ValidationError

from number_masking import openapi
from number_masking.crypto import CredentialCipher
from number_masking.settings import Settings

pytestmark = pytest.mark.unit

OPENAPI = Path(__file__).resolve().parents[3] / "services/number-masking/openapi.json"
KEY = base64.b64encode(bytes(range(32))).decode()


def test_committed_openapi_matches_the_code() -> None:
    assert json.loads(OPENAPI.read_text()) == json.loads(openapi.render()), (
        "openapi.json drifted: run `uv run python -m number_masking.openapi > "
        "services/number-masking/openapi.json`"
    )


def test_credentials_round_trip_and_are_bound_to_the_account() -> None:
    cipher = CredentialCipher(bytes(range(32)))
    token = cipher.encrypt("secret-key", "acct-1")
    assert "secret-key" not in token
    assert cipher.decrypt(token, "acct-1") == "secret-key"
    assert cipher.encrypt("secret-key", "acct-1") != token  # fresh nonce every time
    with pytest.raises(InvalidTag):
        cipher.decrypt(token, "acct-2")


def test_settings_require_a_32_byte_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASKING_CREDENTIALS_KEY", raising=False)
    with pytest.raises(ValidationError, match="masking_credentials_key"):
        Settings(_env_file=None)
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(_env_file=None, masking_credentials_key=base64.b64encode(b"short").decode())
    settings = Settings(_env_file=None, masking_credentials_key=KEY)
    assert settings.credentials_key_bytes == bytes(range(32))
    assert KEY not in repr(settings)

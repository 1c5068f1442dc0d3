"""IVR scenarios' notifySecret at rest: sealed for the scenario's account, and documents written
before sealing (plaintext) still read without a migration."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from action_config.ivr_scenarios import PLAIN_FIELD, SEALED_FIELD, scenario_secret
from callplane_shared.sealing import CredentialCipher

pytestmark = pytest.mark.unit

CIPHER = CredentialCipher(bytes(32))


def test_a_sealed_secret_reads_back_and_is_not_stored_in_the_clear() -> None:
    sealed = CIPHER.encrypt("s3cret-value", "acc-1")
    assert "s3cret-value" not in sealed
    assert scenario_secret({"accountId": "acc-1", SEALED_FIELD: sealed}, CIPHER) == "s3cret-value"


def test_a_secret_sealed_for_another_account_does_not_open() -> None:
    sealed = CIPHER.encrypt("s3cret-value", "acc-1")
    with pytest.raises(InvalidTag):
        scenario_secret({"accountId": "acc-2", SEALED_FIELD: sealed}, CIPHER)


def test_an_older_plaintext_document_still_reads() -> None:
    assert scenario_secret({"accountId": "acc-1", PLAIN_FIELD: "old"}, CIPHER) == "old"
    assert scenario_secret({"accountId": "acc-1"}, CIPHER) is None

"""Number masking (NumberMaskingApi) through Infobip's official SDK: configurations,
credentials and audio uploads, parsed into the SDK's models; errors in the envelope."""

from __future__ import annotations

import base64

import pytest
from infobip_api_client.api.number_masking_api import NumberMaskingApi
from infobip_api_client.exceptions import ApiException as SdkError
from infobip_api_client.models.number_masking_credentials_body import (
    NumberMaskingCredentialsBody,
)
from infobip_api_client.models.number_masking_setup_body import NumberMaskingSetupBody
from infobip_api_client.models.number_masking_upload_body import NumberMaskingUploadBody

from tests.e2e.sdk.conftest import SdkAccount
from tests.e2e.sdk.wire import message_id, nulls_in
from tests.support import unique

# The SDK's own models warn while serialising their enums; that is the SDK's business, not ours.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::UserWarning:pydantic.main")]


def _setup(name: str) -> NumberMaskingSetupBody:
    return NumberMaskingSetupBody(
        name=name,
        callback_url="https://customer.example.com/masking",
        status_url="https://customer.example.com/status",
    )


def test_masking_configurations_through_the_sdk(sdk: SdkAccount) -> None:
    api = NumberMaskingApi(sdk.client)
    name = unique("cfg").replace("-", " ")
    created = api.create_number_masking_configuration_with_http_info(_setup(name))
    assert nulls_in(created.raw_data) == []
    key = created.data.key
    assert key
    assert api.get_number_masking_configuration(key).name == name
    assert key in {c.key for c in api.get_number_masking_configurations()}
    renamed = unique("new").replace("-", " ")
    assert api.update_number_masking_configuration(key, _setup(renamed)).name == renamed
    api.delete_number_masking_configuration(key)
    with pytest.raises(SdkError) as gone:
        api.get_number_masking_configuration(key)
    assert gone.value.status == 404
    assert message_id(gone.value) == "NOT_FOUND"


def test_masking_credentials_through_the_sdk(sdk: SdkAccount) -> None:
    api = NumberMaskingApi(sdk.client)
    body = NumberMaskingCredentialsBody(api_id=unique("api"), key=unique("secret"))
    created = api.create_number_masking_credentials(body)
    assert created.api_id == body.api_id
    with pytest.raises(SdkError) as twice:
        api.create_number_masking_credentials(body)
    assert twice.value.status == 409
    assert message_id(twice.value) == "CONFLICT"
    assert api.get_number_masking_credentials().api_id == body.api_id
    other = NumberMaskingCredentialsBody(api_id=unique("api"), key=unique("secret"))
    assert api.update_number_masking_credentials(other).api_id == other.api_id
    api.delete_number_masking_credentials()
    with pytest.raises(SdkError) as gone:
        api.get_number_masking_credentials()
    assert gone.value.status == 404


# The smallest valid WAV: a RIFF header, a fmt chunk and an empty data chunk.
WAV = (
    b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    + (16000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    + b"data" + (0).to_bytes(4, "little")
)  # fmt: skip


def test_audio_uploads_through_the_sdk(sdk: SdkAccount) -> None:
    api = NumberMaskingApi(sdk.client)
    uploaded = api.upload_audio_files(
        NumberMaskingUploadBody(content=base64.b64encode(WAV).decode())
    )
    assert uploaded.file_id

    with pytest.raises(SdkError) as not_audio:
        api.upload_audio_files(
            NumberMaskingUploadBody(content=base64.b64encode(b"%PDF-1.7 ...").decode())
        )
    assert not_audio.value.status == 400
    assert message_id(not_audio.value) == "BAD_REQUEST"

"""Calls configurations (CallsApi) and IVR scenarios (VoiceApi) through Infobip's official SDK:
every operation callplane serves, parsed into the SDK's models; errors in the `requestError`
envelope the SDK documents for these APIs."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from infobip_api_client.api.calls_api import CallsApi
from infobip_api_client.api.voice_api import VoiceApi
from infobip_api_client.exceptions import ApiException as SdkError
from infobip_api_client.models.calls_configuration_create_request import (
    CallsConfigurationCreateRequest,
)
from infobip_api_client.models.calls_configuration_update_request import (
    CallsConfigurationUpdateRequest,
)
from infobip_api_client.models.calls_update_scenario_request import CallsUpdateScenarioRequest

from tests.e2e.sdk.conftest import SdkAccount
from tests.e2e.sdk.wire import message_id, nulls_in
from tests.support import unique

# The SDK's own models warn while serialising their enums; that is the SDK's business, not ours.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::UserWarning:pydantic.main")]


def test_calls_configurations_through_the_sdk(sdk: SdkAccount) -> None:
    api = CallsApi(sdk.client)
    config_id = unique("cfg")
    created = api.create_calls_configuration_with_http_info(
        CallsConfigurationCreateRequest(id=config_id, name="support line")
    )
    assert created.status_code == 201
    assert created.data.id == config_id
    assert nulls_in(created.raw_data) == []

    assert api.get_calls_configuration(config_id).name == "support line"
    page = api.get_calls_configurations(page=0, size=100)
    assert config_id in {c.id for c in page.results or []}
    assert page.paging is not None
    renamed = api.update_calls_configuration(
        config_id, CallsConfigurationUpdateRequest(name="sales line")
    )
    assert renamed.name == "sales line"
    assert api.delete_calls_configuration(config_id).id == config_id

    calls: list[Callable[[], object]] = [
        lambda: api.get_calls_configuration(config_id),
        lambda: api.delete_calls_configuration(config_id),
        lambda: api.update_calls_configuration(
            config_id, CallsConfigurationUpdateRequest(name="x")
        ),
    ]
    for call in calls:
        with pytest.raises(SdkError) as missing:
            call()
        assert missing.value.status == 404
        assert message_id(missing.value) == "NOT_FOUND"


def test_a_duplicate_calls_configuration_id_is_refused_in_the_envelope(sdk: SdkAccount) -> None:
    api = CallsApi(sdk.client)
    config_id = unique("dup")
    api.create_calls_configuration(CallsConfigurationCreateRequest(id=config_id, name="one"))
    with pytest.raises(SdkError) as taken:
        api.create_calls_configuration(CallsConfigurationCreateRequest(id=config_id, name="two"))
    assert taken.value.status == 409
    assert message_id(taken.value) == "CONFLICT"


SCRIPT = [{"say": "Hello, you reached callplane."}, {"hangup": "ok"}]


def _scenario(name: str) -> CallsUpdateScenarioRequest:
    # The SDK types `script` as a string holding the JSON steps.
    return CallsUpdateScenarioRequest(
        name=name, description="greeting", script=json.dumps(SCRIPT), record=False
    )


def test_ivr_scenarios_through_the_sdk(sdk: SdkAccount) -> None:
    api = VoiceApi(sdk.client)
    name = unique("ivr")
    created = api.create_a_voice_ivr_scenario_with_http_info(_scenario(name))
    assert created.status_code == 200
    assert nulls_in(created.raw_data) == []
    scenario = created.data
    assert scenario.id
    assert scenario.create_time is not None
    assert json.loads(str(scenario.script)) == SCRIPT
    # Infobip writes `+0000`, never `+00:00`.
    assert json.loads(created.raw_data)["createTime"].endswith("+0000")

    assert api.get_a_voice_ivr_scenario(scenario.id).name == name
    found = api.search_voice_ivr_scenarios(name=name)
    assert [s.id for s in found] == [scenario.id]
    updated = api.update_voice_ivr_scenario(scenario.id, _scenario(unique("renamed")))
    assert updated.name != name

    deleted = api.delete_a_voice_ivr_scenario_with_http_info(scenario.id)
    assert deleted.status_code == 200
    assert json.loads(deleted.raw_data)["id"] == scenario.id
    with pytest.raises(SdkError) as gone:
        api.get_a_voice_ivr_scenario(scenario.id)
    assert gone.value.status == 404
    assert message_id(gone.value) == "NOT_FOUND"


def test_a_script_that_cannot_run_is_a_400_naming_the_step(sdk: SdkAccount) -> None:
    api = VoiceApi(sdk.client)
    broken = CallsUpdateScenarioRequest(name=unique("bad"), script=json.dumps([{"fly": 1}]))
    with pytest.raises(SdkError) as refused:
        api.create_a_voice_ivr_scenario(broken)
    assert refused.value.status == 400
    assert message_id(refused.value) == "BAD_REQUEST"
    assert "script[0]" in str(refused.value.body)

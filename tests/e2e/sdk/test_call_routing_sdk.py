"""Call Routing through Infobip's official SDK, unmodified: every operation callplane serves, its
answers parsed into the SDK's models, its errors into the SDK's `ApiError` (400/404) or
`ApiException` envelope (401)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from infobip_api_client.api.call_routing_api import CallRoutingApi
from infobip_api_client.api_client import ApiClient
from infobip_api_client.exceptions import ApiException as SdkError
from infobip_api_client.models.api_error import ApiError
from infobip_api_client.models.call_routing_application_criteria import (
    CallRoutingApplicationCriteria,
)
from infobip_api_client.models.call_routing_endpoint_destination import (
    CallRoutingEndpointDestination,
)
from infobip_api_client.models.call_routing_phone_criteria import CallRoutingPhoneCriteria
from infobip_api_client.models.call_routing_phone_endpoint import CallRoutingPhoneEndpoint
from infobip_api_client.models.call_routing_recording import CallRoutingRecording
from infobip_api_client.models.call_routing_route_order_request import (
    CallRoutingRouteOrderRequest,
)
from infobip_api_client.models.call_routing_route_request import CallRoutingRouteRequest
from infobip_api_client.models.call_routing_route_response import CallRoutingRouteResponse
from infobip_api_client.models.call_routing_route_simulator_request import (
    CallRoutingRouteSimulatorRequest,
)
from infobip_api_client.models.call_routing_route_status import CallRoutingRouteStatus
from infobip_api_client.models.call_routing_route_status_request import (
    CallRoutingRouteStatusRequest,
)
from infobip_api_client.models.call_routing_search_criteria import CallRoutingSearchCriteria
from infobip_api_client.models.call_routing_simulator_phone_endpoint import (
    CallRoutingSimulatorPhoneEndpoint,
)
from infobip_api_client.models.call_routing_simulator_sip_endpoint import (
    CallRoutingSimulatorSipEndpoint,
)
from infobip_api_client.models.call_routing_simulator_web_rtc_endpoint import (
    CallRoutingSimulatorWebRTCEndpoint,
)
from infobip_api_client.models.call_routing_sip_criteria import CallRoutingSipCriteria
from infobip_api_client.models.call_routing_sip_endpoint import CallRoutingSipEndpoint
from infobip_api_client.models.call_routing_sip_header import CallRoutingSipHeader
from infobip_api_client.models.call_routing_url_destination import CallRoutingUrlDestination
from infobip_api_client.models.call_routing_web_rtc_criteria import CallRoutingWebRTCCriteria
from infobip_api_client.models.call_routing_web_rtc_endpoint import CallRoutingWebRtcEndpoint

from tests.e2e.sdk.conftest import SdkAccount
from tests.e2e.sdk.wire import message_id, nulls_in
from tests.support import unique

# The SDK's own models warn while serialising their enums; that is the SDK's business, not ours.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::UserWarning:pydantic.main")]


def _phone_route(caller: str, called: str) -> CallRoutingRouteRequest:
    return CallRoutingRouteRequest(
        name=unique("sdk-route"),
        criteria=[
            CallRoutingSearchCriteria(to=called, value=CallRoutingPhoneCriteria(var_from=caller))
        ],
        destinations=[
            CallRoutingEndpointDestination(
                value=CallRoutingPhoneEndpoint(phone_number="41793026700"),
                priority=1,
                weight=2,
                connect_timeout=20,
                recording=CallRoutingRecording(recording_type="AUDIO", file_prefix="sdk"),
            ),
            CallRoutingUrlDestination(url="https://example.com/next-destination", priority=2),
        ],
    )


def _api_error(exc: SdkError) -> ApiError:
    assert isinstance(exc.data, ApiError), f"SDK could not parse {exc.body!r}"
    return exc.data


def test_a_route_round_trips_in_the_sdks_shapes(sdk: SdkAccount) -> None:
    api = CallRoutingApi(sdk.client)
    created = api.create_call_route_with_http_info(_phone_route("41441234567", "41793026731"))
    assert created.status_code == 201
    assert nulls_in(created.raw_data) == []
    route = created.data
    assert isinstance(route, CallRoutingRouteResponse)
    assert route.status == CallRoutingRouteStatus.ENABLED

    fetched = api.get_call_route_with_http_info(route.id)
    assert nulls_in(fetched.raw_data) == []
    endpoint, url = fetched.data.destinations
    assert isinstance(url, CallRoutingUrlDestination)
    assert url.url == "https://example.com/next-destination"
    assert isinstance(endpoint, CallRoutingEndpointDestination)
    assert (endpoint.priority, endpoint.weight, endpoint.connect_timeout) == (1, 2, 20)
    assert endpoint.recording is not None
    assert endpoint.recording.file_prefix == "sdk"
    assert isinstance(endpoint.value, CallRoutingPhoneEndpoint)
    assert fetched.data.criteria
    criteria = fetched.data.criteria[0].value
    assert isinstance(criteria, CallRoutingPhoneCriteria)
    assert criteria.var_from == "41441234567"


def test_list_replace_order_status_and_delete(sdk: SdkAccount) -> None:
    api = CallRoutingApi(sdk.client)
    route = api.create_call_route(_phone_route("41441234568", "41793026732"))

    page = api.get_call_routes_with_http_info(page=0, size=100)
    assert nulls_in(page.raw_data) == []
    assert route.id in {r.id for r in page.data.results or []}

    renamed = _phone_route("41441234568", "41793026732")
    renamed.name = unique("renamed")
    assert api.update_call_route(route.id, renamed).name == renamed.name
    assert api.set_order_call_route(route.id, CallRoutingRouteOrderRequest(order=7)).order == 7
    disabled = api.update_call_route_status(
        route.id, CallRoutingRouteStatusRequest(route_status=CallRoutingRouteStatus.DISABLED)
    )
    assert disabled.status == CallRoutingRouteStatus.DISABLED

    deleted = api.delete_call_route(route.id)
    assert deleted.id == route.id
    with pytest.raises(SdkError) as gone:
        api.get_call_route(route.id)
    assert gone.value.status == 404
    assert _api_error(gone.value).error_code == "E404"


def test_simulate_matches_the_callers_from_for_every_endpoint_type(sdk: SdkAccount) -> None:
    api = CallRoutingApi(sdk.client)
    to = f"4179{unique()[-7:].translate(str.maketrans('abcdef', '123456'))}"
    phone = api.create_call_route(_phone_route("41441234569", to))
    sip = api.create_call_route(
        CallRoutingRouteRequest(
            name=unique("sdk-sip"),
            criteria=[
                CallRoutingSearchCriteria(
                    to=to,
                    value=CallRoutingSipCriteria(
                        sip_trunk_id="trunk-1",
                        username="alice",
                        headers=[CallRoutingSipHeader(header_name="X-Team", header_value="sales")],
                    ),
                )
            ],
            destinations=[
                CallRoutingEndpointDestination(
                    value=CallRoutingSipEndpoint(
                        sip_trunk_id="trunk-2", username="desk", custom_headers={"X-From": "cp"}
                    )
                )
            ],
        )
    )
    webrtc = api.create_call_route(
        CallRoutingRouteRequest(
            name=unique("sdk-webrtc"),
            criteria=[
                CallRoutingSearchCriteria(to=to, value=CallRoutingWebRTCCriteria(identity="bob"))
            ],
            destinations=[
                CallRoutingEndpointDestination(value=CallRoutingWebRtcEndpoint(identity="agent"))
            ],
        )
    )

    def simulate(endpoint: object, *, disabled: bool = False) -> CallRoutingRouteResponse:
        request = CallRoutingRouteSimulatorRequest(
            to=to, endpoint=endpoint, use_disabled_routes=disabled
        )
        return api.simulate_route_selection(request)

    assert simulate(CallRoutingSimulatorPhoneEndpoint(var_from="41441234569")).id == phone.id
    sip_call = CallRoutingSimulatorSipEndpoint(
        var_from="alice", sip_trunk_id="trunk-1", headers={"X-Team": "sales"}
    )
    matched = simulate(sip_call)
    assert matched.id == sip.id
    kept = matched.destinations[0]
    assert isinstance(kept, CallRoutingEndpointDestination)
    assert isinstance(kept.value, CallRoutingSipEndpoint)
    assert kept.value.custom_headers == {"X-From": "cp"}
    assert simulate(CallRoutingSimulatorWebRTCEndpoint(var_from="bob")).id == webrtc.id

    api.update_call_route_status(
        phone.id, CallRoutingRouteStatusRequest(route_status=CallRoutingRouteStatus.DISABLED)
    )
    caller = CallRoutingSimulatorPhoneEndpoint(var_from="41441234569")
    assert simulate(caller, disabled=True).id == phone.id
    with pytest.raises(SdkError) as none:
        simulate(caller)
    assert none.value.status == 404
    assert "no route matches" in _api_error(none.value).description


def test_application_criteria_carry_a_calls_configuration_id(sdk: SdkAccount) -> None:
    api = CallRoutingApi(sdk.client)
    request = _phone_route("41441234570", "41793026733")
    request.criteria = [
        CallRoutingSearchCriteria(
            value=CallRoutingApplicationCriteria(calls_configuration_id="my-config")
        )
    ]
    route = api.get_call_route(api.create_call_route(request).id)
    assert route.criteria
    criteria = route.criteria[0].value
    assert isinstance(criteria, CallRoutingApplicationCriteria)
    assert criteria.calls_configuration_id == "my-config"


def test_invalid_routes_answer_an_api_error_with_violations(sdk: SdkAccount) -> None:
    api = CallRoutingApi(sdk.client)
    # A backreference: RE2 (linear time) cannot run it, so the route is refused.
    unsafe = _phone_route(r"(41)\1", "41793026734")
    with pytest.raises(SdkError) as refused:
        api.create_call_route(unsafe)
    assert refused.value.status == 400
    error = _api_error(refused.value)
    assert error.error_code == "E400"
    assert error.violations[0].var_property == "criteria[0].value.from"
    assert error.action

    calls: list[Callable[[], object]] = [
        lambda: api.update_call_route(unique("missing"), _phone_route("1", "2")),
        lambda: api.set_order_call_route(unique("missing"), CallRoutingRouteOrderRequest(order=1)),
        lambda: api.delete_call_route(unique("missing")),
        lambda: api.update_call_route_status(
            unique("missing"),
            CallRoutingRouteStatusRequest(route_status=CallRoutingRouteStatus.ENABLED),
        ),
    ]
    for call in calls:
        with pytest.raises(SdkError) as missing:
            call()
        assert missing.value.status == 404
        assert _api_error(missing.value).error_code == "E404"


def test_an_unknown_key_gets_the_envelope_the_sdk_documents_for_401(stranger: ApiClient) -> None:
    with pytest.raises(SdkError) as refused:
        CallRoutingApi(stranger).get_call_routes()
    assert refused.value.status == 401
    assert message_id(refused.value) == "UNAUTHORIZED"

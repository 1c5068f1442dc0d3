"""From a `CallDecision` to what Kamailio does on the wire: a pure function, tested on its own.

- forward (also a masked call once number-masking decided it): one destination through the
  gateway table, with the decision's caller ID in From and P-Asserted-Identity;
- call routing: every reachable destination in the decision's order (callplane already ordered
  them by priority and weight), tried one after the other on 486/503/408/480 and timeouts;
- IVR, conversations, subscription, audio and digit capture: the media server, told what to run
  by `X-Callplane-*` headers (an IVR call names its scenario version and script, which the media
  server fetches from this adapter: `ivr_scripts`);
- reject: the SIP answer of `responses.REJECTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from callplane_shared.events import (
    CallDecision,
    CallRoutingInstruction,
    CaptureDtmfInstruction,
    ConversationsInstruction,
    ForwardInstruction,
    IvrInstruction,
    MaskedInstruction,
    PlayAudioInstruction,
    RejectInstruction,
    RoutedDestination,
    SubscriptionInstruction,
)
from callplane_sip_edge.gateways import GatewayTable, with_user
from callplane_sip_edge.ivr_scripts import script_digest, script_url
from callplane_sip_edge.responses import NO_GATEWAY, SipAnswer, answer_for

CALL_ID_HEADER = "X-Callplane-Call-Id"
REASON_HEADER = "X-Callplane-Reject-Reason"


@dataclass(frozen=True)
class Reject:
    reason: str
    answer: SipAnswer

    def headers(self) -> dict[str, str]:
        return {
            "Reason": f'Q.850;cause={self.answer.q850};text="{self.reason}"',
            REASON_HEADER: self.reason,
        }


@dataclass(frozen=True)
class Relay:
    kind: str
    destinations: tuple[str, ...]
    caller_id: str
    transfer_to: str
    headers: Mapping[str, str] = field(default_factory=dict)


Plan = Reject | Relay


@dataclass(frozen=True)
class EdgeRoutes:
    """What the plan needs from the edge's configuration."""

    gateways: GatewayTable
    media_server_uri: str
    # Base URL of this adapter as the media server reaches it; None: no script URL in INVITEs.
    script_base_url: str | None = None


def plan_for(decision: CallDecision, caller: str, routes: EdgeRoutes) -> Plan:
    """The SIP plan for `decision`; `caller` is the caller's number as the INVITE gave it."""
    ours = {CALL_ID_HEADER: decision.call_id}
    match decision.instruction:
        case RejectInstruction(reason=reason):
            return Reject(reason.value, answer_for(reason.value))
        case ForwardInstruction(destination=number, caller_id=caller_id):
            uri = routes.gateways.uri_for(number)
            return _relay("forward", [uri] if uri else [], caller_id or caller, number, ours)
        case CallRoutingInstruction(destinations=destinations):
            uris = [u for u in (_routed_uri(d, routes) for d in _in_order(destinations)) if u]
            return _relay("call_routing", uris, caller, uris[0] if uris else "", ours)
        case MaskedInstruction():
            # number-masking decides masked calls; a bare hand-over is not something to dial.
            return Reject("MASKING_UNAVAILABLE", answer_for("MASKING_UNAVAILABLE"))
        case _:
            return _to_media_server(decision, caller, routes)


def _relay(
    kind: str, uris: list[str], caller_id: str, transfer_to: str, headers: dict[str, str]
) -> Plan:
    if not uris:
        return Reject("NO_GATEWAY", NO_GATEWAY)
    return Relay(kind, tuple(uris), caller_id, transfer_to, headers)


def _to_media_server(decision: CallDecision, caller: str, routes: EdgeRoutes) -> Relay:
    instruction = decision.instruction
    uri = routes.media_server_uri
    headers = {CALL_ID_HEADER: decision.call_id, "X-Callplane-Kind": instruction.kind}
    if decision.account_id:
        headers["X-Callplane-Account-Id"] = decision.account_id
    match instruction:
        case IvrInstruction(scenario_key=key):
            headers["X-Callplane-Scenario-Key"] = key
            headers.update(_ivr_headers(instruction, routes.script_base_url))
        case SubscriptionInstruction(calls_configuration_id=config):
            headers["X-Callplane-Calls-Configuration-Id"] = config
        case PlayAudioInstruction(file_url=url, file_id=file_id):
            headers["X-Callplane-Audio"] = url or file_id or ""
        case CaptureDtmfInstruction(max_length=max_length):
            headers["X-Callplane-Dtmf-Max-Length"] = str(max_length or "")
        case ConversationsInstruction(queue_id=queue_id):
            if queue_id:
                headers["X-Callplane-Queue-Id"] = queue_id
    return Relay(instruction.kind, (uri,), caller, uri, headers)


def _ivr_headers(ivr: IvrInstruction, script_base_url: str | None) -> dict[str, str]:
    """What the media server needs to run the decided script version and nothing else."""
    headers = {"X-Callplane-Record": "true" if ivr.record else "false"}
    scenario_id = ivr.scenario_id or ivr.scenario_key
    if ivr.scenario_version is None or ivr.script is None:
        return headers  # a decision without the script: the scenario key is all there is
    headers["X-Callplane-Scenario-Id"] = scenario_id
    headers["X-Callplane-Scenario-Version"] = str(ivr.scenario_version)
    headers["X-Callplane-Script-Sha256"] = script_digest(ivr.script)
    if script_base_url:
        url = script_url(script_base_url, scenario_id, ivr.scenario_version)
        headers["X-Callplane-Script-Url"] = url
    return headers


def _in_order(destinations: list[RoutedDestination]) -> list[RoutedDestination]:
    # Stable: callplane's weighted order within a priority is kept as it came.
    return sorted(destinations, key=lambda d: (d.priority is None, d.priority or 0))


def _routed_uri(destination: RoutedDestination, routes: EdgeRoutes) -> str | None:
    """The request URI of one routing destination; None for what a SIP edge cannot dial."""
    value: Mapping[str, Any] = destination.value
    if destination.type == "APPLICATION":
        return routes.media_server_uri
    if destination.type != "ENDPOINT":
        return None  # URL destinations are resolved by callplane, never by the edge
    endpoint_type = str(value.get("type", "PHONE"))
    if endpoint_type == "PHONE":
        number = value.get("phoneNumber")
        return routes.gateways.uri_for(_e164(str(number))) if number else None
    if endpoint_type == "SIP":
        username, host, port = value.get("username"), value.get("host"), value.get("port")
        if not (username and host):
            return None
        return with_user(f"sip:{host}:{port}" if port else f"sip:{host}", str(username))
    return None


def _e164(number: str) -> str:
    return number if number.startswith("+") else f"+{number}"

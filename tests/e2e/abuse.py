"""What the isolation-and-abuse suite needs: every public operation of every service, read from
the services' live OpenAPI documents (so a new endpoint is in the table without anyone adding
it), a valid body for each operation that takes one, and a tenant owning one of everything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import yaml

from callplane_client.publisher import CallPublisher
from callplane_shared.events import InboundCall
from tests.e2e.journey import Customer, new_customer
from tests.endpoints import resolve
from tests.support import REPO_ROOT, eventually, unique

ROUTES = yaml.safe_load((REPO_ROOT / "deploy/routes.yaml").read_text())
PUBLIC = [r for r in ROUTES["routes"] if not r.get("internal")]
# The console serves HTML pages, not an API: its own security tests cover it
# (tests/e2e/console/test_console_security.py).
SERVICES = sorted({r["service"] for r in PUBLIC} - {"console"})
PARAMETER = re.compile(r"\{(\w+)\}")
# Path parameters that name a part of the API (the subscriptions channel), not a tenant's resource.
API_CONSTANTS = {"channel"}


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_parameters(self) -> list[str]:
        return PARAMETER.findall(self.path)

    @property
    def resource_parameters(self) -> list[str]:
        """The path parameters naming one tenant's resource (another tenant must get 404)."""
        return [p for p in self.path_parameters if p not in API_CONSTANTS]

    @property
    def integer_queries(self) -> list[str]:
        return [
            p["name"]
            for p in self.spec.get("parameters", [])
            if p["in"] == "query" and _is_integer(p.get("schema", {}))
        ]

    @property
    def takes_body(self) -> bool:
        return "requestBody" in self.spec

    @property
    def max_body(self) -> int:
        route = max((r for r in PUBLIC if self.path.startswith(r["prefix"])), key=_prefix_length)
        size: str = route["maxBody"]
        return int(size[:-1]) * {"k": 1024, "m": 1024 * 1024}[size[-1]]


def _prefix_length(route: dict[str, Any]) -> int:
    return len(route["prefix"])


def _is_integer(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "integer" for option in options)


async def public_operations(http: httpx.AsyncClient) -> list[Operation]:
    found = []
    for service in SERVICES:
        reply = await http.get(f"/_services/{service}/openapi.json")
        assert reply.status_code == 200, reply.text
        for path, operations in reply.json()["paths"].items():
            if not any(path.startswith(r["prefix"]) for r in PUBLIC):
                continue  # health, metrics, operator endpoints
            for method, spec in operations.items():
                found.append(Operation(service, method.upper(), path, spec))
    return found


ROUTE = {
    "name": "abuse",
    "criteria": [{"type": "PHONE", "to": "+4930123456"}],
    "destinations": [
        {"type": "ENDPOINT", "value": {"type": "PHONE", "phoneNumber": "41793026727"}}
    ],
}
CONVERSATIONS = {"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}}
SCENARIO = {"name": "abuse", "script": [{"say": "Hello"}]}
MASKING = {"name": "abuse config", "callbackUrl": "https://hooks.example.com/masking"}
SUBSCRIPTION = {
    "events": ["CALL_RECEIVED", "CALL_FINISHED"],
    "profile": {"webhook": {"notifyUrl": "https://hooks.example.com/calls"}},
}

# A valid body for every operation that takes one: a new operation with a body fails the suite
# until it is given one here, so nothing new escapes the table.
BODIES: dict[str, Any] = {
    "POST /account/1/payments": {"amount": 1},
    "PUT /account/1/notification-url": {"url": "https://hooks.example.com/balance"},
    "PUT /account/1/conversations-queue": {"queueId": "abuse"},
    # The smallest WAV the upload recognises: a RIFF/WAVE header and an empty data chunk.
    "POST /voice/masking/1/upload": {
        "content": "UklGRiQAAABXQVZFZm10IBAAAAAAAAAAAAAAAAAAAAAAAAAAZGF0YQAAAAA="
    },
    "POST /numbers/1/numbers": {"number": "+4930123456"},
    "PUT /numbers/1/numbers/{numberKey}": {"applicationId": "abuse"},
    "POST /numbers/2/numbers/{numberKey}/voice": {
        "action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}
    },
    "PUT /numbers/2/numbers/{numberKey}/voice": {
        "action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}
    },
    "POST /callrouting/1/routes": ROUTE,
    "PUT /callrouting/1/routes/{routeId}": ROUTE,
    "PATCH /callrouting/1/routes/{routeId}": {"order": 1},
    "POST /callrouting/1/routes/{routeId}/status": {"routeStatus": "DISABLED"},
    "POST /callrouting/1/routes/simulate": {
        "to": "+4930123456",
        "endpoint": {"type": "PHONE", "phoneNumber": "+41791234567"},
    },
    "POST /calls/1/configurations": {"name": "abuse"},
    "PUT /calls/1/configurations/{callsConfigurationId}": {"name": "abuse"},
    "POST /voice/ivr/1/scenarios": SCENARIO,
    "PUT /voice/ivr/1/scenarios/{id}": SCENARIO,
    "POST /voice/masking/2/config": MASKING,
    # Another name than the POST's: the stranger's own POST above must not make this a conflict.
    "PUT /voice/masking/2/config/{key}": {**MASKING, "name": "abuse config renamed"},
    "POST /voice/masking/2/credentials": {"apiId": "abuse", "key": "abuse-secret-key-1"},
    "PUT /voice/masking/2/credentials": {"apiId": "abuse", "key": "abuse-secret-key-2"},
    "POST /subscriptions/1/subscription/{channel}": {
        **SUBSCRIPTION,
        "subscriptionId": "abuse-subscription",
    },
    "PUT /subscriptions/1/subscription/{channel}/{subscriptionId}": SUBSCRIPTION,
}


@dataclass
class Owner:
    """A tenant with one of everything, and the strings that must never reach another tenant."""

    customer: Customer
    ids: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)


async def owner_of_everything(base_url: str, admin: httpx.AsyncClient) -> Owner:
    customer = await new_customer(base_url, admin)
    api = customer.api
    number_key, number = await customer.lease_fresh_number(admin)
    voice = f"/numbers/2/numbers/{number_key}/voice"
    assert (
        await api.post(voice, json={"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}})
    ).status_code in {200, 201}
    route = await api.post("/callrouting/1/routes", json={**ROUTE, "name": unique("route")})
    assert route.status_code == 201, route.text
    config = await api.post("/calls/1/configurations", json={"name": unique("config")})
    assert config.status_code == 201, config.text
    scenario = await api.post("/voice/ivr/1/scenarios", json={**SCENARIO, "name": unique("ivr")})
    assert scenario.status_code == 200, scenario.text
    api_id = unique("apiid")
    credentials = await api.post(
        "/voice/masking/2/credentials", json={"apiId": api_id, "key": "owner-secret-key-1"}
    )
    assert credentials.status_code in {200, 201}, credentials.text
    masking = await api.post(
        "/voice/masking/2/config", json={**MASKING, "name": unique("m").replace("-", " ")}
    )
    assert masking.status_code in {200, 201}, masking.text
    payment = await api.post("/account/1/payments", json={"amount": 3})
    assert payment.status_code == 201, payment.text
    queue = unique("queue")
    default_queue = await api.put("/account/1/conversations-queue", json={"queueId": queue})
    assert default_queue.status_code == 200, default_queue.text
    subscription_id = unique("sub")
    subscription = await api.post(
        "/subscriptions/1/subscription/VOICE_VIDEO",
        json={**SUBSCRIPTION, "subscriptionId": subscription_id},
    )
    assert subscription.status_code in {200, 201}, subscription.text
    call_id = await _recorded_call(base_url, api, number)
    ids = {
        "numberKey": number_key,
        "routeId": route.json()["id"],
        "callsConfigurationId": config.json()["id"],
        "id": scenario.json()["id"],
        "key": masking.json()["key"],
        "paymentId": payment.json()["paymentId"],
        "callId": call_id,
        "subscriptionId": subscription_id,
    }
    secrets = [customer.account_id, number.removeprefix("+"), api_id, queue, *ids.values()]
    # The channel is a constant of the API, not the owner's: every tenant may see it.
    return Owner(customer, ids | {"channel": "VOICE_VIDEO"}, secrets)


def concrete(operation: Operation, ids: dict[str, str]) -> str:
    missing = [p for p in operation.path_parameters if p not in ids]
    assert not missing, (
        f"{operation.name}: no resource for path parameter(s) {missing}; give the owner one in "
        "tests/e2e/abuse.py so the isolation suite covers it"
    )
    return PARAMETER.sub(lambda m: ids[m.group(1)], operation.path)


def body_of(operation: Operation) -> Any:
    if not operation.takes_body:
        return None
    assert operation.name in BODIES, (
        f"{operation.name} takes a body: add a valid one to BODIES in tests/e2e/abuse.py"
    )
    return BODIES[operation.name]


async def _recorded_call(base_url: str, api: httpx.AsyncClient, number: str) -> str:
    """A call to the owner's number, decided and in its call history (call-records learns calls
    from Kafka, so the call goes in as the edge would send it)."""
    call = InboundCall(
        call_id=unique("abuse-call"),
        **{"from": "+41793026731"},
        to=number,
        received_at=datetime.now(UTC),
    )
    async with CallPublisher(resolve().kafka) as edge:
        await edge.decide(call, timeout=30)

    async def recorded() -> bool:
        reply = await api.get(f"/calls/1/calls/{call.call_id}/history")
        return reply.status_code == 200

    await eventually(recorded, timeout=30, what=f"call {call.call_id} in the history")
    return call.call_id

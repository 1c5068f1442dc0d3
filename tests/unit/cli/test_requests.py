"""What each command sends, and what it prints (JSON, tables, ids), against a fake API."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from callplane_client.cli.calls import Endpoint
from callplane_shared.events import EndpointType
from tests.unit.cli.support import FakeApi, envelope, invoke

pytestmark = pytest.mark.unit
KEY = "0123456789ABCDEF0123456789ABCDEF"
APP = ("--api-key", "k-1")
NUMBER = {
    "numberKey": KEY,
    "number": "4930123463",
    "country": "DE",
    "type": "VIRTUAL_LONG_NUMBER",
    "capabilities": ["VOICE"],
    "price": {"pricePerMonth": 2.5, "currency": "EUR"},
}


def test_search_defaults_to_voice_and_quiet_prints_only_keys() -> None:
    fake = FakeApi(
        {("GET", "/numbers/1/numbers/available"): httpx.Response(200, json={"numbers": [NUMBER]})}
    )
    result = invoke(fake, *APP, "numbers", "search", "--country", "DE", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{KEY}\n"
    sent = fake.seen[0]
    assert sent.headers["Authorization"] == "App k-1"
    assert sent.url.params.get_list("capabilities") == ["VOICE"]
    assert sent.url.params["country"] == "DE"


def test_lease_sends_a_number_key_or_a_number() -> None:
    fake = FakeApi({("POST", "/numbers/1/numbers"): httpx.Response(200, json=NUMBER)})
    assert invoke(fake, *APP, "numbers", "lease", KEY).exit_code == 0
    assert invoke(fake, *APP, "numbers", "lease", "+4930123463").exit_code == 0
    assert fake.body(0) == {"numberKey": KEY}
    assert fake.body(1) == {"number": "+4930123463"}


def test_json_is_the_api_body_and_tables_are_for_people() -> None:
    fake = FakeApi({("GET", f"/numbers/1/numbers/{KEY}"): httpx.Response(200, json=NUMBER)})
    as_json = invoke(fake, *APP, "numbers", "show", KEY, "--json")
    table = invoke(fake, *APP, "numbers", "show", KEY, env={"CALLPLANE_OUTPUT": "table"})
    assert json.loads(as_json.stdout) == NUMBER
    assert "2.5 EUR/month" in table.stdout
    assert "VOICE" in table.stdout


@pytest.mark.parametrize(
    ("args", "action"),
    [
        (["--type", "pstn", "--pstn-number", "41793026727"],
         {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026727"}),
        (["--type", "masking", "--masking-config", "M1"],
         {"type": "VOICE_NUMBER_MASKING", "voiceNumberMaskingConfigKey": "M1"}),
        (["--type", "conversations"], {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}),
        (["--type", "subscription", "--calls-configuration", "c-1"],
         {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": "c-1"}),
        (["--type", "routing"], {"type": "FORWARD_TO_CALL_ROUTING"}),
        (["--type", "routing", "--route-id", "r-1"],
         {"type": "FORWARD_TO_CALL_ROUTING", "routeId": "r-1"}),
        (["--type", "ivr", "--scenario", "s-1"], {"type": "FORWARD_TO_IVR", "scenarioKey": "s-1"}),
    ],
)  # fmt: skip
def test_voice_set_builds_each_action(args: list[str], action: dict[str, str]) -> None:
    path = f"/numbers/2/numbers/{KEY}/voice"
    fake = FakeApi({("PUT", path): lambda r: httpx.Response(200, json=json.loads(r.content))})
    result = invoke(fake, *APP, "voice", "set", KEY, *args, "--fallback-pstn", "41793026728")
    assert result.exit_code == 0, result.output
    assert fake.body() == {
        "action": action,
        "fallback": {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026728"},
    }


def test_voice_set_if_version_sends_if_match() -> None:
    path = f"/numbers/2/numbers/{KEY}/voice"
    fake = FakeApi({("PUT", path): envelope(412, "PRECONDITION_FAILED", "Changed meanwhile.")})
    result = invoke(fake, *APP, "voice", "set", KEY, "--type", "conversations", "--if-version", "5")
    assert fake.seen[0].headers["If-Match"] == '"5"'
    assert result.exit_code == 1
    assert "PRECONDITION_FAILED" in result.stderr


def test_top_up_is_idempotent_by_key() -> None:
    reply = {"paymentId": "p", "amount": 20, "balance": 70, "currency": "EUR"}
    fake = FakeApi({("POST", "/account/1/payments"): httpx.Response(201, json=reply)})
    result = invoke(fake, *APP, "top-up", "20", "--idempotency-key", "order-1", "--json")
    assert result.exit_code == 0
    assert fake.seen[0].headers["Idempotency-Key"] == "order-1"
    assert fake.body() == {"amount": 20.0}


def test_import_numbers_sends_batches_and_renumbers_their_errors(tmp_path: Path) -> None:
    csv = tmp_path / "numbers.csv"
    csv.write_text("number,country\n+4930123463,DE\n+4930123470,DE\nbad,DE\n")
    replies = iter(
        [
            {"imported": [{"number": "+4930123463"}], "existing": ["+4930123470"], "errors": []},
            {"imported": [], "existing": [], "errors": ["line 2: 'bad' is not a phone number"]},
        ]
    )
    fake = FakeApi(
        {("POST", "/admin/1/numbers/import"): lambda _: httpx.Response(200, json=next(replies))}
    )
    args = ("--admin-token", "t", "admin", "import-numbers", str(csv), "--batch-size", "2")
    result = invoke(fake, *args)
    assert result.exit_code == 0, result.output
    assert [r.content.decode().splitlines()[0] for r in fake.seen] == ["number,country"] * 2
    assert fake.seen[0].headers["Authorization"] == "Admin t"
    assert json.loads(result.stdout) == {"imported": 1, "existing": 1, "errors": 1}
    assert "line 4: 'bad' is not a phone number" in result.stderr


def test_issue_key_waits_until_the_services_accept_it() -> None:
    key = {"accountId": "a", "keyId": "k", "apiKey": "new-key"}
    answers = iter([envelope(401, "UNAUTHORIZED", "unknown key"), httpx.Response(200, json={})])
    fake = FakeApi(
        {
            ("POST", "/admin/1/accounts/a/api-keys"): httpx.Response(201, json=key),
            ("GET", "/account/1/balance"): lambda _: next(answers),
            ("GET", "/calls/1/configurations"): httpx.Response(200, json={}),
            ("GET", "/voice/masking/2/config"): httpx.Response(200, json=[]),
        }
    )
    result = invoke(fake, "--admin-token", "t", "admin", "issue-key", "a", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == "new-key\n"
    probes = [r for r in fake.seen if r.method == "GET"]
    assert [r.url.path for r in probes].count("/account/1/balance") == 2
    assert all(r.headers["Authorization"] == "App new-key" for r in probes)


def test_calls_show_reads_the_record_from_call_records_and_adds_the_trace_link() -> None:
    entry = {"callId": "c-1", "state": "FINISHED", "traceId": "ab" * 16, "decisions": [{}]}
    fake = FakeApi({("GET", "/records/1/calls/c-1"): httpx.Response(200, json=entry)})
    result = invoke(fake, "--operator-token", "op", "calls", "show", "c-1", "--json")
    assert result.exit_code == 0, result.output
    assert fake.seen[0].headers["Authorization"] == "Bearer op"
    assert json.loads(result.stdout)["traceUrl"] == f"http://127.0.0.1:16686/api/traces/{'ab' * 16}"


def test_the_cli_offers_every_endpoint_type_of_the_contract() -> None:
    assert [e.value for e in Endpoint] == [e.value for e in EndpointType]


def test_the_accounts_conversations_queue_is_set_shown_and_deleted() -> None:
    shown = {"queueId": "support", "effectiveQueueId": "support"}
    path = "/account/1/conversations-queue"
    fake = FakeApi(
        {
            ("PUT", path): httpx.Response(200, json=shown),
            ("GET", path): httpx.Response(200, json=shown),
            ("DELETE", path): httpx.Response(204),
        }
    )
    assert invoke(fake, *APP, "account", "conversations-queue", "set", "support").exit_code == 0
    assert fake.body(0) == {"queueId": "support"}
    table = invoke(
        fake, *APP, "account", "conversations-queue", "show", env={"CALLPLANE_OUTPUT": "table"}
    )
    assert "effectiveQueueId" in table.stdout
    assert "support" in table.stdout
    deleted = invoke(fake, *APP, "account", "conversations-queue", "delete")
    assert deleted.exit_code == 0
    assert "platform's default" in deleted.stderr
    assert [(r.method, r.url.path) for r in fake.seen] == [
        ("PUT", path),
        ("GET", path),
        ("DELETE", path),
    ]

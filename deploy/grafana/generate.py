# ruff: noqa: INP001  (a script beside the files it writes, not part of any package)
"""Write the Grafana dashboards in `deploy/grafana/dashboards/` from one description.

Every panel is built by the same few helpers, so datasource references, units, legends and the
links to Jaeger stay consistent across dashboards. The JSON files are committed; after editing
this script run it again (`uv run python deploy/grafana/generate.py`), and
tests/unit/test_dashboards.py fails while the committed files differ from what it produces.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

DASHBOARDS_DIR = Path(__file__).resolve().parent / "dashboards"
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
JAEGER_UI = "http://localhost:16686"  # opened by the browser, so the host's published port
RATE = "$__rate_interval"
# Jaeger's search page reads microseconds; Grafana's ${__from}/${__to} are milliseconds.
TIME_RANGE = "lookback=custom&start=${__from}000&end=${__to}000"

Json = dict[str, Any]


def jaeger_search(service: str, tags: dict[str, str] | None = None) -> str:
    """A Jaeger UI search for one service (and optional span tags) in the dashboard's range."""
    url = f"{JAEGER_UI}/search?service={service}&{TIME_RANGE}"
    if tags:
        # Grafana variables inside the JSON must stay literal for Grafana to interpolate them.
        url += "&tags=" + quote(json.dumps(tags, separators=(",", ":")), safe="${}.:_")
    return url


def series_label(name: str) -> str:
    """The value of label `name` on the series a data link was clicked on."""
    return f"${{__field.labels.{name}}}"


def link(title: str, url: str) -> Json:
    return {"title": title, "url": url, "targetBlank": True}


def sum_rate(metric: str, by: str, matcher: str = "") -> str:
    return f"sum by ({by}) (rate({metric}{matcher}[{RATE}]))"


def quantiles(metric: str, by: str, legend: str, matcher: str = "") -> list[tuple[str, str]]:
    """p50 and p99 of a histogram, grouped by `by` (besides `le`); `legend` prefixes p50/p99."""
    group = f"le, {by}" if by else "le"
    prefix = f"{legend} " if legend else ""
    bucket = f"{metric}_bucket"
    return [
        (
            f"histogram_quantile({q}, {sum_rate(bucket, group, matcher)})",
            f"{prefix}p{round(q * 100)}",
        )
        for q in (0.5, 0.99)
    ]


def panel(
    title: str,
    description: str,
    queries: list[tuple[str, str]],
    trace_link: Json,
    *,
    unit: str = "short",
    width: int = 12,
) -> Json:
    """A time series panel whose every series links to the matching traces in Jaeger."""
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": PROMETHEUS,
        "gridPos": {"h": 8, "w": width},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "links": [trace_link],
                "custom": {"fillOpacity": 10, "showPoints": "never"},
            },
            "overrides": [],
        },
        "options": {
            "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": PROMETHEUS, "expr": e, "legendFormat": lg}
            for i, (e, lg) in enumerate(queries)
        ],
    }


def call_id_variable() -> Json:
    return {
        "name": "callId",
        "label": "callId (for the trace link)",
        "type": "textbox",
        "query": "",
        "current": {"text": "", "value": ""},
        "hide": 0,
    }


def service_variable() -> Json:
    query = "label_values(callplane_http_requests_total, service)"
    return {
        "name": "service",
        "label": "service",
        "type": "query",
        "datasource": PROMETHEUS,
        "query": {"query": query, "refId": "service"},
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "multi": False,  # Jaeger searches one service at a time, and so does the link
        "includeAll": False,
        "hide": 0,
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: list[Json],
    *,
    jaeger_service: str,
    variables: list[Json],
) -> Json:
    x = y = row_height = 0
    for number, item in enumerate(panels, start=1):
        item["id"] = number
        w, h = item["gridPos"]["w"], item["gridPos"]["h"]
        if x + w > 24:  # noqa: PLR2004 - Grafana's grid is 24 columns wide
            x, y, row_height = 0, y + row_height, 0
        item["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x, row_height = x + w, max(row_height, h)
    links = [link("Jaeger: search traces", jaeger_search(jaeger_service))]
    if any(v["name"] == "callId" for v in variables):
        # Every call passes call-dispatch, and its trace is one across all services.
        tags = {"callplane.call.id": "${callId:percentencode}"}
        links.append(link("Jaeger: trace of callId ${callId}", jaeger_search(CALL_DISPATCH, tags)))
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["callplane"],
        "editable": False,
        "graphTooltip": 1,
        "refresh": "10s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "timezone": "browser",
        "annotations": {"list": []},
        "templating": {"list": variables},
        "links": [{**item, "type": "link", "icon": "external link"} for item in links],
        "panels": panels,
    }


CALL_DISPATCH = "call-dispatch"
NUMBER_MASKING = "number-masking"
CALL_RECORDS = "call-records"
NUMBER_INVENTORY = "number-inventory"
ERROR = {"error": "true"}
SERVICE, APP = series_label("service"), series_label("app_name")


def in_range(service: str) -> Json:
    return link(f"Traces of {service}", jaeger_search(service))


def failed(service: str) -> Json:
    return link(f"Failed traces of {service}", jaeger_search(service, ERROR))


def dispatch_tagged(attribute: str, label: str) -> Json:
    """Traces whose call-dispatch span has `attribute` equal to the clicked series' `label`."""
    value = series_label(label)
    return link(
        f"Traces with {attribute}={value}", jaeger_search(CALL_DISPATCH, {attribute: value})
    )


def call_flow() -> Json:
    decisions, latency = "callplane_decisions_total", "callplane_decision_latency_seconds"
    panels = [
        panel(
            "Decisions/s by action type",
            "Decisions published per second, by the number's configured action type.",
            [(sum_rate(decisions, "action_type"), "{{action_type}}")],
            dispatch_tagged("callplane.action.type", "action_type"),
            unit="ops",
        ),
        panel(
            "Decision latency p50/p99",
            "From the edge's receivedAt to the decision being published.",
            quantiles(latency, "", ""),
            in_range(CALL_DISPATCH),
            unit="s",
        ),
        panel(
            "Rejects/s by reason",
            "Calls rejected, by reject reason (no action, inactive number, ...).",
            [(sum_rate(decisions, "reason", '{kind="reject"}'), "{{reason}}")],
            dispatch_tagged("callplane.decision.reason", "reason"),
            unit="ops",
        ),
        panel(
            "Decisions/s by path",
            "direct, the masking paths primary/backup/fallback, or rejected.",
            [(sum_rate(decisions, "path"), "{{path}}")],
            dispatch_tagged("callplane.decision.path", "path"),
            unit="ops",
        ),
        panel(
            "Decision latency p99 by instruction kind",
            "Which kind of decision is slow: masked calls wait for the customer's callback.",
            quantiles(latency, "kind", "{{kind}}")[1:],
            in_range(CALL_DISPATCH),
            unit="s",
            width=24,
        ),
    ]
    return dashboard(
        "callplane-call-flow",
        "callplane / Call flow",
        "Is it one call or all of them? Decision rate, latency and rejects across the system.",
        panels,
        jaeger_service=CALL_DISPATCH,
        variables=[call_id_variable()],
    )


def masking_health() -> Json:
    callbacks = "callplane_masking_callbacks_total"
    panels = [
        panel(
            "Callback latency p50/p99 by path",
            "Duration of the customer's masking callback, per path.",
            quantiles("callplane_masking_callback_duration_seconds", "path", "{{path}}"),
            in_range(NUMBER_MASKING),
            unit="s",
        ),
        panel(
            "Callback failures/s by path and outcome",
            "Every callback outcome except ok: timeouts, errors, bad signatures, ...",
            [(sum_rate(callbacks, "path, outcome", '{outcome!="ok"}'), "{{path}} {{outcome}}")],
            failed(NUMBER_MASKING),
            unit="ops",
        ),
        panel(
            "Callbacks/s by path and outcome",
            "All callbacks: a rise on backup or fallback means the primary is failing.",
            [(sum_rate(callbacks, "path, outcome"), "{{path}} {{outcome}}")],
            in_range(NUMBER_MASKING),
            unit="ops",
        ),
        panel(
            "Status reports/s by outcome",
            "Masked-call status reports: delivered, retried, gave_up.",
            [(sum_rate("callplane_status_reports_total", "outcome"), "{{outcome}}")],
            failed(NUMBER_MASKING),
            unit="ops",
        ),
        panel(
            "Status report backlog",
            "Status reports waiting for delivery; should drain back to zero.",
            [("sum(callplane_status_report_backlog)", "backlog")],
            in_range(NUMBER_MASKING),
            width=24,
        ),
    ]
    return dashboard(
        "callplane-masking-health",
        "callplane / Masking health",
        "Customer masking callbacks (primary, backup, fallback) and status-report delivery.",
        panels,
        jaeger_service=NUMBER_MASKING,
        variables=[call_id_variable()],
    )


def kafka() -> Json:
    processed = "faststream_received_processed_messages"
    view_age = "time() - max by (service, view) (callplane_view_last_applied_timestamp_seconds)"
    panels = [
        panel(
            "Consumer lag by group and topic",
            "Records between each consumer group's position and the end of the topic.",
            [
                (
                    "sum by (service, group, topic) (callplane_consumer_lag_records)",
                    "{{group}} {{topic}}",
                )
            ],
            in_range(SERVICE),
        ),
        panel(
            "Dead-lettered records/s by topic",
            "Records that could not be decoded or handled, by original topic.",
            [(sum_rate("callplane_dlq_records_total", "service, topic"), "{{service}} {{topic}}")],
            failed(SERVICE),
            unit="ops",
        ),
        panel(
            "Messages received/s by handler",
            "FastStream: messages consumed, per service and topic.",
            [
                (
                    sum_rate("faststream_received_messages_total", "app_name, handler"),
                    "{{app_name}} {{handler}}",
                )
            ],
            in_range(APP),
            unit="ops",
        ),
        panel(
            "Messages published/s by destination",
            "FastStream: messages produced, per service, topic and status.",
            [
                (
                    sum_rate(
                        "faststream_published_messages_total", "app_name, destination, status"
                    ),
                    "{{app_name}} {{destination}} {{status}}",
                )
            ],
            in_range(APP),
            unit="ops",
        ),
        panel(
            "Handling duration p50/p99 by handler",
            "FastStream: time to process one received message, per service and topic.",
            quantiles(
                f"{processed}_duration_seconds", "app_name, handler", "{{app_name}} {{handler}}"
            ),
            in_range(APP),
            unit="s",
        ),
        panel(
            "Messages not acked/s by status",
            "FastStream: processed messages that ended nacked, rejected, skipped or error.",
            [
                (
                    sum_rate(
                        f"{processed}_total", "app_name, handler, status", '{status!="acked"}'
                    ),
                    "{{app_name}} {{handler}} {{status}}",
                )
            ],
            failed(APP),
            unit="ops",
        ),
        panel(
            "View age",
            "Seconds since each in-memory view of a compacted topic applied a record.",
            [(view_age, "{{service}} {{view}}")],
            in_range(SERVICE),
            unit="s",
        ),
        panel(
            "View entries",
            "Entries held in each in-memory view.",
            [("sum by (service, view) (callplane_view_entries)", "{{service}} {{view}}")],
            in_range(SERVICE),
        ),
    ]
    return dashboard(
        "callplane-kafka",
        "callplane / Kafka",
        "Consumer lag, dead letters, FastStream message rates and handling time, view freshness.",
        panels,
        jaeger_service=CALL_DISPATCH,
        variables=[],
    )


def service_red() -> Json:
    requests, duration = "callplane_http_requests_total", "callplane_http_request_duration_seconds"
    chosen, chosen_5xx = '{service="$service"}', '{service="$service", status="5xx"}'
    errors = sum_rate(requests, "service", '{status="5xx"}')
    ratio = f"{errors} / {sum_rate(requests, 'service')}"
    panels = [
        panel(
            "Requests/s by service",
            "All services, so the chosen one can be compared with the others.",
            [(sum_rate(requests, "service"), "{{service}}")],
            in_range(SERVICE),
            unit="reqps",
        ),
        panel(
            "5xx ratio by service",
            "Share of requests answered with a 5xx status.",
            [(ratio, "{{service}}")],
            failed(SERVICE),
            unit="percentunit",
        ),
        panel(
            "$service: requests/s by route and status",
            "Request rate of the chosen service per route template and status class.",
            [
                (
                    sum_rate(requests, "service, method, route, status", chosen),
                    "{{method}} {{route}} {{status}}",
                )
            ],
            in_range(SERVICE),
            unit="reqps",
        ),
        panel(
            "$service: 5xx/s by route",
            "Server errors of the chosen service per route template.",
            [(sum_rate(requests, "service, method, route", chosen_5xx), "{{method}} {{route}}")],
            failed(SERVICE),
            unit="reqps",
        ),
        panel(
            "$service: duration p50/p99",
            "Request duration of the chosen service over all routes.",
            quantiles(duration, "service", "{{service}}", chosen),
            in_range(SERVICE),
            unit="s",
        ),
        panel(
            "$service: duration p99 by route",
            "Which route is slow.",
            quantiles(duration, "service, route", "{{route}}", chosen)[1:],
            in_range(SERVICE),
            unit="s",
        ),
        panel(
            "$service: garbage-collector pauses p50/p99",
            "The event loop stands still for each pass: a p99 here is added to every request "
            "and every call handled meanwhile. Generation 2 is the full pass.",
            quantiles("callplane_gc_pause_seconds", "generation", "gen {{generation}}", chosen),
            in_range(SERVICE),
            unit="s",
        ),
    ]
    return dashboard(
        "callplane-service-red",
        "callplane / Service RED",
        "HTTP rate, errors and duration: all services at the top, the chosen one by route below.",
        panels,
        jaeger_service="${service}",
        variables=[service_variable()],
    )


def money() -> Json:
    charges, ledger = "callplane_call_charges_total", "callplane_ledger_charges_total"
    funds = '{kind="reject", reason="INSUFFICIENT_FUNDS"}'
    panels = [
        panel(
            "Rated legs/s by outcome",
            "call-records: finished legs charged, or left unrated (no price, currency mismatch).",
            [(sum_rate(charges, "outcome"), "{{outcome}}")],
            in_range(CALL_RECORDS),
            unit="ops",
        ),
        panel(
            "Charged amount/s by currency",
            "call-records: sum of the charges published on calls.charges, in currency units.",
            [(sum_rate("callplane_call_charged_amount_total", "currency"), "{{currency}}")],
            in_range(CALL_RECORDS),
        ),
        panel(
            "Ledger charges/s by outcome",
            "number-inventory: applied, duplicate (a re-delivery, already in the ledger) or short "
            "(the balance covered part of it).",
            [(sum_rate(ledger, "outcome"), "{{outcome}}")],
            failed(NUMBER_INVENTORY),
            unit="ops",
        ),
        panel(
            "Blocked accounts",
            "Accounts call-dispatch holds as BLOCKED: their calls are rejected INSUFFICIENT_FUNDS.",
            [("max by (service) (callplane_blocked_accounts)", "{{service}}")],
            in_range(CALL_DISPATCH),
        ),
        panel(
            "Accounts blocked / unblocked per second",
            "number-inventory: balance reached zero (BLOCKED) or a top-up settled (ACTIVE).",
            [(sum_rate("callplane_account_status_changes_total", "status"), "{{status}}")],
            in_range(NUMBER_INVENTORY),
            unit="ops",
        ),
        panel(
            "Number rental steps/s",
            "number-inventory: a month's rental charged, a number OVERDUE (unpaid), or released "
            "after the grace period.",
            [(sum_rate("callplane_rental_steps_total", "step"), "{{step}}")],
            in_range(NUMBER_INVENTORY),
            unit="ops",
        ),
        panel(
            "Calls rejected for funds/s",
            "Decisions rejected with INSUFFICIENT_FUNDS.",
            [(sum_rate("callplane_decisions_total", "reason", funds), "{{reason}}")],
            dispatch_tagged("callplane.decision.reason", "reason"),
            unit="ops",
        ),
    ]
    return dashboard(
        "callplane-money",
        "callplane / Charges and balances",
        "What calls cost, whether the ledger took it once, which accounts are blocked, and "
        "the numbers' monthly rental.",
        panels,
        jaeger_service=CALL_RECORDS,
        variables=[],
    )


DASHBOARDS = {
    "call-flow.json": call_flow,
    "masking-health.json": masking_health,
    "kafka.json": kafka,
    "service-red.json": service_red,
    "money.json": money,
}


def render() -> dict[str, str]:
    """File name → the exact text the committed JSON file must have."""
    return {name: json.dumps(build(), indent=2) + "\n" for name, build in DASHBOARDS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = DASHBOARDS_DIR / name
        if path.exists() and path.read_text() == text:
            continue
        stale.append(name)
        if not args.check:
            DASHBOARDS_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        sys.stderr.write(f"out of date: {', '.join(stale)}; run deploy/grafana/generate.py\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

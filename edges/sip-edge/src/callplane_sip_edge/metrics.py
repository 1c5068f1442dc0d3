"""The adapter's own Prometheus metrics (at `/metrics` with the HTTP ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INVITES = Counter(
    "callplane_sip_edge_invites_total",
    "INVITEs handled, by what the edge did (relay kind or reject reason).",
    ["outcome"],
)
DECISION_TIMEOUTS = Counter(
    "callplane_sip_edge_decision_timeouts_total",
    "INVITEs that got the configured default because callplane did not answer in time.",
    ["default"],
)
DECISION_SECONDS = Histogram(
    "callplane_sip_edge_decision_seconds",
    "From the INVITE reaching Kamailio to the adapter's answer (publish + decision + plan).",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
STATUSES = Counter(
    "callplane_sip_edge_status_total",
    "CallStatus events published, by state.",
    ["state"],
)
DROPPED_EVENTS = Counter(
    "callplane_sip_edge_dropped_events_total",
    "Kamailio events dropped, by why (unknown call, malformed, overloaded).",
    ["reason"],
)
CALLS_TRACKED = Gauge("callplane_sip_edge_calls_tracked", "Calls whose dialog state is kept.")

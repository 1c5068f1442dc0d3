"""Settings of call-dispatch; every field can be set by the environment variable of its name."""

from pydantic import Field

from callplane_shared.settings import ConversationsQueueSetting, ServiceSettings
from callplane_shared.topics import (
    ACCOUNTS,
    CALLS_DECISIONS,
    CALLS_INBOUND,
    IVR_SCENARIOS,
    MASKING_REQUESTS,
    VOICE_ACTIONS,
    VOICE_ROUTES,
)


class Settings(ServiceSettings, ConversationsQueueSetting):
    http_port: int = Field(default=8103, ge=1, le=65535, description="Port of the HTTP API.")
    # The topics are overridable (like `consumer_group`) so a crash test or the benchmark can
    # run its own instance on its own topics without sharing partitions with `make up`'s.
    calls_inbound_topic: str = CALLS_INBOUND.name
    calls_decisions_topic: str = CALLS_DECISIONS.name
    masking_requests_topic: str = MASKING_REQUESTS.name
    voice_actions_topic: str = VOICE_ACTIONS.name
    voice_routes_topic: str = VOICE_ROUTES.name
    ivr_scenarios_topic: str = IVR_SCENARIOS.name
    accounts_topic: str = ACCOUNTS.name
    batch_max_records: int = Field(
        default=500, ge=1, description="Most calls decided (and committed) together."
    )
    fetch_max_wait_ms: int = Field(
        default=5,
        ge=0,
        description="How long a fetch waits for data; low keeps an idle call's latency low.",
    )
    producer_linger_ms: int = Field(
        default=0, ge=0, description="Producer linger; batches form anyway under load."
    )
    max_record_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Larger calls.inbound records are dead-lettered unread (a call is < 2 KiB).",
    )
    max_call_age_seconds: float = Field(
        default=600.0,
        gt=0,
        description=(
            "Calls received longer ago are skipped, not decided (counted in "
            "callplane_calls_skipped_total): a new consumer group starting from `earliest` "
            "must not re-decide every retained call."
        ),
    )
    group_instance_id: str | None = Field(
        default=None,
        description=(
            "Static membership (group.instance.id): a stable name per replica (a StatefulSet "
            "pod's name) lets a restarted process take its partitions back without a rebalance."
        ),
    )
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        description=(
            "How long the group waits for a silent member before its partitions move on (a "
            "killed static member holds its partitions that long unless it comes back sooner)."
        ),
    )
    commit_interval_ms: int = Field(
        default=100,
        ge=0,
        le=5_000,
        description=(
            "Acknowledged batches' offsets are committed together at most this often: fewer "
            "offset commits for the broker, and at most this much of the calls decided again "
            "(identically) after a crash or a moved partition."
        ),
    )
    batches_in_flight: int = Field(
        default=4,
        ge=1,
        description="Batches decided and published while the oldest waits for its acks.",
    )
    replay_capacity: int = Field(
        default=50_000,
        ge=0,
        description=(
            "Calls whose published decision is kept to publish again, identical, when the call "
            "is read again (about 1 KiB each; 50,000 is 50 s of calls at 1,000/s)."
        ),
    )

"""The failover test's own logic that needs no cluster: which node is the active controller (read
from the quorum's log lines) and how waits are summarised per phase."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stackctl.layout import Layout
from tests.failover.cluster import Cluster
from tests.failover.load import Calls, unseen_but_committed
from tests.failover.run import Phase, _drain, _figures, _slow_seconds

pytestmark = pytest.mark.unit

FOLLOWER = (
    "[2026-11-27 14:08:09,079] INFO [RaftManager id={me}] Completed transition to FollowerState("
    "fetchTimeoutMs=2000, epoch={epoch}, leader={leader}, leaderEndpoints=Endpoints(...))\n"
)
LEADER = (
    "[2026-11-27 14:08:08,679] INFO [RaftManager id={me}] Completed transition to Leader("
    "localVoterNode=VoterNode(voterKey=ReplicaKey(id={me}, directoryId=x)), epoch={epoch}, "
    "epochStartOffset=28)\n"
)


def test_the_active_controller_is_the_leader_of_the_highest_epoch(tmp_path: Path) -> None:
    layout = Layout(repo=tmp_path, tools=tmp_path, run=tmp_path)
    logs = {
        "kafka-controller-1": FOLLOWER.format(me=101, epoch=3, leader=102)
        + LEADER.format(me=101, epoch=5),
        "kafka-controller-2": LEADER.format(me=102, epoch=3)
        + FOLLOWER.format(me=102, epoch=5, leader=101),
        "kafka-controller-3": FOLLOWER.format(me=103, epoch=4, leader=102),
    }
    for name, text in logs.items():
        layout.log_file(name).parent.mkdir(parents=True, exist_ok=True)
        layout.log_file(name).write_text(text)
    assert Cluster(layout).active_controller() == 101


def test_waits_are_counted_in_the_phase_the_call_was_sent_in() -> None:
    calls = Calls()
    calls.sent_at = {"a": 10.0, "b": 11.0, "c": 20.5, "lost": 12.0}
    calls.waited = {"a": 0.010, "b": 4.0, "c": 0.020}
    calls.produced_after = {"a": 0.008, "b": 3.5, "c": 0.015}
    failover = _figures(Phase("failover", 10.0, 20.0), calls)
    assert (failover.calls, failover.decided, failover.max_ms) == (3, 2, 4000.0)
    assert failover.produced_max_ms == 3500.0
    assert _slow_seconds(calls, began=10.0) == {1: 4000}


async def test_the_drain_ends_when_decisions_stop_coming_not_at_a_fixed_time() -> None:
    calls = Calls()
    calls.accepted = {"a", "b"}
    calls.waited = {"a": 1.0}
    began = time.monotonic()
    await _drain(calls, quiet_seconds=0.5, bound_seconds=60)  # "b" never comes
    assert time.monotonic() - began < 30
    calls.waited["b"] = 2.0
    await _drain(calls, quiet_seconds=60, bound_seconds=60)  # all decided: returns at once


def test_a_call_below_call_dispatchs_commit_was_handled_one_above_it_is_lost() -> None:
    calls = Calls()
    calls.offsets = {"handled": (0, 41), "lost": (0, 42), "other partition": (3, 7)}
    lost, unseen = unseen_but_committed(calls, ["handled", "lost", "other partition"], {0: 42})
    assert (lost, unseen) == (["lost", "other partition"], ["handled"])

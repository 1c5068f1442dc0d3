"""The voice use cases against in-memory repositories: one action per number, If-Match, lease and
release, history kept outside the number (invariant 1)."""

from __future__ import annotations

import json

import pytest

from action_config.domain.refusals import Refusal
from action_config.domain.voice_setup import ChangedBy, VoiceSetup
from action_config.number_lifecycle import NumberLifecycle
from action_config.voice_setups import Mode, VoiceSetups
from callplane_shared.events import NumberLeased, NumberReleased
from tests.unit.action_config.fakes import AnyTarget, FakeHistoryStore, FakeNumberStore

pytestmark = pytest.mark.unit

KEY = "A" * 32
NUMBER = "+41793026731"
ALICE, BOB = "acc-alice", "acc-bob"
PSTN = VoiceSetup.model_validate(
    {"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026727"}}
)
CONVERSATIONS = VoiceSetup.model_validate({"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}})


def _lease(account: str) -> NumberLeased:
    return NumberLeased(
        number_key=KEY,
        number=NUMBER,
        account_id=account,
        capabilities=["VOICE"],
        type="VIRTUAL_LONG_NUMBER",
        country="CH",
    )


def _release(account: str) -> NumberReleased:
    return NumberReleased(**_lease(account).model_dump(exclude={"event_type"}))


World = tuple[VoiceSetups, NumberLifecycle, FakeNumberStore, FakeHistoryStore]


@pytest.fixture
def world() -> World:
    numbers, history = FakeNumberStore(), FakeHistoryStore()
    return (
        VoiceSetups(numbers, history, AnyTarget()),
        NumberLifecycle(numbers, history),
        numbers,
        history,
    )


async def test_a_fresh_lease_has_no_action_and_post_twice_conflicts_invariant_1(
    world: World,
) -> None:
    setups, lifecycle, numbers, _ = world
    await lifecycle.on_leased(_lease(ALICE))
    with pytest.raises(Refusal) as none:
        await setups.get(ALICE, KEY)
    assert none.value.status == 404
    me = ChangedBy(account_id=ALICE)
    created = await setups.set(ALICE, me, KEY, requested=PSTN, mode=Mode.CREATE, if_match=None)
    assert created.version == 2
    with pytest.raises(Refusal) as twice:
        await setups.set(ALICE, me, KEY, requested=PSTN, mode=Mode.CREATE, if_match=None)
    assert twice.value.status == 409
    assert numbers.docs[KEY]["setup"]["action"]["pstnNumber"] == "+41793026727"


async def test_if_match_must_name_the_current_version(world: World) -> None:
    setups, lifecycle, _, _ = world
    await lifecycle.on_leased(_lease(ALICE))
    me = ChangedBy(account_id=ALICE)
    with pytest.raises(Refusal) as star:
        await setups.set(ALICE, me, KEY, requested=PSTN, mode=Mode.REPLACE, if_match="*")
    assert star.value.status == 412
    await setups.set(ALICE, me, KEY, requested=PSTN, mode=Mode.REPLACE, if_match=1)
    with pytest.raises(Refusal) as stale:
        await setups.set(ALICE, me, KEY, requested=CONVERSATIONS, mode=Mode.REPLACE, if_match=1)
    assert stale.value.status == 412
    assert '"2"' in stale.value.text
    replaced = await setups.set(
        ALICE, me, KEY, requested=CONVERSATIONS, mode=Mode.REPLACE, if_match="*"
    )
    assert replaced.version == 3


async def test_another_account_sees_nothing_and_history_is_per_lease(world: World) -> None:
    setups, lifecycle, _, _ = world
    await lifecycle.on_leased(_lease(ALICE))
    await setups.set(
        ALICE, ChangedBy(account_id=ALICE), KEY, requested=PSTN, mode=Mode.CREATE, if_match=None
    )
    with pytest.raises(Refusal) as hidden:
        await setups.history(BOB, KEY, 0, 20)
    assert hidden.value.status == 404
    await lifecycle.on_released(_release(ALICE))
    await lifecycle.on_leased(_lease(BOB))
    bob_history = await setups.history(BOB, KEY, 0, 20)
    assert [(v.version, v.change) for v in bob_history.versions] == [(4, "LEASED")]
    with pytest.raises(Refusal):
        await setups.get(BOB, KEY)  # the old owner's action did not survive the release


async def test_20000_changes_keep_the_number_small_and_it_can_be_released_and_re_leased(
    world: World,
) -> None:
    setups, lifecycle, numbers, history = world
    await lifecycle.on_leased(_lease(ALICE))
    me = ChangedBy(account_id=ALICE)
    first_size = len(json.dumps(numbers.docs[KEY], default=str))
    for i in range(20_000):
        setup = PSTN if i % 2 else CONVERSATIONS
        await setups.set(ALICE, me, KEY, requested=setup, mode=Mode.REPLACE, if_match=None)
    size = len(json.dumps(numbers.docs[KEY], default=str))
    assert size < first_size + 1024, "the number document grew with its history"
    page = await setups.history(ALICE, KEY, 0, 5)
    assert page.total == 20_001
    assert [v.version for v in page.versions] == [20_001, 20_000, 19_999, 19_998, 19_997]
    await lifecycle.on_released(_release(ALICE))
    await lifecycle.on_leased(_lease(BOB))
    assert numbers.docs[KEY]["accountId"] == BOB
    assert numbers.docs[KEY]["setup"] is None
    assert len(history.entries) == 20_003


async def test_a_change_lost_between_the_two_writes_is_recorded_on_the_next_one(
    world: World,
) -> None:
    setups, lifecycle, _, history = world
    await lifecycle.on_leased(_lease(ALICE))
    me = ChangedBy(account_id=ALICE)
    await setups.set(ALICE, me, KEY, requested=PSTN, mode=Mode.CREATE, if_match=None)
    history.entries.pop(f"{KEY}:{2:012d}")  # as if the process died before recording it
    found = await setups.history(ALICE, KEY, 0, 20)
    assert [v.version for v in found.versions] == [2, 1]

from __future__ import annotations

import pytest

from callplane_shared.events import VoiceActionSet
from callplane_shared.voice import ForwardToPstn
from number_inventory.voice_setups import VoiceSetups

pytestmark = pytest.mark.unit

NUMBER = "+41793026731"
KEY = "A" * 32


def _record(version: int, account: str = "acc", pstn: str = "+41791234567") -> bytes:
    event = VoiceActionSet(
        number=NUMBER,
        number_key=KEY,
        account_id=account,
        voice_capable=True,
        version=version,
        action=ForwardToPstn(pstn_number=pstn),
    )
    return event.model_dump_json(by_alias=True).encode()


def test_latest_version_wins_whatever_the_arrival_order() -> None:
    view = VoiceSetups()
    view.apply(NUMBER.encode(), _record(2, pstn="+41790000002"))
    view.apply(NUMBER.encode(), _record(1, pstn="+41790000001"))
    setup = view.for_number(NUMBER, KEY, "acc")
    assert setup is not None
    assert isinstance(setup.action, ForwardToPstn)
    assert setup.action.pstn_number == "+41790000002"


def test_tombstone_removes_and_other_owners_see_nothing() -> None:
    view = VoiceSetups()
    view.apply(NUMBER.encode(), _record(1))
    assert view.for_number(NUMBER, KEY, "someone-else") is None
    assert view.for_number(NUMBER, "B" * 32, "acc") is None
    view.apply(NUMBER.encode(), None)
    assert view.for_number(NUMBER, KEY, "acc") is None
    assert len(view) == 0

"""The account's default Conversations queue: validated like a number's queue, published on the
account's event, and absent from records written before it existed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from callplane_shared.events import AccountUpserted
from callplane_shared.voice import ForwardToConversations, conversations_target
from number_inventory.accounts import CONVERSATIONS_QUEUE, account_event
from number_inventory.api_conversations_queue import ConversationsQueueRequest

pytestmark = pytest.mark.unit

ACCOUNT = {"_id": "acc-1", "name": "n", "currency": "EUR", "version": 4}


@pytest.mark.parametrize("queue", ["", "no spaces/allowed", "q" * 129, "ä"])
def test_the_request_refuses_what_a_numbers_queue_refuses(queue: str) -> None:
    with pytest.raises(ValidationError, match="queueId"):
        ConversationsQueueRequest.model_validate({"queueId": queue})
    with pytest.raises(ValidationError, match="queue_id"):
        ForwardToConversations(queue_id=queue)


def test_the_request_needs_a_queue() -> None:
    with pytest.raises(ValidationError, match="queueId"):
        ConversationsQueueRequest.model_validate({})
    assert ConversationsQueueRequest.model_validate({"queueId": "a_b.c-1"}).queue_id == "a_b.c-1"


def test_the_accounts_event_carries_it_and_old_documents_have_none() -> None:
    assert account_event(ACCOUNT).conversations_queue_id is None
    event = account_event({**ACCOUNT, CONVERSATIONS_QUEUE: "sales"})
    assert event.conversations_queue_id == "sales"
    wire = event.model_dump_json(by_alias=True)
    assert '"conversationsQueueId":"sales"' in wire
    assert AccountUpserted.model_validate_json(wire) == event


def test_the_order_is_the_numbers_then_the_accounts_then_the_platforms() -> None:
    assert conversations_target("own", "sales", "default") == "own"
    assert conversations_target(None, "sales", "default") == "sales"
    assert conversations_target(None, None, "default") == "default"

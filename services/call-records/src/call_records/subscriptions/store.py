"""The account's subscriptions (collection `records_subscriptions`), one document each, with the
webhook secret sealed (AES-256-GCM bound to the account) and never read back out through the API.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from call_records.subscriptions.model import (
    BasicCredentials,
    Criterion,
    NewSubscription,
    Security,
    SubscriptionBody,
)
from callplane_shared.events import utc_now
from callplane_shared.sealing import CredentialCipher
from callplane_shared.webhooks import SigningKey

Document = dict[str, Any]


class SubscriptionExistsError(Exception):
    pass


class UnknownAuthIdError(Exception):
    """`security` named only an `authId` the subscription does not already have."""


@dataclass(frozen=True)
class Delivery:
    """How to reach one subscription's webhook, secrets opened (never logged: see SigningKey)."""

    notify_url: str
    signing: SigningKey | None
    authorization: str | None


def _key(account_id: str, subscription_id: str) -> str:
    # Length-prefixed, so no two (account, id) pairs make the same key whatever they contain.
    return f"{len(account_id)}:{account_id}:{subscription_id}"


class SubscriptionStore:
    def __init__(
        self, client: AsyncMongoClient[Document], database: str, cipher: CredentialCipher
    ) -> None:
        self.collection: AsyncCollection[Document] = client[database]["records_subscriptions"]
        self._cipher = cipher

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("accountId", ASCENDING), ("createdAt", ASCENDING)], name="account_created"
        )

    async def count(self, account_id: str) -> int:
        return await self.collection.count_documents({"accountId": account_id})

    async def create(self, account_id: str, body: NewSubscription) -> Document:
        now = utc_now()
        doc = {
            "_id": _key(account_id, body.subscription_id),
            "accountId": account_id,
            "subscriptionId": body.subscription_id,
            "createdAt": now,
            **self._fields(account_id, body, None, now),
        }
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            raise SubscriptionExistsError(body.subscription_id) from None
        return doc

    async def replace(
        self, account_id: str, subscription_id: str, body: SubscriptionBody
    ) -> Document | None:
        current = await self.get(account_id, subscription_id)
        if current is None:
            return None
        fields = self._fields(account_id, body, current.get("security"), utc_now())
        await self.collection.update_one({"_id": current["_id"]}, {"$set": fields})
        return {**current, **fields}

    async def get(self, account_id: str, subscription_id: str) -> Document | None:
        return await self.collection.find_one({"_id": _key(account_id, subscription_id)})

    async def delete(self, account_id: str, subscription_id: str) -> bool:
        result = await self.collection.delete_one({"_id": _key(account_id, subscription_id)})
        return result.deleted_count == 1

    async def page(
        self, account_id: str, calls_configuration_id: str | None, page: int, size: int
    ) -> tuple[list[Document], int]:
        query: Document = {"accountId": account_id}
        if calls_configuration_id is not None:
            query["criteria.callsConfigurationId"] = calls_configuration_id
        total = await self.collection.count_documents(query)
        cursor = (
            self.collection.find(query)
            .sort([("createdAt", -1), ("_id", 1)])
            .skip(page * size)
            .limit(size)
        )
        return await cursor.to_list(), total

    async def of_account(self, account_id: str, limit: int) -> list[Document]:
        """Every subscription of the account (at most `limit`, the per-account quota)."""
        cursor = self.collection.find({"accountId": account_id}).sort([("_id", 1)]).limit(limit)
        return await cursor.to_list()

    def delivery(self, doc: Document) -> Delivery:
        """The webhook and its opened credentials: HMAC signs with both schemes (Infobip's
        `Authorization` keyed by authId + secretKey, and `X-Callplane-Signature`); BASIC sends
        `Authorization: Basic` and the `X-Callplane-Signature` keyed by the password."""
        security = doc.get("security")
        if not security or not security.get("sealed"):
            return Delivery(doc["notifyUrl"], None, None)
        opened = json.loads(self._cipher.decrypt(security["sealed"], doc["accountId"]))
        if security["type"] == "BASIC":
            pair = f"{opened['username']}:{opened['password']}".encode()
            basic = "Basic " + base64.b64encode(pair).decode()
            return Delivery(
                doc["notifyUrl"], SigningKey(security["authId"], opened["password"]), basic
            )
        return Delivery(doc["notifyUrl"], SigningKey(security["authId"], opened["secretKey"]), None)

    def _fields(
        self,
        account_id: str,
        body: SubscriptionBody,
        stored_security: Document | None,
        now: datetime,
    ) -> Document:
        profile_id = body.profile.profile_id or f"profile-{uuid.uuid4().hex[:16]}"
        return {
            "name": body.name,
            "events": [str(e) for e in body.events],
            "criteria": [_criterion(c) for c in body.criteria],
            "profileId": profile_id,
            "notifyUrl": body.profile.webhook.notify_url,
            "security": self._security(account_id, body.profile.security, stored_security),
            "updatedAt": now,
        }

    def _security(
        self, account_id: str, given: Security | None, stored: Document | None
    ) -> Document | None:
        if given is None:
            return None
        if given.credentials is None:
            if stored is None or stored.get("authId") != given.auth_id:
                raise UnknownAuthIdError(given.auth_id)
            return stored
        secret = given.credentials.model_dump(by_alias=True)
        kind = "BASIC" if isinstance(given.credentials, BasicCredentials) else "HMAC"
        return {
            "authId": given.auth_id,
            "type": kind,
            "sealed": self._cipher.encrypt(json.dumps(secret), account_id),
        }


def _criterion(criterion: Criterion) -> Document:
    return criterion.model_dump(by_alias=True, exclude_none=True)


def public_view(doc: Document) -> Document:
    """Infobip's `SubscriptionResponse`, plus the webhook URL; never a secret."""
    security = doc.get("security")
    profile: Document = {"profileId": doc["profileId"], "webhook": {"notifyUrl": doc["notifyUrl"]}}
    if security:
        profile["security"] = {"authId": security["authId"], "type": security["type"]}
    return {
        "subscriptionId": doc["subscriptionId"],
        "name": doc.get("name"),
        "events": doc["events"],
        "criteria": doc.get("criteria") or [],
        "profile": profile,
    }

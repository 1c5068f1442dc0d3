"""The collections number-masking owns, and the queries it runs on them."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from faststream.kafka import KafkaBroker
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from callplane_shared import outbox
from callplane_shared.events import CallDecision, MaskingConfigUpserted
from callplane_shared.mongo import Document
from callplane_shared.topics import CALLS_DECISIONS, MASKING_CONFIGS
from callplane_shared.webhooks import SigningKey
from number_masking.crypto import CredentialCipher
from number_masking.domain.configs import ConfigBody, MaskingConfig
from number_masking.lookup_cache import LookupCache

_CONFIG_FIELDS = tuple(ConfigBody.model_fields)


def _now() -> datetime:
    # BSON dates hold milliseconds: truncate so what POST returns equals what GET returns later.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class CredentialsUnreadableError(Exception):
    """Stored credentials do not decrypt (MASKING_CREDENTIALS_KEY changed without re-entering
    them): nothing can be signed for the account until they are set again."""


class Store:
    def __init__(
        self,
        database: AsyncDatabase[Document],
        broker: KafkaBroker,
        cipher: CredentialCipher,
        *,
        lookup_cache_seconds: float = 0.0,
    ) -> None:
        self.configs: AsyncCollection[Document] = database["masking_configs"]
        self.credentials: AsyncCollection[Document] = database["masking_credentials"]
        self.decisions: AsyncCollection[Document] = database["masking_decisions"]
        self.reports: AsyncCollection[Document] = database["masking_status_reports"]
        self.numbers: AsyncCollection[Document] = database["masking_numbers"]
        self._broker = broker
        self._cipher = cipher
        # Only the call path's lookups are kept; the API reads the store (read-after-write).
        self._configs_for_calls: LookupCache[tuple[str, MaskingConfig] | None] = LookupCache(
            lookup_cache_seconds
        )
        self._keys_for_calls: LookupCache[SigningKey | None] = LookupCache(lookup_cache_seconds)

    async def create_indexes(self) -> None:
        await self.configs.create_index([("accountId", 1), ("name", 1)])
        await self.decisions.create_index("callId")
        await self.reports.create_index([("state", 1), ("nextAttemptAt", 1)])

    # --- configurations ----------------------------------------------------------------------

    @staticmethod
    def _config(doc: Document) -> MaskingConfig:
        return MaskingConfig.model_validate({**doc, "key": doc["_id"]})

    def _live(self, account_id: str, **extra: Any) -> Document:
        return {"accountId": account_id, "deleted": {"$ne": True}, **extra}

    async def list_configs(self, account_id: str) -> list[MaskingConfig]:
        cursor = self.configs.find(self._live(account_id)).sort("insertDateTime", 1)
        return [self._config(doc) async for doc in cursor]

    async def _by_key(self, key: str) -> Document | None:
        # A bare `_id` filter is the one FerretDB pushes down to its backend; the other
        # conditions are checked here so hot-path lookups stay cheap there too.
        doc = await self.configs.find_one({"_id": key})
        return None if doc is None or doc.get("deleted") else doc

    async def get_config(self, account_id: str, key: str) -> MaskingConfig | None:
        doc = await self._by_key(key)
        if doc is None or doc["accountId"] != account_id:
            return None
        return self._config(doc)

    async def config_for_call(self, key: str) -> tuple[str, MaskingConfig] | None:
        """(accountId, config) regardless of the caller: used by consumers, not the API."""

        async def read() -> tuple[str, MaskingConfig] | None:
            doc = await self._by_key(key)
            return None if doc is None else (doc["accountId"], self._config(doc))

        return await self._configs_for_calls.get(key, read)

    async def name_taken(self, account_id: str, name: str, except_key: str | None) -> bool:
        query = self._live(account_id, name=name)
        if except_key is not None:
            query["_id"] = {"$ne": except_key}
        return await self.configs.find_one(query, {"_id": 1}) is not None

    async def insert_config(self, account_id: str, body: ConfigBody) -> MaskingConfig:
        key = uuid.uuid4().hex.upper()
        now = _now()
        event = MaskingConfigUpserted(key=key, account_id=account_id, name=body.name)
        doc = {
            "_id": key,
            "accountId": account_id,
            **body.model_dump(by_alias=True),
            "insertDateTime": now,
            "updateDateTime": now,
            outbox.OUTBOX_FIELD: [outbox.outbox_entry(MASKING_CONFIGS.name, key, event)],
        }
        with self._configs_for_calls.changing(key):
            await self.configs.insert_one(doc)
        await outbox.flush(self._broker, self.configs, {"_id": key})
        return self._config(doc)

    async def replace_config(
        self, account_id: str, key: str, body: ConfigBody
    ) -> MaskingConfig | None:
        event = MaskingConfigUpserted(key=key, account_id=account_id, name=body.name)
        with self._configs_for_calls.changing(key):
            doc = await self.configs.find_one_and_update(
                self._live(account_id, _id=key),
                {
                    "$set": {**body.model_dump(by_alias=True), "updateDateTime": _now()},
                    "$push": outbox.push(outbox.outbox_entry(MASKING_CONFIGS.name, key, event)),
                },
                return_document=ReturnDocument.AFTER,
            )
        if doc is None:
            return None
        await outbox.flush(self._broker, self.configs, {"_id": key})
        return self._config(doc)

    async def delete_config(self, account_id: str, key: str) -> MaskingConfig | None:
        # Soft-delete first so the tombstone rides in the document (outbox); the document is
        # removed once the tombstone is out.
        with self._configs_for_calls.changing(key):
            doc = await self.configs.find_one_and_update(
                self._live(account_id, _id=key),
                {
                    "$set": {"deleted": True, "updateDateTime": _now()},
                    "$push": outbox.push(outbox.outbox_entry(MASKING_CONFIGS.name, key, None)),
                },
            )
        if doc is None:
            return None
        await outbox.flush(self._broker, self.configs, {"_id": key})
        await self.configs.delete_one({"_id": key, "deleted": True})
        return self._config(doc)

    # --- credentials --------------------------------------------------------------------------

    async def credentials_api_id(self, account_id: str) -> str | None:
        doc = await self.credentials.find_one({"_id": account_id}, {"apiId": 1})
        return None if doc is None else str(doc["apiId"])

    async def credentials_for(self, account_id: str) -> SigningKey | None:
        return await self._keys_for_calls.get(account_id, lambda: self._read_key(account_id))

    async def _read_key(self, account_id: str) -> SigningKey | None:
        doc = await self.credentials.find_one({"_id": account_id})
        if doc is None:
            return None
        try:
            key = self._cipher.decrypt(doc["keyCiphertext"], account_id)
        except (InvalidTag, ValueError):
            raise CredentialsUnreadableError(
                "masking credentials do not decrypt with the current MASKING_CREDENTIALS_KEY; "
                "set them again"
            ) from None
        return SigningKey(api_id=doc["apiId"], key=key)

    def _credentials_doc(self, account_id: str, api_id: str, key: str) -> Document:
        return {
            "apiId": api_id,
            "keyCiphertext": self._cipher.encrypt(key, account_id),
            "updatedAt": _now(),
        }

    async def insert_credentials(self, account_id: str, api_id: str, key: str) -> bool:
        """False when the account already has credentials."""
        try:
            with self._keys_for_calls.changing(account_id):
                await self.credentials.insert_one(
                    {"_id": account_id, **self._credentials_doc(account_id, api_id, key)}
                )
        except DuplicateKeyError:
            return False
        return True

    async def put_credentials(self, account_id: str, api_id: str, key: str) -> None:
        with self._keys_for_calls.changing(account_id):
            await self.credentials.update_one(
                {"_id": account_id},
                {"$set": self._credentials_doc(account_id, api_id, key)},
                upsert=True,
            )

    async def delete_credentials(self, account_id: str) -> bool:
        with self._keys_for_calls.changing(account_id):
            result = await self.credentials.delete_one({"_id": account_id})
        return result.deleted_count == 1

    # --- leased numbers (view of numbers.lifecycle) --------------------------------------------

    async def apply_number(
        self, number: str, account_id: str, leased: bool, occurred_at: datetime
    ) -> None:
        # Keep the newest fact per number whatever order events arrive in.
        await self.numbers.update_one(
            {"_id": number, "occurredAt": {"$lt": occurred_at}},
            {"$set": {"accountId": account_id, "leased": leased, "occurredAt": occurred_at}},
        )
        with contextlib.suppress(DuplicateKeyError):
            await self.numbers.insert_one(
                {
                    "_id": number,
                    "accountId": account_id,
                    "leased": leased,
                    "occurredAt": occurred_at,
                }
            )

    async def leased_by(self, number: str, account_id: str) -> bool:
        doc = await self.numbers.find_one({"_id": number, "accountId": account_id, "leased": True})
        return doc is not None

    # --- decisions ----------------------------------------------------------------------------

    async def find_decision(self, round_id: str) -> Document | None:
        return await self.decisions.find_one({"_id": round_id})

    async def save_decision(
        self, round_id: str, decision: CallDecision, meta: Document
    ) -> Document:
        """Store, then publish; when another delivery of the same request won the race,
        publish (again) what it stored, so duplicates on `calls.decisions` are identical.

        No outbox in the document: the masking request's offset is committed only after this
        returns, so a crash between the write and the publish re-delivers the request, which
        finds this decision and publishes it (`republish`). One write per call instead of a
        write, a read and a second write, on the store every masked call waits for."""
        entry = outbox.outbox_entry(CALLS_DECISIONS.name, decision.call_id, decision)
        doc = {
            "_id": round_id,
            "callId": decision.call_id,
            "decision": entry["value"],
            "createdAt": _now(),
            **meta,
        }
        try:
            await self.decisions.insert_one(doc)
        except DuplicateKeyError:
            existing = await self.find_decision(round_id)
            if existing is None:  # deleted in between: nothing sensible left to do but retry
                raise
            await self.republish(existing)
            return existing
        await outbox.publish_entries(self._broker, [entry])
        return doc

    async def publish_unstored(self, decision: CallDecision) -> None:
        """Publish a decision that could not be stored (the store failed): the call still gets
        its decision; a re-delivery finds nothing stored and decides again."""
        entry = outbox.outbox_entry(CALLS_DECISIONS.name, decision.call_id, decision)
        await outbox.publish_entries(self._broker, [entry])

    async def republish(self, doc: Document) -> None:
        if doc.get(outbox.OUTBOX_FIELD) and await outbox.flush(
            self._broker, self.decisions, {"_id": doc["_id"]}
        ):
            return  # written by a version that staged decisions in an outbox
        entry = outbox.outbox_entry(CALLS_DECISIONS.name, doc["callId"], None)
        entry["value"] = doc["decision"]
        await outbox.publish_entries(self._broker, [entry])

    async def latest_decision(self, call_id: str) -> Document | None:
        """The last decision number-masking took for this call (None: not a masked call)."""
        # Every call's status passes here, masked or not: the cheap `_id` lookup answers "not
        # masked" for most; only calls that went through captureDtmf have later rounds.
        first = await self.find_decision(f"{call_id}:initial")
        if first is None or first.get("action") != "captureDtmf":
            return first
        cursor = self.decisions.find({"callId": call_id}).sort("createdAt", -1).limit(1)
        async for doc in cursor:
            return doc
        return None

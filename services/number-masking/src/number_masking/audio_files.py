"""Uploaded masking audio, stored per account (`masking_audio_files`): what a customer's `audio`
answer may name by `fileId`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from number_masking.domain.audio import MAX_FILES_PER_ACCOUNT, AudioRefusedError, audio_type

Document = dict[str, Any]


class AudioFiles:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.files: AsyncCollection[Document] = database["masking_audio_files"]

    async def create_indexes(self) -> None:
        await self.files.create_index("accountId")

    async def save(self, account_id: str, data: bytes) -> str:
        media_type = audio_type(data)
        # A count then an insert can overshoot by the number of concurrent uploads: the limit
        # bounds storage, it is not a billing quota.
        if await self.files.count_documents({"accountId": account_id}) >= MAX_FILES_PER_ACCOUNT:
            raise AudioRefusedError(f"an account keeps at most {MAX_FILES_PER_ACCOUNT} audio files")
        file_id = uuid.uuid4().hex
        await self.files.insert_one(
            {
                "_id": file_id,
                "accountId": account_id,
                "mediaType": media_type,
                "size": len(data),
                "content": Binary(data),
                "uploadedAt": datetime.now(UTC),
            }
        )
        return file_id

    async def exists(self, account_id: str, file_id: str) -> bool:
        found = await self.files.find_one({"_id": file_id, "accountId": account_id}, {"_id": 1})
        return found is not None

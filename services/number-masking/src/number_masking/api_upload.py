"""`POST /voice/masking/1/upload`: audio a masking answer can play by `fileId`."""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field, model_validator

from callplane_shared.auth import AccountDirectory, require_account
from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import bad_request
from callplane_shared.wire import WireModel
from number_masking.audio_files import AudioFiles
from number_masking.domain.audio import MAX_CONTENT_CHARS, AudioRefusedError

UPLOAD = "/voice/masking/1/upload"
UPLOAD_PREFIX = "/voice/masking/1/"
# A file of MAX_AUDIO_BYTES arrives base64-encoded inside JSON; deploy/routes.yaml says 1m too.
MAX_UPLOAD_BODY = 1024 * 1024


class UploadBody(WireModel):
    url: str | None = Field(
        default=None,
        max_length=2048,
        description="Not supported: callplane does not fetch files; send `content` instead.",
    )
    content: str | None = Field(
        default=None,
        max_length=MAX_CONTENT_CHARS,
        description="The WAV or MP3 file, base64-encoded (at most 512 KiB of audio).",
        examples=["UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA="],
    )

    @model_validator(mode="after")
    def _one_source(self) -> "UploadBody":
        if self.url is not None:
            raise ValueError("url uploads are not supported: send the file base64 in `content`")
        if self.content is None:
            raise ValueError("send the audio file base64-encoded in `content`")
        return self


class UploadResponse(WireModel):
    file_id: str = Field(description="Name it as `fileId` in an `audio` answer.")


def upload_router(files: AudioFiles, directory: AccountDirectory) -> APIRouter:
    router = APIRouter(tags=["number masking"])
    Account = Annotated[AccountUpserted, Depends(require_account(directory))]  # noqa: N806

    @router.post(UPLOAD)
    async def upload_audio(body: UploadBody, account: Account) -> UploadResponse:
        try:
            data = base64.b64decode(body.content or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise bad_request("content is not valid base64", "content") from exc
        try:
            file_id = await files.save(account.account_id, data)
        except AudioRefusedError as exc:
            raise bad_request(str(exc), "content") from exc
        return UploadResponse(file_id=file_id)

    return router

"""MongoDB client construction with pymongo's async API (Motor reached end of life)."""

from __future__ import annotations

from typing import Any, TypeAlias

from pymongo import AsyncMongoClient

from callplane_shared.settings import ServiceSettings

Document: TypeAlias = dict[str, Any]


def build_mongo_client(settings: ServiceSettings, app_name: str) -> AsyncMongoClient[Document]:
    """A lazily connecting client: nothing touches the network until the first operation.

    Server selection and every operation are bounded (`MONGODB_TIMEOUT_SECONDS`), so a store
    that is down turns into a quick 503 (`http_errors`) rather than a request hanging."""
    bound_ms = int(settings.mongodb_timeout_seconds * 1000)
    return AsyncMongoClient(
        settings.mongodb_uri,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=bound_ms,
        connectTimeoutMS=bound_ms,
        timeoutMS=bound_ms,
    )

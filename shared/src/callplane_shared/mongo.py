"""MongoDB client construction with pymongo's async API (Motor reached end of life)."""

from __future__ import annotations

from typing import Any, TypeAlias

from pymongo import AsyncMongoClient

from callplane_shared.settings import ServiceSettings

Document: TypeAlias = dict[str, Any]


def build_mongo_client(settings: ServiceSettings, app_name: str) -> AsyncMongoClient[Document]:
    """A lazily connecting client: nothing touches the network until the first operation."""
    return AsyncMongoClient(
        settings.mongodb_uri,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=int(settings.readiness_timeout_seconds * 1000) * 5,
    )

"""Readiness probes: each asks the real thing a real question, with a short deadline."""

from __future__ import annotations

import asyncio
import logging
import socket
import urllib.error
import urllib.request

from aiokafka import AIOKafkaClient
from pymongo import MongoClient

# aiokafka logs every refused connection while the broker starts; the probe's answer is enough.
logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def kafka_metadata(bootstrap: str, brokers: int = 1) -> bool:
    """The broker answers metadata naming at least `brokers` live brokers."""

    async def ask() -> bool:
        client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await client.bootstrap()
            metadata = await client.fetch_all_metadata()
            return len(metadata.brokers()) >= brokers
        finally:
            await client.close()

    try:
        return asyncio.run(asyncio.wait_for(ask(), 5))
    except Exception:  # noqa: BLE001 - not ready yet, whatever the reason
        return False


def tcp_open(address: str) -> bool:
    """Something accepts connections at `host:port`."""
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def mongo_ping(uri: str) -> bool:
    client: MongoClient[dict[str, object]] = MongoClient(uri, serverSelectionTimeoutMS=1000)
    try:
        return bool(client.admin.command("ping").get("ok"))
    except Exception:  # noqa: BLE001
        return False
    finally:
        client.close()


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URLs
            return 200 <= int(response.status) < 300  # noqa: PLR2004
    except (urllib.error.URLError, OSError, ValueError):
        return False

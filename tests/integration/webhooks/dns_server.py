"""A DNS server on 127.0.0.1 for tests: each name answers from a script, one answer per query
(the last repeats), with TTL 0, or not at all. No outside DNS is ever asked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

NXDOMAIN = "NXDOMAIN"
SILENT = "SILENT"
Script = list[list[str] | str]
"""Per query: the A addresses to answer, NXDOMAIN, or SILENT (no answer at all)."""


@dataclass
class DnsServer(asyncio.DatagramProtocol):
    scripts: dict[str, Script] = field(default_factory=dict)
    queries: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0
    _transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=("127.0.0.1", 0)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def lookups(self, name: str, kind: str = "A") -> int:
        return sum(1 for q in self.queries if q == (name, kind))

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True)
        kind = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, kind))
        script = self.scripts.get(name)
        step: list[str] | str = NXDOMAIN
        if script:
            step = script.pop(0) if len(script) > 1 and kind == "A" else script[0]
        if step == SILENT:
            return
        response = dns.message.make_response(query)
        if step == NXDOMAIN:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif kind == "A" and isinstance(step, list):
            response.answer.append(dns.rrset.from_text_list(question.name, 0, "IN", "A", step))
        assert self._transport is not None
        self._transport.sendto(response.to_wire(), addr)

"""SIPp as the callers and callees of the SIP tests, the demo and the benchmark: callers dial
Kamailio, callees stand in for carriers, customer endpoints and the media server. Each run
writes SIPp's message trace, which the tests read to see what was on the wire."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO_ROOT

SCENARIOS = REPO_ROOT / "edges/sip-edge/sipp"
KAMAILIO = "127.0.0.1:5060"
KAMAILIO_STATIC = "127.0.0.1:5062"
CALLER_PORT = 5065
# The ports deploy/local/services.env routes to (gateway table and media server).
CARRIER_1, CARRIER_2, CARRIER_3, DEFAULT_CARRIER, MEDIA_SERVER = 5081, 5082, 5083, 5089, 5090
_SEPARATOR = re.compile(r"^-{20,} .*$", re.MULTILINE)


def sipp() -> str:
    found = shutil.which("sipp")
    if found is None:
        raise RuntimeError("SIPp is not installed: `make bootstrap` (apt-get install sip-tester)")
    return found


@dataclass(frozen=True)
class SipMessage:
    direction: str  # "sent" or "received"
    text: str

    @property
    def first_line(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    def header(self, name: str) -> str | None:
        pattern = rf"^{re.escape(name)}:\s*(.*?)\s*$"
        match = re.search(pattern, self.text, re.MULTILINE | re.IGNORECASE)
        return match.group(1) if match else None


def read_trace(path: Path) -> list[SipMessage]:
    """Every message in a SIPp `-trace_msg` file, in order."""
    if not path.exists():
        return []
    messages = []
    for chunk in _SEPARATOR.split(path.read_text(errors="replace")):
        head, _, body = chunk.strip().partition("\n")
        if head.startswith("UDP message"):
            direction = "sent" if "sent" in head else "received"
            messages.append(SipMessage(direction, body.strip().replace("\r", "")))
    return messages


@dataclass
class Callee:
    port: int
    trace: Path
    process: subprocess.Popen[bytes]

    def invites(self) -> list[SipMessage]:
        return [
            m
            for m in read_trace(self.trace)
            if m.direction == "received" and m.first_line.startswith("INVITE ")
        ]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_callee(
    workdir: Path, port: int, scenario: str = "callee.xml", *, trace_messages: bool = True
) -> Callee:
    """A SIPp callee; `trace_messages=False` for load, where writing every message would cost
    more than answering it."""
    trace = workdir / f"callee-{port}.msg"
    argv = [sipp(), "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port)]
    argv += ["-nostdin"]
    if trace_messages:
        argv += ["-trace_msg", "-message_file", str(trace)]
    process = subprocess.Popen(
        argv, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return Callee(port, trace, process)


@dataclass(frozen=True)
class CallResult:
    returncode: int
    messages: list[SipMessage]
    output: str

    @property
    def final_response(self) -> SipMessage:
        finals = [
            m
            for m in self.messages
            if m.direction == "received"
            and re.match(r"SIP/2.0 [2-6]\d\d", m.first_line)
            and "INVITE" in (m.header("CSeq") or "")
        ]
        return finals[-1]

    @property
    def sip_call_id(self) -> str:
        value = self.messages[0].header("Call-ID")
        assert value is not None
        return value


async def place_call(
    workdir: Path,
    number: str,
    caller: str,
    *,
    scenario: str = "caller.xml",
    hold_ms: int = 500,
    proxy: str = KAMAILIO,
    timeout: float = 40,
) -> CallResult:
    """One call to `number` (E.164) from `caller` through Kamailio; returns once it ended."""
    trace = workdir / f"caller-{number.lstrip('+')}-{uuid.uuid4().hex[:8]}.msg"
    argv = [sipp(), "-sf", str(SCENARIOS / scenario), "-s", number, "-key", "caller", caller]
    argv += ["-i", "127.0.0.1", "-p", str(CALLER_PORT), "-m", "1", "-d", str(hold_ms)]
    argv += ["-nostdin", "-recv_timeout", "20000", "-trace_msg", "-message_file", str(trace)]
    argv.append(proxy)
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=workdir, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return CallResult(process.returncode or 0, read_trace(trace), output.decode(errors="replace"))

"""Deciding one masked call: ask the customer (primary, then backup) inside the deadline, else the
number's fallback, else reject. Idempotent per callback round.

Every request ends in a published decision (invariant 3). When the store fails or hangs, the
call is decided by the number's fallback (carried in the request): the reads before the callback
share one `store_timeout`, and so does the write after it. A decision that could not be stored is
published as it is; only one that cannot be published at all keeps its record in flight (retried
with jittered backoff, never committed past), so a crash re-delivers it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from opentelemetry import trace

from callplane_shared.events import (
    CallDecision,
    CaptureDtmfInstruction,
    DecisionPath,
    ForwardInstruction,
    Instruction,
    MaskingRequest,
    PlayAudioInstruction,
)
from callplane_shared.mongo import Document
from callplane_shared.retrying import retry
from callplane_shared.webhooks import SigningKey, WebhookError
from callplane_shared.webhooks.admission import InFlight
from number_masking.domain.answers import (
    DialAnswer,
    InvalidAnswerError,
    choose_caller_id,
    to_e164,
)
from number_masking.domain.answers import parse_answer as parse
from number_masking.domain.configs import MaskingConfig
from number_masking.domain.decisions import Timeouts, decision, round_id, unavailable
from number_masking.metrics import (
    annotate_decision,
    record_callback,
    record_decision,
    record_refused_at_once,
)
from number_masking.store import CredentialsUnreadableError

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ABANDONED = 256


class DecisionStore(Protocol):
    async def find_decision(self, round_id: str) -> Document | None: ...
    async def save_decision(
        self, round_id: str, decision: CallDecision, meta: Document
    ) -> Document: ...
    async def republish(self, doc: Document) -> None: ...
    async def publish_unstored(self, decision: CallDecision) -> None: ...
    async def config_for_call(self, key: str) -> tuple[str, MaskingConfig] | None: ...
    async def credentials_for(self, account_id: str) -> SigningKey | None: ...
    async def leased_by(self, number: str, account_id: str) -> bool: ...


class AudioLookup(Protocol):
    async def exists(self, account_id: str, file_id: str) -> bool: ...


class Poster(Protocol):
    async def post(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        customer: str,
        signing: SigningKey | None,
        connect_timeout: float,
        budget: float,
        expect_json: bool = True,
    ) -> Any: ...


class StoreFailedError(Exception):
    """A store read or write failed or did not answer in time; `reason` is for pathReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def action_of(instruction: Instruction) -> tuple[str, dict[str, Any]]:
    """Infobip's `action` name for the status report, and fields the report repeats."""
    if isinstance(instruction, ForwardInstruction):
        extra = {"clientReferenceId": instruction.options.get("clientReferenceId")}
        return "dial", {k: v for k, v in extra.items() if v is not None}
    if isinstance(instruction, PlayAudioInstruction):
        extra = {"fileUrl": instruction.file_url, "fileID": instruction.file_id}
        return "audio", {k: v for k, v in extra.items() if v is not None}
    if isinstance(instruction, CaptureDtmfInstruction):
        return "captureDtmf", {}
    return "reject", {}


class Resolver:
    def __init__(
        self,
        store: DecisionStore,
        poster: Poster,
        defaults: Timeouts,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        stale_after: timedelta = timedelta(seconds=120),
        store_timeout: float = 3.0,
        audio: AudioLookup | None = None,
        share: InFlight | None = None,
    ) -> None:
        self._audio = audio
        self._share = share
        self._stale_after = stale_after
        self._store = store
        self._poster = poster
        self._defaults = defaults
        self._clock = clock
        self._store_timeout = store_timeout
        self._abandoned: set[asyncio.Future[Any]] = set()

    async def handle(self, request: MaskingRequest) -> CallDecision:
        """Decide one masked call inside the account's share of in-flight decisions.

        Admission comes before any shared resource, the store included: a customer whose
        server hangs holds its whole share in callbacks, and its next calls are decided at
        once by the fallback, without a store round trip. Measured with the share checked only
        at the callback: a hung customer's calls at 100/s still read and wrote the store, the
        local store saturated, and every other customer's masked calls queued behind them."""
        if self._share is None:
            return await self._handle(request)
        if self._share.full(request.account_id):
            return await self._decided_at_once(request)
        with self._share.hold(request.account_id):
            return await self._handle(request)

    async def _handle(self, request: MaskingRequest) -> CallDecision:
        rid = round_id(request)
        lookups = self._deadline()
        try:
            existing = await self._ask(self._store.find_decision(rid), "reading decisions", lookups)
        except StoreFailedError as exc:
            # Whether this round was decided before is unknown: decide now rather than leave
            # the caller waiting (a re-delivery during an outage may then differ from the first).
            return await self._publish_unstored(request, *unavailable(request, exc.reason))
        if existing is not None:
            # A re-delivery: the same decision again, and no second callback to the customer.
            await _until_published(lambda: self._store.republish(existing))
            again = CallDecision.model_validate_json(existing["decision"])
            annotate_decision(trace.get_current_span(), again)
            return again
        instruction, path, why, meta = await self._decide(request, lookups)
        action, extra = action_of(instruction)
        meta.update({"action": action, "extra": extra, "round": rid})
        result = decision(request, instruction, path, why, self._clock())
        try:
            doc = await self._ask(
                self._store.save_decision(rid, result, meta),
                "saving the decision",
                self._deadline(),
            )
        except StoreFailedError as exc:
            logger.warning("masking %s: %s; publishing unstored", request.call_id, exc.reason)
            await _until_published(lambda: self._store.publish_unstored(result))
            saved = result
        else:
            saved = CallDecision.model_validate_json(doc["decision"])
        # Counted once per decided round; re-deliveries above republish without counting.
        record_decision(saved)
        annotate_decision(trace.get_current_span(), saved)
        return saved

    async def _decided_at_once(self, request: MaskingRequest) -> CallDecision:
        why = "customer share full: its calls in flight; customer not asked"
        result = decision(request, *unavailable(request, why), self._clock())
        await _until_published(lambda: self._store.publish_unstored(result))
        record_refused_at_once()
        record_decision(result)
        annotate_decision(trace.get_current_span(), result)
        return result

    async def _publish_unstored(
        self,
        request: MaskingRequest,
        instruction: Instruction,
        path: DecisionPath,
        reason: str,
    ) -> CallDecision:
        logger.warning("masking %s decided without the store: %s", request.call_id, reason)
        result = decision(request, instruction, path, reason, self._clock())
        await _until_published(lambda: self._store.publish_unstored(result))
        record_decision(result)
        annotate_decision(trace.get_current_span(), result)
        return result

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self._store_timeout

    async def _ask(self, work: Coroutine[Any, Any, T], what: str, deadline: float) -> T:
        """A store call bounded by `deadline` (loop time); every failure becomes
        StoreFailedError with a short reason (driver errors can carry whole topology
        descriptions: only their type is kept).

        A call past the deadline is left to finish in the background rather than cancelled:
        cancelling a MongoDB operation mid-reply throws its connection away, and reconnecting
        is exactly what an overloaded store cannot afford. Past `MAX_ABANDONED` such calls the
        store is not answering at all, and further ones are cancelled."""
        task = asyncio.ensure_future(work)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(task)
        except TimeoutError:
            if len(self._abandoned) < MAX_ABANDONED:
                self._abandoned.add(task)
                task.add_done_callback(_forget(self._abandoned))
            else:
                task.cancel()
            ms = int(self._store_timeout * 1000)
            raise StoreFailedError(f"store did not answer in {ms} ms ({what})") from None
        except CredentialsUnreadableError as exc:
            raise StoreFailedError(str(exc)) from None
        except Exception as exc:
            logger.warning("store failed while %s", what, exc_info=True)
            raise StoreFailedError(f"store failed ({what}): {type(exc).__name__}") from None

    async def _original_caller(self, request: MaskingRequest) -> str:
        if not request.dtmf_captured:
            return request.from_
        first = await self._store.find_decision(f"{request.call_id}:initial")
        return str(first["caller"]) if first else request.number

    async def _decide(
        self, request: MaskingRequest, lookups: float
    ) -> tuple[Instruction, DecisionPath, str | None, Document]:
        meta: Document = {
            "accountId": request.account_id,
            "configKey": request.config_key,
            "caller": request.from_,
            "called": request.to,
        }
        try:
            caller = await self._ask(
                self._original_caller(request), "reading the first round", lookups
            )
            meta["caller"] = caller
            found = await self._ask(
                self._store.config_for_call(request.config_key),
                "reading the masking config",
                lookups,
            )
            if found is None or found[0] != request.account_id:
                why = f"masking config {request.config_key} not found for the account"
                return (*unavailable(request, why), meta)
            age = self._clock() - request.received_at
            if age > self._stale_after:
                # Re-delivered long after an outage: the caller has hung up, and asking the
                # customer now would only flood it. The call still gets its one decision.
                why = f"request is {int(age.total_seconds())} s old; customer not asked"
                return (*unavailable(request, why), meta)
            credentials = await self._ask(
                self._store.credentials_for(request.account_id), "reading credentials", lookups
            )
        except StoreFailedError as exc:
            # Never call unsigned because the credentials could not be read.
            return (*unavailable(request, exc.reason), meta)
        return (*await self._ask_customer(request, found[1], credentials, caller), meta)

    async def _ask_customer(
        self,
        request: MaskingRequest,
        config: MaskingConfig,
        credentials: SigningKey | None,
        caller: str,
    ) -> tuple[Instruction, DecisionPath, str | None]:
        timeouts = Timeouts(
            connect_ms=config.connect_timeout_ms or self._defaults.connect_ms,
            total_ms=config.total_timeout_ms or self._defaults.total_ms,
        )
        payload: dict[str, Any] = {
            "from": request.from_,
            "to": request.to,
            "correlationId": request.call_id,
            "nmCorrelationId": request.call_id,
        }
        if request.dtmf_captured:
            payload["dtmfCaptured"] = True
        deadline = time.monotonic() + timeouts.total_ms / 1000
        attempts = [
            ("primary", config.callback_url, DecisionPath.PRIMARY),
            ("backup", config.backup_callback_url, DecisionPath.BACKUP),
        ]
        failures: list[str] = []
        for label, url, path in attempts:
            if url is None:
                continue
            remaining = deadline - time.monotonic()
            budget = remaining
            if path is DecisionPath.PRIMARY:
                has_backup = config.backup_callback_url is not None
                budget = min(remaining, timeouts.primary_budget_ms(has_backup) / 1000)
            if budget <= 0:
                failures.append(f"{label}: no time left")
                continue
            began = time.perf_counter()
            elapsed: float | None = None
            try:
                answer = await self._poster.post(
                    url,
                    payload,
                    customer=request.account_id,
                    signing=credentials,
                    connect_timeout=min(timeouts.connect_ms / 1000, budget),
                    budget=budget,
                )
                elapsed = time.perf_counter() - began
                instruction, note = await self._instruction(answer, request, caller)
            except (WebhookError, InvalidAnswerError) as exc:
                if isinstance(exc, WebhookError):
                    reason, outcome = exc.reason, exc.outcome
                else:
                    reason, outcome = f"invalid answer: {exc}", "invalid_answer"
                # The callback's duration: the HTTP exchange only, not the answer's checks.
                record_callback(label, outcome, elapsed or time.perf_counter() - began)
                logger.info("masking %s %s failed: %s", request.call_id, label, reason)
                failures.append(f"{label}: {reason}")
                continue
            record_callback(label, "ok", elapsed)
            return instruction, path, "; ".join([*failures, note] if note else failures) or None
        return unavailable(request, "; ".join(failures))

    async def _instruction(
        self, payload: Any, request: MaskingRequest, caller: str
    ) -> tuple[Instruction, str | None]:
        answer = parse(payload)
        # A fileId must name a file this account uploaded, or the edge would play nothing.
        if (
            isinstance(answer, PlayAudioInstruction)
            and answer.file_id
            and self._audio
            and not await self._audio.exists(request.account_id, answer.file_id)
        ):
            raise InvalidAnswerError(f"audio fileId {answer.file_id} was not uploaded")
        if not isinstance(answer, DialAnswer):
            return answer, None
        requested = answer.requested_caller_id
        leased = False
        if isinstance(requested, str) and requested:
            normalised = to_e164(requested)
            if normalised is not None:
                try:
                    leased = await self._ask(
                        self._store.leased_by(normalised, request.account_id),
                        "checking leased numbers",
                        self._deadline(),
                    )
                except StoreFailedError:
                    leased = False  # unverifiable: the masked number is shown, never a spoof
        choice = choose_caller_id(
            requested,
            original_caller=caller,
            masked_number=request.number,
            leased_by_account=leased,
        )
        return answer.instruction(choice), choice.reason


def _forget(abandoned: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.info("abandoned store call failed too: %r", task.exception())

    return done


async def _until_published(publish: Callable[[], Awaitable[None]]) -> None:
    """Retry until the decision is out (jittered backoff, no limit): the record stays in flight,
    so its offset is not committed and a crash re-delivers it."""
    await retry(publish, attempts=None, wait_initial=0.1, wait_max=5.0)

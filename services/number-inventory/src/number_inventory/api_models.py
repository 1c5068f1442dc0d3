"""Request and response bodies of the public and admin HTTP APIs (Infobip's shapes)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from callplane_shared.events import AccountLimits
from callplane_shared.mongo import Document
from callplane_shared.voice import VoiceAction
from callplane_shared.wire import WireModel
from number_inventory.accounts import CONVERSATIONS_QUEUE
from number_inventory.caller_ids import available
from number_inventory.domain.money import to_units
from number_inventory.domain.pool import (
    Capability,
    NumberType,
    country_name,
    display_number,
)
from number_inventory.payments import PaymentStatus
from number_inventory.voice_setups import VoiceSetups


class NumberPrice(WireModel):
    price_per_month: float
    setup_price: float
    initial_month_price: float
    currency: str


class EditPermissions(WireModel):
    can_edit_number: bool = True
    can_edit_configuration: bool = True


class VoiceSetup(WireModel):
    application_id: str | None = None
    entity_id: str | None = None
    action: VoiceAction


class NumberResponse(WireModel):
    number_key: str
    number: str = Field(
        description="International digits without '+', as Infobip writes them.",
        examples=["41793026731"],
    )
    country: str
    country_name: str
    type: NumberType
    capabilities: list[Capability]
    shared: bool = False
    price: NumberPrice
    network: str | None = None
    keywords: list[str] = Field(default_factory=list)
    voice_setup: VoiceSetup | None = Field(
        default=None, description="The number's inbound voice action; null means No Action."
    )
    conversations_caller_id: bool = Field(
        default=False,
        description=(
            "Whether Conversations agents may use this number as caller ID for outbound calls: "
            "true while its voice action is VOICE_FORWARD_TO_CONVERSATIONS."
        ),
    )
    reservation_status: str | None = None
    additional_setup_required: bool = False
    edit_permissions: EditPermissions = Field(default_factory=EditPermissions)
    note: str | None = None
    application_id: str | None = None
    entity_id: str | None = None
    rental_status: Literal["CURRENT", "OVERDUE"] | None = Field(
        default=None,
        description=(
            "Ours: the monthly rental of a leased number. OVERDUE: the period starting at "
            "`nextRentalAt` could not be paid; the number is released at `rentalReleaseAt` unless "
            "the balance covers it first. Null for numbers not leased."
        ),
    )
    next_rental_at: datetime | None = Field(
        default=None, description="Ours: when the next (or the unpaid) period starts."
    )
    rental_release_at: datetime | None = Field(
        default=None, description="Ours: when an OVERDUE number is released."
    )


class CallerIdResponse(WireModel):
    """A number Conversations agents may present as caller ID, and the queue it hands calls to."""

    number_key: str
    number: str = Field(examples=["41793026731"])
    conversations_caller_id: bool = True
    queue_id: str = Field(examples=["default", "support"])


class NumbersResponse(WireModel):
    numbers: list[NumberResponse]
    number_count: int


class PurchaseNumberRequest(WireModel):
    number_key: str | None = Field(default=None, max_length=64)
    number: str | None = Field(
        default=None, max_length=32, description="With or without '+'; E.164 digits."
    )
    application_id: str | None = Field(default=None, max_length=255)
    entity_id: str | None = Field(default=None, max_length=255)


class UpdateOwnedNumberRequest(WireModel):
    application_id: str = Field(min_length=1, max_length=255)
    entity_id: str | None = Field(default=None, max_length=255)


class BalanceResponse(WireModel):
    balance: float
    currency: str


class PaymentRequest(WireModel):
    amount: Decimal = Field(
        gt=0,
        le=1_000_000,
        max_digits=12,
        decimal_places=2,
        description="Currency units, at most two decimals; credited once the payment settles.",
    )


class PaymentResponse(WireModel):
    payment_id: str = Field(description="32 hex digits; the payment system settles by it.")
    account_id: str
    amount: float
    currency: str
    status: PaymentStatus
    reason: str | None = Field(default=None, description="Why it failed or was refunded.")
    provider_reference: str | None = None
    created_at: datetime
    updated_at: datetime


class PaymentsResponse(WireModel):
    payments: list[PaymentResponse]
    payment_count: int


class SettlePaymentRequest(WireModel):
    provider_reference: str | None = Field(
        default=None, max_length=255, description="The payment system's id, for audits."
    )


class FailPaymentRequest(WireModel):
    reason: str = Field(min_length=1, max_length=500, examples=["card declined"])


class CreateAccountRequest(WireModel):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    balance: Decimal = Field(
        default=Decimal(0), ge=0, le=1_000_000, max_digits=12, decimal_places=2
    )


class AccountResponse(WireModel):
    account_id: str
    name: str
    currency: str
    balance: float
    status: str
    api_key_ids: list[str]
    limits: AccountLimits = Field(default_factory=AccountLimits)
    conversations_queue_id: str | None = Field(
        default=None,
        description="The account's default Conversations queue; null: the platform's default.",
        examples=["support"],
    )


class ApiKeyResponse(WireModel):
    account_id: str
    key_id: str
    api_key: str = Field(description="Shown once; only its SHA-256 is stored.")


class ImportResponse(WireModel):
    imported: list[dict[str, str]]
    existing: list[str]
    errors: list[str]


def number_response(doc: Document, voice: VoiceSetups) -> NumberResponse:
    setup = voice.for_number(doc["number"], doc["_id"], doc.get("accountId") or "")
    return NumberResponse(
        number_key=doc["_id"],
        number=display_number(doc["number"]),
        country=doc["country"],
        country_name=doc.get("countryName") or country_name(doc["country"]),
        type=NumberType(doc["type"]),
        capabilities=[Capability(c) for c in doc["capabilities"]],
        price=NumberPrice(
            price_per_month=to_units(doc["pricePerMonth"]),
            setup_price=to_units(doc["setupPrice"]),
            initial_month_price=to_units(doc["initialMonthPrice"]),
            currency=doc["currency"],
        ),
        network=doc.get("network"),
        note=doc.get("note"),
        application_id=doc.get("applicationId"),
        entity_id=doc.get("entityId"),
        voice_setup=(
            VoiceSetup(
                application_id=setup.application_id,
                entity_id=setup.entity_id,
                action=setup.action,
            )
            if setup is not None and setup.action is not None
            else None
        ),
        conversations_caller_id=available(setup),
        **_rental_fields(doc),
    )


def _rental_fields(doc: Document) -> dict[str, Any]:
    if doc.get("leaseState") != "LEASED":
        return {}
    rental = doc.get("rental")
    if rental is None or rental.get("leasedAt") != doc.get("leasedAt"):
        # The rental pass has not seen this lease yet: the first month is paid (at purchase).
        return {"rental_status": "CURRENT"}
    return {
        "rental_status": rental["status"],
        "next_rental_at": rental["dueAt"],
        "rental_release_at": rental.get("releaseAt"),
    }


def account_response(doc: Document, balance: int) -> AccountResponse:
    return AccountResponse(
        account_id=doc["_id"],
        name=doc["name"],
        currency=doc["currency"],
        balance=to_units(balance),
        status=doc["status"],
        api_key_ids=[k["keyId"] for k in doc.get("apiKeys", [])],
        limits=AccountLimits.model_validate(doc.get("limits") or {}),
        conversations_queue_id=doc.get(CONVERSATIONS_QUEUE),
    )


def payment_response(doc: Document) -> PaymentResponse:
    return PaymentResponse(
        payment_id=doc["_id"],
        account_id=doc["accountId"],
        amount=to_units(doc["amount"]),
        currency=doc["currency"],
        status=PaymentStatus(doc["status"]),
        reason=doc.get("reason"),
        provider_reference=doc.get("providerReference"),
        created_at=doc["createdAt"],
        updated_at=doc["updatedAt"],
    )

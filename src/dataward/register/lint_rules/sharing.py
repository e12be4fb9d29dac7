"""Lint rules on recipients and transfers outside the UK."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.models import Recipient, Register, Transfer, Unspecified
from dataward.register.models.sharing import in_uk as _is_uk


def _declares(transfer: Transfer, recipient: Recipient, place: str) -> bool:
    if recipient.id in transfer.recipients:
        return True
    # A transfer that names no recipient covers any recipient in its destinations.
    destinations = {d.strip().lower() for d in transfer.destinations}
    return not transfer.recipients and (
        place.strip().lower() in destinations or "unknown" in destinations
    )


# RULES: NTC-01, ROP-01 (transfers and their safeguards)
@rule("DW012", "error", "Transfer without a safeguard", "NTC-01, ROP-01")
def transfer_without_safeguard(register: Register) -> Iterator[Hit]:
    for i, transfer in enumerate(register.transfers.items):
        if transfer.safeguard is None or transfer.safeguard == "unspecified":
            yield Hit(
                ("transfers", "items", i, "safeguard"),
                f"transfer {transfer.id!r} states no safeguard: record adequacy, the IDTA, "
                "the Addendum or the Art 49 derogation it relies on",
            )


# RULES: NTC-01
@rule("DW013", "error", "Recipient located outside the UK without a declared transfer", "NTC-01")
def recipient_abroad_without_transfer(register: Register) -> Iterator[Hit]:
    transfers = register.transfers.items
    for i, recipient in enumerate(register.recipients):
        if isinstance(recipient.located_in, Unspecified):
            continue  # a stated gap: DW900 reports it
        for k, place in enumerate(recipient.located_in):
            if _is_uk(place):
                continue
            if any(_declares(t, recipient, place) for t in transfers):
                continue
            yield Hit(
                ("recipients", i, "located_in", k),
                f"recipient {recipient.id!r} is located in {place!r} but no transfer declares "
                "it: add a transfers item naming the recipient and its safeguard",
            )


# RULES: ROP-01 (link to contract with processor)
@rule(
    "DW028",
    "error",
    "Processor recipient without a contract reference or processor checks",
    "ROP-01",
)
def processor_without_contract(register: Register) -> Iterator[Hit]:
    if register.security.processor_checks:
        return
    for i, recipient in enumerate(register.recipients):
        if recipient.role == "processor" and recipient.contract_reference is None:
            yield Hit(
                ("recipients", i, "contract_reference"),
                f"processor {recipient.id!r} has no contract reference and the register does "
                "not declare processor checks: record the processing contract",
            )

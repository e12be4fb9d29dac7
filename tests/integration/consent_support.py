"""Helpers for consent tests: the shop register loaded, subjects added."""

from __future__ import annotations

from pathlib import Path

from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

SHOP = "corner_shop"
SHOP_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "consent" / "registers" / "shop.yaml"


def load_shop(uow: UnitOfWork, text: str | None = None) -> None:
    source = text if text is not None else SHOP_FILE.read_text(encoding="utf-8")
    store_register(uow, parse_register(source, str(SHOP_FILE)), actor="test")


def customer(uow: UnitOfWork, email: str = "ann@example.com", phone: str | None = None) -> str:
    identities = [("email", email)]
    if phone:
        identities.append(("phone", phone))
    return add_subject(uow, SHOP, ["customers"], identities, actor="test").ref

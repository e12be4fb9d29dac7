"""Registers that differ from a base by one edit, for diff and version tests (NTC-03)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from dataward.register.loader import LoadedRegister, parse_register

BASE_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "minimal.yaml"
BASE: dict[str, Any] = yaml.safe_load(BASE_FILE.read_text(encoding="utf-8"))

Edit = Callable[[dict[str, Any]], None]


def variant_text(*edits: Edit) -> str:
    doc = copy.deepcopy(BASE)
    for edit in edits:
        edit(doc)
    return yaml.safe_dump(doc, sort_keys=False)


def variant(*edits: Edit, file: str = "acme.yaml") -> LoadedRegister:
    return parse_register(variant_text(*edits), file)


def add_purpose(doc: dict[str, Any]) -> None:
    doc["purposes"].append(
        {
            "id": "profiling",
            "name": "Profiling for offers",
            "subject_groups": ["customers"],
            "categories": ["contact"],
            "bases": [{"basis": "legitimate_interests", "legitimate_interest": "Offers"}],
        }
    )


def add_recipient(doc: dict[str, Any]) -> None:
    doc.setdefault("recipients", []).append(
        {"id": "mailer", "name": "Mail house", "role": "processor", "subject_groups": ["customers"]}
    )


def add_transfer(doc: dict[str, Any]) -> None:
    doc["transfers"]["items"] = [
        {
            "id": "us_crm",
            "description": "CRM in the USA",
            "destinations": ["USA"],
            "categories": ["contact"],
            "safeguard": "idta",
        }
    ]


def longer_retention(doc: dict[str, Any]) -> None:
    doc["retention_rules"][0]["offset"] = {"days": 30}


def shorter_retention(doc: dict[str, Any]) -> None:
    doc["retention_rules"][0]["offset"] = {"days": 1}


def add_category(doc: dict[str, Any]) -> None:
    doc["data_categories"].append(
        {
            "id": "health",
            "name": "Health notes",
            "subject_groups": ["customers"],
            "special_category": "health",
        }
    )


def add_source(doc: dict[str, Any]) -> None:
    doc["sources"] = [
        {
            "id": "agency",
            "name": "Credit reference agency",
            "type": "third_party",
            "subject_groups": ["customers"],
            "categories": ["contact"],
        }
    ]


def change_basis(doc: dict[str, Any]) -> None:
    doc["purposes"][0]["bases"] = [{"basis": "consent"}]


def reword(doc: dict[str, Any]) -> None:
    doc["controller"]["description"] = "Sells things and repairs them."


def other_organisation(doc: dict[str, Any]) -> None:
    doc["organisation"] = "globex"

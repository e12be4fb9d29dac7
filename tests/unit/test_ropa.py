"""The record of processing export (RULES: ROP-01, ROP-02)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from dataward.errors import ExportError
from dataward.register.exports.ropa import ROPA_HEADERS, ropa_rows, write_ropa
from dataward.register.loader import load_register
from dataward.register.models import Register

FULL = Path(__file__).resolve().parents[1] / "fixtures" / "notice" / "full.yaml"

# RULES: ROP-02, the ICO controller template columns, in order, as RULES.md lists them.
ICO_COLUMNS = [
    "Business function",
    "Purpose of processing",
    "Name and contact details of joint controller",
    "Categories of individuals",
    "Categories of personal data",
    "Categories of recipients",
    "Link to contract with processor",
    "Names of third countries or international organisations that personal data are transferred to",
    "Safeguards for exceptional transfers",
    "Retention schedule",
    "General description of technical and organisational security measures",
    "Article 6 lawful basis",
    "Article 9 basis for special category data",
    "Legitimate interests for the processing",
    "Link to record of legitimate interests assessment",
    "Rights available to individuals",
    "Existence of automated decision-making, including profiling",
    "Source of the personal data",
    "Link to record of consent",
    "Location of personal data",
    "DPIA required",
    "DPIA progress",
    "Link to DPIA",
    "Personal data breach",
    "Link to record of personal data breach",
    "DPA 2018 Schedule 1 condition",
    "Link to appropriate policy document",
    "Retention and erasure in line with the policy document (if not, why)",
]


@cache
def register() -> Register:
    return load_register(FULL).register


@pytest.fixture
def workbook(tmp_path: Path) -> Any:
    path = tmp_path / "ropa.xlsx"
    write_ropa(register(), path)
    return load_workbook(path)


def row_for(workbook: Any, purpose_name: str) -> dict[str, str]:
    sheet = workbook["Processing activities"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        record = dict(zip(headers, row, strict=True))
        if str(record["Purpose of processing"]).startswith(purpose_name):
            return record
    raise AssertionError(f"no row for {purpose_name}")


def test_it_writes_the_ico_headers_in_order(workbook: Any) -> None:
    # ROP-02
    assert list(ROPA_HEADERS) == ICO_COLUMNS
    sheet = workbook["Processing activities"]
    assert [c.value for c in sheet[1]] == ICO_COLUMNS


def test_it_writes_one_row_per_purpose(workbook: Any) -> None:
    # ROP-01: each purpose is a processing activity.
    sheet = workbook["Processing activities"]
    assert sheet.max_row == 1 + len(register().purposes)
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [str(n).split(":")[0] for n in names] == [p.name for p in register().purposes]
    assert len(ropa_rows(register())) == len(register().purposes)


def test_it_fills_the_cells_of_a_purpose_with_two_bases(workbook: Any) -> None:
    row = row_for(workbook, "Managing your tenancy")
    assert row["Business function"] == "Tenants"
    assert (
        row["Purpose of processing"]
        == "Managing your tenancy: Collecting rent and arranging repairs."
    )
    assert row["Categories of personal data"] == "Identity details\nContact details"
    assert row["Article 6 lawful basis"] == (
        "Contract (covers: Rent collection and repairs)\n"
        "Legitimate interests (covers: Checking tenancy fraud)"
    )
    assert row["Legitimate interests for the processing"] == "Preventing fraud"
    assert row["Link to record of legitimate interests assessment"] == "LIA-2023-04"
    assert row["Categories of recipients"] == "Repairs contractors: Processor"
    assert row["Link to contract with processor"] == "Repairs contractors: CON-2022-17"
    assert row["Retention schedule"] == (
        "Tenancy records: 6 years after the end of the year in which the starting event "
        "happens (starting event: tenancy ended); then deleted; kept longer while: "
        "Rent arrears outstanding, Legal proceedings\n"
        "Photos: up to 3 years; when the period starts is not stated: the notice does not "
        "say when the period starts; then deleted"
    )
    assert row["Location of personal data"] == "Housing management system (OpenHousing, UK)"
    # The register does not say the purpose uses no special category data: the cell says
    # what the register shows rather than "Not applicable".
    assert row["Article 9 basis for special category data"] == (
        "Not stated: no category this purpose uses is marked special category data"
    )
    assert row["DPIA required"] == "Not recorded in the register"
    assert row["Link to DPIA"] == "Not recorded in the register"
    assert (
        "Technical: Data is encrypted in transit and at rest."
        in row["General description of technical and organisational security measures"]
    )


def test_it_records_special_category_conditions_and_unspecified_values(workbook: Any) -> None:
    # ROP-01 with LAW-03: Art 9 basis, Sch 1 condition and appropriate policy document.
    row = row_for(workbook, "Assessing your application")
    assert row["Article 6 lawful basis"] == (
        "Not stated: the notice does not tie a basis to this purpose"
    )
    assert row["Article 9 basis for special category data"] == (
        "Health and disability: Substantial public interest\n"
        "Unspent convictions: Official authority"
    )
    assert row["DPA 2018 Schedule 1 condition"] == (
        "Part 2, paragraph 18: Safeguarding of children and individuals at risk"
    )
    assert row["Link to appropriate policy document"] == (
        "https://acme-lettings.example/apd\nNot stated: not referenced in the notice"
    )
    assert row["Existence of automated decision-making, including profiling"] == (
        "Affordability check: Scores whether the rent is affordable."
    )
    assert (
        row["Source of the personal data"]
        == "You (from you)\nCredit reference agencies (third party)"
    )


def test_it_records_transfers_and_consent(workbook: Any) -> None:
    row = row_for(workbook, "Sending our newsletter")
    assert row[ICO_COLUMNS[7]] == "United States"
    assert row["Safeguards for exceptional transfers"] == (
        "United States: International data transfer agreement (IDTA) (IDTA signed 1 March 2023)"
    )
    assert row["Link to record of consent"] == "Newsletter sign-up form"
    assert row["Categories of recipients"] == "Email service (Mailsend Inc): Processor"


def test_it_writes_the_controller_sheet(workbook: Any) -> None:
    # ROP-01: name and contact details of the controller and the DPO.
    sheet = workbook["Controller"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Name"] == "Acme Lettings"
    assert values["ICO registration number"] == "Z9876543"
    assert (
        values["Data protection officer"] == "Priya Shah, Data Protection Officer, Acme Group plc"
    )
    assert "Email: dpo@acme-lettings.example" in values["DPO contact details"]
    assert "Email: privacy@acme-lettings.example" in values["Contact details"]


def test_it_styles_the_header_row(workbook: Any) -> None:
    sheet = workbook["Processing activities"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["A2"].alignment.wrap_text
    assert sheet.column_dimensions["B"].width == 50


def test_it_raises_export_error_when_the_folder_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot write the record of processing"):
        write_ropa(register(), tmp_path / "missing" / "ropa.xlsx")


def test_it_raises_export_error_when_the_path_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ExportError) as caught:
        write_ropa(register(), tmp_path)
    assert caught.value.code == "export_failed"

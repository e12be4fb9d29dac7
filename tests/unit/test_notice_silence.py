"""Silence is a value: the notice says only what the register states (issue 13).

A published notice is a legal statement. Each test here is one thing a register author saw
the notice say that their notice never said, rendered from a default; each shows that it
cannot happen now, and that the same words do appear once the register states them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.notice.diff import diff_registers
from dataward.notice.markdown import render_markdown
from dataward.notice.render import render_html
from dataward.register.lint import lint
from dataward.register.models import Register

HEAD: dict[str, Any] = {
    "dataward": 1,
    "organisation": "tiny_org",
    "controller": {"name": "Tiny Org", "legal_name": "Tiny Org Ltd"},
}
GROUP = {"id": "tenants", "name": "Tenants"}
PURPOSE = {"id": "tenancy", "name": "Run the tenancy", "subject_groups": ["tenants"]}

# Words the notice of a register that states nothing must never contain: commitments,
# denials and locations that only a default could have put there.
CLAIMS = [
    "one month",
    "more month",
    "normally free",
    "charge a fee",
    "manifestly unfounded",
    "clarify",
    "other legal rights",
    "remedies",
    "located in",
    "location",
    "when we share",
    "always",
    "we do not",
    "we have not",
    "appointed",
    "data protection officer",
    "not appointed",
    "anonymised",
    "deleted",
    "destroyed",
    "immediately",
    "kept longer",
    "also kept",
    "restrict its use",
    "included unless",
    "optional",
    "strictly necessary",
    "anyone else",
    "72",
    "in place",
    "everyone",
    "england",
    "company",
    "whoever you are",
]


def register(**sections: Any) -> Register:
    data = copy.deepcopy(HEAD)
    for key, value in sections.items():
        if key == "controller":
            data["controller"].update(value)
        else:
            data[key] = value
    return Register.model_validate(data)


def text_of(reg: Register) -> str:
    soup = BeautifulSoup(render_html(reg), "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" ")).strip()


def rows_of(reg: Register) -> dict[str, str]:
    """Every labelled row of the notice: label -> value (the last one of a label wins)."""
    soup = BeautifulSoup(render_html(reg), "html.parser")
    out = {}
    for detail in soup.select("div.detail"):
        dt, dd = detail.find("dt"), detail.find("dd")
        if isinstance(dt, Tag) and isinstance(dd, Tag):
            out[dt.get_text(" ", strip=True)] = re.sub(r"\s+", " ", dd.get_text(" ")).strip()
    return out


# -- the smallest register ---------------------------------------------------------------


def test_it_checks_a_register_of_only_the_keys_it_cannot_do_without(tmp_path: Any) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "dataward: 1\norganisation: tiny_org\n"
        "controller:\n  name: Tiny Org\n  legal_name: Tiny Org Ltd\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["register", "check", str(path)])
    # Lint findings are allowed (the notice is silent where the law wants words), never a
    # load error: exit 1, not 2.
    assert result.exit_code == 1, result.output
    assert f"{path}: valid;" in result.output
    assert "DW040" in result.output  # the nation (SAR-03)


@pytest.mark.parametrize("form", ["html", "markdown"])
def test_it_makes_no_claim_in_the_notice_of_a_register_that_states_nothing(form: str) -> None:
    reg = register()
    text = text_of(reg) if form == "html" else render_markdown(reg)
    found = [c for c in CLAIMS if c in text.lower()]
    assert not found, f"claims from silence: {found}\n{text}"
    assert "Tiny Org Ltd" in text


def test_it_says_in_each_section_only_the_controller_or_that_nothing_is_stated() -> None:
    soup = BeautifulSoup(render_html(register()), "html.parser")
    sections = soup.select("main > section")
    assert [s["id"] for s in sections] == [
        "about-us",
        "how-we-use",
        "sharing",
        "transfers",
        "automated-decisions",
        "retention",
        "your-rights",
        "complaints",
    ]
    for section in sections:
        heading = section.find("h2")
        assert isinstance(heading, Tag)
        heading.extract()
        body = re.sub(r"\s+", " ", section.get_text(" ")).strip()
        if section["id"] == "about-us":
            assert body == "Tiny Org Legal name Tiny Org Ltd"
        else:
            assert body == "Not stated in this notice.", section["id"]


# -- defaults rendered as commitments ------------------------------------------------------


def test_it_promises_no_response_time_the_register_does_not_state() -> None:
    # RULES: SAR-01, SAR-04
    silent = text_of(register(rights={"items": [{"right": "access"}]}))
    assert "one month" not in silent
    assert "more month" not in silent
    # An extension stated without the month itself promises no month either.
    partly = text_of(register(rights={"response": {"extension_months": 2}}))
    assert "one month" not in partly
    assert "we may take up to 2 more months." in partly
    stated = text_of(
        register(rights={"response": {"months": 1, "extension_months": 2}, "items": []})
    )
    assert "We reply within one month of receiving your request." in stated
    assert "we may take up to 2 more months." in stated
    # Telling the subject of an extension is said only where the register says it.
    assert "tell you within the first month" not in stated


def test_it_says_nothing_of_fees_the_register_does_not_state() -> None:
    # RULES: SAR-08
    silent = text_of(register(rights={"fees": {"note": "Ask us about costs."}}))
    assert "Normally free" not in silent
    assert "manifestly unfounded" not in silent
    assert "Ask us about costs." in silent
    stated = text_of(register(rights={"fees": {"normally": "free"}}))
    assert "Normally free." in stated


def test_it_does_not_say_we_may_ask_you_to_clarify_unless_the_register_does() -> None:
    # RULES: SAR-06
    assert "clarify" not in text_of(register(rights={"statement": "You have rights."}))
    rows = rows_of(register(rights={"may_ask_for_clarification": True}))
    assert rows["We may ask you to clarify your request"] == "Yes"


def test_it_does_not_say_complaining_leaves_other_rights_alone_unless_stated() -> None:
    # RULES: NTC-01
    route = {"ico_url": "https://ico.org.uk/make-a-complaint/"}
    assert "other legal rights" not in text_of(register(rights={"complaints": route}))
    stated = {**route, "other_remedies_unaffected": True}
    assert "other legal rights and remedies" in text_of(register(rights={"complaints": stated}))


def test_it_gives_no_location_the_register_does_not_give() -> None:
    # RULES: NTC-01 (a software vendor whose location the notice never gives)
    vendor = {"id": "vendor", "name": "Software vendor", "subject_groups": ["tenants"]}
    crm = {"id": "crm", "name": "CRM", "entity": "tenancy", "subject_groups": ["tenants"]}
    silent = register(subject_groups=[GROUP], recipients=[vendor], datasets=[crm])
    rows = rows_of(silent)
    assert "Located in" not in rows
    assert "Location" not in rows
    assert " UK" not in text_of(silent).replace("outside the UK", "")
    unknown = {"unspecified": "the notice does not say where the vendor is"}
    stated = rows_of(
        register(
            subject_groups=[GROUP],
            recipients=[{**vendor, "located_in": unknown}],
            datasets=[{**crm, "location": "Ireland"}],
        )
    )
    assert stated["Located in"] == (
        "Not stated in this notice: the notice does not say where the vendor is"
    )
    assert stated["Location"] == "Ireland"


def test_it_says_when_we_share_only_as_the_register_says() -> None:
    # RULES: NTC-01 (a recipient the notice says *may* receive data)
    vendor = {"id": "vendor", "name": "Software vendor", "subject_groups": ["tenants"]}
    assert "When we share" not in rows_of(register(subject_groups=[GROUP], recipients=[vendor]))
    may = register(subject_groups=[GROUP], recipients=[{**vendor, "condition": "may"}])
    assert rows_of(may)["When we share"] == "We may share it"
    always = register(subject_groups=[GROUP], recipients=[{**vendor, "condition": "always"}])
    assert rows_of(always)["When we share"] == "Always"


# -- absent values rendered as denials -------------------------------------------------


def test_it_denies_no_special_category_data_from_silence() -> None:
    # RULES: LAW-03, LAW-04
    contact = {"id": "contact", "name": "Contact details"}
    silent = text_of(register(data_categories=[contact]))
    assert "special category" not in silent.lower()
    assert "criminal" not in silent.lower()
    left_open = {**contact, "criminal_offence": {"unspecified": "the notice does not say"}}
    stated = rows_of(register(data_categories=[left_open]))
    assert stated["Criminal offence information"] == (
        "Not stated in this notice: the notice does not say"
    )
    none = rows_of(register(data_categories=[{**contact, "criminal_offence": False}]))
    assert none["Criminal offence information"] == "No"


def test_it_denies_no_dpo_from_silence() -> None:
    # RULES: NTC-01
    contact = {"contacts": [{"kind": "email", "value": "privacy@tiny.example"}]}
    silent = text_of(register(dpo=contact))
    assert "appointed" not in silent
    assert "data protection officer" not in silent.lower()
    assert "Data protection contact" in silent
    assert "privacy@tiny.example" in silent
    assert "We have not appointed a data protection officer." in text_of(
        register(dpo={**contact, "appointed": False})
    )


@pytest.mark.parametrize(
    ("section", "value", "label"),
    [
        (
            "marketing",
            {"shares_for_third_party_marketing": False},
            "We share information for other organisations' marketing",
        ),
        ("marketing", {"profiling_for_marketing": False}, "We profile for marketing"),
        ("notice", {"signposted_in_communications": False}, "Signposted in our communications"),
        (
            "transfers",
            {"policy": {"safeguards_always_before_transfer": False}},
            "Safeguards are always in place before a transfer",
        ),
        ("automated_decisions", {"in_use": False}, "We make such decisions"),
        ("automated_decisions", {"notify_before_starting": False}, "We tell you before we start"),
    ],
)
def test_it_says_no_only_where_the_register_says_no(
    section: str, value: dict[str, Any], label: str
) -> None:
    # RULES: NTC-01 (marketing for others, profiling, signposting, safeguards, ADM)
    assert label not in rows_of(register())
    assert rows_of(register(**{section: value}))[label] == "No"


# -- a notice that contradicts itself, and values the author had to invent ----------------


def test_it_keeps_the_summary_from_saying_we_share_with_no_one_from_silence() -> None:
    # RULES: NTC-01 (the first layer must not contradict the section under it)
    def summary(reg: Register) -> str:
        soup = BeautifulSoup(render_html(reg), "html.parser")
        layer = soup.select_one("[data-layer-group=tenants]")
        assert isinstance(layer, Tag)
        facts = {
            dt.get_text(strip=True): dd.get_text(" ", strip=True)
            for dt, dd in zip(layer.select("dt"), layer.select("dd"), strict=True)
        }
        return facts["Who we share it with"]

    vendor = {"id": "vendor", "name": "Software vendor", "subject_groups": ["tenants"]}
    nobody = {"id": "nobody", "name": "No one", "role": "none", "subject_groups": ["tenants"]}
    assert summary(register(subject_groups=[GROUP])) == "Not stated in this notice"
    assert summary(register(subject_groups=[GROUP], recipients=[vendor])) == "Software vendor"
    assert summary(register(subject_groups=[GROUP], recipients=[nobody])) == (
        "We do not share it with anyone else"
    )


def test_it_shows_a_preference_default_only_where_the_register_states_one() -> None:
    # RULES: NTC-01 ("included unless you opt out" beside "Optional: No")
    surveys = {"id": "surveys", "name": "Surveys", "optional": False}
    rows = rows_of(register(preferences=[surveys]))
    assert rows["Optional"] == "No"
    assert "Default" not in rows
    contradiction = register(preferences=[{**surveys, "default": "opted_in"}])
    assert [f.path for f in lint(contradiction) if f.rule_id == "DW051"] == [
        ("preferences", 0, "optional")
    ]


def test_it_needs_no_invented_retention_action_period_or_hold_note() -> None:
    # RULES: RET-01, RET-02
    rule = {"id": "files", "name": "Tenancy files", "subject_groups": ["tenants"]}
    hold = {"id": "debt", "name": "Debt outstanding", "on": "tenancy"}
    reg = register(
        subject_groups=[GROUP], retention_rules=[{**rule, "holds": ["debt"]}], holds=[hold]
    )
    text = text_of(reg)
    for invented in ("Anonymised or destroyed", "immediately", "Also kept, unused", "When it ends"):
        assert invented not in text
    assert "Restricting its use does not delay deletion" not in text
    assert [f.path for f in lint(reg) if f.rule_id == "DW046"] == [("retention_rules", 0, "action")]
    kept = register(
        subject_groups=[GROUP],
        retention_rules=[{**rule, "action": "anonymise_or_destroy", "restriction_is_hold": True}],
    )
    assert "Anonymised or destroyed" in text_of(kept)
    assert "Also kept, unused, while you have asked us to restrict its use." in text_of(kept)


def test_it_compares_a_silent_part_of_the_notice_with_a_stated_one() -> None:
    # RULES: NTC-03 (stating a transfer position where the notice was silent is significant)
    unknown = {"policy": {"outside_uk": {"unspecified": "the notice does not say"}}}
    silent, stated = register(), register(transfers=unknown)
    diff = diff_registers(silent, stated)
    assert [(c.action, c.item, c.reasons) for c in diff.changes] == [
        ("added", "Our approach to transfers", ("new_transfer",))
    ]
    assert [c.action for c in diff_registers(stated, silent).changes] == ["removed"]
    vendor = {"id": "vendor", "name": "Software vendor", "subject_groups": ["tenants"]}
    before = register(subject_groups=[GROUP], recipients=[vendor])
    after = register(subject_groups=[GROUP], recipients=[{**vendor, "condition": "may"}])
    [change] = diff_registers(before, after).changes
    assert change.details == ("Condition: silent → “may”",)

"""The register treats silence as a value: no default speaks, and every reader of the
register (linter, clocks, exports) sees the silence rather than a guess (issue 13)."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
from lint_fixtures import build, drop, put
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from dataward.calendar import Nation
from dataward.register.elements import says_anything
from dataward.register.errors import NationMissing
from dataward.register.exports.dpv import to_dpv
from dataward.register.exports.ropa import NOT_RECORDED, controller_rows, ropa_rows
from dataward.register.lint import lint
from dataward.register.models import Register
from dataward.register.nation import register_nation

# The fields a register cannot mean anything without, and those an element cannot: a
# required field is one of these, never a value an author must invent (issue 13).
REQUIRED = {
    "Register": {"dataward", "organisation", "controller"},
    "Controller": {"name", "legal_name"},
    "Address": {"lines"},
    "RelatedOrganisation": {"name"},
    "Contact": {"kind", "value"},
    "Unspecified": {"unspecified"},
    "NoticeVersion": {"id"},
    "SubjectGroup": {"id", "name"},
    "DataCategory": {"id", "name"},
    "Source": {"id", "name"},
    "BasisUse": {"basis"},
    "Schedule1Condition": {"part", "paragraph", "name"},
    "SpecialCondition": {"categories", "condition"},
    "ProvisionRequirement": {"requirement"},
    "Purpose": {"id", "name", "subject_groups"},
    "PurposePolicy": {"id", "statement", "applies_to"},
    "Recipient": {"id", "name", "subject_groups"},
    "SharingPolicy": {"id", "statement", "rule"},
    "Transfer": {"id", "destinations"},
    "MarketingChannel": {"id", "channel"},
    "Preference": {"id", "name"},
    "CookieCategory": {"id", "name", "consent_required"},
    "Cookie": {"name", "category"},
    "AutomatedDecision": {"id", "name"},
    "Statement": {"id", "topic", "text"},
    "RightSetting": {"right"},
    "Exemption": {"name"},
    "ComplaintRoute": {"ico_url"},
    "InformationRequestPolicy": {"statement"},
    "Dataset": {"id", "name", "entity"},
    "Event": {"id", "name", "entity"},
    "Hold": {"id", "name", "on"},
    "Trigger": {"any_of"},
    "RetentionRule": {"id", "name"},
    "ChangePromise": {"channels"},
    "DurationException": {"when", "lasts"},
    "ImpliedBasis": {"implied_by"},
    "ChoicePlace": {"where"},
    "KeptWhile": {"state"},
    "RetentionPolicy": {"statement"},
    "RestartAfter": {"restart_after"},
    "RestartRule": {"restart_rule"},
    "SecurityMeasure": {"id", "description"},
    "LintCommitment": {"id", "lint_rule", "statement"},
}


def models_of(
    model: type[BaseModel], seen: set[type[BaseModel]] | None = None
) -> Iterator[type[BaseModel]]:
    """Every pydantic model reachable from ``model``'s fields, each once."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    yield model
    for info in model.model_fields.values():
        for inner in _types(info.annotation):
            yield from models_of(inner, seen)


def _types(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _types(arg)


MODELS = list(models_of(Register))


def test_it_walks_every_model_of_the_register() -> None:
    names = {m.__name__ for m in MODELS}
    assert {"Register", "Controller", "ResponseCommitment", "FeePolicy", "Offset"} <= names
    assert len(MODELS) >= 45


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_it_has_no_default_that_could_render_as_a_statement(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        if info.is_required():
            continue
        if info.default_factory is not None:
            made = info.default_factory()  # type: ignore[call-arg]
            # An empty list, or a section whose every field is silent.
            assert made == [] or (isinstance(made, BaseModel) and not says_anything(made)), (
                f"{model.__name__}.{name} defaults to {made!r}"
            )
        else:
            assert info.default is None, f"{model.__name__}.{name} defaults to {info.default!r}"
        assert info.default is None or info.default is PydanticUndefined


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_it_requires_only_what_a_register_cannot_mean_anything_without(
    model: type[BaseModel],
) -> None:
    required = {name for name, info in model.model_fields.items() if info.is_required()}
    assert required == REQUIRED.get(model.__name__, set())


# -- the nation every clock needs (SAR-03) -----------------------------------------------


def test_it_gives_the_clocks_the_nation_the_register_states() -> None:
    assert register_nation(build(put(("controller", "nation"), "SCT"))) is Nation.SCT


def test_it_refuses_every_clock_a_register_without_a_nation() -> None:
    # RULES: SAR-03 (never assume England's bank holidays)
    with pytest.raises(NationMissing) as caught:
        register_nation(build(drop(("controller", "nation"))))
    assert caught.value.code == "nation_missing"
    assert "acme_lettings" in caught.value.message
    assert caught.value.problem()["code"] == "nation_missing"


# -- rules that defaults used to silence ---------------------------------------------------


def paths(register: Register, rule_id: str) -> list[tuple[str | int, ...]]:
    return [f.path for f in lint(register) if f.rule_id == rule_id]


def test_it_asks_for_a_response_time_the_register_leaves_out() -> None:
    # RULES: SAR-01 (a default month used to silence DW021)
    assert paths(build(drop(("rights", "response"))), "DW021") == [("rights", "response")]
    months_left_out = build(put(("rights", "response"), {"extension_months": 2}))
    assert paths(months_left_out, "DW021") == [("rights", "response", "months")]
    gap = build(put(("rights", "response"), {"unspecified": "no time is given"}))
    assert paths(gap, "DW021") == [("rights", "response")]


def test_it_asks_for_an_extension_and_its_notice_the_register_leaves_out() -> None:
    # RULES: SAR-04
    no_extension = build(put(("rights", "response"), {"months": 1}))
    assert paths(no_extension, "DW021") == [("rights", "response", "extension_months")]
    untold = build(put(("rights", "response"), {"months": 1, "extension_months": 2}))
    assert paths(untold, "DW021") == [("rights", "response", "tell_subject_of_extension")]


def test_it_asks_for_a_complaint_route_the_register_leaves_out() -> None:
    # RULES: NTC-01
    assert paths(build(drop(("rights", "complaints"))), "DW020") == [("rights", "complaints")]


def test_it_asks_for_a_safeguard_a_transfer_leaves_out() -> None:
    # RULES: NTC-01, ROP-01
    transfer = {"id": "us", "destinations": ["United States"]}
    register = build(put(("transfers", "items"), [transfer]))
    assert paths(register, "DW012") == [("transfers", "items", 0, "safeguard")]


def test_it_asks_what_happens_when_a_hold_the_register_leaves_open_ends() -> None:
    # RULES: RET-02
    hold = {"id": "complaint", "name": "Open complaint", "on": "tenancy"}
    assert paths(build(put(("holds",), [hold])), "DW018") == [("holds", 0, "on_close")]


def test_it_asks_for_an_ico_number_the_register_leaves_out() -> None:
    # RULES: ROP-01
    register = build(drop(("controller", "ico_registration")))
    assert paths(register, "DW031") == [("controller", "ico_registration")]


def test_it_asks_whether_decisions_are_automated_when_the_register_does_not_say() -> None:
    # RULES: NTC-01, ADM-01
    register = build(drop(("automated_decisions",)))
    assert paths(register, "DW044") == [("automated_decisions", "in_use")]


def test_it_reads_silence_on_a_category_as_held_for_every_rule() -> None:
    # RULES: ROP-01 (silence on `collected` is not "we do not collect")
    unused = {"id": "bank", "name": "Bank details"}
    assert paths(build(put(("data_categories",), [unused])), "DW025") == [("data_categories", 0)]


# -- exports write "not recorded" for silence -------------------------------------------


def minimal() -> Register:
    return Register.model_validate(
        {
            "dataward": 1,
            "organisation": "tiny_org",
            "controller": {"name": "Tiny Org", "legal_name": "Tiny Org Ltd"},
            "subject_groups": [{"id": "tenants", "name": "Tenants"}],
            "purposes": [
                {"id": "tenancy", "name": "Run the tenancy", "subject_groups": ["tenants"]}
            ],
        }
    )


def test_it_records_silence_in_the_record_of_processing_as_not_recorded() -> None:
    # RULES: ROP-01, ROP-02
    [row] = ropa_rows(minimal())
    for column in (
        "Names of third countries or international organisations that personal data are "
        "transferred to",
        "Safeguards for exceptional transfers",
        "Existence of automated decision-making, including profiling",
        "Rights available to individuals",
    ):
        assert row[column] == NOT_RECORDED, column
    sheet = dict(controller_rows(minimal()))
    assert sheet["Data protection officer"] == NOT_RECORDED
    assert sheet["Legal form"] == NOT_RECORDED
    assert sheet["Privacy notice"] == NOT_RECORDED


def test_it_records_what_the_register_states_in_the_record_of_processing() -> None:
    stated = minimal().model_copy(
        update={
            "automated_decisions": minimal().automated_decisions.model_copy(
                update={"in_use": False}
            )
        }
    )
    [row] = ropa_rows(stated)
    assert row["Existence of automated decision-making, including profiling"] == "No"


def test_it_exports_a_silent_register_to_dpv_without_inventing_values() -> None:
    # RULES: ROP-03
    graph = to_dpv(minimal())["@graph"]
    controller = next(n for n in graph if n.get("@id") == "reg:controller")
    assert "dct:description" not in controller
    assert "dpv:hasDataProtectionOfficer" not in controller
    group = next(n for n in graph if n.get("@id") == "reg:group/tenants")
    assert "dct:description" not in group

"""Fields that silence made optional still refuse bad input, at FILE:LINE:COL with the path.

Each register below is the three keys a register needs plus one section holding one wrong
value; the problem must point at that value's key, name its path, and be the only one.
"""

from __future__ import annotations

import pytest

from dataward.errors import RegisterInvalid
from dataward.register.loader import parse_register

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"
GROUPS = "subject_groups:\n  - {id: tenants, name: Tenants}\n"

CASES = [
    # (path the problem names, the section text with the wrong value, words of the message)
    ("controller.nation", "  nation: XX\n", "'ENG'"),
    ("controller.legal_form", "  legal_form: plc\n", "got 'plc'"),
    ("controller.ico_registration", "  ico_registration: [Z1, Z2]\n", "valid string"),
    ("controller.other_names", "  other_names: Acme Trading\n", "valid list"),
    ("dpo.appointed", "dpo:\n  appointed: maybe\n", "valid boolean"),
    (
        "notice.signposted_in_communications",
        "notice:\n  signposted_in_communications: often\n",
        "valid boolean",
    ),
    ("notice.versions[0].date", "notice:\n  versions: [{id: '1', date: soon}]\n", "date"),
    (
        "recipients[0].condition",
        GROUPS
        + "recipients:\n  - {id: x, name: X, subject_groups: [tenants], condition: sometimes}\n",
        "got 'sometimes'",
    ),
    (
        "recipients[0].located_in",
        GROUPS + "recipients:\n  - {id: x, name: X, subject_groups: [tenants], located_in: UK}\n",
        "valid list",
    ),
    (
        "datasets[0].location",
        "datasets:\n  - {id: crm, name: CRM, entity: customer, location: [UK]}\n",
        "valid string",
    ),
    ("rights.response.months", "rights:\n  response: {months: 2}\n", "less than or equal to 1"),
    ("rights.response", "rights:\n  response: one month\n", "valid dictionary"),
    ("rights.fees.normally", "rights:\n  fees: {normally: gratis}\n", "got 'gratis'"),
    (
        "rights.may_ask_for_clarification",
        "rights:\n  may_ask_for_clarification: sometimes\n",
        "valid boolean",
    ),
    (
        "rights.complaints.other_remedies_unaffected",
        "rights:\n  complaints:\n    ico_url: https://ico.org.uk\n"
        "    other_remedies_unaffected: yes please\n",
        "valid boolean",
    ),
    (
        "transfers.policy.outside_uk",
        "transfers:\n  policy: {outside_uk: anywhere}\n",
        "got 'anywhere'",
    ),
    ("marketing.carried_out", "marketing:\n  carried_out: perhaps\n", "valid boolean"),
    (
        "marketing.channels[0].basis",
        "marketing:\n  channels: [{id: offers, channel: email, basis: implied}]\n",
        "got 'implied'",
    ),
    (
        "preferences[0].default",
        "preferences:\n  - {id: news, name: News, default: in}\n",
        "got 'in'",
    ),
    (
        "data_categories[0].criminal_offence",
        "data_categories:\n  - {id: c, name: C, criminal_offence: perhaps}\n",
        "valid boolean",
    ),
    (
        "data_categories[0].special_category",
        "data_categories:\n  - {id: c, name: C, special_category: medical}\n",
        "'health'",
    ),
    (
        "retention_rules[0].action",
        "retention_rules:\n  - {id: r, name: R, action: shred}\n",
        "got 'shred'",
    ),
    (
        "retention_rules[0].restriction_is_hold",
        "retention_rules:\n  - {id: r, name: R, restriction_is_hold: sometimes}\n",
        "valid boolean",
    ),
    (
        "security.breach_procedure.ico_report_hours",
        "security:\n  breach_procedure: {ico_report_hours: 96}\n",
        "less than or equal to 72",
    ),
    ("automated_decisions.in_use", "automated_decisions:\n  in_use: unknown\n", "valid boolean"),
]


@pytest.mark.parametrize(("path", "section", "says"), CASES, ids=[c[0] for c in CASES])
def test_it_points_at_a_wrong_value_of_a_field_that_may_be_silent(
    path: str, section: str, says: str
) -> None:
    text = HEAD + section
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    [problem] = caught.value.problems
    key = path.rsplit(".", 1)[-1].split("[")[0]
    line = next(i for i, row in enumerate(text.splitlines(), 1) if f"{key}:" in row)
    assert (problem.file, problem.line, problem.path) == (FILE, line, path)
    assert problem.column == text.splitlines()[line - 1].index(f"{key}:") + 1
    assert says in problem.message, problem.message


def test_it_loads_a_register_of_the_three_keys_a_register_cannot_mean_anything_without() -> None:
    register = parse_register(HEAD, FILE).register
    assert register.controller.legal_name == "Acme Ltd"
    assert register.controller.nation is None
    assert register.dpo.appointed is None
    assert register.rights.response is None


@pytest.mark.parametrize(
    "missing", ["dataward: 1\n", "organisation: acme\n", "  legal_name: Acme Ltd\n"]
)
def test_it_still_requires_the_keys_without_which_a_register_means_nothing(missing: str) -> None:
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(HEAD.replace(missing, ""), FILE)
    [problem] = caught.value.problems
    assert problem.message.startswith("required key")

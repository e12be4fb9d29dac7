"""What each letter to a requester says, in plain words, from the register (issue 16).

Pure: a register, the request and the facts of its history in, a ``Body`` out. The words
for each kind live here; ``requests.letters`` lays them out as HTML and plain text, so the
email, the printed letter and the PDF say the same thing.

Never render a default as a claim: where the register is silent the letter says nothing
(the ICO is the one exception, because the law itself gives that route, Art 77).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from dataward.complaints.route import complaint_route
from dataward.register.models import Contact, Register
from dataward.register.models.rights import RightSetting
from dataward.register.wording import contact_words, join_and, uk_date, words
from dataward.requests.refusal_reasons import BY_CODE, RefusalReason
from dataward.requests.wording import RIGHT_WORDS

# ``Facts.extra`` key: "authority" where the identity letter asks for a representative's
# authority rather than the requester's proof of identity (``requests.waits``).
WAITING_FOR = "waiting_for"
AUTHORITY_TITLE = "We need the authority of the person acting for you"

# Where the register gives no ICO address, the regulator's own complaint page (Art 77).
ICO_COMPLAINTS = "https://ico.org.uk/make-a-complaint/"


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Body:
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Facts:
    """What a letter needs to know about the request beyond the register."""

    reference: str
    rights: Sequence[str]
    not_offered: Sequence[str]
    received_on: date
    due_on: date | None
    # The caseworker's words for the step this letter follows (reasons, what was done).
    note: str | None
    # The day the step took effect (for a preview: today).
    step_on: date
    paused_since: date | None = None
    on_behalf_of: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # The day an objection to marketing or a consent withdrawal took effect (the request's
    # ``request.took_effect`` step, OBJ-02); None: it has not, and the step's day is said.
    took_effect_on: date | None = None
    # The code of the legal reason a refusal gives (``requests.refusal_reasons``); None in
    # a preview before the step.
    refusal_reason: str | None = None


def request_contacts(register: Register) -> list[Contact]:
    """How to reach the organisation about a request: the rights route, else the DPO, else
    the controller's own contacts; empty where the register names none."""
    rights = register.rights.how_to_exercise
    return list(rights or register.dpo.contacts or register.controller.contacts)


def _setting(register: Register, right: str) -> RightSetting | None:
    for item in register.rights.items:
        if item.right.value == right:
            return item
    return None


def _asked(facts: Facts) -> Section:
    about = f" for {facts.on_behalf_of}" if facts.on_behalf_of else ""
    return Section(
        "Your request",
        (f"You asked us{about} on {uk_date(facts.received_on)} for:",),
        tuple(RIGHT_WORDS.get(r, r.replace("_", " ")) for r in facts.rights),
    )


def complaint_sections(register: Register, *, courts: bool) -> tuple[Section, ...]:
    """Where to complain: the organisation first where its register says so, the ICO (with
    the register's address for it) and, for a refusal, the courts (SAR-08, Art 12(4))."""
    sections: list[Section] = []
    # before_ico or the older contact_controller_first, read the one way (complaints.route).
    if complaint_route(register).before_ico is not None:
        contacts = request_contacts(register)
        if contacts:
            sections.append(
                Section(
                    "If you are unhappy",
                    (
                        "If you are unhappy with how we have dealt with your request, please "
                        "contact us first so that we can try to put it right:",
                    ),
                    tuple(contact_words(c) for c in contacts),
                )
            )
    sections.append(
        ico_section(
            register,
            "You have the right to complain to the Information Commissioner's Office (ICO), "
            "the UK regulator for data protection.",
        )
    )
    if courts:
        sections.append(
            Section(
                "Going to court",
                (
                    "You can also ask a court to order us to comply with your rights (a "
                    "judicial remedy, Article 79 UK GDPR). You may wish to take legal advice "
                    "first.",
                ),
            )
        )
    return tuple(sections)


def ico_section(register: Register, lead: str) -> Section:
    """The route to the ICO from the register (``rights.complaints``): ``lead``, the
    register's own statement quoted where it has one, and its ICO address (the regulator's
    own page where the register names none: the law gives that route, Art 77). Rights
    letters and complaint letters (``complaints.letters``) both end with it."""
    route = complaint_route(register)
    paragraphs = [lead]
    if route.statement:
        paragraphs.append(f"Our privacy notice says: “{route.statement.strip()}”")
    return Section(
        "Complaining to the ICO",
        tuple(paragraphs),
        links=(("The Information Commissioner's Office", route.ico_url),),
    )


def _right_response(register: Register, right: str, facts: Facts) -> Section:
    asked = RIGHT_WORDS.get(right, right.replace("_", " "))
    heading = asked[:1].upper() + asked[1:]
    setting = _setting(register, right)
    if right in facts.not_offered:
        return _not_offered(heading, setting, register)
    paragraphs: list[str] = []
    bullets: list[str] = []
    if right == "access":
        paragraphs.append(
            "A copy of the personal data we hold about you comes with this letter, or follows "
            f"separately quoting the reference {facts.reference}."
        )
        if setting is not None and setting.delivery is not None:
            paragraphs.append(f"How we provide it: {words(setting.delivery).lower()}.")
    elif right in ("objection_direct_marketing", "withdraw_consent"):
        what = (
            "Your withdrawal of consent"
            if right == "withdraw_consent"
            else "Your objection to marketing"
        )
        paragraphs.append(
            f"{what} took effect on {uk_date(facts.took_effect_on or facts.step_on)}."
        )
        if setting is not None and setting.withdrawal is not None:
            if setting.withdrawal.stops:
                paragraphs.append("This stops:")
                bullets += setting.withdrawal.stops
            if setting.withdrawal.does_not_stop:
                kept = join_and(s.strip() for s in setting.withdrawal.does_not_stop)
                paragraphs.append(f"It does not stop: {kept}.")
            if setting.withdrawal.what_follows:
                paragraphs.append(setting.withdrawal.what_follows.strip())
    else:
        paragraphs.append("We have dealt with this part of your request.")
    return Section(heading, tuple(paragraphs), tuple(bullets))


def _not_offered(heading: str, setting: RightSetting | None, register: Register) -> Section:
    """A right the register says does not apply: explained, not dropped."""
    paragraphs = [
        "This right does not apply to how we use personal data, so we have not acted on it."
    ]
    if setting is not None and setting.description:
        paragraphs.append(f"Our privacy notice explains: “{setting.description.strip()}”")
    else:
        paragraphs = [
            f"{register.controller.name} does not offer this right here, so we have not acted "
            "on it."
        ]
    bullets = tuple(c.strip() for c in setting.conditions) if setting is not None else ()
    return Section(heading, tuple(paragraphs), bullets)


def _what_was_done(facts: Facts) -> tuple[Section, ...]:
    # The note of the respond step: the console says it goes in the letter.
    if not facts.note:
        return ()
    return (Section("What we did", (facts.note.strip(),)),)


def _acknowledgement(register: Register, facts: Facts) -> tuple[Section, ...]:
    received = f"We received your request on {uk_date(facts.received_on)}."
    due = (f"We will answer by {uk_date(facts.due_on)} at the latest.",) if facts.due_on else ()
    explained = [_right_response(register, r, facts) for r in facts.not_offered]
    return (_asked(facts), Section("What happens next", (received, *due)), *explained)


def _authority_needed(register: Register, facts: Facts) -> tuple[Section, ...]:
    # SAR-10: a representative is answered only on an authority the controller accepts;
    # SAR-05: the clock waits for it.
    paragraphs = (
        "We are waiting for the authority of the person acting for you. Before we can deal "
        "with this request, they need to show us that they may act for you: for example a "
        "letter of authority you signed, a lasting power of attorney, or a court order.",
    )
    extra = (Section("What we need", (facts.note.strip(),)),) if facts.note else ()
    clock = (
        "The time we have to answer starts on the day we have it (the one month runs from then)."
    )
    return (
        _asked(facts),
        Section("The authority to act for you", paragraphs),
        *extra,
        Section("The time limit", (clock,)),
    )


def _identity_needed(register: Register, facts: Facts) -> tuple[Section, ...]:
    if facts.extra.get(WAITING_FOR) == "authority":
        return _authority_needed(register, facts)
    check = register.rights.identity_check
    paragraphs = [
        "Before we can give you personal data or change it, we need to be sure who you are. "
        "Please send us proof of your identity."
    ]
    if check is not None and check.description:
        paragraphs.append(check.description.strip())
    bullets = tuple(check.methods) if check is not None else ()
    extra = (Section("What we need", (facts.note.strip(),)),) if facts.note else ()
    clock = (
        "The time we have to answer starts on the day we have it (the one month runs from then)."
    )
    return (
        _asked(facts),
        Section("Proof of identity", tuple(paragraphs), bullets),
        *extra,
        Section("The time limit", (clock,)),
    )


def _fee_needed(register: Register, facts: Facts) -> tuple[Section, ...]:
    fees = register.rights.fees
    paragraphs = ["We are asking for a fee before we deal with your request. Our reason:"]
    paragraphs.append(_reason(facts))
    if fees is not None and fees.note:
        paragraphs.append(f"Our privacy notice says: “{fees.note.strip()}”")
    paragraphs.append("The time we have to answer starts on the day we receive the fee.")
    return (_asked(facts), Section("The fee", tuple(paragraphs)))


def _clarification_needed(register: Register, facts: Facts) -> tuple[Section, ...]:
    since = uk_date(facts.paused_since or facts.step_on)
    return (
        _asked(facts),
        Section("What we need", (_reason(facts),)),
        Section(
            "The time limit",
            (
                f"The time we have to answer stopped on {since}, when we asked, and starts "
                "again when your answer arrives.",
            ),
        ),
    )


def _extension(register: Register, facts: Facts) -> tuple[Section, ...]:
    # SAR-04: the reasons, and the new date, within the first month.
    due = (f"We will now answer by {uk_date(facts.due_on)} at the latest.",) if facts.due_on else ()
    return (
        _asked(facts),
        Section(
            "Why we need more time",
            (
                "The law lets us take up to two further months where requests are complex or "
                "numerous. Our reasons:",
                _reason(facts),
                *due,
            ),
        ),
    )


def _refusal(register: Register, facts: Facts) -> tuple[Section, ...]:
    # SAR-08, ERA-02: the legal reason in plain words and the law, the caseworker's reason,
    # and what the register itself says about refusing; the complaint routes (with the
    # courts) follow in every refusal. Nothing the register does not say (no periods).
    reason = BY_CODE.get(facts.refusal_reason or "")
    why = (
        f"We have decided not to act on your request because {reason.because} "
        f"({reason.law}). Our reason:"
        if reason is not None
        else "We have decided not to act on your request. Our reason:"
    )
    return (
        _asked(facts),
        Section("Why", (why, _reason(facts))),
        *_register_on_refusing(register, facts, reason),
    )


def _register_on_refusing(
    register: Register, facts: Facts, reason: RefusalReason | None
) -> tuple[Section, ...]:
    """The register's own words on refusing the rights asked for, quoted: when it may
    refuse (for a reason about that right), and the exemption the reason names where the
    register records it. Silence where the register says nothing."""
    if reason is None:
        return ()
    when: list[str] = []
    quoted: list[str] = []
    for right in facts.rights:
        setting = _setting(register, right)
        if setting is None:
            continue
        if right in reason.rights:
            when += [w.strip() for w in setting.may_refuse_when]
        named = reason.exemption.lower()
        quoted += [
            f"“{e.applies_to.strip()}”"
            for e in setting.exemptions
            if named and e.applies_to and named in e.name.lower()
        ]
    sections: list[Section] = []
    if when:
        lead = "Our privacy notice says we may refuse to delete personal data:"
        sections.append(Section("When we may refuse", (lead,), tuple(dict.fromkeys(when))))
    if quoted:
        lead = "Our privacy notice says:"
        sections.append(Section("The exemption", (lead, *dict.fromkeys(quoted))))
    return tuple(sections)


def _response(register: Register, facts: Facts) -> tuple[Section, ...]:
    parts = [_right_response(register, r, facts) for r in facts.rights]
    return (_asked(facts), *parts, *_what_was_done(facts))


def _deceased(register: Register, facts: Facts) -> tuple[Section, ...]:
    # SAR-10: UK GDPR covers living people only.
    return (
        _asked(facts),
        Section(
            "Why we cannot deal with it as a data protection request",
            (
                "Data protection law (the UK GDPR and the Data Protection Act 2018) covers "
                "living people only. It gives no rights over the information of a person who "
                "has died, so we have closed this request.",
                f"If you have a question for {register.controller.name} about the person's "
                "affairs, you can still contact us.",
            ),
        ),
    )


def _withdrawn(register: Register, facts: Facts) -> tuple[Section, ...]:
    return (
        _asked(facts),
        Section(
            "What happens now",
            (
                f"You told us on {uk_date(facts.step_on)} that you no longer want us to deal "
                "with this request, so we have stopped work on it.",
                "You can make a new request at any time.",
            ),
        ),
    )


_WRITERS = {
    "acknowledgement": ("We have your request", _acknowledgement),
    "identity_needed": ("We need proof of your identity", _identity_needed),
    "fee_needed": ("A fee is needed", _fee_needed),
    "clarification_needed": ("We need more information about your request", _clarification_needed),
    "extension": ("We need more time to answer your request", _extension),
    "refusal": ("We are not able to act on your request", _refusal),
    "response": ("Our answer to your request", _response),
    "deceased": ("Your request about a person who has died", _deceased),
    "withdrawn": ("You have withdrawn your request", _withdrawn),
}


def letter_title(kind: str) -> str:
    """The letter's heading, as the requester reads it."""
    return _WRITERS[kind][0]


def body_for(kind: str, register: Register, facts: Facts) -> Body:
    """The words of one letter (``kind`` as in ``letters.KINDS``), with the complaint routes
    every letter ends with."""
    title, write = _WRITERS[kind]
    if kind == "identity_needed" and facts.extra.get(WAITING_FOR) == "authority":
        title = AUTHORITY_TITLE
    complaints = complaint_sections(register, courts=kind == "refusal")
    return Body(title, (*write(register, facts), *complaints))


def _reason(facts: Facts) -> str:
    # ``letters.letter_for`` refuses these kinds without a note: never an empty reason.
    assert facts.note, "a letter that gives reasons needs them"
    return facts.note.strip()

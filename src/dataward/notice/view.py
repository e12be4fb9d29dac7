"""What the notice templates read: register elements turned into labelled rows of words.

Every field the register states is shown (RULES: NTC-01): a generic walk turns field values
into text, resolving ids to the names a reader knows, so a new model field appears in the
notice without a template change. A field left out is silence and shows nothing: the notice
is a legal statement, and no default may speak for the organisation. Templates choose the
layout; this module chooses words.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any, Literal

from markupsafe import Markup, escape
from pydantic import BaseModel

from dataward.notice.labels import (
    BOOL_PHRASES,
    FIELD_LABELS,
    HIDDEN_FIELDS,
    KIND_LABELS,
    LEAD_FIELDS,
    REFERENCE_FIELDS,
    RIGHT_TITLES,
    TITLE_FIELDS,
)
from dataward.notice.phrases import fee_words, response_words, schedule_1_words
from dataward.notice.retention_view import RetentionView
from dataward.notice.trace import TracedView, dotted
from dataward.register.elements import Located, iter_elements, says_anything
from dataward.register.models import (
    Address,
    BasisUse,
    ChoicePlace,
    Contact,
    Cookie,
    Coverage,
    Element,
    Exemption,
    FeePolicy,
    IdentityCheck,
    ImpliedBasis,
    NoticeVersion,
    Offset,
    ProvisionRequirement,
    Register,
    ResponseCommitment,
    RestartAfter,
    RestartRule,
    RightSetting,
    Schedule1Condition,
    Trigger,
    Unspecified,
)
from dataward.register.wording import (
    NOT_STATED,
    address_words,
    contact_label,
    join_and,
    not_stated,
    offset_words,
    trigger_words,
    uk_date,
    words,
    yes_no,
)
from dataward.register.wording_forms import basis_words, choice_place_words, cookie_duration_words

Value = str | Markup | list["Row"]


@dataclass(frozen=True)
class Row:
    """One labelled line of a definition list; several values become a bullet list."""

    label: str
    values: list[Value]
    path: str = ""
    """The register path of the field shown (``purposes[3].bases``), for tracing."""


_URL = re.compile(r"^(https?://|www\.)\S+$")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")


@cache
def _is_code_field(model: type[BaseModel], name: str) -> bool:
    """True when a string field holds a code (Literal or enum) rather than free text."""
    info = model.model_fields.get(name)
    if info is None:
        return False
    return _has_literal(info.annotation)


def _has_literal(annotation: Any) -> bool:
    if typing.get_origin(annotation) is Literal:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    return any(_has_literal(arg) for arg in typing.get_args(annotation))


def link(text: str) -> Markup | str:
    """Emails and web addresses become links whose visible text is the address itself."""
    if _EMAIL.match(text):
        return Markup('<a href="mailto:{0}">{0}</a>').format(text)
    if _URL.match(text):
        href = text if text.startswith("http") else f"https://{text}"
        return Markup('<a href="{0}">{1}</a>').format(href, text)
    return text


def contact_markup(contact: Contact) -> Markup:
    label = contact_label(contact)
    value = contact.value
    if contact.kind == "email" and _EMAIL.match(value):
        shown: Markup | str = link(value)
    elif contact.kind == "phone":
        digits = re.sub(r"[^\d+]", "", value)
        shown = Markup('<a href="tel:{0}">{1}</a>').format(digits, value)
    elif contact.kind in {"web", "portal", "form"}:
        shown = link(value)
    else:
        shown = value
    return Markup("<span class='contact-label'>{0}:</span> {1}").format(label, shown)


@dataclass
class NoticeView(RetentionView, TracedView):
    """One rendering of one register. Not reused: it tracks which anchors are taken."""

    register: Register
    full: Register | None = None
    """The whole register when ``register`` is narrowed to one group: names come from it."""
    names: dict[str, dict[str, str]] = field(init=False)
    located: dict[int, Located] = field(init=False)
    trace: bool = False
    """Mark every value with ``data-from="<register path>"`` (see ``fidelity``); off when
    published, so the public page stays clean and the cost is one test per value."""
    paths: dict[int, str] = field(init=False, default_factory=dict)
    _used_anchors: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        r = self.full or self.register
        self.names = {
            "groups": {g.id: g.name for g in r.subject_groups},
            "categories": {c.id: c.name for c in r.data_categories},
            "purposes": {p.id: p.name for p in r.purposes},
            "recipients": {x.id: x.name for x in r.recipients},
            "datasets": {d.id: d.name for d in r.datasets},
            "holds": {h.id: h.name for h in r.holds},
            "events": {e.id: e.name for e in r.events},
            "cookie_categories": {c.id: c.name for c in r.cookies.categories},
        }
        self.located = {id(loc.element): loc for loc in iter_elements(r)}
        if self.trace:
            # Paths in the register rendered (one group's, when narrowed), not the anchors'.
            self.paths = {id(loc.element): dotted(loc.path) for loc in iter_elements(self.register)}

    # -- wrappers ---------------------------------------------------------------------

    def attrs(self, element: Element, extra_class: str = "", *fields: str) -> Markup:
        """``id``, ``class`` and ``data-facts`` of an element's wrapper.

        The first wrapper of an element takes its register anchor; repeats (an element
        shown in several group sections) get a numbered suffix so ids stay unique.
        """
        loc = self.located.get(id(element))
        base = loc.anchor if loc else f"el-{element.kind}"
        anchor, n = base, 1
        while anchor in self._used_anchors:
            n += 1
            anchor = f"{base}--{n}"
        self._used_anchors.add(anchor)
        classes = f"el el-{element.kind.replace('_', '-')} {extra_class}".strip()
        out = Markup('id="{0}" class="{1}" data-facts="{2}"').format(
            anchor, classes, " ".join(element.facts)
        )
        if self.trace:
            # ``fields``: the element's own text sits directly in the wrapper.
            out += Markup(' data-el="{0}"').format(self.path_of(element))
            out += self.src(element, *fields) if fields else Markup("")
        return out

    def anchor_of(self, element: Element) -> str:
        loc = self.located.get(id(element))
        return loc.anchor if loc else ""

    # -- silence ----------------------------------------------------------------------

    def says(self, model: BaseModel | None) -> bool:
        """Whether the register states anything here, or claims a fact that must show."""
        if model is None:
            return False
        return says_anything(model) or bool(getattr(model, "facts", None))

    not_stated = NOT_STATED

    # -- values -----------------------------------------------------------------------

    def title(self, element: BaseModel) -> str | None:
        for name in TITLE_FIELDS:
            value = getattr(element, name, None)
            if isinstance(value, str):
                return value
        return None

    def lead(self, element: BaseModel) -> str | None:
        for name in LEAD_FIELDS:
            value = getattr(element, name, None)
            if isinstance(value, str):
                return value
        return None

    def rows(
        self,
        model: BaseModel,
        skip: Iterable[str] = (),
        *,
        headed: bool = False,
        path: str | None = None,
    ) -> list[Row]:
        """Every shown field of ``model`` as labelled rows, nested models as nested rows.

        ``headed``: the card already shows the title and lead fields above the rows.
        Nested elements are skipped: they get wrappers of their own.
        """
        skipped = set(skip) | HIDDEN_FIELDS
        if headed:
            skipped |= {self._first(model, TITLE_FIELDS), self._first(model, LEAD_FIELDS)}
        kind = getattr(model, "kind", "")
        # Paths are built only when tracing: the published page pays nothing for them.
        base = (self.path_of(model) if path is None else path) if self.trace else ""
        out: list[Row] = []
        for name in type(model).model_fields:
            if name in skipped:
                continue
            value = getattr(model, name)
            if value is None or (isinstance(value, list) and not value):
                continue
            if isinstance(value, Element) or (
                isinstance(value, list) and isinstance(value[0], Element)
            ):
                continue
            label = KIND_LABELS.get((kind, name)) or FIELD_LABELS.get(name) or words(name)
            here = f"{base}.{name}" if base else ""
            values = self.values(type(model), name, value, here)
            if values:
                out.append(Row(label, values, here))
        return out

    def title_field(self, element: BaseModel) -> str:
        return self._first(element, TITLE_FIELDS)

    def lead_field(self, element: BaseModel) -> str:
        return self._first(element, LEAD_FIELDS)

    def _first(self, model: BaseModel, names: Sequence[str]) -> str:
        for name in names:
            if isinstance(getattr(model, name, None), str):
                return name
        return ""

    def values(self, owner: type[BaseModel], name: str, value: Any, path: str = "") -> list[Value]:
        """The value's words; a value whose words are empty (a stated nothing) is left out."""
        if isinstance(value, list):
            out: list[Value] = []
            for i, item in enumerate(value):
                out.extend(self.values(owner, name, item, f"{path}[{i}]" if path else ""))
            return out
        shown = self.value(owner, name, value, path)
        return [shown] if shown != "" and shown != [] else []

    def value(self, owner: type[BaseModel], name: str, value: Any, path: str = "") -> Value:
        if isinstance(value, Unspecified):
            return not_stated(value)
        if isinstance(value, bool):
            if name in BOOL_PHRASES:
                return BOOL_PHRASES[name][0 if value else 1]
            return yes_no(value)
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, dt.date):
            return uk_date(value)
        if isinstance(value, Enum):
            return words(value)
        if isinstance(value, str):
            if name in REFERENCE_FIELDS:
                return self.name_of(REFERENCE_FIELDS[name], value)
            if name in {"entity", "on"} or _is_code_field(owner, name):
                return words(value)
            return link(value)
        if isinstance(value, Contact):
            return contact_markup(value)
        if isinstance(value, Address):
            return address_words(value)
        if isinstance(value, ChoicePlace):
            return choice_place_words(value)
        if isinstance(value, ImpliedBasis):
            return basis_words(value)
        if isinstance(value, Offset):
            return offset_words(value)
        if isinstance(value, Trigger):
            return trigger_words(value, self.names["events"])
        if isinstance(value, RestartAfter | RestartRule):
            return _on_close(value)
        if isinstance(value, Coverage):
            return self.coverage(value)
        if isinstance(value, ResponseCommitment):
            return response_words(value)
        if isinstance(value, FeePolicy):
            return fee_words(value)
        if isinstance(value, Schedule1Condition):
            return schedule_1_words(value)
        if isinstance(value, NoticeVersion):
            text = f"Version {value.id}"
            if value.date is not None:
                text += f", {uk_date(value.date)}"
            return f"{text}: {value.summary}" if value.summary else text
        if isinstance(value, Exemption):
            text = value.name
            if value.legal_reference:
                text += f" ({value.legal_reference})"
            return f"{text}: {value.applies_to}" if value.applies_to else text
        if isinstance(value, ProvisionRequirement):
            req = value.requirement
            text = not_stated(req) if isinstance(req, Unspecified) else words(req)
            if value.consequence:
                return f"{text}. If you do not provide it: {value.consequence}"
            return text
        if isinstance(value, BasisUse):
            return self.basis(value)
        if isinstance(value, IdentityCheck | BaseModel):
            return self.rows(value, path=path)
        return str(value)

    def basis(self, use: BasisUse) -> Markup:
        """One Art 6 basis and what it covers, as a sentence (LAW-01, LAW-02)."""
        name = basis_words(use.basis)
        out = Markup("<strong>{0}</strong>").format(name)
        parts: list[tuple[str, str | Unspecified]] = []
        if use.covers:
            parts.append(("For", use.covers))
        if use.legitimate_interest:
            parts.append(("Our legitimate interest", use.legitimate_interest))
        if use.lia_reference is not None:
            parts.append(("Legitimate interests assessment", use.lia_reference))
        if use.consent_reference:
            parts.append(("Where consent is recorded", use.consent_reference))
        if use.note:
            parts.append(("Note", use.note))
        for label, text in parts:
            shown = not_stated(text) if isinstance(text, Unspecified) else link(text)
            out += Markup("<span class='basis-detail'>{0}: {1}</span>").format(label, shown)
        return out

    def cookie_duration(self, cookie: Cookie) -> str:
        return cookie_duration_words(cookie)

    def groups_of(self, ids: Iterable[str]) -> str:
        return join_and(self.name_of("groups", g) for g in ids)

    def date(self, value: dt.date) -> str:
        return uk_date(value)

    def words(self, code: str) -> str:
        return words(code)

    def right_title(self, item: RightSetting) -> str:
        return RIGHT_TITLES.get(item.right.value, words(item.right))

    def escape(self, text: str) -> Markup:
        return escape(text)


def _on_close(value: RestartAfter | RestartRule) -> str:
    if isinstance(value, RestartAfter):
        return f"Kept for {offset_words(value.restart_after)} after the hold ends"
    return "The retention period starts again from the next starting event"

"""Fidelity: every piece of the notice is fixed wording or a value the register states.

``render_html(register, trace=True)`` marks each piece of text that comes from the register
with ``data-from="<path>"`` (``purposes[3].bases``). ``untraced`` reads such a page and
returns every text that is neither fixed wording (``FIXED_WORDING``, the labels) nor inside
an element whose paths all resolve to values the register states: present in the YAML, not
a default. The notice is a legal statement; this is how tests hold it to the register.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

from pydantic import BaseModel

from dataward.notice.labels import FIELD_LABELS, KIND_LABELS, RIGHT_TITLES
from dataward.register.models import Register
from dataward.register.wording import NOT_STATED, words

# Wording that is not a claim: headings, captions, column heads, links between sections,
# the introductions of sections shown only when the register states something in them, and
# "Not stated in this notice" where docs/notice.md lists it. Each is compared whole.
FIXED_WORDING = frozenset(
    {
        NOT_STATED,
        NOT_STATED + ".",
        "Privacy notice",
        "Skip to main content",
        "Contents",
        "Back to contents",
        # section titles (render._sections)
        "In short: what this means for you",
        "About us",
        "Who this notice is for",
        "Information about everyone",
        "Special category and criminal offence information",
        "How we use information",
        "Sharing your information",
        "Sending information outside the UK",
        "Marketing and your choices",
        "Cookies",
        "Automated decisions and profiling",
        "How long we keep information",
        "Your rights and how to use them",
        "How to complain",
        "Keeping information secure",
        "Our commitments",
        "Other information",
        "About this notice",
        # sub-headings, captions and column heads
        "Details",
        "Information",
        "Source",
        "Recipient",
        "Record",
        "Their role",
        "Counted from",
        "How long",
        "Then",
        "Kept longer when",
        "Name",
        "Purpose",
        "About",
        "Lawful basis",
        "Condition",
        "Cookie",
        "Set by",
        "Category",
        "Lasts",
        "Channel",
        "To",
        "Basis",
        "What we hold",
        "Why we use it",
        "Who we share it with",
        "Outside the UK",
        "How long we keep it",
        "Information we hold about you",
        "Where we get it from",
        "How and why we use it",
        "Where we keep it",
        "Marketing",
        "Your choices",
        "Automated decisions",
        "How to contact us",
        "Our data protection officer",
        "Data protection contact",
        "Organisations we are connected with",
        "Every purpose, who it is about and its lawful basis",
        "Who receives information",
        "How long we keep each kind of information",
        "When we keep information longer",
        "Events that start the clock",
        "Where we keep information",
        "Our records holding personal information",
        "Your rights",
        "How to use your rights",
        "What we do",
        "Other choices you can make",
        "If something goes wrong",
        "The conditions we rely on",
        "Information we hold whoever you are",
        "Where it comes from",
        "How we send marketing",
        "Cookies we use",
        # introductions and links between sections: they describe the notice, not the data
        "The main points, for each kind of person we hold information about. Find the "
        "description that fits you (more than one may); each links to the full details.",
        "The main points for you. The rest of this notice gives the full details.",
        "For your rights and how to use them, see",
        "; to complain, see",
        "What we hold and why depends on how you deal with us. Choose the description that "
        "fits you; more than one may apply.",
        "Some information needs extra protection by law: special category information (such "
        "as health) and information about criminal offences. This is what this notice says "
        "about it.",
        "The sections for each group above say what we use information for and the lawful "
        "basis for each use.",
        "The sections for each group above say what we use information for and the lawful "
        "basis for each use. These commitments apply to all of them.",
        "Sending it outside the UK",
        "These situations stop information being deleted until they are over.",
        "We check these promises automatically against our records of how we use information.",
    }
)

_SPACE = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"^[\s.,;:()\-–]*$")


@cache
def fixed_wording() -> frozenset[str]:
    """``FIXED_WORDING`` and every label a row of details can carry."""
    labels = {*FIELD_LABELS.values(), *KIND_LABELS.values(), *RIGHT_TITLES.values()}
    labels |= {words(name) for model in _model_types(Register) for name in model.model_fields}
    return FIXED_WORDING | frozenset(labels)


def _model_types(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` through field annotations."""
    found: list[type[BaseModel]] = []
    todo: list[object] = [root]
    while todo:
        item = todo.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item in found:
                continue
            found.append(item)
            todo.extend(f.annotation for f in item.model_fields.values())
        else:
            todo.extend(typing.get_args(item))
    return found


def stated(register: Register, path: str) -> bool:
    """Whether ``path`` (``purposes[3].bases``) names a value the register states."""
    value: object = register
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if token.startswith("["):
            if not isinstance(value, list) or int(token[1:-1]) >= len(value):
                return False
            value = value[int(token[1:-1])]
        else:
            if not isinstance(value, BaseModel) or token not in value.model_fields_set:
                return False
            value = getattr(value, token)
    return value is not None and value != []


@dataclass(frozen=True)
class Untraced:
    text: str
    paths: tuple[str, ...]
    """The ``data-from`` paths around the text that do not resolve (empty: none around)."""


def untraced(html: str, register: Register) -> list[Untraced]:
    """Every text of a traced page that is no fixed wording and no stated value."""
    reader = _Reader()
    reader.feed(html)
    allowed = fixed_wording()
    out: list[Untraced] = []
    for text, scopes in reader.texts:
        if text in allowed or _PUNCTUATION.match(text):
            continue
        paths = scopes[-1] if scopes else ()
        bad = tuple(p for p in paths if not stated(register, p))
        if not paths or bad:
            out.append(Untraced(text, bad))
    return out


class _Reader(HTMLParser):
    """Collects each text node with the ``data-from`` paths of its nearest traced element."""

    _VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "col", "wbr", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[str, ...] | None]] = []
        self.texts: list[tuple[str, list[tuple[str, ...]]]] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._VOID:
            return
        if tag in {"style", "script", "title"}:
            self.skip += 1
        found = dict(attrs).get("data-from")
        self.stack.append((tag, tuple(found.split()) if found is not None else None))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag in {"style", "script", "title"}:
                self.skip -= 1
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        text = _SPACE.sub(" ", data).strip()
        if not text or self.skip:
            return
        scopes = [paths for _, paths in self.stack if paths is not None]
        self.texts.append((text, scopes))

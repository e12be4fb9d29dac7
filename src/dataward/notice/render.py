"""Render a register as the public privacy notice: one accessible HTML page (RULES: NTC-01).

``render_html`` gives a standalone page (inline CSS, skip link); ``render_html_fragment``
gives the ``<main>`` body for the web app to place inside its own layout. Every register
element is rendered at least once inside a wrapper carrying ``data-facts``, and everything
about one subject group sits inside that group's ``data-group`` section. The notice opens
with a short first layer per subject group (see ``layers``); ``group=`` renders one
group's notice alone. Markdown and PDF are made from this HTML (``markdown``, ``pdf``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from dataward.notice.view import NoticeView
from dataward.register.elements import says_anything
from dataward.register.models import (
    DataCategory,
    NoticeVersion,
    Purpose,
    Register,
    RetentionRule,
    SubjectGroup,
    Transfer,
    Unspecified,
)
from dataward.register.wording import uk_date


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    template: str
    group: SubjectGroup | None = None


@dataclass(frozen=True)
class Edition:
    """The stored notice version a served page shows (NTC-03): its number and date."""

    number: int
    published_on: dt.date
    history_url: str | None = None


@dataclass(frozen=True)
class GroupContent:
    """Everything in the register that applies to one subject group."""

    group: SubjectGroup
    categories: list[DataCategory]
    sources: list[Any]
    purposes: list[Purpose]
    recipients: list[Any]
    transfers: list[Transfer]
    datasets: list[Any]
    channels: list[Any]
    preferences: list[Any]
    cookies: bool
    decisions: list[Any]
    rules: list[RetentionRule]


# The trace marks in the templates (``{{ n.src(...) }}`` and friends, see ``notice.trace``).
_TRACE_MARK = re.compile(
    r"\{\{ n\.(?:src|src_paths|summary_from)\(.*?\}\}|, cap_from=n\.src\([^)]*\)"
)


class _PublicLoader(PackageLoader):
    """The templates with their trace marks cut out: the published notice carries no
    ``data-from`` and pays nothing for tracing (benchmarks/notice_bench.py)."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool] | None]:
        source, filename, uptodate = super().get_source(environment, template)
        return _TRACE_MARK.sub("", source), filename, uptodate


@cache
def _environment(trace: bool = False) -> Environment:
    loader_type = PackageLoader if trace else _PublicLoader
    env = Environment(
        loader=loader_type("dataward.notice", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def notice_css() -> str:
    """The notice's stylesheet, for a host page that embeds the fragment."""
    source = _environment().loader
    assert source is not None
    text, _, _ = source.get_source(_environment(), "notice.css")
    return text


def render_html(
    register: Register,
    *,
    group: str | None = None,
    edition: Edition | None = None,
    trace: bool = False,
) -> str:
    """The whole notice (or one subject group's) as one self-contained HTML document.

    ``trace``: mark every piece of text from the register with the path of the value it
    came from (``data-from``), for the fidelity check (``notice.fidelity``); never published.
    """
    context = _context(register, group, edition, trace)
    return _environment(trace).get_template("page.html").render(**context)


def render_html_fragment(
    register: Register, *, group: str | None = None, edition: Edition | None = None
) -> str:
    """The notice's ``<main>`` element only, for embedding in another layout."""
    return _environment().get_template("main.html").render(**_context(register, group, edition))


def _context(
    register: Register, group: str | None, edition: Edition | None, trace: bool = False
) -> dict[str, Any]:
    from dataward.notice.layers import for_group, summaries

    full = register
    if group is not None:
        register = for_group(full, group)
    view = NoticeView(register, full=full, trace=trace)
    groups = [group_content(register, g) for g in register.subject_groups]
    everyone_categories = [c for c in register.data_categories if not c.subject_groups]
    everyone_sources = [s for s in register.sources if not s.subject_groups]
    sections = _sections(register, groups, bool(everyone_categories or everyone_sources))
    if group is not None:
        # One group's notice: no "which group are you" chooser, and cookies only if theirs.
        cookie_groups = register.cookies.subject_groups
        sections = [
            s
            for s in sections
            if s.id != "who-this-notice-is-for"
            and not (s.id == "cookies" and cookie_groups and group not in cookie_groups)
        ]
    return {
        "r": register,
        "n": view,
        "groups": groups,
        "single_group": register.subject_groups[0] if group is not None else None,
        "edition": edition,
        "summaries": summaries(register),
        "summary_section": Section("in-short", "In short: what this means for you", "summary.html"),
        "sections": sections,
        "version_line": version_line(current_version(register.notice.versions)),
        "everyone_categories": everyone_categories,
        "everyone_sources": everyone_sources,
        # Every category whose special or criminal status the register states (either way).
        "special_categories": [
            c
            for c in register.data_categories
            if c.special_category is not None or c.criminal_offence is not None
        ],
        "special_purposes": [p for p in register.purposes if p.special_conditions],
        "security_statements": [s for s in register.statements if s.topic == "security"],
        "other_statements": [s for s in register.statements if s.topic == "other"],
    }


def current_version(versions: list[NoticeVersion]) -> NoticeVersion | None:
    """The latest dated version; the first listed when none is dated; None when none is."""
    dated = [v for v in versions if isinstance(v.date, dt.date)]
    if not dated:
        return versions[0] if versions else None
    return max(dated, key=lambda v: v.date)  # type: ignore[arg-type, return-value]


def version_line(version: NoticeVersion | None) -> str | None:
    """The header's version line; nothing where the register names no version."""
    if version is None:
        return None
    if isinstance(version.date, Unspecified):
        return f"Version {version.id}. Date: {uk_date(version.date)}"
    if version.date is None:
        return f"Version {version.id}"
    return f"Version {version.id}, last updated {uk_date(version.date)}"


def _sections(register: Register, groups: list[GroupContent], everyone: bool) -> list[Section]:
    """The notice's sections in order.

    Sections Art 13/14 require (NTC-01) always appear, saying "Not stated in this notice"
    where the register is silent, so a reader sees the gap; the others appear only when the
    register says something in them. No section is filled from a default.
    """
    out = [Section("about-us", "About us", "about_us.html")]
    if register.subject_groups:
        out.append(Section("who-this-notice-is-for", "Who this notice is for", "who.html"))
    for content in groups:
        g = content.group
        out.append(Section(f"group-{g.id}", g.name, "group.html", g))
    if everyone:
        out.append(Section("everyone", "Information about everyone", "everyone.html"))
    if any(
        c.special_category is not None or c.criminal_offence is not None
        for c in register.data_categories
    ) or any(p.special_conditions for p in register.purposes):
        out.append(
            Section(
                "special-category",
                "Special category and criminal offence information",
                "special.html",
            )
        )
    out += [
        Section("how-we-use", "How we use information", "how_we_use.html"),
        Section("sharing", "Sharing your information", "sharing.html"),
        Section("transfers", "Sending information outside the UK", "transfers.html"),
    ]
    if says_anything(register.marketing) or register.marketing.facts or register.preferences:
        out.append(Section("marketing", "Marketing and your choices", "marketing.html"))
    if says_anything(register.cookies) or register.cookies.facts:
        out.append(Section("cookies", "Cookies", "cookies.html"))
    out += [
        Section("automated-decisions", "Automated decisions and profiling", "automated.html"),
        Section("retention", "How long we keep information", "retention.html"),
        Section("your-rights", "Your rights and how to use them", "rights.html"),
        Section("complaints", "How to complain", "complaints.html"),
    ]
    if says_anything(register.security) or any(s.topic == "security" for s in register.statements):
        out.append(Section("security", "Keeping information secure", "security.html"))
    if register.commitments:
        out.append(Section("commitments", "Our commitments", "commitments.html"))
    if any(s.topic == "other" for s in register.statements):
        out.append(Section("other", "Other information", "other.html"))
    if says_anything(register.notice) or register.notice.facts:
        out.append(Section("about-this-notice", "About this notice", "about_notice.html"))
    return out


def group_content(register: Register, group: SubjectGroup) -> GroupContent:
    gid = group.id
    categories = [c for c in register.data_categories if gid in c.subject_groups]
    recipients = [x for x in register.recipients if gid in x.subject_groups]
    recipient_ids = {x.id for x in recipients}
    category_ids = {c.id for c in categories}
    transfers = [
        t
        for t in register.transfers.items
        if recipient_ids & set(t.recipients) or category_ids & set(t.categories)
    ]
    rules = [
        rule
        for rule in register.retention_rules
        if gid in rule.subject_groups or gid in rule.covers.all_data_of_groups
    ]
    return GroupContent(
        group=group,
        categories=categories,
        sources=[s for s in register.sources if gid in s.subject_groups],
        purposes=[p for p in register.purposes if gid in p.subject_groups],
        recipients=recipients,
        transfers=transfers,
        datasets=[d for d in register.datasets if gid in d.subject_groups],
        channels=[c for c in register.marketing.channels if gid in c.subject_groups],
        preferences=[p for p in register.preferences if gid in p.subject_groups],
        cookies=gid in register.cookies.subject_groups,
        decisions=[d for d in register.automated_decisions.items if gid in d.subject_groups],
        rules=rules,
    )

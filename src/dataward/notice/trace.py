"""Tracing for the fidelity check: which register value each piece of notice text shows.

With ``trace`` on, templates mark text with `` data-from="<path>"`` (``purposes[3].bases``)
and element wrappers with ``data-el``; ``notice.fidelity`` reads the marks. Off (published),
every helper returns empty markup, so the public page is unchanged and costs one test.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup
from pydantic import BaseModel

from dataward.register.models import Register, RetentionRule, SubjectGroup


def dotted(path: Iterable[str | int]) -> str:
    """``("purposes", 3, "bases")`` as ``purposes[3].bases``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class TracedView:
    """The tracing half of ``NoticeView``: register paths of what the templates show."""

    register: Register
    trace: bool
    paths: dict[int, str]
    """Each element's path in ``register``, by ``id``; filled only when tracing."""

    def path_of(self, model: BaseModel) -> str:
        """The register path of an element (``purposes[3]``), "" for one not in the register."""
        return self.paths.get(id(model), "")

    def src(self, model: BaseModel, *names: str) -> Markup:
        """`` data-from="…"`` naming the fields of ``model`` a piece of text comes from."""
        if not self.trace:
            return Markup("")
        base = self.path_of(model)
        return self.src_paths([f"{base}.{n}" if base else n for n in names])

    def src_paths(self, paths: Iterable[str]) -> Markup:
        if not self.trace:
            return Markup("")
        return Markup(' data-from="{0}"').format(" ".join(paths))

    def period_fields(self, rule: RetentionRule) -> list[str]:
        return ["action"] if rule.action == "never_stored" else ["offset"]

    def trigger_fields(self, rule: RetentionRule) -> list[str]:
        return ["action"] if rule.action == "never_stored" and rule.trigger is None else ["trigger"]

    def summary_from(self, group: SubjectGroup, line: str) -> Markup:
        """The register paths a first-layer line is made from (see ``layers.summary``)."""
        if not self.trace:
            return Markup("")
        from dataward.notice.render import group_content

        content = group_content(self.register, group)
        if line == "holds":
            everyone = [c for c in self.register.data_categories if not c.subject_groups]
            found = [c for c in content.categories + everyone if c.held]
            # Listing a category is the statement it is held (``DataCategory.held``).
            return self.src_paths(self.path_of(c) + ".name" for c in found)
        if line == "uses":
            return self.src_paths(self.path_of(p) + ".name" for p in content.purposes)
        if line == "bases":
            return self.src_paths(self.path_of(p) + ".bases" for p in content.purposes if p.bases)
        if line == "shares":
            return self.src_paths(
                self.path_of(x) + (".role" if x.role == "none" else ".name")
                for x in content.recipients
            )
        if line == "abroad":
            return self.src_paths(self.path_of(t) + ".destinations" for t in content.transfers)
        timed = [rule for rule in content.rules if rule.offset is not None]
        paths = [
            self.path_of(rule) + (".offset" if timed else ".name")
            for rule in timed or content.rules
        ]
        if not content.rules and self.register.retention_policies:
            paths = ["retention_policies"]
        return self.src_paths(paths)

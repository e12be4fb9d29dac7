"""The notice as Markdown, for people who paste it into a content management system.

Made from the rendered HTML rather than from templates of its own, so the Markdown says
exactly what the HTML says (NTC-01) and a new register field reaches both. Tables whose
cells hold lists become one block per row, since Markdown table cells cannot hold lists;
plain tables stay tables. Links inside the page point at the heading slugs most Markdown
renderers generate ("About us" -> ``#about-us``); links to single elements become text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from dataward.notice.render import Edition, render_html_fragment
from dataward.register.models import Register

_VOID = frozenset({"br", "hr", "img", "meta", "link", "input"})
_BLOCKS = frozenset(
    {"p", "ul", "ol", "dl", "table", "div", "section", "article", "header", "nav", "main"}
    | {f"h{i}" for i in range(1, 7)}
)
_SKIPPED_CLASSES = frozenset({"skip-link", "toc", "back"})
# Spans the CSS shows as lines of their own: keep them on lines of their own.
_LINE_CLASSES = frozenset({"rule-name", "small", "basis-detail"})
_SPACE = re.compile(r"\s+")
_ESCAPE = re.compile(r"([\\`*\[\]<>])")
_LINE_START = re.compile(r"^(#|>|[-+] |\d+[.)] )")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def elements(self, *tags: str) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and c.tag in tags]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def slug(text: str) -> str:
    """The heading id GitHub-style renderers give a heading."""
    text = re.sub(r"[^\w\- ]", "", text.lower()).strip()
    return text.replace(" ", "-")


def escape_md(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: "\\" + m.group(0), text)


def render_markdown(
    register: Register, *, group: str | None = None, edition: Edition | None = None
) -> str:
    """The notice, or one subject group's notice, as CommonMark with pipe tables."""
    html = render_html_fragment(register, group=group, edition=edition)
    return html_to_markdown(html)


def html_to_markdown(html: str) -> str:
    root = parse_html(html)
    converter = _Converter(_section_slugs(root))
    blocks = converter.blocks(root)
    text = "\n\n".join(b for b in blocks if b.strip())
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _section_slugs(root: Node) -> dict[str, str]:
    """Section id -> slug of its heading, so in-page links survive the conversion.

    Slugs are counted over every heading in order, as renderers do: a second heading
    "Customers" gets ``#customers-1``.
    """
    seen: dict[str, int] = {}
    out: dict[str, str] = {}

    def walk(node: Node, section: str | None) -> None:
        if node.tag == "section" and "id" in node.attrs:
            section = node.attrs["id"]
        if node.tag[0] == "h" and node.tag[1:].isdigit():
            base = slug(_plain(node))
            count = seen.get(base, 0)
            seen[base] = count + 1
            if section is not None and section not in out:
                out[section] = base if count == 0 else f"{base}-{count}"
            return
        for child in node.children:
            if isinstance(child, Node) and not (child.classes & _SKIPPED_CLASSES):
                walk(child, section)

    walk(root, None)
    return out


def _plain(node: Node | str) -> str:
    if isinstance(node, str):
        return node
    return _SPACE.sub(" ", "".join(_plain(c) for c in node.children)).strip()


class _Converter:
    def __init__(self, slugs: dict[str, str]) -> None:
        self.slugs = slugs

    # -- blocks -------------------------------------------------------------------------

    def blocks(self, node: Node) -> list[str]:
        """Markdown blocks of ``node``'s children; loose inline runs become paragraphs."""
        out: list[str] = []
        run: list[Node | str] = []

        def flush() -> None:
            text = self.inline_nodes(run).strip()
            if text:
                out.append(text.replace("\n", "  \n"))
            run.clear()

        for child in node.children:
            if isinstance(child, Node) and (child.classes & _SKIPPED_CLASSES):
                continue
            if isinstance(child, Node) and child.tag in _BLOCKS:
                flush()
                out.extend(self.block(child))
            else:
                run.append(child)
        flush()
        return out

    def block(self, node: Node) -> list[str]:
        tag = node.tag
        if tag[0] == "h" and tag[1:].isdigit():
            return [f"{'#' * int(tag[1:])} {self.inline(node).strip()}"]
        if tag == "p":
            text = self.inline(node).strip()
            return [text.replace("\n", "  \n")] if text else []
        if tag in {"ul", "ol"}:
            return [self.list_block(node)]
        if tag == "dl":
            return [self.definition_list(node)]
        if tag == "table":
            return self.table(node)
        return self.blocks(node)

    def list_block(self, node: Node) -> str:
        lines: list[str] = []
        for i, item in enumerate(node.elements("li"), start=1):
            marker = f"{i}." if node.tag == "ol" else "-"
            lines.append(self.item(marker, self.blocks(item)))
        return "\n".join(lines)

    def item(self, marker: str, blocks: list[str]) -> str:
        """One list item; later blocks are indented under its marker."""
        pad = " " * (len(marker) + 1)
        if not blocks:
            return marker
        first, *rest = blocks
        text = f"{marker} " + first.replace("\n", "\n" + pad)
        for block in rest:
            # A list may follow a line directly; a paragraph needs a blank line first.
            gap = "\n" if block.startswith(("- ", "1. ")) else "\n\n"
            text += gap + pad + block.replace("\n", "\n" + pad)
        return text

    def definition_list(self, node: Node) -> str:
        """``<dt>``/``<dd>`` pairs as "- **Label:** value", nested values indented."""
        lines: list[str] = []
        pairs: list[Node] = []
        for child in node.elements("div", "dt", "dd"):
            pairs.extend(child.elements("dt", "dd") if child.tag == "div" else [child])
        label = ""
        for part in pairs:
            if part.tag == "dt":
                label = self.inline(part).strip()
                continue
            blocks = self.blocks(part)
            head = f"**{label}:**"
            if blocks and not blocks[0].startswith("- "):
                blocks = [f"{head} {blocks[0]}", *blocks[1:]]
            else:
                blocks = [head, *blocks]
            lines.append(self.item("-", blocks))
        return "\n".join(lines)

    def table(self, node: Node) -> list[str]:
        caption = next(iter(node.elements("caption")), None)
        head = (
            [
                self.inline(c).strip()
                for c in self._rows(node, "thead")[0].children
                if isinstance(c, Node) and c.tag in {"th", "td"}
            ]
            if self._rows(node, "thead")
            else []
        )
        rows = self._rows(node, "tbody") or self._rows(node, None)
        out = [f"**{self.inline(caption).strip()}**"] if caption is not None else []
        cells = [
            [c for c in row.children if isinstance(c, Node) and c.tag in {"th", "td"}]
            for row in rows
        ]
        simple = all(not self._has_blocks(c) for row in cells for c in row)
        if simple and head:
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "|".join(" --- " for _ in head) + "|")
            for row in cells:
                texts = [
                    self.inline(c).strip().replace("\n", "<br>").replace("|", "\\|") for c in row
                ]
                out.append("| " + " | ".join(texts) + " |")
            return ["\n".join(out)]
        for row in cells:
            if not row:
                continue
            title, *rest = row
            name = self.inline(title).strip().split("\n")
            lines = [f"**{name[0]}**", *name[1:]]
            out.append("  \n".join(lines))
            if len(rest) == 1:
                # Name and details: the details need no column label of their own.
                out.extend(self.blocks(rest[0]))
                continue
            details = []
            for column, cell in zip(head[1:], rest, strict=False):
                blocks = self.blocks(cell)
                if not blocks:
                    continue
                label = f"**{column}:**"
                if not blocks[0].startswith("- "):
                    blocks = [f"{label} {blocks[0]}", *blocks[1:]]
                else:
                    blocks = [label, *blocks]
                details.append(self.item("-", blocks))
            if details:
                out.append("\n".join(details))
        return out

    def _rows(self, table: Node, section: str | None) -> list[Node]:
        if section is None:
            return table.elements("tr")
        rows: list[Node] = []
        for part in table.elements(section):
            rows.extend(part.elements("tr"))
        return rows

    def _has_blocks(self, node: Node) -> bool:
        return any(
            isinstance(c, Node) and (c.tag in _BLOCKS or self._has_blocks(c)) for c in node.children
        )

    # -- inline -------------------------------------------------------------------------

    def inline(self, node: Node) -> str:
        return self.inline_nodes(node.children)

    def inline_nodes(self, nodes: list[Node | str]) -> str:
        parts: list[str] = []
        for child in nodes:
            if isinstance(child, str):
                parts.append(escape_md(_SPACE.sub(" ", child)))
                continue
            parts.append(self.inline_node(child))
        text = "".join(parts)
        # Collapse spaces around the line breaks that block-like spans produced.
        text = re.sub(r" *\n\s*", "\n", text)
        return re.sub(r" {2,}", " ", text)

    def inline_node(self, node: Node) -> str:
        inner = self.inline(node)
        tag = node.tag
        if tag == "br":
            return "\n"
        if tag in {"strong", "b"}:
            return f"**{inner.strip()}**" if inner.strip() else ""
        if tag in {"em", "i"}:
            return f"*{inner.strip()}*" if inner.strip() else ""
        if tag == "code":
            return f"`{_plain(node)}`"
        if tag == "a":
            return self.link(node, inner)
        if tag == "span" and node.classes & _LINE_CLASSES:
            return f"\n{inner.strip()}\n"
        if tag in _BLOCKS or tag in {"li", "dt", "dd"}:
            return f"\n{inner.strip()}\n"
        return inner

    def link(self, node: Node, inner: str) -> str:
        href = node.attrs.get("href", "")
        text = inner.strip()
        if href.startswith("#"):
            target = self.slugs.get(href[1:])
            return f"[{text}](#{target})" if target else text
        if href.startswith("mailto:") and text == escape_md(href[7:]):
            return f"<{href[7:]}>"
        if href.startswith("tel:"):
            return text
        return f"[{text}]({href})" if href else text

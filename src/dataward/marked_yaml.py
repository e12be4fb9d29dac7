"""Strict YAML with marks: the machinery the register and sources loaders share.

YAML nodes are composed one at a time (no blind alias expansion), turned into plain data
while recording where each value came from, and pydantic's errors are mapped back to
``FILE:LINE:COL: field.path: message``. Bad input is reported through the ``invalid``
factory each loader passes in, so each raises its own error type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dataward.errors import SourceProblem

PathKey = tuple[str | int, ...]
Mark = tuple[int, int]  # 1-based line, column
MAX_DEPTH = 100  # registers nest about ten deep; a recursive alias nests forever
Invalid = Callable[[list[SourceProblem]], Exception]


class MarkedBuilder:
    """Turns composed YAML nodes into plain data, recording where each value came from."""

    def __init__(self, file: str, max_nodes: int, what: str = "register") -> None:
        self.file = file
        self.max_nodes = max_nodes
        self.what = what
        self.visited = 0
        self.marks: dict[PathKey, Mark] = {}
        self.problems: list[SourceProblem] = []

    def problem(self, node: yaml.Node, path: PathKey, message: str) -> None:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        self.problems.append(SourceProblem(self.file, line, col, dotted(path), message))

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.visited += 1
        if self.visited > self.max_nodes:
            raise TooManyNodes(node, f"more than {self.max_nodes} YAML nodes (alias expansion?)")
        if len(path) > MAX_DEPTH:
            raise TooManyNodes(node, f"nested more than {MAX_DEPTH} levels (recursive alias?)")
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN:
            self.problem(node, path, f"cannot read value: unsupported tag {node.tag!r}")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        try:
            return _scalar(node)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            self.problem(node, path, f"cannot read value: {getattr(exc, 'problem', exc)}")
            return None

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, path, f"merge keys (<<) are not allowed in a {self.what}")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "keys must be plain strings")
                continue
            key = str(key_node.value)
            if key in result:
                self.problem(key_node, (*path, key), f"duplicate key {key!r}")
                continue
            self.marks[(*path, key, "__key__")] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.build(value_node, (*path, key))
        return result


class TooManyNodes(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        self.node = node
        self.message = message


_PLAIN = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.ScalarNode) -> Any:
    # Resolve the tag the way SafeLoader does (ints, bools, dates, null) one scalar at a
    # time, without PyYAML building the whole document and expanding aliases blindly.
    construct = _CONSTRUCTOR.yaml_constructors.get(node.tag)
    if construct is None:
        raise yaml.constructor.ConstructorError(None, None, f"unsupported tag {node.tag!r}")
    return construct(_CONSTRUCTOR, node)


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if part == "__key__":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def nearest_mark(marks: dict[PathKey, Mark], path: PathKey) -> Mark:
    for end in range(len(path), -1, -1):
        mark = marks.get(path[:end])
        if mark:
            return mark
    return (1, 1)


def one_problem(
    invalid: Invalid, file: str, path: str, message: str, line: int = 1, col: int = 1
) -> Exception:
    return invalid([SourceProblem(file, line, col, path, message)])


def read_text(path: Path, max_bytes: int, invalid: Invalid) -> str:
    """Read a file with a size cap and a UTF-8 check; problems come from ``invalid``."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise one_problem(
                invalid, file, "", f"file is {size} bytes, over the {max_bytes}-byte limit"
            )
        raw = read_bounded(path, max_bytes)
        if len(raw) > max_bytes:
            raise one_problem(invalid, file, "", f"file is over the {max_bytes}-byte limit")
    except OSError as exc:
        raise one_problem(invalid, file, "", f"cannot read file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise invalid([SourceProblem(file, line, 1, "", f"not UTF-8 (byte {exc.start})")]) from None


def read_bounded(path: Path, limit: int, chunk: int = 1 << 16) -> bytes:
    """At most ``limit + 1`` bytes, in chunks: a device or a file growing under us is not read
    without end, and a small file does not cost a buffer the size of the cap."""
    parts: list[bytes] = []
    total = 0
    with path.open("rb") as handle:
        while total <= limit:
            part = handle.read(min(chunk, limit + 1 - total))
            if not part:
                break
            parts.append(part)
            total += len(part)
    return b"".join(parts)


def compose(
    text: str, file: str, *, max_bytes: int, max_nodes: int, what: str, invalid: Invalid
) -> tuple[Any, MarkedBuilder]:
    """The plain data of a YAML mapping and the builder holding its marks and problems."""
    if len(text.encode("utf-8")) > max_bytes:
        raise one_problem(invalid, file, "", f"{what} is over the {max_bytes}-byte limit")
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax: {exc.problem or exc.context}"
        raise one_problem(invalid, file, "", message, line, col) from None
    except yaml.YAMLError as exc:
        raise one_problem(invalid, file, "", f"YAML syntax: {exc}") from None
    if root is None:
        raise one_problem(invalid, file, "", "the file is empty")
    if not isinstance(root, yaml.MappingNode):
        raise one_problem(invalid, file, "", f"a {what} is a mapping of sections at the top level")
    builder = MarkedBuilder(file, max_nodes, what)
    try:
        data = builder.build(root, ())
    except TooManyNodes as exc:
        mark = exc.node.start_mark
        raise one_problem(invalid, file, "", exc.message, mark.line + 1, mark.column + 1) from None
    return data, builder


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Marked(Generic[M]):
    """A file's model (None when pydantic refused it), every problem found so far at its
    line, and where each value came from."""

    model: M | None
    problems: list[SourceProblem]
    marks: dict[PathKey, Mark]


def validate_marked(
    text: str,
    file: str,
    model: type[M],
    *,
    max_bytes: int,
    max_nodes: int,
    what: str,
    invalid: Invalid,
) -> Marked[M]:
    """Compose ``text`` and validate it as ``model``; each problem at its file:line:col."""
    data, builder = compose(
        text, file, max_bytes=max_bytes, max_nodes=max_nodes, what=what, invalid=invalid
    )
    problems = list(builder.problems)
    try:
        parsed: M | None = model.model_validate(data)
    except ValidationError as exc:
        parsed = None
        # A value the builder could not read is None now; pydantic's complaint about that
        # None would report the same mistake twice.
        unreadable = {p.path for p in builder.problems}
        problems.extend(
            p
            for p in validation_problems(exc, data, builder.marks, file)
            if p.path not in unreadable
        )
    return Marked(parsed, problems, builder.marks)


def validation_problems(
    exc: ValidationError, data: Any, marks: dict[PathKey, Mark], file: str
) -> list[SourceProblem]:
    # Union fields report one error per branch. Errors from the ``unspecified`` branch are
    # noise when the author clearly meant the structured form, so they are dropped whenever
    # another branch explains a problem at or under the same field.
    plain: list[tuple[PathKey, str]] = []
    unspecified: list[tuple[PathKey, PathKey, str]] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        path, missing_key = _data_path(data, loc, error["type"])
        if missing_key:
            path = (*path, missing_key)
        message = _message(error, missing_key)
        if "Unspecified" in loc:
            base, _ = _data_path(data, loc[: loc.index("Unspecified")], "")
            unspecified.append((base, path, message))
        else:
            plain.append((path, message))
    for base, path, message in unspecified:
        if not any(p[: len(base)] == base for p, _ in plain):
            plain.append((path, message))
    grouped: dict[PathKey, list[str]] = {}
    for path, message in plain:
        messages = grouped.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    problems: list[SourceProblem] = []
    for path, messages in grouped.items():
        # A value of the plain form (a basis name) also fails every structured branch
        # ({implied_by: ...}); that branch's "not a dictionary" says nothing the other does not.
        shaped = [m for m in messages if not m.startswith(_NOT_A_MAPPING)]
        messages = shaped or messages
        mark_path = (*path, "__key__") if path and (*path, "__key__") in marks else path
        line, col = nearest_mark(marks, mark_path)
        text = messages[0] if len(messages) == 1 else "; or ".join(messages[:4])
        problems.append(SourceProblem(file, line, col, dotted(path), text))
    return problems


_NOT_A_MAPPING = "Input should be a valid dictionary or instance of"


def _data_path(data: Any, loc: tuple[int | str, ...], kind: str) -> tuple[PathKey, str | None]:
    """Follow pydantic's ``loc`` through the data, skipping union branch tags.

    A part that is not in the data is a union tag (``Unspecified``, ``function-after[...]``)
    except the last part of a ``missing`` error, which names the absent key.
    """
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif last and kind == "missing" and isinstance(part, str):
            return tuple(path), part
    return tuple(path), None


def _message(error: Any, key: str | None) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {key or error['loc'][-1]!r}"
    if kind == "missing":
        return f"required key {key or error['loc'][-1]!r} is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in {"literal_error", "enum"}:
        return f"{message}, got {error.get('input')!r}"
    return message

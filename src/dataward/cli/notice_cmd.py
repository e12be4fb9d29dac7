"""``dataward notice``: render the public notice, list its versions, diff two versions."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dataward.errors import ValidationFailed
from dataward.notice.diff import REASONS, NoticeDiff, diff_registers
from dataward.register.loader import load_register
from dataward.register.models import Register
from dataward.uow import UnitOfWork

app = typer.Typer(help="Render the privacy notice and compare its versions.", no_args_is_help=True)


class Format(StrEnum):
    HTML = "html"
    MD = "md"
    PDF = "pdf"


Url = Annotated[str | None, typer.Option(help="Database URL (default: settings).")]


@app.command("render")
def render(
    register: Annotated[Path, typer.Argument(help="Register YAML file.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="html, md or pdf.")] = Format.HTML,
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="Render one subject group's notice alone.")
    ] = None,
) -> None:
    """Render the notice (NTC-01) as an accessible HTML page, Markdown or PDF."""
    if fmt is Format.PDF:
        from dataward.notice.pdf import load_weasyprint

        # Before anything else: a missing library must not leave a file behind.
        load_weasyprint()
        if output is None:
            raise ValidationFailed("PDF output needs a file: give -o FILE")
    loaded = load_register(register).register
    started = time.perf_counter()
    if fmt is Format.PDF:
        # Laying out a long notice takes seconds: say so, rather than look stuck.
        typer.echo("laying out the PDF (a few seconds for a long notice)...", err=True)
    data = _render(loaded, fmt, group)
    if fmt is Format.PDF:
        typer.echo(f"laid out in {time.perf_counter() - started:.1f} s", err=True)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    write_whole(output, data)
    typer.echo(f"wrote {output}")


def _render(register: Register, fmt: Format, group: str | None) -> bytes:
    if fmt is Format.PDF:
        from dataward.notice.pdf import render_pdf

        return render_pdf(register, group=group)
    if fmt is Format.MD:
        from dataward.notice.markdown import render_markdown

        return render_markdown(register, group=group).encode("utf-8")
    from dataward.notice.render import render_html

    return render_html(register, group=group).encode("utf-8")


def write_whole(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a failed write never leaves half a file."""
    from dataward.errors import ExportError

    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


@app.command("diff")
def diff(
    old: Annotated[Path | None, typer.Argument(help="Older register YAML file.")] = None,
    new: Annotated[Path | None, typer.Argument(help="Newer register YAML file.")] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="Organisation of stored versions.")
    ] = None,
    from_version: Annotated[
        int | None, typer.Option("--from", help="Older notice version.")
    ] = None,
    to_version: Annotated[int | None, typer.Option("--to", help="Newer notice version.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
    url: Url = None,
) -> None:
    """Changes per section, each marked significant or not (NTC-03).

    Exit 0 when nothing significant changed, 1 when something did, 2 on bad input.
    """
    if old is not None and new is not None and org is None:
        result = diff_registers(load_register(old).register, load_register(new).register)
        label = f"{old} → {new}"
    elif old is None and new is None and org and from_version and to_version:
        result = _stored_diff(org, from_version, to_version, url)
        label = f"notice version {from_version} → {to_version}"
    else:
        raise ValidationFailed(
            "give two register files (OLD NEW), or --org ORG --from N --to M for stored "
            "notice versions"
        )
    if as_json:
        typer.echo(json.dumps(_as_json(result, label), indent=2, ensure_ascii=False))
    else:
        typer.echo(format_diff(result, label))
    raise typer.Exit(1 if result.significant else 0)


def _stored_diff(org: str, old: int, new: int, url: str | None) -> NoticeDiff:
    from dataward.publication.notices import diff_versions

    with _read_only(url) as uow:
        return diff_versions(uow, org, old, new)


@contextmanager
def _read_only(url: str | None) -> Iterator[UnitOfWork]:
    """A unit of work on dataward's database that is never committed."""
    from dataward.config import get_settings
    from dataward.runtime import open_runtime

    settings = get_settings()
    if url:
        settings = settings.model_copy(update={"database_url": url})
    with open_runtime(settings, with_keys=False) as runtime, runtime.uow() as uow:
        yield uow


def _as_json(result: NoticeDiff, label: str) -> dict[str, object]:
    return {
        "organisation": result.organisation,
        "compared": label,
        "summary": result.summary(),
        "significant": bool(result.significant),
        "changes": [c.as_dict() for c in result.changes],
    }


def format_diff(result: NoticeDiff, label: str) -> str:
    """A readable change list, grouped by the notice section each change is in."""
    lines = [f"Notice of {result.organisation}: {label}", result.summary()]
    for section, changes in result.by_section().items():
        lines.append("")
        lines.append(section)
        for change in changes:
            mark = "!" if change.significant else "-"
            line = f"  {mark} {change.headline}"
            if change.significant:
                line += "  [significant: " + ", ".join(REASONS[r] for r in change.reasons) + "]"
            lines.append(line)
            lines.extend(f"      {detail}" for detail in change.details)
    return "\n".join(lines)


@app.command("versions")
def versions(
    org: Annotated[str, typer.Option("--org", help="Organisation id.")],
    url: Url = None,
) -> None:
    """List the published versions of an organisation's notice, newest first."""
    from dataward.publication.notices import list_notice_versions

    with _read_only(url) as uow:
        rows = list_notice_versions(uow, org)
        for row in rows:
            day = row.published_at.date().isoformat()
            typer.echo(
                f"{row.version}\t{day}\t{row.content_hash[:12]}\t"
                f"register v{row.register_version}\t{row.summary}"
            )


def _add_notify() -> None:
    """``dataward notice notify`` lives with the campaigns it drafts (``notify_cmd``)."""
    from dataward.cli import notify_cmd

    app.command("notify")(notify_cmd.notify)


_add_notify()

"""``dataward demo``: build a synthetic debt-collection agency to try dataward on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from dataward.config import get_settings
from dataward.demo.complaints import open_demo_complaints
from dataward.demo.rights_requests import open_demo_requests
from dataward.demo.service import (
    DEFAULT_FILES_DIR,
    DEFAULT_OPERATIONAL_URL,
    DEFAULT_ORGANISATION,
    DEFAULT_SOURCES,
    DemoOptions,
    DemoSummary,
    create_demo,
)
from dataward.demo.sources import FILES_DIR_FROM, OPERATIONAL_URL_FROM
from dataward.migrate import upgrade
from dataward.runtime import open_runtime

app = typer.Typer(help="A synthetic organisation to try dataward on.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

_LABELS = {"register": "Registering subjects", "operational": "Operational data"}


class _Bars:
    """Rich progress bars behind ``demo.service.DemoProgress``."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def start(self, task: str, total: int) -> None:
        self.tasks[task] = self.progress.add_task(_LABELS.get(task, task), total=total)

    def advance(self, task: str, amount: int) -> None:
        self.progress.advance(self.tasks[task], amount)


def _print_summary(summary: DemoSummary) -> None:
    table = Table("Table", "Rows", title="Operational database")
    for name, count in summary.tables.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(
        f"{summary.organisation}: {summary.subjects_added:,} subjects registered "
        f"({summary.debtors:,} customers, {summary.new_occupiers:,} new occupiers"
        + (
            f", {summary.subjects_existing:,} already registered"
            if summary.subjects_existing
            else ""
        )
        + f") in {summary.seconds:.1f} s, {summary.subjects_per_second:,.0f} subjects/s "
        f"(checking {summary.check_seconds:.1f} s, sealing and writing "
        f"{summary.register_seconds:.1f} s"
        + (", operational data built alongside" if summary.parallel else "")
        + ")",
        markup=False,
    )


@app.command("create")
def create(
    subjects: Annotated[
        int, typer.Option(help="People in all: customers and new occupiers.")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same operational data.")] = 1,
    operational_url: Annotated[
        str, typer.Option(help="SQLAlchemy URL of the agency's own database.")
    ] = DEFAULT_OPERATIONAL_URL,
    org: Annotated[str, typer.Option("--org", help="Organisation id.")] = DEFAULT_ORGANISATION,
    files_dir: Annotated[
        Path, typer.Option(help="Folder for recordings and evidence files.")
    ] = DEFAULT_FILES_DIR,
    files: Annotated[
        bool, typer.Option("--files/--no-files", help="Write the small media files.")
    ] = True,
    sources: Annotated[
        Path, typer.Option(help="Where to write the map of datasets to tables.")
    ] = DEFAULT_SOURCES,
    register: Annotated[
        Path | None,
        typer.Option(
            help="Register stored first if the organisation has none "
            "(default: jtr-collections.yaml in the examples folder)."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Drop and rebuild an existing demo.")
    ] = False,
    requests: Annotated[
        bool,
        typer.Option(
            "--requests/--no-requests",
            help="Open the demo's rights requests and complaints too (once: never twice).",
        ),
    ] = True,
) -> None:
    """Build the demo agency's operational database and register its people as subjects."""
    settings = get_settings()
    if register is None and org == DEFAULT_ORGANISATION:
        register = settings.examples_dir / "jtr-collections.yaml"
    options = DemoOptions(
        subjects=subjects,
        seed=seed,
        organisation=org,
        operational_url=operational_url,
        files_dir=files_dir if files else None,
        sources_path=sources,
        register_path=register,
        replace=replace,
    )
    with open_runtime(settings) as runtime:  # checks the KEK and the key store before any work
        upgrade(settings.database_url)
        columns = (
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with runtime.uow() as uow, Progress(*columns, console=out, transient=False) as bars:
            summary = create_demo(uow, options, _Bars(bars))
            uow.commit()
        if requests:
            with runtime.uow() as uow:
                opened = open_demo_requests(uow, org, seed=seed)
                uow.commit()
            with runtime.uow() as uow:
                # The agency as its sources file names it, to find the case a complaint holds.
                agency = {OPERATIONAL_URL_FROM: operational_url, FILES_DIR_FROM: str(files_dir)}
                complaints = open_demo_complaints(uow, org, seed=seed, env=agency)
                uow.commit()
    _print_summary(summary)
    if requests:
        out.print(
            f"{opened.opened} demo rights requests opened"
            + (f" ({opened.existing} were there already)" if opened.existing else ""),
            markup=False,
        )
        out.print(
            f"{complaints.opened} demo complaints opened"
            + (f" ({complaints.existing} were there already)" if complaints.existing else ""),
            markup=False,
        )
    out.print(f"dataset map written to {sources}", markup=False)

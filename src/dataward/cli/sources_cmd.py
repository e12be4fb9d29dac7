"""``dataward sources``: check a sources file against its register, store it, print its schema.

A sources file (docs/sources.md) binds each register dataset to where the organisation keeps
it. Problems are printed one a line as FILE:LINE:COL: field.path: message, exit 2, nothing
stored. Connection URLs are never in the file, so nothing here prints one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from dataward.errors import ConfigurationError, SourceProblem, ValidationFailed
from dataward.sources.errors import SourcesInvalid
from dataward.sources.loader import LoadedSources, RegisterFit, check_against_register, load_sources
from dataward.sources.models import SourcesFile

if TYPE_CHECKING:
    from dataward.register.models import Register

app = typer.Typer(
    help="Sources files: check one against its register, store it as a version, print the schema.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)

SourcesArg = Annotated[Path, typer.Argument(help="Sources YAML file.", show_default=False)]


def _load_or_exit(file: Path, then: str = "") -> LoadedSources:
    try:
        return load_sources(file)
    except SourcesInvalid as error:
        _print_problems(error.problems)
        if then:
            out.print(f"{file}: invalid; {then}", markup=False)
        raise typer.Exit(2) from None


def _print_problems(problems: list[SourceProblem]) -> None:
    for problem in problems:
        out.print(str(problem), markup=False)


def _print_fit(file: Path, fit: RegisterFit) -> None:
    for manual in fit.by_hand:
        out.print(
            f"{file}: {manual.dataset}: searched by hand (no binding): {manual.reason}",
            markup=False,
        )


@app.command("check")
def check(
    file: SourcesArg,
    register: Annotated[
        Path, typer.Option("--register", help="The organisation's register YAML file.")
    ],
    connect: Annotated[
        bool,
        typer.Option(
            "--connect",
            help="Also connect to every source and check its tables, columns, relations, "
            "types and indexes (read-only; exit 1 on a problem).",
        ),
    ] = False,
) -> None:
    """Check a sources file on its own and against the register (no database is opened).

    With --connect, every connection is opened (its URL from the environment variable or
    setting its url_from names) and each binding checked against what exists: tables,
    columns, relations, that types fit (a date column for an event, comparable keys), and
    that files are where the rows say. A column that requests or the retention run filter
    on with no index (an identity or relation column; a trigger, the via of a hold or
    trigger on a related table, an entity's reference, the key) is a warning with the
    CREATE INDEX a DBA could run; dataward never changes the schema.
    Exit 1 when a connected check finds a problem.

    Every dataset id must be the register's; identity kinds the register's and declared on
    that dataset; column categories, event ids and hold ids the register's. A register
    dataset no binding reaches is listed as searched by hand (a manual search task on each
    request), not an error. Exit 0: valid. 2: invalid (every problem is printed as
    FILE:LINE:COL: field.path: message).

    Example: dataward sources check var/demo-sources.yaml --register examples/jtr-collections.yaml

    Connected: dataward sources check sources.yaml --register register.yaml --connect
    """
    from dataward.register.loader import load_register

    code = check_sources_file(file, load_register(register).register, str(register), connect)
    if code:
        raise typer.Exit(code)


def check_sources_file(file: Path, register: Register, against: str, connect: bool) -> int:
    """Print what checking a sources file against ``register`` finds; return the exit code.

    2: the file is invalid on its own or against the register (nothing is opened then);
    1: ``connect`` and the connected check found a problem; 0 otherwise (warnings allowed).
    ``register check --sources`` runs this too.
    """
    try:
        loaded = load_sources(file)
    except SourcesInvalid as error:
        _print_problems(error.problems)
        return 2
    fit = check_against_register(loaded, register)
    _print_problems(fit.problems)
    _print_fit(file, fit)
    if fit.problems:
        out.print(f"{file}: invalid against {against}", markup=False)
        return 2
    out.print(
        f"{file}: valid; {len(fit.bound)} datasets bound, {len(fit.by_hand)} searched by hand",
        markup=False,
    )
    return _check_connected(file, loaded) if connect else 0


def _check_connected(file: Path, loaded: LoadedSources) -> int:
    from dataward.sources.check import check_connected, describe_findings

    result = check_connected(loaded)
    for line in describe_findings(result):
        out.print(line, markup=False)
    errors, warnings = len(result.errors), len(result.warnings)
    summary = (
        f"{file}: connected to {len(result.connected)} of {len(loaded.sources.connections)} "
        f"sources; {errors} problem{'' if errors == 1 else 's'}, "
        f"{warnings} warning{'' if warnings == 1 else 's'}"
    )
    out.print(summary, markup=False)
    return result.exit_code


@app.command("load")
def load(
    file: SourcesArg,
    organisation: Annotated[
        str, typer.Option("--organisation", "--org", help="Organisation id, as in its register.")
    ],
    url: Annotated[
        str | None, typer.Option(help="Database URL (default: DATAWARD_DATABASE_URL).")
    ] = None,
    actor: Annotated[str, typer.Option(help="Who is acting, for the audit chain.")] = "cli",
) -> None:
    """Store a sources file as the organisation's next version (only when its text changed).

    The file is checked on its own and against the organisation's stored register (load the
    register first: `dataward register load`). A new version keeps the text, its SHA-256,
    when it was loaded and its number, so evidence can cite it; loading the same text again
    stores nothing and says so. Invalid: every problem printed, exit 2, nothing stored.

    Example: dataward sources load var/demo-sources.yaml --organisation jtr_collections
    """
    from dataward.config import get_settings
    from dataward.logging import configure_logging
    from dataward.migrate import upgrade
    from dataward.publication.parsed import load_version
    from dataward.publication.registers import current_version
    from dataward.publication.sources import store_sources
    from dataward.runtime import open_runtime

    loaded = _load_or_exit(file, "nothing was stored")
    if loaded.sources.organisation != organisation:
        raise ValidationFailed(
            f"{file} is the sources file of {loaded.sources.organisation!r}, "
            f"not {organisation!r}; nothing was stored"
        )
    settings = get_settings()
    if url:
        settings = settings.model_copy(update={"database_url": url})
    configure_logging(settings.log_level, settings.log_format)  # logs to stderr, not stdout
    try:
        upgrade(settings.database_url)
    except (OSError, SQLAlchemyError) as exc:
        raise ConfigurationError(f"database unreachable: {type(exc).__name__}") from None
    with open_runtime(settings, with_keys=False) as runtime, runtime.uow() as uow:
        register = load_version(current_version(uow, organisation)).register
        fit = check_against_register(loaded, register)
        if fit.problems:
            _print_problems(fit.problems)
            out.print(
                f"{file}: invalid against the stored register; nothing was stored", markup=False
            )
            raise typer.Exit(2)
        stored = store_sources(uow, loaded, organisation=organisation, actor=actor)
        uow.commit()
        number, digest = stored.version.version, stored.version.content_hash
    _print_fit(file, fit)
    if stored.new:
        out.print(
            f"{organisation}: stored sources version {number} (sha256 {digest[:12]}).",
            markup=False,
        )
    else:
        out.print(
            f"{organisation}: unchanged; sources version {number} is this text already, "
            "so nothing was stored.",
            markup=False,
        )


@app.command("schema")
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the sources file format (for editors and CI).

    Example: dataward sources schema -o sources.schema.json
    """
    text = json.dumps(SourcesFile.model_json_schema(), indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)

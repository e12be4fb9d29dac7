"""``dataward access``: access packages (ACC-01) from a terminal.

Each command runs the service the console and the API run (``access.service``,
``access.delivery``, ``access.expiry``), held to the same rules. Output is ids, states,
counts and dates: never a row of the package. Bad input is one line,
``error [code]: message``, and exit code 2, with nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dataward.errors import DatawardError

app = typer.Typer(
    help="Access packages (ACC-01): queue a request's package, follow it, download it for a "
    "requester answered by post, delete expired ones.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
Org = Annotated[str, typer.Argument(help="Organisation id, as in its register.")]
Ref = Annotated[str, typer.Argument(help="The request's reference (q_...).")]
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]


@contextmanager
def refused() -> Iterator[None]:
    """Bad input or a refused step: one line naming what and its code, exit 2."""
    from dataward.cli.app import report_error

    try:
        yield
    except DatawardError as error:
        raise typer.Exit(report_error(error)) from None


Kind = Annotated[
    str,
    typer.Option(
        "--kind",
        help="access (a copy of everything, ACC-01) or portability (what the subject "
        "provided, under consent or contract, as JSON and CSV: POR-01).",
    ),
]


@app.command("build")
def build(
    org: Org,
    ref: Ref,
    actor: Actor = "cli",
    kind: Kind = "access",
    send_to: Annotated[
        str | None,
        typer.Option(
            "--send-to",
            help="Portability only (Art 20(2)): the organisation the subject asked for "
            "their data to be sent to; needs --send-to-email.",
        ),
    ] = None,
    send_to_email: Annotated[
        str | None,
        typer.Option(
            "--send-to-email",
            help="The email address the subject gave for that organisation (sealed).",
        ),
    ] = None,
) -> None:
    """Queue the build of the request's access (or portability) package; `dataward
    worker` builds it.

    The request must be open, ask for access (portability, with --kind portability),
    have its subject linked and the requester's identity proven, and have no package of
    the kind yet; the organisation's sources file must be
    stored (`dataward sources load`). A caseworker then reviews and approves the package
    in the console before the requester is emailed its link.

    With --send-to and --send-to-email (portability only, POR-01, Art 20(2)) the ready
    package's link goes to that organisation instead, the requester is told, and the
    one-time code still goes to the requester, who passes it on.

    Example: dataward access build acme q_0123456789abcdef --kind portability

    Example: dataward access build acme q_0123456789abcdef --kind portability
    --send-to "Example Energy Ltd" --send-to-email data.moves@example-energy.co.uk
    """
    from dataward.access.controller_transfer import record_destination
    from dataward.access.errors import DestinationInvalid
    from dataward.access.service import queue_package
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        if (send_to is None) != (send_to_email is None):
            raise DestinationInvalid("give both --send-to and --send-to-email")
        if send_to is not None and kind != "portability":
            raise DestinationInvalid("--send-to goes with --kind portability only")
        package = queue_package(uow, org, ref, actor=actor, kind=kind)
        if send_to is not None and send_to_email is not None:
            record_destination(uow, org, ref, send_to, send_to_email, actor=actor)
        uow.commit()
        line = (
            f"{ref}: {package.kind} package {package.id} queued "
            f"(sources v{package.sources_version}); "
            "`dataward worker` builds it"
            + (", then emails its link to the organisation given" if send_to else "")
        )
    out.print(line, markup=False)


@app.command("status")
def status(org: Org, ref: Ref, kind: Kind = "access") -> None:
    """Where the request's package is, with its counts and expiry.

    Its state, rows and files per dataset, a source that could not be read (the worker
    retries it), when its link expires (UK time) and how often the requester downloaded it.

    Example: dataward access status acme q_0123456789abcdef
    """
    from dataward.access.progress import parts_of
    from dataward.access.service import get_package
    from dataward.clock import uk_moment
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.reader() as uow:
        package = get_package(uow, org, ref, kind)
        lines = [
            f"{ref}: package {package.id} {package.state}; {package.rows} rows, "
            f"{package.files} files (sources v{package.sources_version})"
        ]
        if package.failed_source:
            lines.append(
                f"  source {package.failed_source} could not be read ({package.last_error}): "
                "retried"
            )
        for part in parts_of(uow, package):
            lines.append(
                f"  {part.dataset}[{part.binding}]: {part.state}, {part.rows} rows, "
                f"{part.files} files, {part.redactions} redactions"
            )
        if package.deleted_at is not None:
            lines.append(f"  deleted {uk_moment(package.deleted_at)}")
        elif package.expires_at is not None:
            lines.append(f"  link works until {uk_moment(package.expires_at)}")
        lines.append(f"  downloaded {package.downloads} times by the requester")
    out.print("\n".join(lines), markup=False)


@app.command("download")
def download(
    org: Org,
    ref: Ref,
    to: Annotated[
        Path, typer.Option("--to", help="Where to write the ZIP (a new file: never replaced).")
    ],
    actor: Actor = "cli",
) -> None:
    """Write a ready package's ZIP, decrypted, for a requester answered by post.

    Audited as a staff download. The file holds the requester's personal data: keep it
    safe and delete it once sent.

    Example: dataward access download acme q_0123456789abcdef --to ./q_0123-data.zip
    """
    from dataward.access.delivery import open_package
    from dataward.access.errors import PackageRefused
    from dataward.access.service import get_package
    from dataward.runtime import open_runtime

    with refused():
        if to.exists():
            raise PackageRefused(f"{to} exists already: choose a new file name")
        with open_runtime() as runtime, runtime.uow() as uow:
            stream = open_package(uow, get_package(uow, org, ref), actor=actor)
            written = 0
            partial = to.with_name(to.name + ".partial")
            try:
                with open(partial, "xb") as handle:
                    for chunk in stream:
                        handle.write(chunk)
                        written += len(chunk)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            partial.rename(to)
            uow.commit()
    out.print(f"{ref}: {written} bytes written to {to}", markup=False)


@app.command("expire")
def expire(actor: Actor = "cli") -> None:
    """Delete every ready package past its date, now.

    The worker does it every few minutes: files removed, the package marked deleted, each
    deletion audited.

    Example: dataward access expire
    """
    from dataward.access.expiry import delete_expired_packages
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        deleted = delete_expired_packages(uow, now=uow.clock.now(), actor=actor)
        uow.commit()
    out.print(f"{deleted} expired package{'s' if deleted != 1 else ''} deleted", markup=False)

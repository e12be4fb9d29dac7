"""``dataward worker`` and ``dataward jobs``: run due work; see and retry parked jobs."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from dataward.errors import ConfigurationError
from dataward.jobs.models import Job
from dataward.jobs.service import parked_jobs, requeue
from dataward.logging import configure_logging
from dataward.runtime import Runtime, open_runtime

app = typer.Typer(help="Due work: parked jobs and retries.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)


def _check_schema(runtime: Runtime) -> None:
    try:
        with runtime.uow() as uow:
            uow.session.execute(select(Job.id).limit(1))
    except SQLAlchemyError:
        raise ConfigurationError(
            "the database has no jobs table: run `dataward db upgrade` first"
        ) from None


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Do what is due now, then exit (for cron).")
    ] = False,
    batch: Annotated[int | None, typer.Option(help="Rows claimed at a time.", min=1)] = None,
) -> None:
    """Claim due rows and do them (send outbox messages, queue campaign batches).

    Stops gracefully on SIGTERM or Ctrl+C: the job in hand finishes, the rest of the
    batch is handed back.
    """
    from dataward.config import get_settings
    from dataward.outbox.config import get_mail_settings
    from dataward.workers import build_worker

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    mail = get_mail_settings()
    if batch is not None:
        mail = mail.model_copy(update={"worker_batch": batch})
    with open_runtime(settings) as runtime:
        _check_schema(runtime)
        running = build_worker(runtime.session_factory, runtime.clock, runtime.vault, mail)

        def stop(_signum: int, _frame: Any) -> None:
            running.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        stats = running.run(once=once)
    typer.echo(
        f"worker {running.id}: {stats.done} done, {stats.retried} to retry, "
        f"{stats.parked} parked, {stats.released} handed back"
    )


@app.command("list")
def list_parked() -> None:
    """List parked jobs (those given up after their tries) with the reason."""
    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        rows = parked_jobs(uow.session)
    table = Table("Id", "Kind", "Tries", "Parked at", "Reason")
    for job in rows:
        table.add_row(
            str(job.id),
            job.kind,
            str(job.attempts),
            f"{job.updated_at:%Y-%m-%d %H:%M} UTC",
            job.last_error or "",
        )
    out.print(table)
    out.print(f"{len(rows)} parked", markup=False)


@app.command("retry")
def retry(
    job_id: Annotated[int, typer.Argument(help="Id of a parked job.")],
    actor: Annotated[str, typer.Option(help="Who is acting, for the audit chain.")] = "cli",
) -> None:
    """Put a parked job back in the queue, with a fresh count of tries."""
    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        requeue(uow, job_id, actor=actor)
        uow.commit()
    typer.echo(f"job {job_id} is due again")

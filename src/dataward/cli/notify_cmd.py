"""``dataward notice notify``: tell subjects of a significant notice change (NTC-03)."""

from __future__ import annotations

from typing import Annotated

import typer

from dataward.runtime import open_runtime


def notify(
    org: Annotated[str, typer.Option("--org", help="Organisation id, as in its register.")],
    from_version: Annotated[int, typer.Option("--from", help="Register version notified of.")],
    to_version: Annotated[int, typer.Option("--to", help="The new register version.")],
    summary: Annotated[str, typer.Option(help="Summary of the changes, as subjects read it.")],
    group: Annotated[
        list[str] | None,
        typer.Option("--group", "-g", help="Affected subject group (repeat); default: all."),
    ] = None,
    actor: Annotated[str, typer.Option(help="Who is acting, for the audit chain.")] = "cli",
) -> None:
    """Queue a notice-of-change message to every affected subject with an email address.

    Workers queue the messages in batches and send them; the console's outbox page shows
    the campaign's progress.
    """
    from dataward.notify.service import groups_of_version, queue_notice_change_campaign

    with open_runtime() as runtime, runtime.uow() as uow:
        groups = group or groups_of_version(uow, org, to_version)
        campaign = queue_notice_change_campaign(
            uow, org, from_version, to_version, summary, groups, actor=actor
        )
        uow.commit()
    from dataward.cli.words import plural

    typer.echo(
        f"campaign {campaign.id}: {plural(campaign.subjects_total, 'subject')} in "
        f"{', '.join(campaign.groups)}; a worker (`dataward worker`) queues and sends the messages"
    )

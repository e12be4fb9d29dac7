"""``dataward notice notify`` drafts a campaign to tell subjects of a significant notice
change (NTC-03); ``dataward notify`` lists campaigns and takes a person's decision on one
(approve, pause, resume, cancel: issue 14, item 9)."""

from __future__ import annotations

from typing import Annotated

import typer

from dataward.runtime import open_runtime

app = typer.Typer(
    help="Notice-change campaigns: list them; approve, pause, resume or cancel one.",
    no_args_is_help=True,
)
CampaignId = Annotated[str, typer.Argument(help="Campaign id (`dataward notify campaigns`).")]
AsUser = Annotated[
    str,
    typer.Option(
        "--as",
        help="Username of the DPO or administrator taking the decision (audited in their name).",
    ),
]


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
    """Draft a notice-of-change message to every affected subject with an email address.

    Nothing is sent until a DPO or an administrator approves the campaign
    (`dataward notify approve ID --as USERNAME`, or the console's Campaigns page).
    """
    from dataward.notify.service import draft_notice_change_campaign, groups_of_version

    with open_runtime() as runtime, runtime.uow() as uow:
        groups = group or groups_of_version(uow, org, to_version)
        campaign = draft_notice_change_campaign(
            uow, org, from_version, to_version, summary, groups, actor=actor
        )
        uow.commit()
    from dataward.cli.words import plural

    typer.echo(
        f"campaign {campaign.id} drafted: {plural(campaign.subjects_total, 'subject')} in "
        f"{', '.join(campaign.groups)}; nothing is sent until a DPO approves it "
        f"(dataward notify approve {campaign.id} --as USERNAME)"
    )


@app.command("campaigns")
def campaigns(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
) -> None:
    """List campaigns, newest first, with what the outbox really sent."""
    from dataward.notify.progress import campaign_progress

    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        rows = campaign_progress(uow, org)
        # One line each, the id first and whole: it is what the decision commands take.
        lines = [
            f"{p.campaign.id}  {p.campaign.organisation} v{p.campaign.from_version} -> "
            f"v{p.campaign.to_version}  {p.phase}  in scope {p.in_scope}, "
            f"sent {p.sent} of {p.expected}, waiting {p.pending}, failed {p.parked}"
            for p in rows
        ]
    typer.echo("\n".join(lines) if lines else "No campaigns.")


def _decide(decision: str, campaign_id: str, username: str) -> None:
    from dataward.notify.decisions import DECISIONS, approver_actor, record_refused_decision
    from dataward.notify.errors import ApproverNotAllowed

    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        try:
            actor = approver_actor(uow, username)
        except ApproverNotAllowed as error:
            uow.rollback()
            record_refused_decision(uow, error, decision, campaign_id)
            uow.commit()
            raise
        campaign = DECISIONS[decision](uow, campaign_id, actor=actor)
        uow.commit()
        typer.echo(f"campaign {campaign.id}: {campaign.status}")


@app.command("approve")
def approve(campaign_id: CampaignId, as_user: AsUser) -> None:
    """Approve a draft campaign: workers then queue and send its messages."""
    _decide("approve", campaign_id, as_user)


@app.command("pause")
def pause(campaign_id: CampaignId, as_user: AsUser) -> None:
    """Pause a campaign: nothing more is queued and its unsent messages are held."""
    _decide("pause", campaign_id, as_user)


@app.command("resume")
def resume(campaign_id: CampaignId, as_user: AsUser) -> None:
    """Resume a paused campaign: held messages are sent and queueing goes on."""
    _decide("resume", campaign_id, as_user)


@app.command("cancel")
def cancel(campaign_id: CampaignId, as_user: AsUser) -> None:
    """Cancel a draft or paused campaign for good: its unsent messages are never sent."""
    _decide("cancel", campaign_id, as_user)

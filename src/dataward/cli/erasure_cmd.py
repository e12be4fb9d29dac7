"""``dataward erasure``: erasure requests (ERA-01..03) from a terminal: ground, plan, approve,
run, show.

The same services as the console (``erasure.plan``, ``erasure.service``,
``erasure.executor``). Output is codes, counts, digests' counts and dates: never a row of
the person. Bad input is one line, ``error [code]: message``, and exit code 2, with nothing
changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from dataward.cli.access_cmd import refused

if TYPE_CHECKING:
    from dataward.erasure.models import ErasurePlan
    from dataward.uow import UnitOfWork

app = typer.Typer(
    help="Erasure (ERA-01..03): record the ground, plan as a dry run, approve (DPO), run, "
    "and show the plan and its evidence.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
Org = Annotated[str, typer.Argument(help="Organisation id, as in its register.")]
Ref = Annotated[str, typer.Argument(help="The request's reference (q_...).")]
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]


@app.command("ground")
def ground(
    org: Org,
    ref: Ref,
    code: Annotated[
        str,
        typer.Argument(
            help="no_longer_necessary, consent_withdrawn, objection_upheld, "
            "unlawful_processing, legal_obligation_to_erase or child_online_service."
        ),
    ],
    actor: Actor = "cli",
) -> None:
    """Record the Art 17(1) ground the subject relies on (ERA-01); no plan without one.

    Example: dataward erasure ground acme q_0123456789abcdef no_longer_necessary
    """
    from dataward.erasure.plan import GROUNDS, record_ground
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        record_ground(uow, org, ref, code, actor=actor)
        uow.commit()
    out.print(f"{ref}: ground {code} ({GROUNDS[code]})", markup=False)


@app.command("plan")
def plan(org: Org, ref: Ref, actor: Actor = "cli") -> None:
    """Plan the erasure: a dry run, per dataset binding, of what goes and how and what stays
    and why. Nothing changes in any source. A plan not yet approved is replaced.

    The request must ask for erasure, be open, have its subject linked, the identity proven
    and the ground recorded; the organisation's sources file must be stored.

    Example: dataward erasure plan acme q_0123456789abcdef
    """
    from dataward.erasure.plan import plan_erasure
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        made = plan_erasure(uow, org, ref, actor=actor)
        uow.commit()
        lines = _plan_text(uow, made)
    for line in lines:
        out.print(line, markup=False)


@app.command("approve")
def approve(
    org: Org,
    ref: Ref,
    actor: Annotated[
        str, typer.Option(help="The approving person, user:u_... holding requests:approve.")
    ],
) -> None:
    """Approve the plan (a DPO or administrator: never a token); the worker then runs it.

    Example: dataward erasure approve acme q_0123456789abcdef --actor user:u_0123abcd
    """
    from dataward.erasure.service import approve_erasure
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        approved = approve_erasure(uow, org, ref, actor=actor)
        uow.commit()
        line = f"{ref}: plan {approved.id} approved; `dataward worker` (or `erasure run`) runs it"
    out.print(line, markup=False)


@app.command("run")
def run(
    org: Org, ref: Ref, worker: Annotated[str, typer.Option(help="Named in the evidence.")] = "cli"
) -> None:
    """Run the approved plan here, to the end, instead of waiting for the worker.

    Each step commits on its own, exactly as the worker's runs do: a stale plan stops with
    nothing changed; a source that cannot be reached stops and is retried by the worker.

    Example: dataward erasure run acme q_0123456789abcdef
    """
    from dataward.erasure.executor import execute_plan
    from dataward.erasure.service import get_plan
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        found = get_plan(uow, org, ref)
        for _ in range(1000):
            step = execute_plan(uow, found.id, worker=worker)
            uow.commit()
            if step.failed or step.state != "running":
                break
        line = f"{ref}: plan {found.id} is {found.state}" + (
            f"; source {found.failed_source} failed ({found.last_error}): retried by the worker"
            if found.failed_source
            else ""
        )
    out.print(line, markup=False)
    if found.state not in ("done", "running"):
        raise typer.Exit(2)


@app.command("show")
def show(org: Org, ref: Ref) -> None:
    """The plan (what goes, what stays and why) and, once run, its evidence per dataset.

    Example: dataward erasure show acme q_0123456789abcdef
    """
    from dataward.erasure.evidence import evidence_lines
    from dataward.erasure.service import get_plan
    from dataward.runtime import open_runtime

    with refused(), open_runtime(with_keys=False) as runtime, runtime.reader() as uow:
        found = get_plan(uow, org, ref)
        lines = _plan_text(uow, found)
        proof = evidence_lines(uow, found)
    for line in lines:
        out.print(line, markup=False)
    if proof:
        out.print("Evidence:", markup=False)
    for item in proof:
        why = f" (kept: {item.why})" if item.why else ""
        out.print(
            f"  {item.dataset}[{item.binding}] on {item.connection}: {item.what}{why}",
            markup=False,
        )


def _plan_text(uow: UnitOfWork, plan: ErasurePlan) -> list[str]:
    from dataward.erasure.evidence import plan_lines

    lines = [
        f"{plan.id} {plan.state}: ground {plan.ground}; sources v{plan.sources_version}, "
        f"register v{plan.register_version}; {plan.rows_erased} rows and {plan.files_erased} "
        f"files go, {plan.rows_kept} rows kept"
        + ("; dataward's own copies shredded when done" if plan.shred_when_done else "")
    ]
    for item in plan_lines(uow, plan):
        why = f" (kept: {item.why})" if item.why else ""
        lines.append(f"  {item.dataset}[{item.binding}] on {item.connection}: {item.what}{why}")
    return lines

"""``dataward disclosure``: the disclosure log (NOT-01) from a terminal: add, list.

The same service as the console and the API (``disclosures.service``). A disclosure holds
no personal data: the subject is named by their ref, the recipient, datasets and purpose by
the register's ids. Bad input is one line, ``error [code]: message``, and exit code 2, with
nothing changed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from dataward.cli.complaint_cmd import parse_day, refused
from dataward.errors import ValidationFailed

app = typer.Typer(
    help="The disclosure log (NOT-01): whose data went to which recipient, why and when.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]


def _invalid(message: str) -> ValidationFailed:
    from dataward.disclosures.errors import DisclosureInvalid

    return DisclosureInvalid(message)


@app.command("add")
def add(
    org: Annotated[str, typer.Option("--org", help="Organisation id.")],
    subject: Annotated[str, typer.Option("--subject", help="Whose data went (s_...).")],
    recipient: Annotated[str, typer.Option(help="The register's recipient id.")],
    purpose: Annotated[str, typer.Option(help="The register's purpose it served.")],
    on: Annotated[str, typer.Option("--on", help="When it went (YYYY-MM-DD).")],
    dataset: Annotated[
        list[str], typer.Option("--dataset", help="A dataset id of the register; repeatable.")
    ],
    basis: Annotated[
        str | None,
        typer.Option(help="The Art 6 basis relied on (default: the purpose's only one)."),
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="Our own reference for it (a letter, a transfer).")
    ] = None,
    authorised_on: Annotated[
        str | None,
        typer.Option(
            help="When the person authorised it (YYYY-MM-DD): needed where the register "
            "shares with the recipient only if the person authorised it."
        ),
    ] = None,
    authorisation_ref: Annotated[
        str | None,
        typer.Option(help="Our reference for the evidence of that authorisation (no names)."),
    ] = None,
    transfer: Annotated[
        str | None,
        typer.Option(help="Outside the UK: the register's transfer it went under."),
    ] = None,
    destination: Annotated[str | None, typer.Option(help="The country it went to.")] = None,
    for_recipient_marketing: Annotated[
        bool,
        typer.Option(
            "--for-recipient-marketing",
            help="It went for the recipient's own marketing (refused where the register "
            "says the organisation never shares for others' marketing).",
        ),
    ] = False,
    actor: Actor = "cli",
) -> None:
    """Record a disclosure: the recipients are told when the data is later corrected,
    erased or restricted.

    Example: dataward disclosure add --org acme --subject s_0123456789abcdef
    --recipient credit_agency --purpose debt_tracing --dataset customers --on 2026-03-02

    The register's sharing rules are checked: a recipient it conditions on the person's
    authorisation needs --authorised-on and --authorisation-ref; a recipient outside the UK
    needs --transfer (a transfer the register lists, with its safeguard).
    """
    from dataward.disclosures.service import NewDisclosure, record_disclosure
    from dataward.runtime import open_runtime

    with refused():
        day = parse_day("--on", on, _invalid)
        authorised = (
            parse_day("--authorised-on", authorised_on, _invalid) if authorised_on else None
        )
        new = NewDisclosure(
            organisation=org[:80],
            subject_ref=subject[:32],
            recipient=recipient,
            datasets=tuple(dataset),
            purpose=purpose,
            disclosed_on=day,
            basis=basis,
            reference=reference,
            authorised_on=authorised,
            authorisation_ref=authorisation_ref,
            transfer=transfer,
            destination=destination,
            for_recipient_marketing=for_recipient_marketing,
        )
        with open_runtime() as runtime, runtime.uow() as uow:
            row = record_disclosure(uow, new, actor=actor)
            uow.commit()
            ref, datasets = row.ref, ", ".join(row.datasets)
    out.print(f"{ref}: {datasets} to {recipient} on {day.isoformat()}", markup=False)


@app.command("list")
def list_(
    org: Annotated[str, typer.Option("--org", help="Organisation id.")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="What went of this subject (s_...).")
    ] = None,
    recipient: Annotated[
        str | None, typer.Option(help="What this recipient (register id) received.")
    ] = None,
) -> None:
    """Disclosures of one subject, or to one recipient, newest first.

    Example: dataward disclosure list --org acme --subject s_0123456789abcdef
    """
    from dataward.disclosures.service import disclosures_of_subject, disclosures_to_recipient
    from dataward.runtime import open_runtime
    from dataward.subjects.service import get_subject

    lines: list[str] = []
    with refused():
        if (subject is None) == (recipient is None):
            raise _invalid("give --subject or --recipient (one of them)")
        with open_runtime() as runtime, runtime.reader() as uow:
            if subject is not None:
                rows = disclosures_of_subject(uow, get_subject(uow, org[:80], subject[:32]))
            else:
                rows = disclosures_to_recipient(uow, org[:80], str(recipient)[:80])
            for row in rows:
                extra = ""
                if row.authorised_on is not None:
                    extra += f"; authorised {row.authorised_on.isoformat()}"
                if row.transfer is not None:
                    extra += f"; transfer {row.transfer}"
                if row.for_recipient_marketing:
                    extra += "; for the recipient's marketing"
                lines.append(
                    f"{row.ref} {row.disclosed_on.isoformat()}: {', '.join(row.datasets)} to "
                    f"{row.recipient} for {row.purpose} ({row.basis}){extra}"
                )
    for line in lines:
        out.print(line, markup=False)
    out.print(f"{len(lines)} disclosure{'' if len(lines) == 1 else 's'}")

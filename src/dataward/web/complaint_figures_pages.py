"""Staff console: the DPO's figures about complaints, and their CSVs (issue 17, CMP-01).

Counts, codes and refs only: no complainant's detail appears, so these read
``complaints:read``. The period and the organisation live in the address (bookmarkable);
a period typed wrong is said so, and the last 12 months are shown instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from dataward.accounts.permissions import Permission
from dataward.clock import in_uk_time
from dataward.complaints.export import complaint_log, figures_csv
from dataward.complaints.figures import (
    ACK_STATES,
    NOT_YET_SAID,
    TARGET_STATES,
    Period,
    figures,
    parse_period,
)
from dataward.complaints.service import CHANNELS, OUTCOMES, THEMES, today_of
from dataward.errors import DatawardError
from dataward.publication.registers import list_organisations
from dataward.uow import UnitOfWork
from dataward.web.auth import app_uow, console
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_now
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.COMPLAINTS_READ)
Text = Annotated[str, Query(max_length=80)]
Since = Annotated[str, Query(alias="from", max_length=20)]


def _chosen(request: Request, uow: UnitOfWork, since: str, until: str) -> Period:
    today = today_of(uow)
    try:
        return parse_period(since.strip(), until.strip(), today)
    except DatawardError as error:
        flash_now(request, "error", error_text(error))
        return parse_period("", "", today)


@router.get("/console/complaints/figures", name="complaint_figures", dependencies=[READ])
def complaint_figures(
    request: Request, uow: Uow, org: Text = "", since: Since = "", to: Text = ""
) -> Response:
    organisations = [row.organisation for row in list_organisations(uow)]
    period = _chosen(request, uow, since, to)
    organisation = org if org in organisations else None
    context = {
        "figures": figures(uow, period, organisation),
        "organisations": organisations,
        "org": organisation or "",
        "themes": (*THEMES, NOT_YET_SAID),
        "outcomes": (*OUTCOMES, "open"),
        "channels": CHANNELS,
        "ack_states": ACK_STATES,
        "target_states": TARGET_STATES,
    }
    return render(request, "console/complaint_figures.html", context)


def _csv(rows: Iterator[str], name: str) -> Response:
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _period_of(request: Request, since: str, until: str) -> Period:
    """The period asked for; a malformed one is a 422 (a download shows no form)."""
    today = in_uk_time(request.app.state.clock.now()).date()
    return parse_period(since.strip(), until.strip(), today)


@router.get("/console/complaints/figures.csv", name="complaint_figures_csv", dependencies=[READ])
def complaint_figures_csv(
    request: Request, uow: Uow, org: Text = "", since: Since = "", to: Text = ""
) -> Response:
    """The figures the page shows, as (figure, key, value) rows."""
    period = _period_of(request, since, to)
    result = figures(uow, period, org or None)
    return _csv(figures_csv(result), f"complaint-figures-{period.from_label}-{period.to_label}")


@router.get("/console/complaints/export.csv", name="complaints_export", dependencies=[READ])
def complaints_export(
    request: Request, org: Text = "", since: Since = "", to: Text = ""
) -> Response:
    """One row per complaint received in the period (every complaint when neither ``from``
    nor ``to`` is given): refs, codes and dates, nothing about the complainant."""
    period = _period_of(request, since, to) if since.strip() or to.strip() else None
    today = in_uk_time(request.app.state.clock.now()).date()

    def rows() -> Iterator[str]:
        with app_uow(request, read_only=True) as uow:
            yield from complaint_log(uow, org or None, period, today)

    name = f"{period.from_label}-{period.to_label}" if period else today.isoformat()
    return _csv(rows(), f"complaint-log-{name}")

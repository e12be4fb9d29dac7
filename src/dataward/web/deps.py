"""Request dependencies shared by pages and the API."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import Request

from dataward.errors import RegisterNotFound
from dataward.publication.registers import current_version
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser, RegisterAnalysis

_ORGANISATION_ID = re.compile(r"^[a-z][a-z0-9_]{0,79}$")


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """A unit of work per request. Pages that change nothing never commit."""
    state = request.app.state
    with UnitOfWork(state.session_factory, state.clock, getattr(state, "vault", None)) as uow:
        yield uow


def get_analyser(request: Request) -> RegisterAnalyser:
    analyser: RegisterAnalyser = request.app.state.analyser
    return analyser


def analyse_organisation(
    uow: UnitOfWork, analyser: RegisterAnalyser, organisation: str
) -> RegisterAnalysis:
    """The newest version of ``organisation``, analysed; RegisterNotFound if there is none."""
    if not _ORGANISATION_ID.match(organisation):
        # Not an id a register can have: answer as for any unknown organisation.
        raise RegisterNotFound(f"no register is loaded for organisation {organisation[:80]!r}")
    return analyser.analyse(current_version(uow, organisation))

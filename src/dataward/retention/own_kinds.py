"""The kinds of data dataward keeps about people for itself, and when each falls due.

Each kind names its table, the event(s) its period runs from, what counts as still in use
(never swept, whatever its age) and what sweeping a row does. A kind's rows are found with
one statement per question (how many are due, when the next one falls due, a batch of
keys), never by loading a table. The periods come from the settings (``own_periods``).

"In use" here, RET-02 for dataward's own records: a request still open; or one whose ref a
complaint names that is open (or closed after the cutoff: the period restarts from the
complaint's closure); or a request of a subject, or with a case ref, that a legal hold in
force keeps. Such a request keeps its case record, its packages, its ID documents and the
bodies of its messages.

Whose: each kind but the credentials of dataward's own users (sessions, API tokens) belongs
to an organisation (``owned``): its own column, or its request's or package's. An
organisation's daily run sweeps that organisation's rows only; the users' credentials
belong to none, and the day's first run sweeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute

from dataward.access.models import DELETED, READY, AccessPackage, DownloadCode
from dataward.accounts.models import ApiToken, WebSession
from dataward.complaints.models import Complaint
from dataward.consent.models import CookieConsent
from dataward.holds.models import LegalHold
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import CANCELLED, SENT
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.transitions import FINAL
from dataward.requests.verification_models import IdentityDocument, RequestCode

# An event a period runs from: a column or an expression over the kind's rows.
Event = ColumnElement[Any] | InstrumentedAttribute[Any]

# A complaint's last state (complaints.listing.STATES).
COMPLAINT_CLOSED = "closed"


@dataclass(frozen=True)
class Moment:
    """When a plan or sweep looks, and the kind's cutoff: an event on or before it is due."""

    now: datetime
    today: date
    cutoff_at: datetime
    cutoff_on: date


@dataclass(frozen=True)
class OwnKind:
    """One kind of dataward's own data.

    ``events`` are (expression, offset): a row is due when any event plus its offset is on
    or before the cutoff (a session ends at its maximum age or when idle too long).
    ``dated`` says the events are days, not moments. ``pending`` is the rows not yet swept
    and not in use. ``joins`` bring the request a row belongs to into the statement.
    ``owned`` says which rows are an organisation's (None: the kind belongs to none).
    """

    name: str
    setting: str
    model: type[Any]
    key: InstrumentedAttribute[Any]
    dated: bool
    events: Callable[[], tuple[tuple[Event, timedelta], ...]]
    pending: Callable[[Moment], ColumnElement[bool]]
    joins: tuple[Any, ...] = ()
    owned: Callable[[str], ColumnElement[bool]] | None = None

    def of(self, organisation: str | None) -> ColumnElement[bool]:
        """The rows of ``organisation``: every row when it is None (``retention own``) or
        when the kind belongs to no organisation."""
        if organisation is None or self.owned is None:
            return true()
        return self.owned(organisation)

    def cutoff(self, moment: Moment) -> date | datetime:
        return moment.cutoff_on if self.dated else moment.cutoff_at

    def due(self, moment: Moment) -> ColumnElement[bool]:
        cutoff = self.cutoff(moment)
        return or_(*(event <= cutoff - offset for event, offset in self.events()))

    def rows(self, *columns: Any) -> Any:
        """``select(columns)`` from the kind's table with its joins."""
        query = select(*columns).select_from(self.model)
        if self.joins:
            query = query.join(*self.joins)
        return query


def finished_on() -> ColumnElement[date]:
    """The day of a finished request's last step (a closure is a request's last step)."""
    return (
        select(func.max(RequestEvent.on))
        .where(RequestEvent.request_id == RightsRequest.id)
        .correlate(RightsRequest)
        .scalar_subquery()
    )


def request_kept(moment: Moment) -> ColumnElement[bool]:
    """A request a complaint or a legal hold keeps (RET-02), correlated to RightsRequest."""
    quoted = literal('"', String) + RightsRequest.ref + literal('"', String)
    complaint = exists().where(
        Complaint.organisation == RightsRequest.organisation,
        # request_refs is a JSON list of refs: its text holds each ref in quotes.
        cast(Complaint.request_refs, Text).contains(quoted),
        or_(
            Complaint.state != COMPLAINT_CLOSED,
            Complaint.closed_on.is_(None),
            Complaint.closed_on > moment.cutoff_on,
        ),
    )
    hold = exists().where(
        LegalHold.organisation == RightsRequest.organisation,
        or_(LegalHold.closed_on.is_(None), LegalHold.release_on > moment.today),
        or_(
            and_(LegalHold.scope == "subject", LegalHold.subject_id == RightsRequest.subject_id),
            LegalHold.case_ref == RightsRequest.ref,
        ),
    )
    return or_(complaint, hold)


def _request_done(moment: Moment) -> ColumnElement[bool]:
    return and_(RightsRequest.state.in_(FINAL), not_(request_kept(moment)))


def _closed_requests(moment: Moment) -> ColumnElement[bool]:
    # An emptied requester column marks a request already shredded (see own.py).
    return and_(RightsRequest.requester_sealed != b"", _request_done(moment))


def _packages(moment: Moment) -> ColumnElement[bool]:
    live_link = and_(AccessPackage.state == READY, AccessPackage.expires_at > moment.now)
    return and_(AccessPackage.state != DELETED, not_(live_link), _request_done(moment))


def _documents(moment: Moment) -> ColumnElement[bool]:
    decided = or_(RightsRequest.state.in_(FINAL), RightsRequest.identity_verified_on.is_not(None))
    return and_(decided, not_(request_kept(moment)))


def _bodies(moment: Moment) -> ColumnElement[bool]:
    request_in_use = exists().where(
        RightsRequest.id == OutboxMessage.request_id,
        or_(RightsRequest.state.not_in(FINAL), request_kept(moment)),
    )
    complaint_open = exists().where(
        Complaint.id == OutboxMessage.complaint_id, Complaint.state != COMPLAINT_CLOSED
    )
    return and_(
        OutboxMessage.sealed != b"",
        OutboxMessage.status.in_((SENT, CANCELLED)),
        not_(request_in_use),
        not_(complaint_open),
    )


def _everything(moment: Moment) -> ColumnElement[bool]:
    # Rows whose events alone say they are over (an expired session, a used code).
    return true()


def _next_cookie_choice() -> ColumnElement[datetime]:
    """When the visitor's next choice replaced this one (None: it is their latest)."""
    later = CookieConsent.__table__.alias("later")
    return (
        select(func.min(later.c.recorded_at))
        .where(
            later.c.organisation == CookieConsent.organisation,
            later.c.visitor == CookieConsent.visitor,
            or_(
                later.c.recorded_at > CookieConsent.recorded_at,
                and_(
                    later.c.recorded_at == CookieConsent.recorded_at,
                    later.c.id > CookieConsent.id,
                ),
            ),
        )
        .correlate(CookieConsent)
        .scalar_subquery()
    )


def _request_code_of(organisation: str) -> ColumnElement[bool]:
    return exists().where(
        RightsRequest.id == RequestCode.request_id, RightsRequest.organisation == organisation
    )


def _download_code_of(organisation: str) -> ColumnElement[bool]:
    return exists().where(
        AccessPackage.id == DownloadCode.package_id, AccessPackage.organisation == organisation
    )


def own_kinds(session_idle: timedelta) -> list[OwnKind]:
    """Every kind, in the order a plan lists them and a sweep takes them."""
    zero = timedelta(0)
    return [
        OwnKind(
            "closed_requests",
            "own_closed_request_years",
            RightsRequest,
            RightsRequest.id,
            True,
            lambda: ((finished_on(), zero),),
            _closed_requests,
            owned=lambda organisation: RightsRequest.organisation == organisation,
        ),
        OwnKind(
            "access_packages",
            "own_access_package_days",
            AccessPackage,
            AccessPackage.id,
            True,
            lambda: ((finished_on(), zero),),
            _packages,
            (RightsRequest, AccessPackage.request_id == RightsRequest.id),
            lambda organisation: AccessPackage.organisation == organisation,
        ),
        OwnKind(
            "identity_documents",
            "own_identity_document_days",
            IdentityDocument,
            IdentityDocument.id,
            True,
            lambda: ((func.coalesce(RightsRequest.identity_verified_on, finished_on()), zero),),
            _documents,
            (RightsRequest, IdentityDocument.request_id == RightsRequest.id),
            lambda organisation: RightsRequest.organisation == organisation,
        ),
        OwnKind(
            "outbox_bodies",
            "own_outbox_body_days",
            OutboxMessage,
            OutboxMessage.id,
            False,
            lambda: ((func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at), zero),),
            _bodies,
            owned=lambda organisation: OutboxMessage.organisation == organisation,
        ),
        OwnKind(
            "cookie_consents",
            "own_cookie_consent_months",
            CookieConsent,
            CookieConsent.id,
            False,
            lambda: ((func.coalesce(_next_cookie_choice(), CookieConsent.recorded_at), zero),),
            _everything,
            owned=lambda organisation: CookieConsent.organisation == organisation,
        ),
        OwnKind(
            "web_sessions",
            "own_expired_credential_days",
            WebSession,
            WebSession.id,
            False,
            lambda: ((WebSession.expires_at, zero), (WebSession.last_seen_at, session_idle)),
            _everything,
        ),
        OwnKind(
            "api_tokens",
            "own_expired_credential_days",
            ApiToken,
            ApiToken.id,
            False,
            lambda: ((ApiToken.expires_at, zero), (ApiToken.revoked_at, zero)),
            _everything,
        ),
        OwnKind(
            "request_codes",
            "own_expired_credential_days",
            RequestCode,
            RequestCode.id,
            False,
            lambda: ((RequestCode.expires_at, zero), (RequestCode.used_at, zero)),
            _everything,
            owned=_request_code_of,
        ),
        OwnKind(
            "download_codes",
            "own_expired_credential_days",
            DownloadCode,
            DownloadCode.id,
            False,
            lambda: ((DownloadCode.expires_at, zero), (DownloadCode.used_at, zero)),
            _everything,
            owned=_download_code_of,
        ),
    ]

"""Portability sent straight to another controller (POR-01, Art 20(2)). Never commits.

The caseworker records, on a request for portability, the organisation the subject wants
their data sent to and the email address the subject gave for it. When the portability
package is ready (or at once, if it is ready already) the download link goes to that
address and the subject is told where it went. The link alone opens nothing: the one-time
code the download page asks for still goes only to the requester (``access.download_codes``),
who passes it on. So a mistyped or hijacked address gets a link it cannot use, and the
subject stays the one who releases their data.

The controller's name and address are sealed under the request's own key, like the
requester's details; the audit chain records that a destination was recorded and that the
package was sent, with ids only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from dataward.access import audit_actions as actions
from dataward.access.download_links import link_secret, package_address, package_link_token
from dataward.access.errors import DestinationInvalid
from dataward.access.models import PORTABILITY, READY, AccessPackage, PortabilityDestination
from dataward.access.service import audit_package, package_of, request_of
from dataward.clock import uk_moment
from dataward.crypto.keyring import decrypt_for, encrypt_for
from dataward.errors import DatawardError
from dataward.outbox.config import get_mail_settings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import queue_requester_message
from dataward.requests.messages import link_of, message_requester, reply_addresses
from dataward.requests.models import RightsRequest
from dataward.requests.service import audit_request, get_request
from dataward.subjects.identities import normalise_email
from dataward.uow import UnitOfWork

TO_CONTROLLER_KIND = "portability_package_to_controller"
SENT_KIND = "portability_package_sent"
MAX_NAME = 200


@dataclass(frozen=True)
class Destination:
    """The receiving controller, opened for staff (personal data: never logged)."""

    name: str
    email: str
    recorded_at: datetime
    recorded_by: str
    sent_at: datetime | None


def _context(row: RightsRequest) -> str:
    return f"request:{row.id}:portability_destination"


def record_destination(
    uow: UnitOfWork, organisation: str, ref: str, name: str, email: str, *, actor: str
) -> PortabilityDestination:
    """Record (or correct, until sent) where the request's portability package goes.

    Refused, changing nothing: a request not asking for portability or already answered,
    an empty or overlong name, an address that is not an email, a requester with no email
    address (the one-time code goes to them, to pass on), a package already sent. If the
    package is ready already it is sent now.
    """
    row = get_request(uow, organisation, ref)
    if PORTABILITY not in row.rights:
        raise DestinationInvalid(f"request {row.ref} does not ask for portability")
    if row.outcome is not None:
        raise DestinationInvalid(f"the request is {row.state}: nothing more is sent")
    words = " ".join(name.split())
    if not words or len(words) > MAX_NAME or "\x00" in words:
        raise DestinationInvalid(
            f"give the receiving organisation's name (at most {MAX_NAME} characters)"
        )
    try:
        address = normalise_email(email)
    except DatawardError:
        raise DestinationInvalid(
            "the receiving organisation's address is not an email address"
        ) from None
    if not reply_addresses(uow, row):
        raise DestinationInvalid(
            "the requester has no email address for the one-time code they pass on: "
            "send the package another way"
        )
    found = uow.session.get(PortabilityDestination, row.id)
    if found is not None and found.sent_at is not None:
        raise DestinationInvalid("the package was sent to the receiving organisation already")
    sealed = encrypt_for(
        uow, row.key_id, json.dumps({"name": words, "email": address}), _context(row)
    )
    now, replacing = uow.clock.now(), found is not None
    if found is None:
        found = PortabilityDestination(
            request_id=row.id, organisation=row.organisation, sealed=sealed
        )
        uow.session.add(found)
    found.sealed, found.recorded_at, found.recorded_by = sealed, now, actor[:120]
    uow.session.flush()
    audit_request(uow, row, actions.DESTINATION_RECORDED, actor=actor, replaced=replacing)
    package = package_of(uow, row, PORTABILITY)
    if package is not None and package.state == READY:
        send_to_destination(uow, package, actor=actor)
    return found


def destination_of(uow: UnitOfWork, row: RightsRequest) -> Destination | None:
    found = uow.session.get(PortabilityDestination, row.id)
    if found is None:
        return None
    opened = json.loads(decrypt_for(uow, row.key_id, found.sealed, _context(row)))
    return Destination(
        str(opened["name"]),
        str(opened["email"]),
        found.recorded_at,
        found.recorded_by,
        found.sent_at,
    )


def send_to_destination(
    uow: UnitOfWork,
    package: AccessPackage,
    *,
    secret: bytes | None = None,
    public_url: str | None = None,
    actor: str = "worker",
) -> OutboxMessage | None:
    """Email the ready portability package's link to the recorded controller and tell the
    requester where it went; None (nothing sent) when no destination is recorded or it
    was sent already."""
    row = request_of(uow, package)
    found = uow.session.get(PortabilityDestination, row.id)
    if package.kind != PORTABILITY or found is None or found.sent_at is not None:
        return None
    destination = destination_of(uow, row)
    assert destination is not None
    token, expires = package_link_token(secret or link_secret(), row, package)
    url = package_address(public_url or get_mail_settings().public_url, token)
    sent = queue_requester_message(
        uow,
        row.organisation,
        link_of(row),
        destination.email,
        TO_CONTROLLER_KIND,
        {
            "reference": row.ref,
            "controller_name": destination.name,
            "download_url": url,
            "expires": uk_moment(expires),
        },
        actor=actor,
    )
    told = message_requester(
        uow,
        row,
        SENT_KIND,
        {
            "controller_name": destination.name,
            "controller_email": destination.email,
            "expires": uk_moment(expires),
        },
        actor=actor,
    )
    found.sent_at, found.message_id = uow.clock.now(), sent.id
    audit_package(
        uow,
        package,
        actions.PACKAGE_SENT_TO_CONTROLLER,
        actor=actor,
        row=row,
        message=sent.id,
        requester_told=told.id if told is not None else None,
    )
    return sent

"""Rows of dataward's own data written straight into its tables with explicit dates, so the
retention tests of ``retention.own`` say exactly how old each thing is."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dataward.access.models import AccessPackage, DownloadCode
from dataward.accounts.models import ApiToken, User, WebSession
from dataward.complaints.models import Complaint
from dataward.config import Settings
from dataward.consent.models import CookieConsent
from dataward.crypto.keyring import create_data_key, encrypt_for
from dataward.holds.models import LegalHold
from dataward.outbox.models import OutboxMessage
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.verification_models import IdentityDocument, RequestCode
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

ORG = "own_org"
# The day the tests look from (the ``clock`` fixture): 25 November 2026, 09:30 UTC.
TODAY = date(2026, 11, 25)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def settings_for(tmp_path: Path, **periods: int) -> Settings:
    """Settings with packages under ``tmp_path`` and the given own-data periods."""
    return Settings(var_dir=tmp_path, access_packages_dir=tmp_path / "packages", **periods)


def subject(uow: UnitOfWork, *, organisation: str = ORG) -> Subject:
    row = Subject(
        id=str(uuid.uuid4()),
        organisation=organisation,
        ref="s_" + secrets.token_hex(6),
        key_id=create_data_key(uow, organisation),
        created_at=at(date(2020, 1, 1)),
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def request(
    uow: UnitOfWork,
    *,
    state: str = "closed",
    last_step: date = date(2019, 1, 10),
    subject_row: Subject | None = None,
    verified_on: date | None = None,
    organisation: str = ORG,
) -> RightsRequest:
    """A request received ten days before ``last_step``, its last step on ``last_step``."""
    received = last_step - timedelta(days=10)
    key_id = create_data_key(uow, organisation)
    row = RightsRequest(
        id=str(uuid.uuid4()),
        ref="q_" + secrets.token_hex(8),
        organisation=organisation,
        rights=["access"],
        not_offered=[],
        channel="email",
        state=state,
        nation="ENG",
        received_on=received,
        paused_days=0,
        extended=False,
        subject_id=subject_row.id if subject_row else None,
        requester_kind="self",
        key_id=key_id,
        requester_sealed=b"",
        identity_verified_on=verified_on,
        outcome="responded" if state in ("responded", "closed") else None,
        created_at=at(received),
        updated_at=at(last_step),
    )
    row.requester_sealed = encrypt_for(uow, key_id, '{"name": "A"}', f"request:{row.id}")
    uow.session.add(row)
    uow.session.flush()  # no relationship orders the inserts: the request goes first
    for seq, (on, to_state) in enumerate(((received, "received"), (last_step, state)), 1):
        uow.session.add(
            RequestEvent(
                id=str(uuid.uuid4()),
                request_id=row.id,
                seq=seq,
                at=at(on),
                on=on,
                actor="user:u_case",
                action="request.step",
                from_state=None,
                to_state=to_state,
            )
        )
    uow.session.flush()
    return row


def package(
    uow: UnitOfWork,
    row: RightsRequest,
    owner: Subject,
    settings: Settings,
    *,
    state: str = "ready",
    expires_at: datetime | None = None,
    kind: str = "access",
) -> AccessPackage:
    """A package of ``row`` (of its organisation) with two files on disk."""
    made = AccessPackage(
        id=str(uuid.uuid4()),
        organisation=row.organisation,
        request_id=row.id,
        kind=kind,
        subject_id=owner.id,
        key_id=owner.key_id,
        sources_version=1,
        state=state,
        queued_by="user:u_case",
        expires_at=expires_at,
        created_at=at(row.received_on),
        updated_at=at(row.received_on),
    )
    uow.session.add(made)
    uow.session.flush()
    folder = folder_of(made, settings)
    folder.mkdir(parents=True)
    (folder / "package.zip.sealed").write_bytes(b"sealed")
    (folder / "part-x-0.jsonl").write_bytes(b"sealed")
    return made


def folder_of(made: AccessPackage, settings: Settings) -> Path:
    return (settings.access_packages_dir or settings.var_dir) / made.organisation / made.id


def document(uow: UnitOfWork, row: RightsRequest) -> IdentityDocument:
    made = IdentityDocument(
        id=str(uuid.uuid4()),
        request_id=row.id,
        document_kind="passport",
        content_type="image/png",
        size=6,
        key_id=row.key_id,
        sealed=b"sealed",
        uploaded_by="portal",
        uploaded_at=at(row.received_on),
    )
    uow.session.add(made)
    uow.session.flush()
    return made


def message(
    uow: UnitOfWork,
    *,
    status: str = "sent",
    sent_on: date | None = None,
    request_row: RightsRequest | None = None,
    complaint_id: str | None = None,
    organisation: str = ORG,
) -> OutboxMessage:
    created = sent_on or date(2026, 1, 1)
    made = OutboxMessage(
        id=str(uuid.uuid4()),
        organisation=organisation,
        kind="request_letter",
        key_id=str(uuid.uuid4()),
        message_id=f"<{uuid.uuid4()}@dataward>",
        sealed=b"sealed body",
        status=status,
        request_id=request_row.id if request_row else None,
        complaint_id=complaint_id,
        created_at=at(created),
        sent_at=at(sent_on) if sent_on and status == "sent" else None,
    )
    uow.session.add(made)
    uow.session.flush()
    return made


def complaint(uow: UnitOfWork, refs: list[str], *, closed_on: date | None = None) -> Complaint:
    made = Complaint(
        id=str(uuid.uuid4()),
        ref="c_" + secrets.token_hex(8),
        organisation=ORG,
        channel="email",
        state="closed" if closed_on else "investigating",
        received_on=date(2018, 1, 1),
        acknowledge_by=date(2018, 1, 31),
        closed_on=closed_on,
        outcome="not_upheld" if closed_on else None,
        request_refs=refs,
        key_id=str(uuid.uuid4()),
        complainant_sealed=b"sealed",
        created_at=at(date(2018, 1, 1)),
        updated_at=at(date(2018, 1, 1)),
    )
    uow.session.add(made)
    uow.session.flush()
    return made


def hold(
    uow: UnitOfWork, *, subject_row: Subject | None = None, case_ref: str | None = None
) -> LegalHold:
    made = LegalHold(
        id=str(uuid.uuid4()),
        ref="h_" + secrets.token_hex(6),
        organisation=ORG,
        reason="litigation",
        scope="subject" if subject_row else "case",
        subject_id=subject_row.id if subject_row else None,
        case_ref=case_ref,
        datasets=["customers"],
        owner="dpo@example.org",
        review_on=date(2027, 1, 1),
        placed_on=date(2018, 1, 1),
        on_close="resume",
        placed_by="user:u_dpo",
        created_at=at(date(2018, 1, 1)),
        updated_at=at(date(2018, 1, 1)),
    )
    uow.session.add(made)
    uow.session.flush()
    return made


def user(uow: UnitOfWork) -> User:
    made = User(
        id=str(uuid.uuid4()),
        ref="u_" + secrets.token_hex(6),
        username="user" + secrets.token_hex(4),
        role="caseworker",
        password_hash="x",
        created_at=at(date(2026, 1, 1)),
        password_changed_at=at(date(2026, 1, 1)),
    )
    uow.session.add(made)
    uow.session.flush()
    return made


def session_row(uow: UnitOfWork, owner: User, *, last_seen: datetime, expires: datetime) -> str:
    made = WebSession(
        id=secrets.token_hex(32),
        user_id=owner.id,
        stage="full",
        csrf_secret="x",
        flashes=[],
        created_at=last_seen,
        last_seen_at=last_seen,
        expires_at=expires,
    )
    uow.session.add(made)
    uow.session.flush()
    return made.id


def token(
    uow: UnitOfWork, owner: User, *, expires: datetime, revoked: datetime | None = None
) -> str:
    made = ApiToken(
        id=str(uuid.uuid4()),
        ref="t_" + secrets.token_hex(6),
        token_hash=secrets.token_hex(32),
        prefix="dw_x",
        name="a token",
        user_id=owner.id,
        scopes=[],
        created_at=expires - timedelta(days=90),
        expires_at=expires,
        revoked_at=revoked,
    )
    uow.session.add(made)
    uow.session.flush()
    return made.id


def request_code(
    uow: UnitOfWork, row: RightsRequest, *, expires: datetime, used: datetime | None = None
) -> str:
    made = RequestCode(
        id=str(uuid.uuid4()),
        request_id=row.id,
        seq=1,
        digest="d" * 64,
        created_at=expires - timedelta(minutes=30),
        expires_at=expires,
        used_at=used,
    )
    uow.session.add(made)
    uow.session.flush()
    return made.id


def download_code(uow: UnitOfWork, made_for: AccessPackage, *, expires: datetime) -> str:
    made = DownloadCode(
        id=str(uuid.uuid4()),
        package_id=made_for.id,
        seq=1,
        digest="d" * 64,
        created_at=expires - timedelta(minutes=30),
        expires_at=expires,
    )
    uow.session.add(made)
    uow.session.flush()
    return made.id


def cookie(uow: UnitOfWork, visitor: str, recorded: datetime, *, organisation: str = ORG) -> int:
    made = CookieConsent(
        organisation=organisation,
        visitor=visitor,
        policy_version="v1",
        text_hash="h" * 64,
        choice={"analytics": True},
        gpc=False,
        recorded_at=recorded,
    )
    uow.session.add(made)
    uow.session.flush()
    return made.id

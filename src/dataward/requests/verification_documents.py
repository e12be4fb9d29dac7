"""ID documents sent to prove identity: sealed, seen by a caseworker, then deleted.

The bytes are sealed under the linked subject's data key (the request's own while no
subject is linked), so shredding either destroys them. Once a caseworker records the check
(the kind of document, accepted or not, who, when) the sealed bytes are deleted: the check
is the evidence kept (data minimisation), and an accepted document verifies identity with
method ``document`` (SAR-05: a waiting clock starts that day). Never commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from dataward.config import get_settings
from dataward.crypto.cipher import open_sealed, seal
from dataward.crypto.keyring import data_key, encrypt_for
from dataward.requests import audit_actions as actions
from dataward.requests.errors import DocumentRefused, VerificationInvalid
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request
from dataward.requests.transitions import Step, verify_identity
from dataward.requests.verification import audit_check, checkable, linked_subject, record_check
from dataward.requests.verification_models import IdentityCheckRecord, IdentityDocument
from dataward.uow import UnitOfWork

DOCUMENT_KINDS = (
    "passport",
    "driving_licence",
    "national_identity_card",
    "residence_permit",
    "birth_certificate",
    "utility_bill",
    "bank_statement",
    "other",
)
# What a document may be, told by its first bytes (never by the name or type sent).
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def _context(document_id: str) -> bytes:
    return f"request-document:{document_id}".encode()


def _content_type(content: bytes) -> str:
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    raise DocumentRefused("send a PDF, JPEG or PNG file")


def upload_document(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    document_kind: str,
    content: bytes,
    *,
    actor: str,
    max_bytes: int | None = None,
) -> IdentityDocument:
    """Seal an ID document for a caseworker to check."""
    row = get_request(uow, organisation, ref)
    checkable(row)
    if document_kind not in DOCUMENT_KINDS:
        raise VerificationInvalid(f"document kind must be one of {', '.join(DOCUMENT_KINDS)}")
    limit = max_bytes or get_settings().request_document_max_bytes
    if not content:
        raise DocumentRefused("the file is empty")
    if len(content) > limit:
        raise DocumentRefused(f"the file is larger than {limit} bytes")
    content_type = _content_type(content)
    subject = linked_subject(uow, row)
    key_id = subject.key_id if subject is not None else row.key_id
    document = IdentityDocument(
        id=str(uuid.uuid4()),
        request_id=row.id,
        document_kind=document_kind,
        content_type=content_type,
        size=len(content),
        key_id=key_id,
        sealed=b"",
        uploaded_by=actor,
        uploaded_at=uow.clock.now(),
    )
    document.sealed = seal(data_key(uow, key_id), content, _context(document.id))
    uow.session.add(document)
    audit_check(
        uow,
        row,
        actions.REQUEST_DOCUMENT_UPLOADED,
        actor,
        document=document.id,
        kind=document_kind,
        size=len(content),
    )
    return document


def documents_of(uow: UnitOfWork, row: RightsRequest) -> list[IdentityDocument]:
    """Documents waiting for their check, oldest first."""
    return list(
        uow.session.scalars(
            select(IdentityDocument)
            .where(IdentityDocument.request_id == row.id)
            .order_by(IdentityDocument.uploaded_at, IdentityDocument.id)
        )
    )


def _document(uow: UnitOfWork, row: RightsRequest, document_id: str) -> IdentityDocument:
    document = uow.session.get(IdentityDocument, document_id[:36])
    if document is None or document.request_id != row.id:
        raise VerificationInvalid("no such document waits on this request (checked already?)")
    return document


def read_document(
    uow: UnitOfWork, organisation: str, ref: str, document_id: str, *, actor: str
) -> tuple[IdentityDocument, bytes]:
    """The document's bytes for a caseworker to look at; the viewing is audited."""
    row = get_request(uow, organisation, ref)
    document = _document(uow, row, document_id)
    content = open_sealed(data_key(uow, document.key_id), document.sealed, _context(document.id))
    audit_check(uow, row, actions.REQUEST_DOCUMENT_VIEWED, actor, document=document.id)
    return document, content


def document_checked(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    document_id: str,
    *,
    accepted: bool,
    note: str | None,
    actor: str,
) -> IdentityCheckRecord:
    """Record the check, delete the sealed bytes; accepted verifies identity (``document``)."""
    row = get_request(uow, organisation, ref)
    checkable(row)
    document = _document(uow, row, document_id)
    if not accepted and not (note and note.strip()):
        raise VerificationInvalid("say why the document was not accepted")
    if note is not None and (len(note) > 4000 or "\x00" in note):
        raise VerificationInvalid("the note is too long (at most 4000 characters)")
    outcome = "accepted" if accepted else "rejected"
    check = record_check(uow, row, "document", outcome, actor, document_kind=document.document_kind)
    if note and note.strip():
        check.note_sealed = encrypt_for(uow, row.key_id, note, f"request:{row.id}:check:{check.id}")
    uow.session.delete(document)
    audit_check(
        uow,
        row,
        actions.REQUEST_DOCUMENT_CHECKED,
        actor,
        document=document.id,
        kind=document.document_kind,
        outcome=outcome,
    )
    if accepted:
        verify_identity(uow, organisation, ref, "document", Step(actor, uow.clock.today()))
    return check

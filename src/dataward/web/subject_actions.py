"""Staff actions on a subject record itself: merge a duplicate into it, shred it.

Both are confirmed on a page that says what will happen (``web.confirm``) and run the same
subject services as the CLI, audited under the signed-in person's name.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.subjects.service import SHRED_REASONS, merge_subjects, shred_subject
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text
from dataward.web.confirm import Confirmation, confirm_then_run

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
WRITE = console(Permission.SUBJECTS_WRITE)


def _page(org: str, ref: str) -> str:
    return f"/console/subjects/{org[:80]}/{ref[:32]}"


@router.post("/console/subjects/{org}/{ref}/merge", name="subject_merge", dependencies=[WRITE])
def merge(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        other = form_text(form, "other", 32).strip()
        return Confirmation(
            f"Merge {other} into {ref[:32]}",
            [
                f"The identities of {other} move to {ref[:32]}, which keeps them; {other} "
                "stays as a record that points here.",
                "Do this only when both are the same person: a merge cannot be undone here.",
            ],
            "Merge",
            _page(org, ref),
            destructive=True,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        other = form_text(form, "other", 32).strip()
        merge_subjects(uow, org[:80], ref[:32], other, actor=actor)
        return f"Merged {other} into this subject."

    return confirm_then_run(request, _page(org, ref), confirm, act)


@router.post("/console/subjects/{org}/{ref}/shred", name="subject_shred", dependencies=[WRITE])
def shred(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        reason = form_text(form, "reason", 32)
        return Confirmation(
            f"Shred subject {ref[:32]}",
            [
                "The subject's key is destroyed: its identities can never be read again, here "
                "or in any backup. This cannot be undone.",
                f"The audit chain records who shredded it, when, and why: "
                f"{SHRED_REASONS.get(reason, reason)}.",
            ],
            "Shred for good",
            _page(org, ref),
            destructive=True,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        reason = form_text(form, "reason", 32)
        shred_subject(uow, org[:80], ref[:32], actor=actor, reason=reason)
        return f"Subject {ref[:32]} was shredded."

    return confirm_then_run(request, _page(org, ref), confirm, act)

"""Every route, every role: the status each kind of caller gets (SQLite and PostgreSQL).

The table below is written by hand, not derived from the routes' rules, so it checks them.
A route missing from it fails the test: adding a route means deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_support import (
    ORG,
    add_person,
    add_user,
    api_token,
    console_app,
    csrf_from,
    session_cookie,
)

from dataward.accounts.links import sign_link
from dataward.accounts.models import User
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork
from dataward.web.auth import SESSION_COOKIE, app_routes, rule_of

ROLES = ("admin", "dpo", "caseworker", "auditor")
CALLERS = ("anonymous", *ROLES, "wrong_scope", "right_scope")


def row(
    anonymous: int, admin: int, dpo: int, caseworker: int, auditor: int, wrong: int, right: int
) -> dict[str, int]:
    return dict(
        zip(CALLERS, (anonymous, admin, dpo, caseworker, auditor, wrong, right), strict=True)
    )


# Console pages: anonymous callers (and bearer tokens, which the console ignores) go to
# sign in (303); a role without the permission gets 403.
PUBLIC = row(200, 200, 200, 200, 200, 200, 200)
EVERY_ROLE = row(303, 200, 200, 200, 200, 303, 303)
ADMIN_ONLY = row(303, 200, 403, 403, 403, 303, 303)
ADMIN_CONFIRM = row(303, 200, 403, 403, 403, 303, 303)  # a post answered by a confirmation
SUBJECT_READERS = row(303, 200, 200, 200, 403, 303, 303)
SUBJECT_WRITERS_CONFIRM = row(303, 200, 200, 200, 403, 303, 303)
# The API: no credentials 401, a token without the scope 403; a console session may read.
API_ALL_READ = row(401, 200, 200, 200, 200, 403, 200)

EXPECTED: dict[str, tuple[str, str, dict[str, int]]] = {
    # portal
    "portal_home": ("GET", "/", PUBLIC),
    "preferences_page": ("GET", "/preferences/{link}", PUBLIC),
    # the rights request form, its thank-you page and the status page by signed link
    "portal_request_form": ("GET", f"/orgs/{ORG}/request", PUBLIC),
    "portal_request_submit": (
        "POST",
        f"/orgs/{ORG}/request",
        row(403, 403, 403, 403, 403, 403, 403),
    ),
    "portal_request_sent": ("GET", "/requests/sent/{status}", PUBLIC),
    "portal_request_status": ("GET", "/requests/status/{status}", PUBLIC),
    # the form's double-submit cookie is missing here, so every post is refused as forged
    "preferences_submit": ("POST", "/preferences/{link}", row(403, 403, 403, 403, 403, 403, 403)),
    # a requester's code (issue 16): a preferences link opens no request (404), and the
    # posts carry no double-submit cookie here, so they are refused as forged (403)
    "portal_verify_page": ("GET", "/requests/status/{link}/verify", row(*[404] * 7)),
    "portal_verify_code": ("POST", "/requests/status/{link}/code", row(*[403] * 7)),
    "portal_verify_check": ("POST", "/requests/status/{link}/verify", row(*[403] * 7)),
    # a requester's package download (issue 18): a preferences link opens no package (404),
    # and the posts carry no double-submit cookie here, so they are refused as forged (403)
    "portal_package": ("GET", "/packages/{link}", row(*[404] * 7)),
    "portal_package_code": ("POST", "/packages/{link}/code", row(*[403] * 7)),
    "portal_package_download": ("POST", "/packages/{link}/download", row(*[403] * 7)),
    "cookie_page": ("GET", f"/orgs/{ORG}/cookies", PUBLIC),
    # anyone may read a banner or log a choice; acme's register declares no cookies (422)
    "cookie_banner_config": ("GET", f"/api/v1/cookie-banner/{ORG}", row(*[422] * 7)),
    "cookie_consent_log": (
        "POST",
        f"/api/v1/cookie-banner/{ORG}/consents",
        row(*[422] * 7),
    ),
    "notice_page": ("GET", f"/orgs/{ORG}/notice", PUBLIC),
    "notice_standalone": ("GET", f"/orgs/{ORG}/notice.html", PUBLIC),
    "notice_css": ("GET", "/notice.css", PUBLIC),
    "notice_versions": ("GET", f"/orgs/{ORG}/notice/versions", PUBLIC),
    "notice_version": ("GET", f"/orgs/{ORG}/notice/versions/1", PUBLIC),
    "notice_diff": ("GET", f"/orgs/{ORG}/notice/diff?from=1&to=1", EVERY_ROLE),
    # signing in: the form is public, a signed-in user is sent on to the console
    "login_form": ("GET", "/login", row(200, 303, 303, 303, 303, 200, 200)),
    # no sign-in form cookie here, so every post is refused as a forged form
    "login_submit": ("POST", "/login", row(403, 403, 403, 403, 403, 403, 403)),
    # the second step needs a half-finished sign-in: others are sent away
    "totp_form": ("GET", "/login/totp", row(303, 303, 303, 303, 303, 303, 303)),
    "totp_submit": ("POST", "/login/totp", row(303, 303, 303, 303, 303, 303, 303)),
    "totp_setup_form": ("GET", "/login/totp/setup", row(303, 303, 303, 303, 303, 303, 303)),
    "totp_setup_submit": ("POST", "/login/totp/setup", row(303, 303, 303, 303, 303, 303, 303)),
    "logout": ("POST", "/logout", row(303, 303, 303, 303, 303, 303, 303)),
    # console
    "console_home": ("GET", "/console", EVERY_ROLE),
    "subjects_page": ("GET", "/console/subjects", SUBJECT_READERS),
    "subjects_search": ("POST", "/console/subjects/search", SUBJECT_READERS),
    "subject_page": ("GET", f"/console/subjects/{ORG}/{{ref}}", SUBJECT_READERS),
    "preferences_link": (
        "POST",
        f"/console/subjects/{ORG}/{{ref}}/preferences-link",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # a subject's consent, objections, restrictions (issue 15, item 1): writers get the
    # confirmation page (200, nothing done); an auditor is refused
    **{
        name: ("POST", f"/console/subjects/{ORG}/{{ref}}{path}", SUBJECT_WRITERS_CONFIRM)
        for name, path in (
            ("consent_record", "/consent"),
            ("consent_withdraw", "/consent/withdraw"),
            ("objection_record", "/objection"),
            ("objection_decide", "/objection/o_none/decide"),
            ("restriction_start", "/restriction"),
            ("restriction_told", "/restriction/r_none/told"),
            ("restriction_lift", "/restriction/r_none/lift"),
            ("subject_merge", "/merge"),
            ("subject_shred", "/shred"),
        )
    },
    # legal holds (issue 17): admin, DPO and caseworker; never an auditor. An empty form is
    # refused on the page (422); review and close of no hold are refused back to it (303)
    "holds_page": ("GET", "/console/holds", SUBJECT_READERS),
    "hold_new": ("GET", "/console/holds/new", SUBJECT_READERS),
    "hold_place": ("POST", "/console/holds/new", row(303, 422, 422, 422, 403, 303, 303)),
    "hold_page": ("GET", f"/console/holds/{ORG}/h_none", row(303, 404, 404, 404, 403, 303, 303)),
    "hold_review": (
        "POST",
        f"/console/holds/{ORG}/h_none/review",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    "hold_close": (
        "POST",
        f"/console/holds/{ORG}/h_none/close",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # retention (issue 20, RET-01..03): the readers of legal holds; never an auditor. The
    # fixture organisation has no sources file (the page says so) and no rule r_none (404)
    "retention_page": ("GET", "/console/retention", SUBJECT_READERS),
    "retention_rule_page": (
        "GET",
        "/console/retention/rules/r_none",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    # the runs' evidence (RET-03): whoever reads the audit chain (an auditor, a DPO, an
    # administrator), never a caseworker; no run r_none (404). "Run now" is the DPO's or an
    # administrator's (retention:run, never a token's) and asks to confirm first (200)
    "retention_runs": ("GET", "/console/retention/runs", row(303, 200, 200, 403, 200, 303, 303)),
    "retention_run": (
        "GET",
        "/console/retention/runs/r_none",
        row(303, 404, 404, 403, 404, 303, 303),
    ),
    "retention_run_csv": (
        "GET",
        "/console/retention/runs/r_none/evidence.csv",
        row(303, 404, 404, 403, 404, 303, 303),
    ),
    "retention_run_now": (
        "POST",
        "/console/retention/run-now",
        row(303, 200, 200, 403, 403, 303, 303),
    ),
    # the disclosure log (issue 19, NOT-01): admin, DPO and caseworker; never an auditor; an
    # empty form is refused back to the subject's page (303)
    "disclosure_add": (
        "POST",
        f"/console/subjects/{ORG}/{{ref}}/disclosures",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # REC-01: rectifying needs requests:write; an unknown request is refused back (303)
    "request_rectify": (
        "POST",
        f"/console/requests/{ORG}/q_none/rectify",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # rights requests (issue 16): admin, DPO and caseworker; never an auditor
    "requests_page": ("GET", "/console/requests", SUBJECT_READERS),
    "request_new": ("GET", "/console/requests/new", SUBJECT_READERS),
    "requests_export": ("GET", "/console/requests/export.csv", SUBJECT_READERS),
    # an empty form is refused on the page itself (422) for those who may enter one
    "request_create": ("POST", "/console/requests/new", row(303, 422, 422, 422, 403, 303, 303)),
    "request_page": (
        "GET",
        f"/console/requests/{ORG}/q_none",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "request_step": (
        "POST",
        f"/console/requests/{ORG}/q_none/steps/extend",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # a note (issue 16): not confirmed; on an unknown request it goes back with the error
    "request_note": (
        "POST",
        f"/console/requests/{ORG}/q_none/notes",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # the subject a request is about (issue 16): searching reads, linking writes; on an
    # unknown request the search is 404, the link goes back with the error (nothing done)
    "request_subject_search": (
        "POST",
        f"/console/requests/{ORG}/q_none/subject/search",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "request_subject_link": (
        "POST",
        f"/console/requests/{ORG}/q_none/subject/link",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # complaints (issue 17, CMP-01): admin, DPO and caseworker; never an auditor. An empty
    # entry form is refused on the page itself (422); a step on an unknown complaint goes
    # back with the error (303, nothing done), closing included (its fields are missing).
    "complaints_page": ("GET", "/console/complaints", SUBJECT_READERS),
    "complaint_new": ("GET", "/console/complaints/new", SUBJECT_READERS),
    "complaint_create": (
        "POST",
        "/console/complaints/new",
        row(303, 422, 422, 422, 403, 303, 303),
    ),
    "complaint_page": (
        "GET",
        f"/console/complaints/{ORG}/c_none",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    **{
        name: (
            "POST",
            f"/console/complaints/{ORG}/c_none/{path}",
            row(303, 303, 303, 303, 403, 303, 303),
        )
        for name, path in (
            ("complaint_acknowledge", "acknowledge"),
            ("complaint_investigate", "investigate"),
            ("complaint_note", "notes"),
            ("complaint_theme", "theme"),
            ("complaint_link_request", "requests"),
            ("complaint_link_subject", "subject"),
            ("complaint_close", "close"),
            # a legal hold from a complaint needs holds:write (RET-02)
            ("complaint_hold", "holds"),
        )
    },
    # the DPO's month of requests: counts only, to every role that reads requests
    "requests_dashboard": ("GET", "/console/requests/dashboard", SUBJECT_READERS),
    # the DPO's complaint figures and their CSVs (issue 17): counts, codes and refs, to every
    # role that reads complaints (complaints:read); never an auditor
    "complaint_figures": ("GET", "/console/complaints/figures", SUBJECT_READERS),
    "complaint_figures_csv": ("GET", "/console/complaints/figures.csv", SUBJECT_READERS),
    "complaints_export": ("GET", "/console/complaints/export.csv", SUBJECT_READERS),
    # a request's tasks and splitting it (issue 16): an unconfirmed post gets the confirmation
    # page; a split naming no right is refused back to the request page (303)
    "request_task_step": (
        "POST",
        f"/console/requests/{ORG}/q_none/tasks/t_none/start",
        row(303, 200, 200, 200, 403, 303, 303),
    ),
    # RES-01, Art 18(3): telling the requester, then lifting, each confirmed first
    "request_restriction_step": (
        "POST",
        f"/console/requests/{ORG}/q_none/restrictions/r_none/warn",
        row(303, 200, 200, 200, 403, 303, 303),
    ),
    # SAR-07: only the DPO (or an administrator) may set a search aside
    "request_task_not_reasonable": (
        "POST",
        f"/console/requests/{ORG}/q_none/tasks/t_none/not_reasonable",
        row(303, 200, 200, 403, 403, 303, 303),
    ),
    # issue 18: searching the organisation's sources for a request asks to confirm first
    "request_search_sources": (
        "POST",
        f"/console/requests/{ORG}/q_none/search_sources",
        row(303, 200, 200, 200, 403, 303, 303),
    ),
    # issue 18, the access package (ACC-01..03): reading it needs requests:read (no package
    # here: 404); building and approving ask to confirm first (200); undo, reapply, withhold
    # and release redirect back with the error (303)
    "request_package": (
        "GET",
        f"/console/requests/{ORG}/q_none/package",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "request_package_redactions": (
        "GET",
        f"/console/requests/{ORG}/q_none/package/redactions?part=p_none",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    # a ready package's ZIP is personal data: downloading it is requests:write (auditors,
    # who cannot read requests, 403; no package here: 404)
    "request_package_download": (
        "GET",
        f"/console/requests/{ORG}/q_none/package/download",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "request_package_build": (
        "POST",
        f"/console/requests/{ORG}/q_none/package/build",
        SUBJECT_WRITERS_CONFIRM,
    ),
    "request_package_approve": (
        "POST",
        f"/console/requests/{ORG}/q_none/package/approve",
        SUBJECT_WRITERS_CONFIRM,
    ),
    **{
        name: (
            "POST",
            f"/console/requests/{ORG}/q_none/package/{path}",
            row(303, 303, 303, 303, 403, 303, 303),
        )
        for name, path in (
            ("request_redaction_step", "redactions/r_none/undo"),
            ("request_package_withhold", "withhold"),
            ("request_withholding_release", "withholdings/w_none/release"),
        )
    },
    # issue 19, erasure (ERA-01..03): the plan page needs requests:read (no request here:
    # 404); the ground redirects back with the error; planning asks to confirm first (200);
    # approving is requests:approve (the DPO, an administrator) and asks to confirm; a
    # rejection without its reason goes back with the error
    "request_erasure": (
        "GET",
        f"/console/requests/{ORG}/q_none/erasure",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "request_erasure_ground": (
        "POST",
        f"/console/requests/{ORG}/q_none/erasure/ground",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    "request_erasure_plan": (
        "POST",
        f"/console/requests/{ORG}/q_none/erasure/plan",
        SUBJECT_WRITERS_CONFIRM,
    ),
    "request_erasure_approve": (
        "POST",
        f"/console/requests/{ORG}/q_none/erasure/approve",
        row(303, 200, 200, 403, 403, 303, 303),
    ),
    "request_erasure_reject": (
        "POST",
        f"/console/requests/{ORG}/q_none/erasure/reject",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # POR-01, Art 20(2): recording where a portability package goes; a post naming no
    # organisation is refused back to the request page (303)
    "request_portability_destination": (
        "POST",
        f"/console/requests/{ORG}/q_none/portability_destination",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    "request_split": (
        "POST",
        f"/console/requests/{ORG}/q_none/split",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # identity verification (issue 16): a step with nothing to type asks to confirm (200);
    # one missing its field goes back with the error (303); an unknown document is 404
    "request_code_send": (
        "POST",
        f"/console/requests/{ORG}/q_none/verification/code",
        SUBJECT_WRITERS_CONFIRM,
    ),
    "request_code_check": (
        "POST",
        f"/console/requests/{ORG}/q_none/verification/code-check",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    "request_knowledge_check": (
        "POST",
        f"/console/requests/{ORG}/q_none/verification/knowledge",
        SUBJECT_WRITERS_CONFIRM,
    ),
    "request_document_upload": (
        "POST",
        f"/console/requests/{ORG}/q_none/verification/documents",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    "request_document_view": (
        "GET",
        f"/console/requests/{ORG}/q_none/verification/documents/d_none",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "request_document_check": (
        "POST",
        f"/console/requests/{ORG}/q_none/verification/documents/d_none/check",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # someone acting for the subject (SAR-10): an empty form goes back with its error
    "request_authority_ask": (
        "POST",
        f"/console/requests/{ORG}/q_none/authority/ask",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    "request_authority_record": (
        "POST",
        f"/console/requests/{ORG}/q_none/authority",
        row(303, 303, 303, 303, 403, 303, 303),
    ),
    # public: the requester's signed status link is the key (a bad one is 404 for anyone)
    "request_status_letter": (
        "GET",
        "/requests/status/not-a-link/letters/response",
        row(404, 404, 404, 404, 404, 404, 404),
    ),
    "request_letter": (
        "GET",
        f"/console/requests/{ORG}/q_none/letters/response",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    # the complaint form (issue 17, CMP-01): public; its posts carry no double-submit
    # cookie here (403); the thank-you, status and letter pages open only by a complaint
    # status link (a bad one is 404 for anyone)
    "portal_complaint_form": ("GET", f"/orgs/{ORG}/complain", PUBLIC),
    "portal_complaint_submit": ("POST", f"/orgs/{ORG}/complain", row(*[403] * 7)),
    "portal_complaint_sent": ("GET", "/complaints/sent/not-a-link", row(*[404] * 7)),
    "portal_complaint_status": ("GET", "/complaints/status/not-a-link", row(*[404] * 7)),
    "portal_complaint_letter": (
        "GET",
        "/complaints/status/not-a-link/letters/outcome",
        row(*[404] * 7),
    ),
    # a complaint's letters for staff: complaints:read (never the auditor); no such one 404
    "complaint_letter": (
        "GET",
        f"/console/complaints/{ORG}/c_none/letters/outcome",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "complaint_letter_pdf": (
        "GET",
        f"/console/complaints/{ORG}/c_none/letters/outcome.pdf",
        row(303, 404, 404, 404, 403, 303, 303),
    ),
    "registers_page": ("GET", "/console/registers", EVERY_ROLE),
    "organisation_page": ("GET", f"/orgs/{ORG}", EVERY_ROLE),
    "lint_page": ("GET", f"/orgs/{ORG}/lint", EVERY_ROLE),
    "coverage_page": ("GET", f"/orgs/{ORG}/coverage", EVERY_ROLE),
    "ropa_download": ("GET", f"/orgs/{ORG}/ropa.xlsx", EVERY_ROLE),
    "console_outbox": ("GET", "/console/outbox", row(303, 200, 200, 403, 403, 303, 303)),
    # the audit log: roles holding audit:read (issue 15, item 4); caseworkers may not
    "audit_log": ("GET", "/console/audit", row(303, 200, 200, 403, 200, 303, 303)),
    "audit_export": ("GET", "/console/audit/export.csv", row(303, 200, 200, 403, 200, 303, 303)),
    # campaigns (issue 14, item 9): DPO and admin only; an unknown campaign is 404 to them,
    # and a decision on it redirects with the error in a flash
    "campaigns_page": ("GET", "/console/campaigns", row(303, 200, 200, 403, 403, 303, 303)),
    "campaign_page": (
        "GET",
        "/console/campaigns/no-such-campaign",
        row(303, 404, 404, 403, 403, 303, 303),
    ),
    "campaign_confirm": (
        "GET",
        "/console/campaigns/no-such-campaign/confirm/approve",
        row(303, 404, 404, 403, 403, 303, 303),
    ),
    "campaign_decide": (
        "POST",
        "/console/campaigns/no-such-campaign/pause",
        row(303, 303, 303, 403, 403, 303, 303),
    ),
    "users_page": ("GET", "/console/users", ADMIN_ONLY),
    # forms post, then redirect (issue 15, item 3): an admin's accepted post answers 303
    "user_create": ("POST", "/console/users", row(303, 303, 403, 403, 403, 303, 303)),
    # destructive admin actions (issue 15, items 3 and 4): an admin's unconfirmed post gets
    # the confirmation page (200, nothing done); other roles are refused
    "user_reset": ("POST", "/console/users/{target}/reset", ADMIN_CONFIRM),
    "user_disable": ("POST", "/console/users/{target}/disable", ADMIN_CONFIRM),
    "user_enable": (
        "POST",
        "/console/users/{target}/enable",
        row(303, 303, 403, 403, 403, 303, 303),
    ),
    "user_role": ("POST", "/console/users/{target}/role", ADMIN_CONFIRM),
    "tokens_page": ("GET", "/console/tokens", ADMIN_ONLY),
    "token_create": ("POST", "/console/tokens", row(303, 303, 403, 403, 403, 303, 303)),
    "token_revoke": ("POST", "/console/tokens/{token}/revoke", ADMIN_CONFIRM),
    # the API's description: Swagger UI (its assets are static files) and the document
    "api_docs": ("GET", "/docs", PUBLIC),
    # API
    "api_health": ("GET", "/api/v1/health", PUBLIC),
    "api_organisations": ("GET", "/api/v1/organisations", API_ALL_READ),
    "api_lint": ("GET", f"/api/v1/organisations/{ORG}/lint", API_ALL_READ),
    "api_register": ("GET", f"/api/v1/organisations/{ORG}/register", API_ALL_READ),
    "api_subject": (
        "GET",
        f"/api/v1/subjects/{ORG}/{{ref}}",
        row(401, 200, 200, 200, 403, 403, 200),
    ),
    "api_audit_head": ("GET", "/api/v1/audit/head", row(401, 200, 200, 403, 200, 403, 200)),
    # changes through the API need a token: a console cookie alone is not enough
    "api_subject_search": (
        "POST",
        "/api/v1/subjects/search",
        row(401, 401, 401, 401, 401, 403, 200),
    ),
    "api_subject_create": ("POST", "/api/v1/subjects", row(401, 401, 401, 401, 401, 403, 201)),
    # rights requests (issue 16): auditors may not read requesters' details
    "api_requests": ("GET", "/api/v1/requests", row(401, 200, 200, 200, 403, 403, 200)),
    "api_request": (
        "GET",
        f"/api/v1/requests/{ORG}/q_none",
        row(401, 404, 404, 404, 403, 403, 404),
    ),
    "api_request_create": ("POST", "/api/v1/requests", row(401, 401, 401, 401, 401, 403, 201)),
    "api_request_step": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/steps",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_tasks": (
        "GET",
        f"/api/v1/requests/{ORG}/q_none/tasks",
        row(401, 404, 404, 404, 403, 403, 404),
    ),
    "api_request_task_step": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/tasks/t_none",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_restriction_step": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/restrictions/r_none",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_search_sources": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/search_sources",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_package_queue": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/package",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_package": (
        "GET",
        f"/api/v1/requests/{ORG}/q_none/package",
        row(401, 404, 404, 404, 403, 403, 404),
    ),
    # issue 19: an erasure over the API; approval is refused to every token (403) before
    # anything is looked up: ERA-02 wants a person in the console
    "api_request_erasure": (
        "GET",
        f"/api/v1/requests/{ORG}/q_none/erasure",
        row(401, 404, 404, 404, 403, 403, 404),
    ),
    "api_request_erasure_ground": (
        "PUT",
        f"/api/v1/requests/{ORG}/q_none/erasure/ground",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_erasure_plan": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/erasure/plan",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_erasure_reject": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/erasure/reject",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_erasure_approve": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/erasure/approve",
        row(401, 401, 401, 401, 401, 403, 403),
    ),
    "api_request_portability_destination": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/portability_destination",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_split": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/split",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_note": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/notes",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_code_send": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/verification/code",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_code_check": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/verification/check",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_request_knowledge_check": (
        "POST",
        f"/api/v1/requests/{ORG}/q_none/verification/knowledge",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    # a portal's batch (issue 16): an empty array is answered 200 with nothing opened
    "api_request_batch": (
        "POST",
        "/api/v1/requests/batch",
        row(401, 401, 401, 401, 401, 403, 200),
    ),
    # complaints (issue 17, CMP-01): auditors may not read complainants' details; changes
    # need a token, and a step on an unknown complaint is 404 to the right token
    "api_complaints": ("GET", "/api/v1/complaints", row(401, 200, 200, 200, 403, 403, 200)),
    "api_complaint": (
        "GET",
        f"/api/v1/complaints/{ORG}/c_none",
        row(401, 404, 404, 404, 403, 403, 404),
    ),
    "api_complaint_create": (
        "POST",
        "/api/v1/complaints",
        row(401, 401, 401, 401, 401, 403, 201),
    ),
    **{
        f"api_complaint_{name}": (
            "POST",
            f"/api/v1/complaints/{ORG}/c_none/{path}",
            row(401, 401, 401, 401, 401, 403, 404),
        )
        for name, path in (
            ("acknowledge", "acknowledge"),
            ("investigate", "investigate"),
            ("note", "notes"),
            ("theme", "theme"),
            ("link_request", "requests"),
            ("link_subject", "subject"),
            ("close", "close"),
        )
    },
    # legal holds (issue 17, RET-02): the same callers as complaints
    "api_holds": ("GET", "/api/v1/holds", row(401, 200, 200, 200, 403, 403, 200)),
    "api_hold": (
        "GET",
        f"/api/v1/holds/{ORG}/h_none",
        row(401, 404, 404, 404, 403, 403, 404),
    ),
    "api_hold_place": ("POST", "/api/v1/holds", row(401, 401, 401, 401, 401, 403, 201)),
    "api_hold_review": (
        "POST",
        f"/api/v1/holds/{ORG}/h_none/review",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    "api_hold_close": (
        "POST",
        f"/api/v1/holds/{ORG}/h_none/close",
        row(401, 401, 401, 401, 401, 403, 404),
    ),
    # the retention runs' evidence (issue 20, RET-03): audit:read, as the evidence pages
    "api_retention_runs": (
        "GET",
        f"/api/v1/retention/runs?organisation={ORG}",
        row(401, 200, 200, 403, 200, 403, 200),
    ),
    "api_retention_run": (
        "GET",
        "/api/v1/retention/runs/r_none",
        row(401, 404, 404, 403, 404, 403, 404),
    ),
    # the disclosure log (issue 19, NOT-01): the same callers as holds; the fixture's
    # register names no recipient, so the right scope's record is refused (422)
    "api_disclosures": (
        "GET",
        f"/api/v1/disclosures?organisation={ORG}&recipient=crm_vendor",
        row(401, 200, 200, 200, 403, 403, 200),
    ),
    "api_disclosure": (
        "GET",
        f"/api/v1/disclosures/{ORG}/d_none",
        row(401, 404, 404, 404, 403, 403, 404),
    ),
    "api_disclosure_record": (
        "POST",
        "/api/v1/disclosures",
        row(401, 401, 401, 401, 401, 403, 422),
    ),
    # the "wrong scope" token holds decisions:read, which is the right one here
    "api_decision": (
        "GET",
        f"/api/v1/decisions?organisation={ORG}&subject={{ref}}&purpose=sales",
        row(401, 200, 200, 200, 403, 200, 200),
    ),
    "api_decision_batch": (
        "POST",
        f"/api/v1/decisions/batch?organisation={ORG}&purpose=sales",
        row(401, 401, 401, 401, 401, 200, 200),
    ),
}

# Served by FastAPI and Starlette themselves, public on purpose: the API's description, the
# static files and Swagger UI's (no ReDoc, no OAuth redirect: issue 14, item 10).
FRAMEWORK_ROUTES = {"/openapi.json", "/docs/assets", "/static"}
FRAMEWORK_PATHS = ("/openapi.json", "/docs/assets/swagger-ui.css", "/static/swagger-init.js")

FORMS: dict[str, dict[str, Any]] = {
    "subjects_search": {"org": ORG, "kind": "email", "value": "jane.doe@example.com"},
    "user_create": {"username": "new.person", "role": "caseworker"},
    "consent_record": {"purpose": "sales", "method": "paper", "evidence": "signed form"},
    "consent_withdraw": {"purpose": "sales", "method": "paper"},
    "objection_record": {"kind": "direct_marketing", "channels": "post", "method": "phone"},
    "objection_decide": {"outcome": "upheld", "reasons": "none"},
    "restriction_start": {"ground": "unlawful"},
    "subject_merge": {"other": "s_0000000000000000"},
    "subject_shred": {"reason": "duplicate"},
    "request_subject_search": {"kind": "email", "value": "jane.doe@example.com"},
    "request_subject_link": {"subject_ref": "s_0000000000000000"},
    "user_role": {"role": "dpo"},
    "token_create": {"name": "crm", "owner": "admin", "scope": "decisions:read", "days": "30"},
    "retention_run_now": {"org": ORG},
}
JSON: dict[str, Any] = {
    "api_request_erasure_ground": {"ground": "consent_withdrawn"},
    "api_request_erasure_reject": {"reason": "The payments stay: ask finance."},
    "api_request_create": {
        "organisation": ORG,
        "rights": ["access"],
        "channel": "email",
        "received_on": "2026-11-20",
    },
    "api_request_step": {"step": "withdraw", "on": "2026-11-20"},
    "api_request_task_step": {"action": "start"},
    "api_request_restriction_step": {"action": "warn"},
    "api_request_split": {"rights": ["erasure"], "on": "2026-11-20"},
    "api_request_portability_destination": {
        "organisation_name": "Example Energy Ltd",
        "email": "data.moves@example-energy.co.uk",
    },
    "api_request_note": {"text": "Called the requester back"},
    "api_request_code_check": {"code": "123456"},
    "api_request_knowledge_check": {"answers": {"postcode": "SW1A 1AA", "name": "Jane"}},
    "api_request_batch": [],
    "api_complaint_create": {
        "organisation": ORG,
        "channel": "phone",
        "received_on": "2026-11-20",
        "complainant": {"words": "My letter went to my neighbour."},
    },
    "api_complaint_acknowledge": {"on": "2026-11-20"},
    "api_complaint_investigate": {},
    "api_complaint_note": {"text": "Called the complainant back"},
    "api_complaint_theme": {"theme": "disclosure"},
    "api_complaint_link_request": {"request_ref": "q_none"},
    "api_complaint_link_subject": {"subject_ref": "s_none"},
    "api_complaint_close": {"outcome": "upheld", "explanation": "We were wrong."},
    "api_hold_place": {
        "organisation": ORG,
        "scope": "case",
        "case_ref": "CLAIM-1",
        "reason": "litigation",
        "datasets": ["crm"],
        "owner": "dpo@acme.example",
        "review_on": "2027-02-01",
    },
    "api_hold_review": {"review_on": "2027-02-01"},
    "api_disclosure_record": {
        "organisation": ORG,
        "subject_ref": "s_none",
        "recipient": "crm_vendor",
        "datasets": ["crm"],
        "purpose": "sales",
        "disclosed_on": "2026-11-20",
    },
    "api_decision_batch": {"identity": {"kind": "email", "value": "jane.doe@example.com"}},
    "cookie_consent_log": {"choice": {}},
    "api_subject_search": {"organisation": ORG, "kind": "email", "value": "jane.doe@example.com"},
    "api_subject_create": {
        "organisation": ORG,
        "groups": ["customers"],
        "identities": [{"kind": "email", "value": "new.one@example.com"}],
    },
}


@dataclass
class World:
    app: FastAPI
    users: dict[str, User]
    params: dict[str, str]


@pytest.fixture
def world(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[World]:
    app = console_app(database_url, clock, vault)
    users = {role: add_user(app, role, role) for role in ROLES}
    target = add_user(app, "target", "caseworker")
    ref = add_person(app)
    link, _ = sign_link(app.state.secret_key, clock, ORG, ref, 7)
    token = api_token(app, users["admin"], ["registers:read"])
    with UnitOfWork(app.state.session_factory, clock) as unit:
        from sqlalchemy import select

        from dataward.accounts.models import ApiToken

        token_ref = unit.session.scalars(select(ApiToken.ref)).first()
    assert token_ref is not None
    assert token
    params = {"ref": ref, "link": link, "target": target.ref, "token": token_ref}
    params["status"] = _status_link(app, clock)
    yield World(app, users, params)
    app.state.engine.dispose()


def _status_link(app: FastAPI, clock: Any) -> str:
    """A signed status link to a request made through the portal."""
    from datetime import date

    from dataward.requests.service import NewRequest, open_request
    from dataward.requests.status_links import status_link_token

    with UnitOfWork(app.state.session_factory, clock, app.state.vault) as unit:
        new = NewRequest(ORG, ["access"], "portal", date(2026, 11, 20))
        request = open_request(unit, new, actor="public:portal")
        unit.commit()
        return status_link_token(app.state.secret_key, clock, request)[0]


def _api_routes(app: FastAPI) -> dict[str, APIRoute]:
    return {i.name: i.route for i in app_routes(app) if isinstance(i.route, APIRoute)}


def test_it_has_an_expectation_for_every_route(world: World) -> None:
    names = set(_api_routes(world.app))
    assert len(names) > 30
    missing = sorted(names - set(EXPECTED))
    assert not missing, f"routes without a row in the authorisation matrix: {missing}"
    assert not sorted(set(EXPECTED) - names), "the matrix names routes that do not exist"
    others = {i.path for i in app_routes(world.app) if not isinstance(i.route, APIRoute)}
    assert others == FRAMEWORK_ROUTES
    for name, route in _api_routes(world.app).items():
        assert rule_of(route) is not None, name


def test_it_refuses_to_start_with_a_route_that_declares_no_rule(world: World) -> None:
    from dataward.errors import ConfigurationError
    from dataward.web.accounts_setup import check_route_rules

    check_route_rules(world.app)  # every real route declares one
    world.app.add_api_route("/console/stray", lambda: "hello", name="stray")

    with pytest.raises(ConfigurationError, match="/console/stray"):
        check_route_rules(world.app)


def _client(world: World, caller: str, scope: str | None) -> TestClient:
    client = TestClient(world.app, follow_redirects=False)
    if caller in ROLES:
        client.cookies.set(SESSION_COOKIE, session_cookie(world.app, world.users[caller]))
    elif caller == "wrong_scope":
        token = api_token(world.app, world.users["admin"], ["decisions:read"])
        client.headers["Authorization"] = f"Bearer {token}"
    elif caller == "right_scope" and scope is not None:
        token = api_token(world.app, world.users["admin"], [scope])
        client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_it_answers_each_caller_as_the_matrix_says(world: World, name: str) -> None:
    method, template, statuses = EXPECTED[name]
    rule = rule_of(_api_routes(world.app)[name])
    assert rule is not None
    scope = rule.permission.value if rule.kind == "api" and rule.permission else None
    got: dict[str, int] = {}
    for caller in CALLERS:
        client = _client(world, caller, scope)
        path = template.format(**world.params)
        if method == "GET":
            response = client.get(path)
        elif method == "PUT":
            response = client.put(path, json=JSON[name])
        elif name in JSON:
            response = client.post(path, json=JSON[name])
        else:
            data = dict(FORMS.get(name, {}))
            if caller in ROLES:
                data["csrf_token"] = csrf_from(client.get("/console", follow_redirects=True).text)
            response = client.post(path, data=data)
        got[caller] = response.status_code
        if response.status_code == 303 and caller in ("anonymous", "wrong_scope", "right_scope"):
            assert response.headers["location"].startswith("/login"), (name, caller)
    assert got == statuses


@pytest.mark.parametrize("path", FRAMEWORK_PATHS)
def test_it_answers_every_caller_on_the_framework_routes(world: World, path: str) -> None:
    """issue 14, item 5 of H6's part: /openapi.json and the docs' assets are public, to all."""
    for caller in CALLERS:
        response = _client(world, caller, "registers:read").get(path)
        assert response.status_code == 200, (path, caller)

"""``dataward worker``, ``dataward jobs`` and ``dataward notice notify`` as a user runs them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from test_subject_cli import FIXTURES, Site, assert_one_line_error, run_script, site

from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.uow import UnitOfWork

__all__ = ["site"]  # the fixture, shared with the subject CLI tests


def _publish_v2(site: Site) -> None:
    source = (FIXTURES / "acme.yaml").read_text(encoding="utf-8")
    changed = source.replace(
        "  - {id: contact, name: Contact data, subject_groups: [customers]}\n",
        "  - {id: contact, name: Contact data, subject_groups: [customers]}\n"
        "  - {id: usage, name: Usage data, subject_groups: [customers]}\n",
    )
    engine = make_engine(f"sqlite:///{site.database}")
    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, parse_register(changed, "acme.yaml"))
        uow.commit()
    engine.dispose()


def _scalar(site: Site, sql: str) -> object:
    engine = create_engine(f"sqlite:///{site.database}")
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_notify_then_worker_once_delivers_to_the_eml_folder(site: Site, tmp_path: Path) -> None:
    """Issue 14, item 9: `notice notify` drafts; nothing is sent until a DPO approves it
    with `dataward notify approve ID --as USER`; a caseworker is refused, audited."""
    _publish_v2(site)
    added = run_script(
        site, "subject", "add", "--org", "acme", "-g", "customers", "-i", "email=jane@example.com"
    )
    assert added.returncode == 0, added.stderr
    for name, role in (("dpo1", "dpo"), ("case1", "caseworker")):
        made = run_script(site, "user", "create", name, "--role", role)
        assert made.returncode == 0, made.stderr
    queued = run_script(
        site, "notice", "notify", "--org", "acme", "--from", "1", "--to", "2",
        "--summary", "We now collect usage data.", "--group", "customers",
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    assert "1 subject in customers" in queued.stdout  # issue 15, item 7: not "1 subjects"
    campaign_id = queued.stdout.split()[1]
    site.env.update(DATAWARD_MAIL_SENDER="eml", DATAWARD_EML_DIR=str(tmp_path / "mail"))
    idle = run_script(site, "worker", "--once")
    assert idle.returncode == 0, idle.stderr
    assert "0 done" in idle.stdout  # a draft: the sweep and the worker queue nothing
    listed = run_script(site, "notify", "campaigns")
    assert listed.returncode == 0, listed.stderr
    assert campaign_id in listed.stdout
    assert "waiting for" in listed.stdout
    refused = run_script(site, "notify", "approve", campaign_id, "--as", "case1")
    assert_one_line_error(refused, "campaign_approver_not_allowed")
    assert (
        _scalar(site, "SELECT count(*) FROM audit_events WHERE action = 'notice.campaign_refused'")
        == 1
    )
    assert _scalar(site, "SELECT status FROM notice_campaigns") == "draft"
    approved = run_script(site, "notify", "approve", campaign_id, "--as", "dpo1")
    assert approved.returncode == 0, approved.stderr
    assert "queueing" in approved.stdout
    again = run_script(site, "notify", "approve", campaign_id, "--as", "dpo1")
    assert_one_line_error(again, "campaign_state_invalid")
    ran = run_script(site, "worker", "--once")
    assert ran.returncode == 0, ran.stderr
    assert "2 done, 0 to retry, 0 parked" in ran.stdout  # the campaign batch and the message
    [eml] = (tmp_path / "mail").glob("*.eml")
    assert "We now collect usage data." in eml.read_text(encoding="utf-8")
    assert eml.stat().st_mode & 0o777 == 0o600
    assert _scalar(site, "SELECT count(*) FROM notice_changes WHERE notified_at IS NULL") == 0
    assert "jane@example.com" not in ran.stderr  # logs carry no personal data
    approver = _scalar(site, "SELECT approved_by FROM notice_campaigns")
    assert str(approver).startswith("user:")


def test_pause_resume_and_cancel_on_the_command_line(site: Site) -> None:
    """Issue 14, item 9: each decision by its command, in the wrong state exit 2."""
    _publish_v2(site)
    made = run_script(site, "user", "create", "dpo1", "--role", "dpo")
    assert made.returncode == 0, made.stderr
    queued = run_script(
        site, "notice", "notify", "--org", "acme", "--from", "1", "--to", "2", "--summary", "x"
    )
    campaign_id = queued.stdout.split()[1]
    assert_one_line_error(
        run_script(site, "notify", "pause", campaign_id, "--as", "dpo1"), "campaign_state_invalid"
    )
    for decision, status in (("approve", "queueing"), ("pause", "paused"), ("resume", "queueing")):
        done = run_script(site, "notify", decision, campaign_id, "--as", "dpo1")
        assert done.returncode == 0, done.stderr
        assert _scalar(site, "SELECT status FROM notice_campaigns") == status
    run_script(site, "notify", "pause", campaign_id, "--as", "dpo1")
    cancelled = run_script(site, "notify", "cancel", campaign_id, "--as", "dpo1")
    assert cancelled.returncode == 0, cancelled.stderr
    assert _scalar(site, "SELECT status FROM notice_campaigns") == "cancelled"
    assert_one_line_error(
        run_script(site, "notify", "resume", "no-such-id", "--as", "dpo1"), "campaign_not_found"
    )
    assert_one_line_error(
        run_script(site, "notify", "approve", campaign_id, "--as", "nobody"),
        "campaign_approver_not_allowed",
    )


def test_notify_refuses_bad_input_and_writes_nothing(site: Site) -> None:
    _publish_v2(site)
    backwards = run_script(
        site, "notice", "notify", "--org", "acme", "--from", "2", "--to", "1", "--summary", "x"
    )
    assert_one_line_error(backwards, "validation_failed")
    missing = run_script(
        site, "notice", "notify", "--org", "acme", "--from", "1", "--to", "7", "--summary", "x"
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error [notice_version_not_found]: ")
    assert site.count("notice_campaigns") == 0
    assert site.count("jobs") == 0


def test_a_template_error_stops_the_worker_before_it_claims_anything(
    site: Site, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "notice_change.html").write_text("{% if %}", encoding="utf-8")
    site.env["DATAWARD_MAIL_TEMPLATES_DIR"] = str(templates)
    ran = run_script(site, "worker", "--once")
    assert ran.returncode == 2
    assert ran.stderr.startswith("error [template_invalid]: ")
    assert "notice_change.html:1:" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_jobs_retry_of_an_unknown_job_is_a_clear_error(site: Site) -> None:
    assert_one_line_error(run_script(site, "jobs", "retry", "42"), "job_not_found")
    listed = run_script(site, "jobs", "list")
    assert listed.returncode == 0, listed.stderr
    assert "0 parked" in listed.stdout


def test_serve_off_loopback_without_smtp_settings_refuses_to_start(site: Site) -> None:
    """Issue 14, item 9: anywhere but loopback, no SMTP settings means no start (exit 2,
    one line), before the database is touched."""
    for name in ("DATAWARD_SMTP_HOST", "DATAWARD_MAIL_SENDER"):
        site.env.pop(name, None)
    site.env["DATAWARD_SECRET_KEY"] = "x" * 43
    refused = run_script(site, "serve", "--host", "0.0.0.0", "--port", "1")
    line = assert_one_line_error(refused, "configuration_invalid")
    assert "DATAWARD_SMTP_HOST" in line

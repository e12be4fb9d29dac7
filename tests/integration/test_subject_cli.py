"""``dataward subject`` and ``dataward keys`` end to end, on SQLite files.

Good paths run in-process through Typer's runner. Bad input is translated in
``dataward.cli.app.main``, so those tests run the installed console script in a subprocess
and check the exit code, the one-line message and that nothing was written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subjects"
DATAWARD = Path(sys.executable).parent / "dataward"

runner = CliRunner()


@dataclass
class Site:
    """One dataward installation: its main database, its key store and its environment."""

    folder: Path
    database: Path
    keystore: Path
    env: dict[str, str]

    def count(self, table: str) -> int:
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()

    def keys(self, table: str) -> int:
        if not self.keystore.exists():
            return 0
        engine = create_engine(f"sqlite:///{self.keystore}")
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()


def invoke(*args: str) -> str:
    """Run a command in-process; it must succeed. Returns what it printed."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def run_script(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DATAWARD), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=site.env,
        cwd=site.folder,  # away from any .env in the project folder
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error [{code}]: "), result.stderr
    return lines[0]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A migrated database with acme's register, a key store path and fresh keys."""
    get_settings.cache_clear()
    for name in list(os.environ):
        if name.startswith("DATAWARD_"):
            monkeypatch.delenv(name)
    database = tmp_path / "dataward.db"
    keystore = tmp_path / "keys.db"
    url = f"sqlite:///{database}"
    assert "database is up to date" in invoke("db", "upgrade", "--url", url)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, load_register(FIXTURES / "acme.yaml"))
        uow.commit()
    engine.dispose()
    generated = dict(
        line.split("=", 1) for line in invoke("keys", "generate").splitlines() if "=" in line
    )
    assert set(generated) == {"DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY", "DATAWARD_SECRET_KEY"}
    env = {
        "DATAWARD_DATABASE_URL": url,
        "DATAWARD_KEYSTORE_URL": f"sqlite:///{keystore}",
        **generated,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()  # storing the register read settings (for logging) already
    script_env = {k: v for k, v in os.environ.items() if not k.startswith("DATAWARD_")}
    yield Site(tmp_path, database, keystore, {**script_env, **env})
    get_settings.cache_clear()


def add(*identities: str, group: str = "customers") -> str:
    args = ["subject", "add", "--org", "acme", "-g", group]
    for identity in identities:
        args += ["-i", identity]
    return invoke(*args).strip()


# --- good paths ----------------------------------------------------------------------------


def test_it_generates_two_different_keys_each_time() -> None:
    first = invoke("keys", "generate").splitlines()
    second = invoke("keys", "generate").splitlines()
    names = [line.split("=", 1)[0] for line in first]
    assert names == ["DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY", "DATAWARD_SECRET_KEY"]
    assert len({line.split("=", 1)[1] for line in first}) == 3
    assert first != second


def test_it_adds_a_subject_and_finds_it_however_the_email_is_written(site: Site) -> None:
    ref = add("email=Jane.Doe@example.com", "phone=07911 123456")

    assert ref.startswith("s_")
    assert len(ref) == 18
    assert invoke("subject", "find", "--org", "acme", "email", "JANE.DOE@EXAMPLE.COM") == (
        f"{ref}\n"
    )
    assert invoke("subject", "find", "--org", "acme", "phone", "+44 7911 123456") == f"{ref}\n"
    assert site.count("subjects") == 1
    assert site.keys("blind_index") == 2


def test_it_shows_a_subject_with_its_values_decrypted(site: Site) -> None:
    ref = add("email=Jane.Doe@example.com", "ni_number=ab 12 34 56 c", "postcode=sw1a1aa")

    shown = invoke("subject", "show", "--org", "acme", ref)

    assert shown.splitlines()[0] == f"{ref}  organisation acme  groups customers"
    assert "jane.doe@example.com" in shown
    assert "AB123456C" in shown
    assert "SW1A 1AA" in shown
    sealed = site.count("subject_identities")
    assert sealed == 3


def test_it_merges_two_subjects(site: Site) -> None:
    keep = add("email=jane@example.com")
    other = add("email=jd@example.org", group="new_occupiers")

    merged = invoke("subject", "merge", "--org", "acme", keep, other)

    assert merged == f"merged {other} into {keep}\n"
    assert invoke("subject", "find", "--org", "acme", "email", "jd@example.org") == f"{keep}\n"
    shown = invoke("subject", "show", "--org", "acme", keep)
    assert "groups customers, new_occupiers" in shown
    assert other in shown  # the moved identity says where it came from
    assert site.keys("data_keys") == 1  # the merged subject's key was destroyed


def test_it_shreds_a_subject_so_it_is_found_no_more(site: Site) -> None:
    ref = add("email=jane@example.com")
    kept = add("email=john@example.com")

    assert invoke("subject", "shred", "--org", "acme", ref, "--yes") == f"shredded {ref}\n"

    missing = runner.invoke(app, ["subject", "find", "--org", "acme", "email", "jane@example.com"])
    assert missing.exit_code == 1
    assert missing.stdout == ""
    assert invoke("subject", "find", "--org", "acme", "email", "john@example.com") == f"{kept}\n"
    assert site.keys("data_keys") == 1
    assert site.count("subject_identities") == 1


def test_it_rotates_the_kek_and_the_subjects_still_open(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = add("email=jane@example.com", "phone=07911 123456")
    add("email=john@example.com")
    # The store holds data keys: a whole new set is refused, a KEK for rotation is not.
    new_kek = invoke("keys", "generate", "--new-kek").strip().split("=", 1)[1]
    monkeypatch.setenv("DATAWARD_NEW_KEK", new_kek)

    said = invoke("keys", "rotate", "--new-kek-id", "kek-2")

    assert said.startswith("re-wrapped 2 data keys under kek-2")
    monkeypatch.setenv("DATAWARD_KEK", new_kek)
    monkeypatch.setenv("DATAWARD_KEK_ID", "kek-2")
    get_settings.cache_clear()
    assert invoke("subject", "find", "--org", "acme", "email", "Jane@Example.com") == f"{ref}\n"
    assert "+447911123456" in invoke("subject", "show", "--org", "acme", ref)
    old = run_script(site, "subject", "show", "--org", "acme", ref)  # site.env has the old KEK
    assert_one_line_error(old, "configuration_invalid")


# --- bad input: a one-line error, exit code 2, nothing written -----------------------------


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ("email=jane@", "email address is not valid"),
        ("phone=0123", "phone number is not valid"),
        ("ni_number=GB123456A", "National Insurance number is not valid"),
        ("ni_number=QQ123456A", "National Insurance number is not valid"),
    ],
)
def test_it_rejects_a_malformed_identity_and_writes_nothing(
    site: Site, identity: str, message: str
) -> None:
    args = ["subject", "add", "--org", "acme", "-g", "customers", "-i", "email=ok@example.com"]
    result = run_script(site, *args, "-i", identity)

    line = assert_one_line_error(result, "identity_invalid")
    assert line.endswith(message)
    assert identity.split("=", 1)[1] not in line  # the value is personal data
    assert site.count("subjects") == 0
    assert site.keys("data_keys") == 0


def test_it_rejects_an_unknown_group(site: Site) -> None:
    result = run_script(
        site, "subject", "add", "--org", "acme", "-g", "tenants", "-i", "email=a@example.com"
    )

    line = assert_one_line_error(result, "validation_failed")
    assert "unknown subject groups for acme: tenants" in line
    assert site.count("subjects") == 0


def test_it_refuses_to_merge_a_subject_with_itself(site: Site) -> None:
    ref = add("email=jane@example.com")

    result = run_script(site, "subject", "merge", "--org", "acme", ref, ref)

    line = assert_one_line_error(result, "merge_refused")
    assert line.endswith("a subject cannot be merged with itself")
    assert invoke("subject", "find", "--org", "acme", "email", "jane@example.com") == f"{ref}\n"


def test_it_refuses_to_work_without_a_kek_and_writes_nothing(site: Site) -> None:
    env = {k: v for k, v in site.env.items() if k != "DATAWARD_KEK"}
    audit_before = site.count("audit_events")
    args = ["subject", "add", "--org", "acme", "-g", "customers", "-i", "email=jane@example.com"]
    result = run_script(Site(site.folder, site.database, site.keystore, env), *args)

    line = assert_one_line_error(result, "configuration_invalid")
    assert "DATAWARD_KEK is not set" in line
    assert site.count("subjects") == 0
    assert site.count("audit_events") == audit_before
    assert not site.keystore.exists()


def test_it_refuses_to_shred_without_yes_and_changes_nothing(site: Site) -> None:
    ref = add("email=jane@example.com")

    result = run_script(site, "subject", "shred", "--org", "acme", ref)

    assert result.returncode == 2
    assert result.stderr == "shredding cannot be undone: add --yes to confirm\n"
    assert site.keys("data_keys") == 1
    assert site.count("subject_identities") == 1
    assert invoke("subject", "find", "--org", "acme", "email", "jane@example.com") == f"{ref}\n"


def test_it_reports_an_unknown_subject(site: Site) -> None:
    result = run_script(site, "subject", "show", "--org", "acme", "s_0000000000000000")

    line = assert_one_line_error(result, "subject_not_found")
    assert "no subject 's_0000000000000000' in acme" in line

"""Keys never beside the data: local keys for loopback development only (issue 14, item 4).

``dataward serve`` makes ``var/local-keys.env`` only on a loopback interface; anywhere else
without keys it refuses to start and writes nothing. Every other command reads that file
(never makes one), so the README's commands work after ``make run``; a command that would
make keys unable to read data already stored refuses. Database files are 0600.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.config import get_settings
from dataward.crypto.secrets import KEY_SETTINGS
from dataward.errors import ConfigurationError
from dataward.localkeys import ensure_local_keys
from dataward.migrate import upgrade
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.runtime import open_runtime
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subjects"
DATAWARD = Path(sys.executable).parent / "dataward"
runner = CliRunner()


@dataclass
class Machine:
    """A developer's checkout: its var/ folder, databases and a clean environment."""

    folder: Path
    var: Path
    database_url: str
    keystore: Path

    @property
    def keys_file(self) -> Path:
        return self.var / "local-keys.env"

    def script_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATAWARD_")}
        env.update(
            DATAWARD_DATABASE_URL=self.database_url,
            DATAWARD_KEYSTORE_URL=f"sqlite:///{self.keystore}",
            DATAWARD_VAR_DIR=str(self.var),
            DATAWARD_DEMO_SUBJECTS="0",
        )
        env.update(extra)
        return env


def _machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Machine:
    for name in list(os.environ):
        if name.startswith("DATAWARD_"):
            monkeypatch.delenv(name)
    for name in KEY_SETTINGS:  # recorded, so keys the code under test exports are undone
        monkeypatch.setenv(name, "-")
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the project is read
    machine = Machine(tmp_path, tmp_path / "var", database_url, tmp_path / "var" / "keys.db")
    for name, value in machine.script_env().items():
        if name.startswith("DATAWARD_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return machine


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Machine]:
    """A fresh checkout with its SQLite files under var/, as `make run` makes them."""
    yield _machine(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'var' / 'dataward.db'}")
    get_settings.cache_clear()


@pytest.fixture
def backend_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, uow: UnitOfWork
) -> Iterator[Machine]:
    """The same, with the main database on each backend (already migrated; ``uow``'s
    teardown empties it again for the tests that follow)."""
    yield _machine(tmp_path, monkeypatch, database_url)
    get_settings.cache_clear()


def _forget_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new shell: the keys `serve` put in its own process environment are gone."""
    for name in KEY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def _local_serve_with_a_subject(machine: Machine, email: str) -> str:
    """What `make run` does on loopback: local keys, migrate, a subject stored under them."""
    assert ensure_local_keys(host="127.0.0.1") == machine.keys_file
    upgrade(machine.database_url)
    with open_runtime() as runtime, runtime.uow() as uow:
        store_register(uow, load_register(FIXTURES / "acme.yaml"))
        subject = add_subject(uow, "acme", ["customers"], [("email", email)], actor="test")
        uow.commit()
        return subject.ref


def _serve(machine: Machine, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DATAWARD), "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=machine.script_env(),
        cwd=machine.folder,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_it_refuses_to_serve_beyond_loopback_without_keys_and_writes_nothing(
    machine: Machine,
) -> None:
    """issue 14, item 4: no keys file beside the data on a non-loopback interface."""
    result = _serve(machine, "--host", "0.0.0.0", "--port", "0")

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error [configuration_invalid]: dataward will not serve on 0.0.0.0")
    for name in KEY_SETTINGS:
        assert name in line
    assert "dataward keys generate" in line
    assert not machine.keys_file.exists()
    assert not machine.var.exists()  # no database, no key store either


def test_it_refuses_beyond_loopback_even_with_a_local_keys_file(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 4: a development keys file is never used to serve on the network."""
    ensure_local_keys(host="127.0.0.1")
    _forget_keys(monkeypatch)
    before = machine.keys_file.read_text()

    with pytest.raises(ConfigurationError) as caught:
        ensure_local_keys(host="0.0.0.0")

    assert "local keys are made only for development on a loopback interface" in str(
        caught.value.message
    )
    assert f"The file {machine.keys_file} exists" in caught.value.message
    assert machine.keys_file.read_text() == before
    assert "DATAWARD_KEK" not in os.environ


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_it_makes_local_keys_on_every_loopback_name(machine: Machine, host: str) -> None:
    assert ensure_local_keys(host=host) == machine.keys_file
    assert _mode(machine.keys_file) == 0o600


def test_the_cli_reads_a_subject_stored_by_a_local_serve(
    backend_machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 4: after `make run`, the README's `subject find` and `worker --once`
    work in a new shell, with the keys the server made, and make no new ones."""
    machine = backend_machine
    email = f"jane.{uuid.uuid4().hex[:8]}@example.com"
    ref = _local_serve_with_a_subject(machine, email)
    keys_text = machine.keys_file.read_text()
    _forget_keys(monkeypatch)

    found = runner.invoke(app, ["subject", "find", "--org", "acme", "email", email])
    assert found.exit_code == 0, (found.output, found.exception)
    assert found.stdout.split() == [ref]
    shown = runner.invoke(app, ["subject", "show", "--org", "acme", ref])
    assert shown.exit_code == 0, (shown.output, shown.exception)
    assert email in shown.stdout
    # The worker configures logging on its stderr: run it as the README does, in a process.
    worker = subprocess.run(
        [str(DATAWARD), "worker", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=machine.script_env(),
        cwd=machine.folder,
    )
    assert worker.returncode == 0, worker.stderr
    assert "0 parked" in worker.stdout
    assert machine.keys_file.read_text() == keys_text


def test_the_cli_says_what_to_do_when_there_are_no_keys_at_all(machine: Machine) -> None:
    """issue 14, item 4: the hint no longer leads to a key that cannot read the data."""
    result = subprocess.run(
        [str(DATAWARD), "subject", "find", "--org", "acme", "email", "a@example.com"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=machine.script_env(),
        cwd=machine.folder,
    )

    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error [configuration_invalid]: DATAWARD_KEK is not set. ")
    assert "start `make run`" in lines[0]
    assert str(machine.keys_file) in lines[0]
    assert "keys the data was encrypted with" in lines[0]
    assert not machine.keys_file.exists()  # the CLI never makes keys


def test_the_cli_does_not_read_local_keys_when_configured_to_serve_beyond_loopback(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 4: the CLI keeps serve's rule; the message says why the file is unread."""
    _local_serve_with_a_subject(machine, "jane@example.com")
    _forget_keys(monkeypatch)
    monkeypatch.setenv("DATAWARD_HOST", "0.0.0.0")
    get_settings.cache_clear()

    result = runner.invoke(app, ["subject", "find", "--org", "acme", "email", "jane@example.com"])

    assert isinstance(result.exception, ConfigurationError)
    assert "DATAWARD_KEK is not set" in result.exception.message
    assert "exists but is read only while DATAWARD_HOST is a loopback address" in (
        result.exception.message
    )


def test_it_refuses_to_make_keys_that_could_not_read_stored_data(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 4: a lost keys file is not silently replaced by new keys."""
    _local_serve_with_a_subject(machine, "jane@example.com")
    _forget_keys(monkeypatch)
    machine.keys_file.unlink()

    with pytest.raises(ConfigurationError, match="already holds 1 data keys"):
        ensure_local_keys(host="127.0.0.1")
    assert not machine.keys_file.exists()

    generated = runner.invoke(app, ["keys", "generate"])
    assert isinstance(generated.exception, ConfigurationError)
    assert "new keys could not read them" in generated.exception.message
    assert generated.stdout == ""
    rotation = runner.invoke(app, ["keys", "generate", "--new-kek"])
    assert rotation.exit_code == 0, rotation.output
    assert rotation.stdout.startswith("DATAWARD_NEW_KEK=")


def test_keys_generate_prints_every_key_for_a_new_installation(machine: Machine) -> None:
    result = runner.invoke(app, ["keys", "generate"])

    assert result.exit_code == 0, (result.output, result.exception)
    names = [line.split("=", 1)[0] for line in result.stdout.splitlines()]
    assert names == list(KEY_SETTINGS)
    assert not machine.keystore.exists()  # asking the store does not create it


def test_database_files_are_readable_by_the_owner_only(machine: Machine) -> None:
    """issue 14, item 4: the main database and the key store (and WAL files) are 0600."""
    _local_serve_with_a_subject(machine, "jane@example.com")
    database = machine.var / "dataward.db"
    with open_runtime() as runtime, runtime.uow() as uow:
        uow.session.execute(text("SELECT 1 FROM subjects"))
        present = [
            Path(f"{path}{suffix}")
            for path in (database, machine.keystore)
            for suffix in ("", "-wal", "-shm")
            if Path(f"{path}{suffix}").exists()
        ]
        assert {database, machine.keystore} <= set(present)
        assert any(p.name.endswith("-wal") for p in present)
        assert {p.name: _mode(p) for p in present} == {p.name: 0o600 for p in present}
    assert _mode(machine.keys_file) == 0o600


def test_existing_database_files_are_narrowed_to_the_owner(machine: Machine) -> None:
    """issue 14, item 4: files made before this release (0644) are narrowed at start."""
    _local_serve_with_a_subject(machine, "jane@example.com")
    database = machine.var / "dataward.db"
    database.chmod(0o644)
    machine.keystore.chmod(0o644)

    with open_runtime():
        pass

    assert _mode(database) == 0o600
    assert _mode(machine.keystore) == 0o600

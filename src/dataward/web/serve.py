"""``dataward serve`` (what ``make run`` starts): migrate, load registers, serve."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import FastAPI
from rich.console import Console

from dataward.accounts.service import ensure_first_admin
from dataward.config import Settings, get_settings
from dataward.demo.sources import FILES_DIR_FROM, OPERATIONAL_URL_FROM
from dataward.errors import ConfigurationError
from dataward.localkeys import ensure_local_keys, is_loopback, protect_database_files
from dataward.logging import configure_logging
from dataward.migrate import upgrade
from dataward.outbox.config import check_mail_delivery
from dataward.runtime import encrypt_legacy_totp_secrets, unreadable_totp_secrets
from dataward.uow import UnitOfWork
from dataward.web.app import create_app
from dataward.web.loading import LoadOutcome, load_examples

if TYPE_CHECKING:
    from dataward.workers import EmbeddedWorker

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def run_server(
    examples: Path | None = None, host: str | None = None, port: int | None = None
) -> None:
    import uvicorn

    # Keys first: on any interface but loopback without keys set, nothing is written at all.
    keys_file = ensure_local_keys(host=host if host is not None else get_settings().host)
    settings = _settings(examples, host, port)
    configure_logging(settings.log_level, settings.log_format)
    mail_note = check_mail_delivery(settings.host)  # no real mail by default (issue 14, 9)
    _check_port_free(settings.host, settings.port)
    protect_database_files(settings.database_url, settings.keystore_url)
    upgrade(settings.database_url)
    sealed, _ = encrypt_legacy_totp_secrets(settings, actor="system:start")
    if sealed:
        err.print(
            f"Sealed {sealed} TOTP secrets stored readable by an older release.", markup=False
        )
    unreadable = unreadable_totp_secrets(settings)
    if unreadable:
        err.print(
            f"Warning: {unreadable} enrolled TOTP secrets cannot be read with this "
            "DATAWARD_SECRET_KEY (was it changed?): those users cannot sign in until the key "
            "they were sealed under is back, or their TOTP is cleared (`dataward user reset "
            "USERNAME --clear-totp`).",
            markup=False,
        )
    app = create_app(settings)
    first_admin = _first_admin(app)
    if settings.examples_dir.is_dir():
        with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
            outcomes = load_examples(uow, settings.examples_dir)
            uow.commit()
        report_outcomes(outcomes, settings.examples_dir)
    else:
        err.print(
            f"No registers loaded: the folder {settings.examples_dir} does not exist "
            "(set DATAWARD_EXAMPLES_DIR or pass --examples).",
            markup=False,
        )
    if keys_file is not None:
        err.print(
            f"Using local development keys from {keys_file} (made on first start; set "
            "DATAWARD_KEK, DATAWARD_BLIND_INDEX_KEY and DATAWARD_SECRET_KEY in production).",
            markup=False,
        )
    ensure_demo(settings)
    if settings.demo_subjects:
        # The built-in worker reads the demo's sources like any organisation's, through the
        # environment: the demo's package is built from where the demo was just made.
        for name, value in demo_locations(settings).items():
            os.environ.setdefault(name, value)
    from dataward.workers import start_embedded_worker

    worker = start_embedded_worker(settings, app.state.session_factory, app.state.clock)
    if worker.note:
        err.print(worker.note, markup=False)
    _stop_with_server(app, worker)
    out.print(banner(settings.host, settings.port, first_admin) + mail_note, markup=False)
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            # Access logs would record visitors' IP addresses, which are personal data.
            access_log=False,
            log_level="debug" if settings.log_level == "debug" else "warning",
        )
    finally:
        worker.stop()


def demo_locations(settings: Settings) -> dict[str, str]:
    """The demo agency's database URL and files folder, by the variables its sources file
    names (``url_from``): the settings', or where ``make run`` puts them in ``var_dir``."""
    var = settings.var_dir
    return {
        OPERATIONAL_URL_FROM: settings.demo_operational_url
        or f"sqlite:///{var / 'demo-operational.db'}",
        FILES_DIR_FROM: str(settings.demo_files_dir or var / "demo-files"),
    }


def ensure_demo(settings: Settings) -> None:
    """On a first start, build the demo agency (DATAWARD_DEMO_SUBJECTS people; 0: none).

    A failure is reported and the server still starts: the registers are served without it.
    """
    from dataward.db import make_engine
    from dataward.demo.service import DemoOptions, create_demo, demo_exists
    from dataward.errors import DatawardError
    from dataward.runtime import open_runtime

    if settings.demo_subjects == 0:
        return
    var = settings.var_dir
    where = demo_locations(settings)
    options = DemoOptions(
        subjects=settings.demo_subjects,
        seed=1,
        operational_url=where[OPERATIONAL_URL_FROM],
        files_dir=Path(where[FILES_DIR_FROM]),
        sources_path=var / "demo-sources.yaml",
        register_path=settings.examples_dir / "jtr-collections.yaml",
        parallel=False,
    )
    engine = make_engine(options.operational_url)
    try:
        exists = demo_exists(engine)
    finally:
        engine.dispose()
    if exists:
        _ensure_demo_requests(settings, options.organisation)
        return
    err.print(
        f"First start: building the demo agency with {settings.demo_subjects:,} people "
        f"(its own database {engine.url.render_as_string(hide_password=True)}; "
        "identities encrypted per subject).",
        markup=False,
    )
    try:
        with open_runtime(settings) as runtime, runtime.uow() as uow:
            summary = create_demo(uow, options)
            uow.commit()
    except DatawardError as error:
        err.print(f"The demo agency was not built: [{error.code}] {error.message}", markup=False)
        return
    err.print(
        f"Demo agency ready: {summary.subjects_added:,} subjects of {summary.organisation} "
        f"in {summary.seconds:.1f} s.",
        markup=False,
    )
    _ensure_demo_requests(settings, options.organisation)


def _ensure_demo_requests(settings: Settings, organisation: str) -> None:
    """The demo's request queue, opened once (a demo built by an older release gets it on
    its next start). A failure is reported; the server still starts."""
    from dataward.demo.rights_requests import open_demo_requests
    from dataward.errors import DatawardError
    from dataward.runtime import open_runtime

    try:
        with open_runtime(settings) as runtime, runtime.uow() as uow:
            opened = open_demo_requests(uow, organisation)
            uow.commit()
    except DatawardError as error:
        err.print(
            f"The demo requests were not opened: [{error.code}] {error.message}", markup=False
        )
        return
    if opened.opened:
        err.print(
            f"Demo requests: {opened.opened} rights requests of {organisation} in the queue "
            "(Requests, in the console).",
            markup=False,
        )
    _ensure_demo_complaints(settings, organisation)
    _ensure_demo_package(settings, organisation)


def _ensure_demo_package(settings: Settings, organisation: str) -> None:
    """The demo's access package, queued once for the embedded worker to build (so the
    console has one to review). A failure is reported; the server still starts."""
    from dataward.access.service import request_of
    from dataward.demo.access_package import queue_demo_package
    from dataward.errors import DatawardError
    from dataward.runtime import open_runtime

    try:
        with open_runtime(settings) as runtime, runtime.uow() as uow:
            package = queue_demo_package(uow, organisation)
            ref = request_of(uow, package).ref if package is not None else None
            uow.commit()
    except DatawardError as error:
        err.print(
            f"The demo access package was not queued: [{error.code}] {error.message}",
            markup=False,
        )
        return
    if ref is not None:
        err.print(
            f"Demo access package: queued for request {ref}; the worker builds it for "
            "review (the request's page, in the console).",
            markup=False,
        )


def _ensure_demo_complaints(settings: Settings, organisation: str) -> None:
    """The demo's complaints, opened once after its requests (one is about a request). A
    failure is reported; the server still starts."""
    from dataward.demo.complaints import open_demo_complaints
    from dataward.errors import DatawardError
    from dataward.runtime import open_runtime

    try:
        with open_runtime(settings) as runtime, runtime.uow() as uow:
            opened = open_demo_complaints(uow, organisation, env=demo_locations(settings))
            uow.commit()
    except DatawardError as error:
        err.print(
            f"The demo complaints were not opened: [{error.code}] {error.message}", markup=False
        )
        return
    if opened.opened:
        err.print(
            f"Demo complaints: {opened.opened} complaints of {organisation} "
            "(Complaint figures, in the console).",
            markup=False,
        )


def _first_admin(app: FastAPI) -> str | None:
    """On a first start with no user, create ``admin`` and return its password (shown once)."""
    with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
        created = ensure_first_admin(uow, app.state.passwords)
        uow.commit()
    return created[1] if created else None


def _stop_with_server(app: FastAPI, worker: EmbeddedWorker) -> None:
    """Stop the worker in the app's shutdown, before uvicorn re-raises SIGTERM and exits."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        async with inner(a) as state:
            try:
                yield state
            finally:
                await anyio.to_thread.run_sync(worker.stop)

    app.router.lifespan_context = lifespan


def _settings(examples: Path | None, host: str | None, port: int | None) -> Settings:
    updates: dict[str, object] = {}
    if examples is not None:
        updates["examples_dir"] = examples
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    settings = get_settings()
    chosen = str(updates.get("host", settings.host))
    if "cookie_secure" not in settings.model_fields_set and is_loopback(chosen):
        # Browsers keep Secure cookies off plain http://127.0.0.1, so local runs would
        # never stay signed in; anywhere else the cookie stays Secure (put TLS in front).
        updates["cookie_secure"] = False
    return settings.model_copy(update=updates)


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                details=[
                    "Another program (perhaps another `dataward serve`) may be using the port; "
                    "stop it, or choose another port with --port or DATAWARD_PORT."
                ],
            ) from None


def report_outcomes(outcomes: list[LoadOutcome], folder: Path) -> None:
    """Tell the person starting the server what loaded and, with file:line, what did not."""
    loaded = [o for o in outcomes if o.loaded]
    skipped = [o for o in outcomes if not o.loaded]
    for outcome in skipped:
        err.print(f"Skipped {outcome.file}: it does not load.", markup=False)
        for problem in outcome.problems:
            err.print(f"  {problem}", markup=False)
    names = ", ".join(f"{o.organisation} (v{o.version})" for o in loaded) or "none"
    summary = f"Loaded {len(loaded)} of {len(outcomes)} registers from {folder}: {names}."
    if skipped:
        summary += f" {len(skipped)} skipped (see above)."
    err.print(summary, markup=False)


def banner(host: str, port: int, first_admin_password: str | None = None) -> str:
    shown = host
    note = ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_unspecified:
        shown = "127.0.0.1"
        note = (
            f"\nIt listens on every network interface ({host}): anyone who can reach this "
            "machine can read every page."
        )
    elif address is not None and address.version == 6:
        shown = f"[{host}]"
    url = f"http://{shown}:{port}/"
    return (
        f"\ndataward is running: open {url} in your browser.\n"
        f"  The API is at {url}api/v1/organisations and documented at {url}docs.\n"
        f"  Privacy notices are public at {url}; staff sign in at {url}login.\n"
        + _sign_in_lines(url, first_admin_password)
        + note
        + "\n"
        "Stop with Ctrl+C.\n"
    )


def _sign_in_lines(url: str, password: str | None) -> str:
    if password is None:
        return "Sign in with your dataward account (`dataward user create` adds one)."
    return (
        "A first administrator was created, as no user existed:\n"
        f"  username: admin\n  password: {password}\n"
        "This password is shown only now. Sign in at "
        f"{url}login, then add people under Users; "
        "`dataward user reset admin` makes a new password."
    )

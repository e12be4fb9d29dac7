"""Helpers for outbox tests: a real aiosmtpd server, a self-signed certificate, subjects."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dataward.outbox.config import MailSettings
from dataward.publication.registers import store_register
from dataward.register.loader import load_register, parse_register
from dataward.subjects.models import Subject
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subjects"


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    refuse: set[str] = field(default_factory=set)
    delay: float = 0.0
    hold_at: int | None = None  # accept message number N, then wait for ``release``
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: Recipient address rejected: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.raw.append(envelope.content)
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=default_policy)  # type: ignore[arg-type]
            )
            count = len(self.messages)
        if self.hold_at is not None and count == self.hold_at:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def smtp_server(
    inbox: Inbox,
    *,
    tls: tuple[Path, Path] | None = None,
    login: tuple[str, str] | None = None,
    port: int | None = None,
) -> Iterator[int]:
    port = port or free_port()
    params: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        params.update(tls_context=context, require_starttls=True)
    if login is not None:

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == login
            )
            return AuthResult(success=ok)

        params.update(authenticator=authenticate, auth_required=True)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **params)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def mail_settings(port: int, **overrides: Any) -> MailSettings:
    values: dict[str, Any] = {
        "mail_sender": "smtp",
        "mail_from": "privacy@acme.example",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_timeout": 5.0,
        "public_url": "https://dataward.acme.example",
        "worker_lease_seconds": 60.0,
        "worker_idle_seconds": 0.05,
    }
    values.update(overrides)
    return MailSettings(_env_file=None, **values)  # type: ignore[call-arg]


def load_acme(uow: UnitOfWork, versions: int = 1) -> None:
    loaded = load_register(FIXTURES / "acme.yaml")
    store_register(uow, loaded)
    for n in range(2, versions + 1):
        store_register(uow, parse_register(loaded.source_text + f"\n# v{n}\n", "acme.yaml"))
    store_register(uow, load_register(FIXTURES / "other.yaml"))


def add_people(
    uow: UnitOfWork, count: int, *, group: str = "customers", start: int = 0
) -> list[Subject]:
    return [
        add_subject(uow, "acme", [group], [("email", f"person{n}@example.com")])
        for n in range(start, start + count)
    ]

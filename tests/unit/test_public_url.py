"""DATAWARD_PUBLIC_URL: links in messages point at this dataward, on the port it runs on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from dataward import workers
from dataward.clock import FixedClock
from dataward.config import Settings
from dataward.outbox.config import MailSettings, get_mail_settings


@pytest.fixture(autouse=True)
def no_public_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("DATAWARD_PUBLIC_URL", raising=False)
    monkeypatch.delenv("DATAWARD_PORT", raising=False)
    get_mail_settings.cache_clear()
    yield
    get_mail_settings.cache_clear()


def test_it_follows_the_port_when_no_public_url_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MailSettings().public_url == "http://127.0.0.1:8000"
    monkeypatch.setenv("DATAWARD_PORT", "9001")

    assert MailSettings().public_url == "http://127.0.0.1:9001"


def test_it_keeps_a_public_url_that_was_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAWARD_PORT", "9001")
    monkeypatch.setenv("DATAWARD_PUBLIC_URL", "https://privacy.acme.example")

    mail = MailSettings()

    assert mail.public_url == "https://privacy.acme.example"
    assert mail.for_port(9100).public_url == "https://privacy.acme.example"


def test_it_follows_the_port_the_server_is_started_on() -> None:
    assert MailSettings().for_port(9100).public_url == "http://127.0.0.1:9100"


def test_the_embedded_worker_links_to_the_port_of_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    # `dataward serve --port 9123` hands the worker settings with that port.
    seen: list[MailSettings] = []

    class Stop(Exception):
        pass

    def build_worker(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[3])
        raise Stop

    monkeypatch.setattr(workers, "build_worker", build_worker)
    settings = Settings(port=9123, kek=None, blind_index_key=None)
    clock = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))

    with pytest.raises(Stop):
        workers.start_embedded_worker(settings, sessionmaker(), clock)

    assert [m.public_url for m in seen] == ["http://127.0.0.1:9123"]

"""The demo agency's sources file: valid, fits the demo register, never holds a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataward.demo import sources as demo_sources
from dataward.errors import ValidationFailed
from dataward.register.loader import load_register
from dataward.register.models import Register
from dataward.sources.loader import parse_sources, require_fit

REGISTER = Path(__file__).resolve().parents[2] / "examples" / "jtr-collections.yaml"


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(REGISTER).register


def _text(register: Register, url: str, files_dir: Path | None) -> str:
    document = demo_sources.sources_document(
        organisation=register.organisation,
        files_dir=files_dir,
        register_datasets={d.id for d in register.datasets},
    )
    return demo_sources.sources_text(
        document, operational_url=url, files_dir=files_dir, seed=4, subjects=12
    )


@pytest.mark.parametrize("files_dir", [Path("var/demo-files"), None])
def test_the_demo_sources_file_is_valid_and_fits_the_demo_register(
    register: Register, files_dir: Path | None
) -> None:
    loaded = parse_sources(_text(register, "sqlite:///var/demo.db", files_dir), "demo.yaml")
    fit = require_fit(loaded, register)

    assert set(fit.bound) == set(demo_sources.DATASETS)
    assert {m.dataset: m.reason for m in fit.by_hand} == demo_sources.NOT_IN_DEMO
    with_files = [b for bs in loaded.sources.datasets.values() for b in bs if b.files]
    assert len(with_files) == (0 if files_dir is None else 4)
    assert ("demo_files" in loaded.sources.connections) is (files_dir is not None)


def test_the_demo_sources_file_never_holds_the_databases_password(register: Register) -> None:
    text = _text(register, "postgresql+psycopg://agency:s3cret-pw@db.example/ops", None)

    assert "s3cret-pw" not in text
    assert "# DATAWARD_DEMO_OPERATIONAL_URL=postgresql+psycopg://agency:***@db.example/ops" in text
    assert "url_from: DATAWARD_DEMO_OPERATIONAL_URL" in text


def test_the_same_demo_writes_the_same_text(register: Register) -> None:
    # Same seed, same size: the same text, so storing it again adds no version.
    assert _text(register, "sqlite:///a.db", None) == _text(register, "sqlite:///a.db", None)


def test_a_register_without_the_demos_datasets_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="lacks datasets the demo maps: cases"):
        demo_sources.sources_document(
            organisation="x",
            files_dir=None,
            register_datasets=set(demo_sources.DATASETS) - {"cases"}
            | set(demo_sources.NOT_IN_DEMO),
        )

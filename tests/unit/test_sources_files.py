"""CSV/JSON file sources and blob folders: streamed, filtered by identity, checked by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataward.sources.check import check_connected
from dataward.sources.connectors import open_all
from dataward.sources.connectors import tabular as tabular_module
from dataward.sources.connectors.base import SourceMisfit, stream_subject
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.connectors.tabular import TabularConnector, read_json_objects
from dataward.sources.loader import parse_sources

SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  exports:
    kind: csv
    url_from: EXPORTS_DIR
  portal:
    kind: json
    url_from: PORTAL_DIR
  scans:
    kind: files
    url_from: SCANS_DIR
datasets:
  payments:
    - connection: exports
      pattern: payments/*.csv
      key: id
      identities:
        email: email
  web_enquiries:
    - connection: portal
      pattern: enquiries/*.json
      key: id
      identities:
        email: contact_email
        name: [first_name, last_name]
  vulnerability_evidence:
    - connection: scans
      pattern: "{customer_ref}/*.pdf"
      key: path
      identities:
        customer_ref: customer_ref
"""


def _write(root: Path) -> dict[str, str]:
    (root / "csv" / "payments").mkdir(parents=True)
    (root / "csv" / "payments" / "2025.csv").write_text(
        "id,email,amount\n1,ann@example.org,10\n2,bob@example.org,20\n3,ann@example.org,30\n",
        encoding="utf-8",
    )
    (root / "csv" / "payments" / "2026.csv").write_text(
        'id,email,amount\n4,"ann@example.org",40\n5,cat@example.org,50\n', encoding="utf-8"
    )
    (root / "json" / "enquiries").mkdir(parents=True)
    enquiries = [
        {"id": n, "contact_email": e, "first_name": f, "last_name": "Smith", "text": "x" * 500}
        for n, e, f in (
            (1, "ann@example.org", "Ann"),
            (2, "bob@example.org", "Bob"),
            (3, "dan@example.org", "Cat"),
        )
    ]
    (root / "json" / "enquiries" / "a.json").write_text(json.dumps(enquiries), encoding="utf-8")
    (root / "json" / "enquiries" / "b.json").write_text(
        "\n".join(json.dumps({**e, "id": e["id"] + 10}) for e in enquiries), encoding="utf-8"
    )
    for ref, names in (("C-1", ["a.pdf", "b.pdf"]), ("C-2", ["c.pdf"]), ("C-*", ["d.pdf"])):
        (root / "scans" / ref).mkdir(parents=True)
        for name in names:
            (root / "scans" / ref / name).write_bytes(b"%PDF-1.4\n" + name.encode())
    return {
        "EXPORTS_DIR": str(root / "csv"),
        "PORTAL_DIR": str(root / "json"),
        "SCANS_DIR": str(root / "scans"),
    }


def _found(env: dict[str, str], values: dict[str, list[object]]) -> dict[str, list[object]]:
    sources = parse_sources(SOURCES, "sources.yaml").sources
    connectors = open_all(sources, env)
    found: dict[str, list[object]] = {}
    for part in stream_subject(sources, connectors, values):
        found[part.dataset] = [row.get("id", row.get("path")) for row in part.rows]
    return found


def test_csv_and_json_rows_are_filtered_by_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _write(tmp_path)
    monkeypatch.setattr(tabular_module, "CHUNK", 7)  # objects straddle every read
    found = _found(env, {"email": ["ann@example.org"], "name": [("Cat", "Smith")]})
    assert found["payments"] == ["1", "3", "4"]
    # Enquiries 3 and 13 carry the name Cat Smith under another email: a name alone never
    # finds a row (it needs another identity of the same row), so they may be someone else's.
    assert found["web_enquiries"] == [1, 11]
    assert found["vulnerability_evidence"] == []


def test_blob_folder_yields_paths_and_sizes_and_escapes_the_pattern(tmp_path: Path) -> None:
    env = _write(tmp_path)
    sources = parse_sources(SOURCES, "sources.yaml").sources
    blobs = BlobConnector("scans", env["SCANS_DIR"])
    binding = sources.datasets["vulnerability_evidence"][0]
    rows = list(blobs.rows_for(binding, set(), {"customer_ref": ["C-1"]}))
    assert [(r["path"], r["size"]) for r in rows] == [("C-1/a.pdf", 14), ("C-1/b.pdf", 14)]
    # A reference holding a glob character matches itself only, not every folder.
    star = list(blobs.rows_for(binding, set(), {"customer_ref": ["C-*"]}))
    assert [r["path"] for r in star] == ["C-*/d.pdf"]
    assert list(blobs.rows_for(binding, set(), {"customer_ref": ["C-9"]})) == []


def test_a_path_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    env = _write(tmp_path)
    blobs = BlobConnector("scans", env["SCANS_DIR"])
    with pytest.raises(SourceMisfit, match="leaves its folder"):
        blobs._file("../csv/payments/2025.csv")
    assert blobs.exists("C-1/a.pdf")
    assert not blobs.exists("../csv/payments/2025.csv")


def test_json_arrays_and_lines_decode_one_object_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"n": n, "s": "é" * n} for n in range(300)]), encoding="utf-8")
    objects = read_json_objects(path)
    assert next(objects) == {"n": 0, "s": ""}
    assert sum(1 for _ in objects) == 299
    bad = tmp_path / "bad.json"
    bad.write_text('[{"n": 1}, 2]', encoding="utf-8")
    with pytest.raises(SourceMisfit, match="not an object"):
        list(read_json_objects(bad))


def test_the_check_reports_file_sources_by_line(tmp_path: Path) -> None:
    env = _write(tmp_path)
    clean = check_connected(parse_sources(SOURCES, "sources.yaml"), env=env)
    assert clean.findings == []
    broken = SOURCES.replace("pattern: payments/*.csv", "pattern: paymnts/*.csv").replace(
        "email: contact_email", "email: contact_mail"
    )
    result = check_connected(parse_sources(broken, "sources.yaml"), env=env)
    assert [line for f in result.findings for line in f.lines()] == [
        "sources.yaml:16:16: error: datasets.payments[0].pattern: pattern paymnts/*.csv "
        "matches no file in connection exports",
        "sources.yaml:25:16: error: datasets.web_enquiries[0].identities.email: identity "
        "(email) column contact_mail does not exist in table enquiries/*.json",
    ]
    gone = {**env, "SCANS_DIR": str(tmp_path / "vanished")}
    result = check_connected(parse_sources(SOURCES, "sources.yaml"), env=gone)
    assert [line for f in result.findings for line in f.lines()] == [
        "sources.yaml:12:15: error: connections.scans.url_from: connection scans: its folder "
        "does not exist"
    ]


def test_a_tabular_connector_needs_its_folder(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="connection exports: its folder does not exist"):
        TabularConnector("exports", str(tmp_path / "nowhere"))

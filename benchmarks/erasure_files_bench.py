"""Erasure in file sources: rewriting a large CSV and JSON export against plain baselines.

A CSV and a JSON array of ``--rows`` rows (1,000,000 by default: about 50 and 65 MB); the
erasure touches one row in 1,000 (set two fields to null/``[erased]`` in the CSV, delete
the row in the JSON).

- dataward: ``tabular.apply_changes``: the lock, the row-by-row rewrite to a temporary,
  ``fsync``, ``os.replace``.
- baseline CSV: the same edit by ``csv.reader`` -> ``csv.writer`` into a second file, no
  lock, no ``fsync``, no rename: the least any streaming rewrite costs.
- baseline JSON: ``json.load`` of the whole file, the edit, ``json.dump``: fast C code, but
  the whole file in memory (what dataward's streaming avoids).

Each side is timed ``--rounds`` times on fresh copies (medians compared); the peak Python
memory of one more run is measured with ``tracemalloc``. Run with
``.venv/bin/python benchmarks/erasure_files_bench.py`` (``--rows 200000`` for a quick run).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from dataward.sources.connectors import apply_changes
from dataward.sources.connectors.base import RowChange
from dataward.sources.connectors.tabular import TabularConnector


def _write(root: Path, rows: int) -> None:
    with (root / "export.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("id,email,name,amount\n")
        for n in range(rows):
            handle.write(f"{n},person{n}@example.org,Person {n},{n % 1000}.50\n")
    with (root / "export.json").open("w", encoding="utf-8") as handle:
        handle.write("[")
        for n in range(rows):
            row = {"id": n, "email": f"person{n}@example.org", "name": f"Person {n}"}
            handle.write(("," if n else "") + json.dumps(row))
        handle.write("]")


def _dataward_csv(folder: Path, keys: list[int]) -> None:
    connector = TabularConnector("bench", str(folder), kind="csv", read_only=False)
    change = RowChange("export.csv", "id", keys, False, {"email": None, "name": "[erased]"})
    assert apply_changes(connector, [change]) == [len(keys)]


def _baseline_csv(folder: Path, keys: list[int]) -> None:
    wanted = {str(k) for k in keys}
    source, target = folder / "export.csv", folder / "copy.csv"
    with (
        source.open(encoding="utf-8", newline="") as read,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        reader, writer = csv.reader(read), csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        for record in reader:
            if record[0] in wanted:
                record[1], record[2] = "", "[erased]"
            writer.writerow(record)


def _dataward_json(folder: Path, keys: list[int]) -> None:
    connector = TabularConnector("bench", str(folder), kind="json", read_only=False)
    assert apply_changes(connector, [RowChange("export.json", "id", keys, True)]) == [len(keys)]


def _baseline_json(folder: Path, keys: list[int]) -> None:
    wanted = set(keys)
    rows = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    kept = [row for row in rows if row["id"] not in wanted]
    (folder / "copy.json").write_text(json.dumps(kept), encoding="utf-8")


Side = Callable[[Path, list[int]], None]


def _measure(master: Path, side: Side, keys: list[int], rounds: int) -> tuple[float, float]:
    """(median seconds, peak MB of Python memory) on fresh copies of the files."""
    times = []
    for _ in range(rounds + 1):
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            for name in ("export.csv", "export.json"):
                shutil.copy(master / name, folder / name)
            if len(times) == rounds:
                tracemalloc.start()
                side(folder, keys)
                peak = tracemalloc.get_traced_memory()[1] / 1e6
                tracemalloc.stop()
                return statistics.median(times), peak
            started = time.perf_counter()
            side(folder, keys)
            times.append(time.perf_counter() - started)
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    keys = list(range(0, options.rows, 1000))
    with tempfile.TemporaryDirectory() as scratch:
        master = Path(scratch)
        _write(master, options.rows)
        sizes = {n: (master / n).stat().st_size / 1e6 for n in ("export.csv", "export.json")}
        print(
            f"{options.rows:,} rows, {len(keys):,} erased; CSV {sizes['export.csv']:.0f} MB, "
            f"JSON {sizes['export.json']:.0f} MB; load average {os.getloadavg()[0]:.2f}"
        )
        for kind, ours, baseline in (
            ("csv", _dataward_csv, _baseline_csv),
            ("json", _dataward_json, _baseline_json),
        ):
            mine, mine_peak = _measure(master, ours, keys, options.rounds)
            theirs, their_peak = _measure(master, baseline, keys, options.rounds)
            print(
                f"{kind}: dataward {mine:.2f} s (peak {mine_peak:.1f} MB), baseline "
                f"{theirs:.2f} s (peak {their_peak:.1f} MB): {mine / theirs:.2f}x the time"
            )


if __name__ == "__main__":
    main()

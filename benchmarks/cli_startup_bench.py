"""CLI start-up benchmark: `dataward --help` and `dataward deadline` against `python -c pass`.

Each command runs ``--runs`` times as a fresh process (what a user waits for); the figure is
the median wall time, and the ratio is to the bare interpreter measured in the same run.
Goal (issue 15, item 7): under 0.3 s for both commands.

Run with ``.venv/bin/python benchmarks/cli_startup_bench.py``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATAWARD = str(Path(sys.executable).parent / "dataward")
CASES = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "dataward --help": [DATAWARD, "--help"],
    "dataward deadline 2026-12-01 --nation SCT": [
        DATAWARD,
        "deadline",
        "2026-12-01",
        "--nation",
        "SCT",
    ],
    "dataward register --help": [DATAWARD, "register", "--help"],
}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[:400]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    medians = {}
    for label, command in CASES.items():
        timed(command)  # warm the file cache
        medians[label] = statistics.median(timed(command) for _ in range(args.runs))
    baseline = medians["python -c pass (baseline)"]
    print(f"CLI start-up, median of {args.runs} fresh processes")
    for label, seconds in medians.items():
        print(f"  {label:45} {seconds:6.3f} s  ({seconds / baseline:5.1f}x the interpreter)")


if __name__ == "__main__":
    main()

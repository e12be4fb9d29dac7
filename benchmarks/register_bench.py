"""Register loading benchmark: strict load (+ lint) against PyYAML's own C loader.

For each synthetic register (``synthetic.py``) it measures, in the same run:

- baseline: ``yaml.load(text, Loader=yaml.CSafeLoader)``, plain data and nothing else;
- load: ``load_register(path)``, i.e. read, compose with marks, build, pydantic, references;
- load + lint: the same, then ``lint(register)`` with every rule;

each as the best of ``--repeat`` runs (seconds), and the peak memory of one run of each
under ``tracemalloc`` (a separate run, since tracing slows the timed ones down). It prints a
table and the ratio load / baseline. Goals: the small register loads in under 0.3 s and the
ratio stays under 3. ``--profile`` prints where the small register's load spends its time.

Run with ``make bench`` or ``.venv/bin/python benchmarks/register_bench.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The largest tiers are over the default caps (10 MB, 200,000 nodes) on purpose: the point
# is to see how time grows. The caps must be set before dataward reads its settings.
os.environ.setdefault("DATAWARD_REGISTER_MAX_BYTES", str(100 * 1024 * 1024))
os.environ.setdefault("DATAWARD_REGISTER_MAX_NODES", str(10_000_000))

from dataward.register.lint import lint
from dataward.register.loader import load_register
from synthetic import synthetic_register

TIERS = {"small": (200, 500), "medium": (2_000, 5_000), "large": (5_000, 12_500)}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_NODES = 200_000
GOAL_SMALL_SECONDS = 0.3
GOAL_RATIO = 3.0


@dataclass
class Result:
    tier: str
    purposes: int
    rules: int
    size: int
    nodes: int
    baseline: float
    load: float
    load_lint: float
    findings: int
    baseline_peak: int
    load_peak: int
    load_lint_peak: int

    @property
    def ratio(self) -> float:
        return self.load / self.baseline

    @property
    def lint_ratio(self) -> float:
        return self.load_lint / self.baseline


def best_of(repeat: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_bytes(work: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def count_nodes(text: str) -> int:
    """YAML nodes as the loader counts them (aliases counted each time they are used)."""
    stack = [yaml.compose(text, Loader=yaml.CSafeLoader)]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.MappingNode):
            stack.extend(value for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return count


def measure(tier: str, folder: Path, repeat: int) -> Result:
    purposes, rules = TIERS[tier]
    text = synthetic_register(purposes, rules)
    path = folder / f"{tier}.yaml"
    path.write_text(text, encoding="utf-8")

    def baseline() -> object:
        # Read the file too, as load_register does, so both sides pay for the I/O.
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)

    def load() -> object:
        return load_register(path)

    def load_and_lint() -> object:
        return lint(load_register(path).register)

    findings = len(lint(load_register(path).register))  # also warms imports and caches
    return Result(
        tier=tier,
        purposes=purposes,
        rules=rules,
        size=len(text.encode("utf-8")),
        nodes=count_nodes(text),
        baseline=best_of(repeat, baseline),
        load=best_of(repeat, load),
        load_lint=best_of(repeat, load_and_lint),
        findings=findings,
        baseline_peak=peak_bytes(baseline),
        load_peak=peak_bytes(load),
        load_lint_peak=peak_bytes(load_and_lint),
    )


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def print_table(results: list[Result]) -> None:
    header = (
        f"{'tier':<7}{'purposes':>9}{'rules':>7}{'MiB':>6}{'nodes':>9}"
        f"{'baseline s':>11}{'load s':>8}{'+lint s':>9}{'ratio':>7}{'+lint':>7}"
        f"{'peak MiB base/load/+lint':>26}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        peaks = f"{mib(r.baseline_peak)}/{mib(r.load_peak)}/{mib(r.load_lint_peak)}"
        print(
            f"{r.tier:<7}{r.purposes:>9}{r.rules:>7}{mib(r.size):>6}{r.nodes:>9}"
            f"{r.baseline:>11.3f}{r.load:>8.3f}{r.load_lint:>9.3f}"
            f"{r.ratio:>7.2f}{r.lint_ratio:>7.2f}{peaks:>26}"
        )
    print()
    for r in results:
        over = []
        if r.size > DEFAULT_MAX_BYTES:
            over.append("size")
        if r.nodes > DEFAULT_MAX_NODES:
            over.append("node")
        if over:
            print(f"note: {r.tier} is over the default {' and '.join(over)} cap (raised here)")
    print(f"lint findings per register: {', '.join(f'{r.tier} {r.findings}' for r in results)}")


def verdict(results: list[Result]) -> bool:
    ok = True
    for r in results:
        if r.tier == "small":
            met = r.load_lint < GOAL_SMALL_SECONDS
            ok &= met
            print(
                f"goal small load+lint < {GOAL_SMALL_SECONDS} s: {r.load_lint:.3f} s "
                f"({'met' if met else 'MISSED'})"
            )
        met = r.ratio < GOAL_RATIO
        ok &= met
        print(
            f"goal {r.tier} load/baseline < {GOAL_RATIO}: {r.ratio:.2f} "
            f"({'met' if met else 'MISSED'})"
        )
    return ok


def profile(folder: Path, tier: str, top: int) -> None:
    path = folder / f"{tier}.yaml"
    if not path.exists():
        path.write_text(synthetic_register(*TIERS[tier]), encoding="utf-8")
    profiler = cProfile.Profile()
    profiler.enable()
    lint(load_register(path).register)
    profiler.disable()
    print(f"\ncProfile of load + lint, {tier} register (top {top} by cumulative time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", default="small,medium,large", help="comma-separated tiers")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (best kept)")
    parser.add_argument("--profile", action="store_true", help="cProfile the small register")
    args = parser.parse_args()
    tiers = [t.strip() for t in args.tiers.split(",") if t.strip()]
    unknown = [t for t in tiers if t not in TIERS]
    if unknown or args.repeat < 1:
        parser.error(f"tiers are {', '.join(TIERS)}; repeat is at least 1")

    print(
        f"python {platform.python_version()}, PyYAML {yaml.__version__} "
        f"(libyaml: {yaml.__with_libyaml__}), {os.cpu_count()} CPUs, "
        f"{platform.machine()}, best of {args.repeat}"
    )
    with tempfile.TemporaryDirectory(prefix="dataward-bench-") as tmp:
        folder = Path(tmp)
        results = [measure(tier, folder, args.repeat) for tier in tiers]
        print()
        print_table(results)
        print()
        ok = verdict(results)
        if args.profile or not ok:
            profile(folder, "small", 30)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

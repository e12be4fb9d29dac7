"""Notice rendering benchmark: every format for the three example registers.

For each example it measures, in the same run, the best of ``--repeat`` runs (seconds) of:

- baseline: ``json.dumps`` of the register's model dump, the cost of merely walking it;
- html: ``render_html`` (the whole standalone page, first layer included);
- md: ``render_markdown`` (the HTML, converted);
- pdf: ``render_pdf`` through WeasyPrint (skipped, and said so, where it is unavailable);
- dpv: ``to_dpv`` plus ``json.dumps``;
- diff: ``diff_registers`` of the register against itself (the worst case: every element);

and prints a table with each format's ratio to the baseline. Run with ``make bench`` or
``.venv/bin/python benchmarks/notice_bench.py`` (``--repeat 1 --no-pdf`` for a quick look).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

from dataward.errors import DatawardError
from dataward.notice.diff import diff_registers
from dataward.notice.markdown import render_markdown
from dataward.notice.render import render_html
from dataward.register.exports.dpv import to_dpv
from dataward.register.loader import load_register
from dataward.register.models import Register

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["jtr-collections", "johnnie-johnson-housing", "r3-repairs"]


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def formats(register: Register, with_pdf: bool) -> dict[str, Callable[[], object]]:
    out: dict[str, Callable[[], object]] = {
        "baseline": lambda: json.dumps(register.model_dump(mode="json")),
        "html": lambda: render_html(register),
        "md": lambda: render_markdown(register),
        "dpv": lambda: json.dumps(to_dpv(register)),
        "diff": lambda: diff_registers(register, register),
    }
    if with_pdf:
        from dataward.notice.pdf import render_pdf

        out["pdf"] = lambda: render_pdf(register)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pdf", action="store_true", help="leave PDF out")
    args = parser.parse_args()
    with_pdf = not args.no_pdf
    if with_pdf:
        try:
            from dataward.notice.pdf import load_weasyprint

            load_weasyprint()
        except DatawardError as error:
            print(f"PDF left out: {error.message}")
            with_pdf = False
    print(f"python {platform.python_version()} on {platform.machine()}, best of {args.repeat}")
    names = ["baseline", "html", "md", "pdf", "dpv", "diff"]
    shown = [n for n in names if with_pdf or n != "pdf"]
    header = f"{'register':<26}" + "".join(f"{n:>18}" for n in shown)
    print(header)
    print("-" * len(header))
    for example in EXAMPLES:
        register = load_register(ROOT / "examples" / f"{example}.yaml").register
        work = formats(register, with_pdf)
        pdf_repeat = 1 if args.repeat > 1 else args.repeat  # a PDF takes seconds: once is enough
        seconds = {
            name: best_of(pdf_repeat if name == "pdf" else args.repeat, run)
            for name, run in work.items()
        }
        base = seconds["baseline"]
        cells = [f"{seconds['baseline']:>16.4f}s"]
        for name in shown[1:]:
            cells.append(f"{seconds[name]:>9.3f}s x{seconds[name] / base:>6.0f}")
        print(f"{example:<26}" + "".join(cells))
    print("\nxN: seconds of the format / seconds of the baseline (json.dumps of the register).")


if __name__ == "__main__":
    main()

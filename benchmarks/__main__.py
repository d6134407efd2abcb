"""Every benchmark in one run: ``python3 -m benchmarks [--quick] [--only NAME ...] [--skip NAME ...]``.

Each module's ``measure(quick)`` prints its own lines and returns its figures; ratios are ours / the bare
tool doing the same work, measured interleaved in the same run (docs/BENCHMARKS.md says what each bare
side is). The last line printed is one JSON object of every figure, plus the machine (cores, load average)
and the seconds the run took. ``--quick`` (small sizes, under 3 minutes) is what docs/BENCHMARKS.md quotes
as the regular run; without it the sizes are those the issue's goals name (the 10,000-case campaign of
``bench_scale`` is separate: ``python3 -m benchmarks.bench_scale --cases 10000``).

Run with the system's ``python3`` from the project root: it re-runs itself in the project's ``.venv``
(created and installed by ``python3 dev.py check`` or ``test``) when it is not already there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (module, in --quick): the order they run in; each returns its keys (contract: measure(quick) -> dict)
MODULES: list[tuple[str, bool]] = [
    ("bench_audit_append", True),
    ("bench_verify", True),
    ("bench_projection", True),
    ("bench_workflow", True),
    ("bench_cli", True),
    ("bench_scale", False),
]


def _in_project_venv() -> bool:
    return Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()


def _reexec_in_venv() -> None:
    """From the system's python3: make sure .venv has the dev extra (dev.py), then run there."""
    sys.path.insert(0, str(ROOT))
    import dev  # the same installer as `python3 dev.py test`

    dev.ensure_installed("dev")
    os.chdir(ROOT)
    os.execv(str(dev.PYTHON), [str(dev.PYTHON), "-m", "benchmarks", *sys.argv[1:]])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (under 3 minutes in all)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these modules (e.g. bench_cli)")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="leave these modules out")
    args = parser.parse_args(argv)
    names = [name for name, in_quick in MODULES if (in_quick or not args.quick)]
    if args.only:
        unknown = sorted(set(args.only) - {name for name, _ in MODULES})
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(n for n, _ in MODULES)}")
        names = [name for name, _ in MODULES if name in args.only]
    names = [name for name in names if name not in args.skip]
    started = time.perf_counter()
    figures: dict[str, object] = {}
    failed: list[str] = []
    for name in names:
        print(f"== {name}", flush=True)
        began = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            figures.update(module.measure(args.quick))
        except Exception:  # one broken benchmark does not hide the others' figures
            traceback.print_exc()
            failed.append(name)
        print(f"   ({time.perf_counter() - began:.1f} s)", flush=True)
    figures["machine_cores"] = os.cpu_count() or 0
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
    figures["run_s"] = round(time.perf_counter() - started, 1)
    if failed:
        figures["failed"] = failed
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    if not _in_project_venv() and os.environ.get("PDCA_BENCH_NO_VENV") != "1":
        _reexec_in_venv()
    sys.exit(main(sys.argv[1:]))

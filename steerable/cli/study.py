"""``steerable study NAME [--quick] [--out DIR] [--seeds ...]``: run one paper reproduction and write its report.

The studies are listed in :data:`steerable.studies.STUDIES`; ``steerable study --list`` prints them.
"""
from __future__ import annotations

import argparse
import sys
import time

__all__ = ["add_parser", "run"]


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    from ..studies import STUDIES

    p = sub.add_parser("study", help="reproduce a paper's claims: writes report.md, metrics.json and figures",
                       description="Run a study (a paper reproduction) and write OUT/report.md, OUT/metrics.json and "
                                   f"PNG figures. Studies: {', '.join(sorted(STUDIES))}.")
    p.add_argument("name", nargs="?", help="study name (see --list)")
    p.add_argument("--quick", action="store_true", help="a small run that checks the pipeline (seconds, not minutes)")
    p.add_argument("--out", default=None, help="output directory (default runs/study-NAME[-quick])")
    p.add_argument("--seeds", nargs="+", type=int, default=None, help="training seeds (default: the study's)")
    p.add_argument("--list", action="store_true", help="list the studies and exit")
    return p


def run(args: argparse.Namespace) -> int:
    from ..studies import STUDIES, load_study

    if args.list or not args.name:
        for name in sorted(STUDIES):
            print(f"{name:<12} {load_study(name).TITLE}")
        return 0 if args.list else 2
    try:
        mod = load_study(args.name)
    except ValueError as exc:
        print(f"steerable study: error: {exc}", file=sys.stderr)
        return 2
    out = args.out or f"runs/study-{args.name}{'-quick' if args.quick else ''}"
    seeds = args.seeds if args.seeds is not None else list(getattr(mod, "DEFAULT_SEEDS", (0,)))
    t0 = time.perf_counter()
    try:
        mod.run(out, quick=args.quick, seeds=seeds, log=lambda s: print(s, flush=True))
    except ValueError as exc:
        print(f"steerable study: error: {exc}", file=sys.stderr)
        return 2
    print(f"study {args.name} done in {time.perf_counter() - t0:.1f} s: {out}/report.md")
    return 0

"""Mutation probe: plant one bug at a time in a copy of the package and see whether the tests notice.

Each mutant is a named list of exact text replacements ``(file, old, new)`` in ``steerable/`` and
the tests that should catch it.  For every mutant the script copies ``steerable/``, ``tests/``,
``bench/`` and ``pyproject.toml`` to a fresh temporary directory, applies the replacements there, runs
``python -m pytest`` on the given tests with that copy first on ``PYTHONPATH`` (and as the
working directory), and reports

* ``caught``   -- pytest failed (exit status 1): some test saw the bug;
* ``SURVIVED`` -- every selected test passed with the bug in place;
* ``ERROR``    -- pytest could not run the selection (collection error, no tests, ...).

A replacement whose ``old`` text is not found exactly once makes the script stop with
``patch does not apply: file X, text not found`` (a mutant that silently does nothing would be
reported as a survivor or, worse, the table would look better than the suite is).  When code
moves, the script looks for the text in every other ``steerable/**/*.py`` file and uses the
single file that holds it, saying so in the table.

Before the mutants, the same selections run on the unmodified copy: a selection that fails
there says nothing about a mutant, so the script stops.

Usage::

    python3 bench/mutate.py                 # every mutant
    python3 bench/mutate.py dn_reflections  # only the named ones (substring match)
    python3 bench/mutate.py --list
    python3 bench/mutate.py --jobs 2        # mutants in parallel (each in its own copy)
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Patch:
    file: str  # relative to the repository root, e.g. "steerable/group/planar_base.py"
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str  # the planted bug, in words
    patches: tuple[Patch, ...]
    tests: tuple[str, ...]  # pytest arguments: files, dirs, node ids or "-k EXPR"
    origin: str = "gap"  # "probe-caught", "probe-survived" (the original 15) or "gap"


@dataclass
class Outcome:
    mutant: Mutant
    status: str
    seconds: float
    detail: str = ""
    moved: list[str] = field(default_factory=list)


class PatchError(RuntimeError):
    pass


def P(file: str, old: str, new: str) -> Patch:
    return Patch(file, old, new)


# ------------------------------------------------------------------------------------------ mutants
# Targets are kept in group/, kernels/ and train/ where possible: they move least.
MUTANTS: list[Mutant] = [
    # --- the ten the first probe found caught -------------------------------------------------
    Mutant("o3_parity_sign", "O(3) irreps: parity sign taken from the wrong label (pseudo/true swapped)",
           (P("steerable/group/spatial.py", "return (-1.0) ** (id[0] * value[0]) *",
              "return (-1.0) ** ((1 - id[0]) * value[0]) *"),
            P("steerable/group/spatial.py", "sign = np.array([(-1.0) ** (id[0] * v[0]) for v in values])",
              "sign = np.array([(-1.0) ** ((1 - id[0]) * v[0]) for v in values])")),
           ("tests/group/test_group_irreps.py",), "probe-caught"),
    Mutant("drop_change_of_basis", "Representation matrices without the change of basis Q",
           (P("steerable/group/representation.py",
              "            p += psi.size\n        if self._is_identity_basis:\n            return out\n"
              "        return self.change_of_basis @ out @ self.change_of_basis_inv",
              "            p += psi.size\n        return out"),),
           ("tests/group/test_group_representations.py",), "probe-caught"),
    Mutant("harmonic_frequency", "2D kernel harmonics: frequency k >= 2 sampled at frequency k - 1",
           (P("steerable/kernels/harmonics.py", "            k = J[1]\n",
              "            k = J[1] - 1 if J[1] >= 2 else J[1]\n"),),
           ("tests/kernels",), "probe-caught"),
    Mutant("drop_basis_elements", "kernel basis keeps only the first intertwiner of each (irrep, irrep, harmonic)",
           (P("steerable/kernels/basis.py", "                    for W in Ws:\n",
              "                    for W in Ws[:1]:\n"),),
           ("tests/kernels",), "probe-caught"),
    Mutant("transposed_filter", "convolution filter spatially transposed (x and y swapped)",
           (P("steerable/nn/conv.py",
              "        filt = filters[0] if self.groups == 1 else torch.cat(filters, 0)\n",
              "        filt = filters[0] if self.groups == 1 else torch.cat(filters, 0)\n"
              "        filt = filt.transpose(-1, -2)\n"),),
           ("tests/nn/test_conv_equivariance.py",), "probe-caught"),
    Mutant("bias_on_sign_irreps", "convolution bias also on 1-dim non-trivial (sign) irreps",
           (P("steerable/nn/conv.py", "            if psi.is_trivial():\n                col = np.zeros(out_type.size)",
              "            if psi.size == 1:\n                col = np.zeros(out_type.size)"),),
           ("tests/nn/test_conv_equivariance.py", "tests/nn/test_conv_state.py"), "probe-caught"),
    Mutant("innerbn_per_channel", "InnerBatchNorm: mean per channel instead of per field",
           (P("steerable/nn/normalization.py",
              "        E[np.arange(in_type.size), gidx] = 1.0  # one \"trivial\" direction per field: the constant vector",
              "        E = np.eye(in_type.size)"),),
           ("tests/nn/test_norm.py",), "probe-caught"),
    Mutant("group_pool_mean", "GroupPooling takes the mean over the group instead of the max",
           (P("steerable/nn/exported/layers.py", 'r = xs.amax(2) if self.op == "max"',
              'r = xs.mean(2) if self.op == "max"'),),
           ("tests/nn/test_pool.py",), "probe-caught"),
    Mutant("export_drops_bias", "export() of a convolution leaves the bias out",
           (P("steerable/nn/conv.py", "            if bias is not None:\n                conv.bias.copy_(bias)",
              "            if bias is not None:\n                conv.bias.zero_()"),),
           ("tests/nn/test_conv_export.py",), "probe-caught"),
    Mutant("resume_no_optimizer", "resume does not restore the optimiser state",
           (P("steerable/train/trainer.py", '        opt.load_state_dict(state["optimizer"])\n', ""),),
           ("tests/train",), "probe-caught"),
    # --- the five survivors of the first probe ---------------------------------------------------
    Mutant("resume_no_scheduler", "resume does not restore the learning-rate scheduler",
           (P("steerable/train/trainer.py", '        sched.load_state_dict(state["scheduler"])\n', ""),),
           ("tests/train/test_train_resume_long.py",), "probe-survived"),
    Mutant("resume_no_rng", "resume does not restore the RNG states",
           (P("steerable/train/trainer.py",
              "        restore_rng(rngs[info.rank] if len(rngs) == info.world_size else rngs[0])\n", ""),),
           ("tests/train/test_train_resume_long.py",), "probe-survived"),
    Mutant("check_equivariance_1000x", "check_equivariance accepts errors 1000x its stated threshold",
           (P("steerable/nn/module.py", "if e > atol + rtol * scale]", "if e > 1000 * (atol + rtol * scale)]"),),
           ("tests/nn",), "probe-survived"),
    Mutant("default_cutoff_2", "default frequencies_cutoff 1 -> 2 (about 10% off-grid error instead of 2%)",
           (P("steerable/kernels/harmonics.py", "DEFAULT_CUTOFF = 1.0", "DEFAULT_CUTOFF = 2.0"),),
           ("tests/nn/test_conv_equivariance.py",), "probe-survived"),
    Mutant("dn_reflections", "D_N 2-dim irreps with negated reflections (an equivalent, differently embedded irrep)",
           (P("steerable/group/planar_base.py",
              "        f, t = self._ft(values)\n        return _planar_irrep(j, k, size, f, t)",
              "        f, t = self._ft(values)\n        m = _planar_irrep(j, k, size, f, t)\n"
              "        if size == 2 and not self.continuous:\n"
              "            m = np.where((f == 1)[:, None, None], -m, m)\n"
              "        return m"),),
           ("tests/group",), "probe-survived"),
    # --- gaps listed with the survivors ----------------------------------------------------------
    Mutant("field_dropout_per_channel", "FieldDropout draws one mask entry per channel, not per field",
           (P("steerable/nn/exported/layers.py",
              "keep = torch.empty(x.shape[0], self.n_fields, device=x.device, dtype=x.dtype)",
              "keep = torch.empty(x.shape[0], x.shape[1], device=x.device, dtype=x.dtype)"),
            P("steerable/nn/exported/layers.py", "mask = keep.index_select(1, self.fidx) / (1.0 - self.p)",
              "mask = keep / (1.0 - self.p)")),
           ("tests/nn/test_gaps_dropout.py",)),
    Mutant("pointwise_dropout_half_channels", "PointwiseDropout drops only the first half of the channels",
           (P("steerable/nn/dropout.py",
              "        return GeometricTensor(F.dropout(x.tensor, self.p, self.training, self.inplace), self.out_type)",
              "        h = x.tensor.shape[1] // 2\n"
              "        t = torch.cat([F.dropout(x.tensor[:, :h], self.p, self.training), x.tensor[:, h:]], 1)\n"
              "        return GeometricTensor(t, self.out_type)"),),
           ("tests/nn/test_gaps_dropout.py",)),
    Mutant("adaptive_max_pool3d_avg", "PointwiseAdaptiveMaxPool3D averages instead of taking the max",
           (P("steerable/nn/pooling/pointwise.py", "(3, True): F.adaptive_max_pool3d}", "(3, True): F.adaptive_avg_pool3d}"),),
           ("tests/nn/test_gaps_layers.py",)),
    Mutant("iid_bn_per_channel_mean", "IIDBatchNorm*: mean subtracted per channel (not projected on trivial irreps)",
           (P("steerable/nn/normalization.py",
              "        E = trivial_block_columns(in_type)\n"
              "        super().__init__(in_type, gidx, E, None, eps, momentum, affine, track_running_stats)",
              "        E = np.eye(in_type.size)\n"
              "        super().__init__(in_type, gidx, E, None, eps, momentum, affine, track_running_stats)"),),
           ("tests/nn/test_gaps_layers.py",)),
    Mutant("fourier_apply_float32", "FourierTransform applies its matrices in float32 even to float64 tensors",
           (P("steerable/group/fourier.py", "Mt = torch.as_tensor(M, dtype=x.dtype, device=x.device)",
              "Mt = torch.as_tensor(M, dtype=torch.float32, device=x.device).to(x.dtype)"),),
           ("tests/group/test_gaps_fourier_f64.py", "tests/group/test_group_fourier.py")),
    Mutant("basis_f64_widened", "kernel bases stay float32 after .double() (float64 filters are widened float32)",
           (P("steerable/nn/basis_expansion.py", "            if buf.dtype == torch.float64:\n"
              "                setattr(self, f\"basis_{i}\", B.to(buf.device))",
              "            if buf.dtype == torch.float64:\n"
              "                setattr(self, f\"basis_{i}\", B.float().double().to(buf.device))"),),
           ("tests/nn/test_gaps_f64.py",)),
    Mutant("mask_off_centre", "MaskModule's disk centred 1e-6 pixel off the grid centre (below float32 tests)",
           (P("steerable/nn/mask.py", "    ax = torch.arange(S, dtype=torch.float64) - c\n",
              "    ax = torch.arange(S, dtype=torch.float64) - c - 1e-6\n"),),
           ("tests/nn/test_gaps_f64.py",)),
    Mutant("upsampling_float32", "R2Upsampling/R3Upsampling interpolate in float32 whatever the input dtype",
           (P("steerable/nn/upsampling.py", "        return GeometricTensor(self._up(x.tensor), self.out_type)",
              "        return GeometricTensor(self._up(x.tensor.float()).to(x.dtype), self.out_type)"),),
           ("tests/nn/test_gaps_f64.py",)),
]


# ------------------------------------------------------------------------------------------ running
def _copy_tree(dst: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    for name in ("steerable", "tests", "bench"):  # some tests read the bench scripts
        shutil.copytree(REPO / name, dst / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, dst / name)


def _apply(root: Path, patch: Patch) -> str | None:
    """Apply one replacement under ``root``; returns the file actually patched when it moved."""
    path = root / patch.file
    if path.exists() and path.read_text().count(patch.old) == 1:
        path.write_text(path.read_text().replace(patch.old, patch.new))
        return None
    hits = [p for p in sorted((root / "steerable").rglob("*.py")) if patch.old in p.read_text()]
    if len(hits) == 1 and hits[0].read_text().count(patch.old) == 1:
        hits[0].write_text(hits[0].read_text().replace(patch.old, patch.new))
        return str(hits[0].relative_to(root))
    where = "not found" if not hits else f"found in {len(hits)} places ({', '.join(str(h.relative_to(root)) for h in hits)})"
    raise PatchError(f"patch does not apply: file {patch.file}, text {where}:\n{patch.old}")


def _pytest(root: Path, tests: tuple[str, ...], timeout: float) -> tuple[int, str]:
    args: list[str] = []
    for t in tests:
        args += t.split(" ", 1) if t.startswith("-k ") else [t]
    present = [a for a in args if a.startswith("-") or (root / a.split("::")[0]).exists() or not a.startswith("tests")]
    missing = [a for a in args if a not in present]
    if missing:
        print(f"  note: not in this checkout, skipped: {' '.join(missing)}", flush=True)
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
           *present]
    try:
        r = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "timeout"
    lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
    failed = [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))]
    return r.returncode, (failed[0] if failed else (lines[-1] if lines else ""))[:160]


def run_one(m: Mutant | None, tests: tuple[str, ...], timeout: float) -> Outcome:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="steerable-mutant-") as tmp:
        root = Path(tmp)
        _copy_tree(root)
        moved = []
        if m is not None:
            for p in m.patches:
                where = _apply(root, p)
                if where:
                    moved.append(f"{p.file} -> {where}")
        rc, detail = _pytest(root, tests, timeout)
    status = {0: "SURVIVED", 1: "caught"}.get(rc, "ERROR")
    if m is None:
        status = "ok" if rc == 0 else "BASELINE FAILS"
    return Outcome(m, status, time.perf_counter() - t0, detail, moved)  # type: ignore[arg-type]


def check_patches(mutants: list[Mutant]) -> None:
    """Every patch must apply to the current code (fail loudly before any test runs)."""
    with tempfile.TemporaryDirectory(prefix="steerable-mutant-check-") as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "steerable", root / "steerable",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        pristine = {p: p.read_text() for p in (root / "steerable").rglob("*.py")}
        errors = []
        for m in mutants:
            for p in m.patches:
                try:
                    _apply(root, p)
                except PatchError as e:
                    errors.append(f"[{m.name}] {e}")
            for path, text in pristine.items():  # each mutant is checked against the pristine code
                path.write_text(text)
        if errors:
            sys.exit("\n\n".join(errors))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="run only mutants whose name contains one of these")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run in parallel")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per pytest run")
    ap.add_argument("--no-baseline", action="store_true", help="skip the unmodified run of the selections")
    a = ap.parse_args()
    mutants = [m for m in MUTANTS if not a.names or any(n in m.name for n in a.names)]
    if a.list:
        for m in mutants:
            print(f"{m.name:34s} {m.origin:15s} {m.what}")
        return
    if not mutants:
        sys.exit(f"no mutant matches {a.names}; --list shows them")
    check_patches(mutants)
    if not a.no_baseline:
        selections = sorted({m.tests for m in mutants})
        print(f"baseline: {len(selections)} test selections on the unmodified code", flush=True)
        with ThreadPoolExecutor(a.jobs) as ex:
            base = list(ex.map(lambda s: (s, run_one(None, s, a.timeout)), selections))
        bad = [(s, o) for s, o in base if o.status != "ok"]
        for s, o in bad:
            print(f"  BASELINE FAILS: {' '.join(s)}: {o.detail}")
        if bad:
            sys.exit("the selections must pass on the unmodified code first")
    print(f"running {len(mutants)} mutants", flush=True)

    def go(m: Mutant) -> Outcome:
        o = run_one(m, m.tests, a.timeout)
        print(f"  {m.name}: {o.status} ({o.seconds:.0f} s)", flush=True)
        return o

    with ThreadPoolExecutor(a.jobs) as ex:
        outcomes = list(ex.map(go, mutants))
    w = max(len(m.name) for m in mutants)
    print()
    print(f"| {'mutant':{w}s} | origin         | result   | time s | first failing test / last line |")
    print(f"|{'-' * (w + 2)}|----------------|----------|--------|--------------------------------|")
    for o in outcomes:
        note = o.detail + (f" (moved: {'; '.join(o.moved)})" if o.moved else "")
        print(f"| {o.mutant.name:{w}s} | {o.mutant.origin:14s} | {o.status:8s} | {o.seconds:6.0f} | {note} |")
    caught = sum(o.status == "caught" for o in outcomes)
    print(f"\n{caught} of {len(outcomes)} caught; survived: "
          f"{', '.join(o.mutant.name for o in outcomes if o.status == 'SURVIVED') or 'none'}; "
          f"errors: {', '.join(o.mutant.name for o in outcomes if o.status == 'ERROR') or 'none'}")
    sys.exit(0 if caught == len(outcomes) else 1)


if __name__ == "__main__":
    main()

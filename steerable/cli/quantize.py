"""``steerable quantize CHECKPOINT --scheme per-field``: INT8 post-training quantisation of a trained model.

Rebuilds the checkpoint's model, exports it (BN folded), calibrates on ``--calibration`` training
images of the checkpoint's dataset, and writes OUT/model_int8.pt (the quantised model traced to
TorchScript: ``torch.jit.load(path)``) and OUT/report.json:
FP32 and INT8 accuracy and AUC on the test split, weight bytes, MACs, latency at batch 1 and 64,
and the largest logit change under the 8 D4 elements (with the INT8 output step).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    from ..quantization import BACKENDS, SCHEMES

    p = sub.add_parser("quantize", help="INT8 post-training quantisation of a checkpoint (per-field scales keep the symmetry)",
                       description="Quantise a trained model to INT8 (weights and activations) and report accuracy, "
                                   "size, MACs, latency and invariance against the FP32 model.")
    p.add_argument("checkpoint", help="checkpoint.pt of `steerable train` (or its directory)")
    p.add_argument("--scheme", default="per-field", choices=SCHEMES, help="weight scales (default per-field)")
    p.add_argument("--backend", default="x86", choices=BACKENDS, help="quantised engine (default x86)")
    p.add_argument("--calibration", type=int, default=256, help="training images used for calibration (default 256)")
    p.add_argument("--n-test", type=int, default=None, help="test images (default: the checkpoint's)")
    p.add_argument("--out", default=None, help="output directory (default CHECKPOINT_DIR/int8-SCHEME)")
    p.add_argument("--force", action="store_true", help="overwrite OUT's model and report")
    return p


def _fail(msg: str) -> int:
    print(f"steerable quantize: error: {' '.join(msg.split())}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    import torch

    from ..models import count_macs
    from ..quantization import accuracy_auc, d4_invariance, latency_ms, quantize, state_dict_bytes
    from ..train import CheckpointError, DataUnavailable, build_from_checkpoint, load_checkpoint, load_data

    ck = Path(args.checkpoint)
    if ck.is_dir():
        ck = ck / "checkpoint.pt"
    if args.calibration < 1:
        return _fail(f"--calibration must be a positive number of images, got {args.calibration}")
    out = Path(args.out) if args.out else ck.parent / f"int8-{args.scheme}"
    if (out / "report.json").exists() and not args.force:
        return _fail(f"{out} already holds a quantised model (report.json); pass --force to overwrite or --out elsewhere")
    try:
        state = load_checkpoint(ck)
        model = build_from_checkpoint(state)
    except (CheckpointError, FileNotFoundError, ValueError) as exc:
        return _fail(str(exc))
    if not hasattr(model, "export"):
        return _fail(f"model {state['model']!r} has no export() to plain PyTorch, which quantisation needs")
    cfg = state.get("config", {})
    try:
        data = load_data(cfg.get("dataset", "mnist-rot"), n_train=cfg.get("n_train"),
                         n_test=args.n_test if args.n_test is not None else cfg.get("n_test"),
                         seed=cfg.get("data_seed", 0), root=cfg.get("data_root"))
    except (DataUnavailable, ValueError) as exc:
        return _fail(str(exc))
    model = model.float().eval()
    plain = model.export()
    try:
        q = quantize(plain, data.x_train[:args.calibration], scheme=args.scheme, backend=args.backend)
    except (ValueError, TypeError) as exc:
        return _fail(str(exc))
    shape = (1, *data.x_test.shape[1:])
    acc32, auc32 = accuracy_auc(plain, data.x_test, data.y_test)
    acc8, auc8 = accuracy_auc(q, data.x_test, data.y_test)
    lat1 = latency_ms({"fp32": plain, "int8": q}, shape, repeats=20)
    lat64 = latency_ms({"fp32": plain, "int8": q}, (64, *shape[1:]), repeats=5)
    probe = data.x_test[:64]
    step = [float(m.scale) for m in q.modules() if hasattr(m, "scale") and not callable(m.scale)]
    report = {
        "checkpoint": str(ck), "model": state["model"], "scheme": args.scheme, "backend": args.backend,
        "dataset": data.name, "n_calibration": min(args.calibration, len(data.x_train)), "n_test": len(data.y_test),
        "accuracy_fp32": acc32, "accuracy_int8": acc8, "auc_fp32": auc32, "auc_int8": auc8,
        "weight_bytes_fp32": state_dict_bytes(plain), "weight_bytes_int8": state_dict_bytes(q),
        "macs": count_macs(plain, shape).macs,
        "latency_ms_batch1": lat1, "latency_ms_batch64": lat64,
        "d4_max_logit_change_fp32": d4_invariance(plain, probe), "d4_max_logit_change_int8": d4_invariance(q, probe),
        "int8_output_step": step[-1] if step else None,
    }
    out.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():  # TorchScript keeps the packed INT8 kernels; a pickled GraphModule does not load back
        torch.jit.save(torch.jit.trace(q, probe[:1]), str(out / "model_int8.pt"))
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{state['model']} -> INT8 ({args.scheme}, {args.backend}), calibrated on {report['n_calibration']} images")
    print(f"accuracy FP32 {100 * acc32:.2f}%  INT8 {100 * acc8:.2f}%;  AUC FP32 {auc32:.4f}  INT8 {auc8:.4f}")
    print(f"weights {report['weight_bytes_fp32']:,} B -> {report['weight_bytes_int8']:,} B "
          f"({report['weight_bytes_fp32'] / report['weight_bytes_int8']:.2f}x smaller); {report['macs']:,} MACs per image")
    print(f"latency batch 1: FP32 {lat1['fp32']:.2f} ms, INT8 {lat1['int8']:.2f} ms; "
          f"batch 64: FP32 {lat64['fp32']:.1f} ms, INT8 {lat64['int8']:.1f} ms")
    print(f"max logit change under D4: FP32 {report['d4_max_logit_change_fp32']:.2e}, "
          f"INT8 {report['d4_max_logit_change_int8']:.2e} (output step {report['int8_output_step']})")
    print(f"wrote {out / 'model_int8.pt'} and {out / 'report.json'}")
    return 0

"""``steerable cryoem simulate|reconstruct``: simulate a particle stack, reconstruct a volume with amortised poses.

* ``simulate PDB --out DIR``: ``PDB`` is a PDB file, ``il2`` (the shipped interleukin-2) or ``blobs`` (a synthetic
  asymmetric volume); writes ``DIR/particles.mrcs``, ``DIR/particles.star`` (RELION 3.1) and the ground truth
  ``DIR/volume.mrc``.
* ``reconstruct STACK --encoder d4``: ``STACK`` is a directory with ``particles.star`` or a STAR file; writes
  ``OUT/checkpoint.pt`` (``--resume`` continues), ``OUT/volume.mrc``, ``OUT/metrics.json`` and PNGs of central
  slices, projections and (with a reference volume: ``--reference``, default ``STACK/volume.mrc``) the FSC.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    from ..cryoem.reconstruct import ReconstructionConfig

    d = ReconstructionConfig()
    p = sub.add_parser("cryoem", help="cryo-EM: simulate a particle stack, reconstruct with amortised poses",
                       description="Cryo-EM reconstruction with amortised pose inference (CNN or D4-equivariant "
                                   "encoder) and a voxel volume rendered through the Fourier-slice operator.")
    csub = p.add_subparsers(dest="cryoem_command", metavar="ACTION")
    s = csub.add_parser("simulate", help="project a volume at random poses: .mrcs + .star + volume.mrc")
    s.add_argument("pdb", help="a PDB file, 'il2' (shipped) or 'blobs' (synthetic asymmetric volume)")
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--box", type=int, default=32, help="box side in pixels (default 32)")
    s.add_argument("--pixel-size", type=float, default=2.0, help="Å per pixel (default 2.0)")
    s.add_argument("--resolution", type=float, default=6.0, help="density resolution in Å (default 6.0)")
    s.add_argument("--count", type=int, default=1000, help="number of projections (default 1000)")
    s.add_argument("--snr", type=float, default=1.0, help="signal-to-noise ratio > 0 (default 1.0)")
    s.add_argument("--noiseless", action="store_true", help="no noise")
    s.add_argument("--defocus", type=float, nargs=2, default=None, metavar=("MEAN", "STD"),
                   help="apply a CTF with defocus ~ N(MEAN, STD) Å (default: no CTF)")
    s.add_argument("--shift-std", type=float, default=0.0, help="in-plane shift std in pixels (default 0)")
    s.add_argument("--seed", type=int, default=0, help="seed of poses, defoci, shifts and noise (default 0)")
    r = csub.add_parser("reconstruct", help="amortised reconstruction of a stack (checkpointed; --resume)")
    r.add_argument("stack", help="directory with particles.star, or a STAR file")
    r.add_argument("--encoder", default=d.encoder, choices=["cnn", "d4", "oracle"], help=f"default {d.encoder}")
    r.add_argument("--symmetric-loss", action="store_true", help="cryoAI's symmetric loss (renders twice)")
    r.add_argument("--steps", type=int, default=d.steps, help=f"optimisation steps (default {d.steps})")
    r.add_argument("--batch-size", type=int, default=d.batch_size, help=f"images per step (default {d.batch_size})")
    r.add_argument("--lr-encoder", type=float, default=d.lr_encoder, help=f"default {d.lr_encoder}")
    r.add_argument("--lr-volume", type=float, default=d.lr_volume, help=f"default {d.lr_volume}")
    r.add_argument("--shifts", action="store_true", help="infer in-plane shifts too")
    r.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    r.add_argument("--out", default=None, help="output directory (default runs/cryoem-ENCODER)")
    r.add_argument("--reference", default=None, help="ground-truth volume .mrc for the FSC (default STACK/volume.mrc)")
    r.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    r.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints (default 500)")
    r.add_argument("--stop-after", type=int, default=None, metavar="STEPS",
                   help="stop after STEPS steps as if interrupted (checkpoint saved; for testing --resume)")
    r.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _fail(msg: str) -> int:
    print(f"steerable cryoem: error: {' '.join(msg.split())}", file=sys.stderr)
    return 2


def _simulate(args: argparse.Namespace) -> int:
    import torch

    from ..cryoem import (SHIPPED_PDB, ParticleStack, density_from_pdb, gaussian_blobs, random_rotations, simulate,
                          write_mrc, write_stack)

    try:
        if args.count < 1:
            raise ValueError(f"--count must be >= 1, got {args.count}")
        if not args.noiseless and not args.snr > 0:
            raise ValueError(f"--snr must be > 0, got {args.snr}")
        if args.pdb == "blobs":
            V = gaussian_blobs(args.box, seed=args.seed)
        else:
            V = density_from_pdb(SHIPPED_PDB if args.pdb == "il2" else args.pdb, args.box, args.pixel_size,
                                 args.resolution)
        g = torch.Generator().manual_seed(args.seed)
        R = random_rotations(args.count, g)
        shifts = torch.randn(args.count, 2, generator=g) * args.shift_std if args.shift_std > 0 else None
        du = None
        st = ParticleStack(torch.zeros(args.count, args.box, args.box), args.pixel_size, R, shifts)
        if args.defocus is not None:
            du = (args.defocus[0] + args.defocus[1] * torch.randn(args.count, generator=g)).clamp_min(100.0)
            st.defocus_u = du
        chunks = []
        for s in range(0, args.count, 512):
            sl = slice(s, min(args.count, s + 512))
            chunks.append(simulate(V, R[sl], None if shifts is None else shifts[sl], st.ctf(sl)))
        Y = torch.cat(chunks)
        if not args.noiseless:
            from ..cryoem import add_noise

            Y = add_noise(Y, args.snr, g)
        st.images = Y
    except ValueError as exc:
        return _fail(str(exc))
    out = Path(args.out)
    star = write_stack(out, st)
    write_mrc(out / "volume.mrc", V, args.pixel_size)
    print(f"wrote {args.count} images of {args.box} x {args.box} px to {star} and the volume to {out / 'volume.mrc'}")
    return 0


def _figures(out: Path, model: Any, volume: Any, ref: Any, stack: Any, k: Any, curve: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    N = volume.shape[0]
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    for ax, sl, name in zip(axes, (volume[N // 2], volume[:, N // 2], volume[:, :, N // 2]), ("z", "y", "x")):
        ax.imshow(sl.numpy(), cmap="gray")
        ax.set_title(f"central slice {name} = 0")
        ax.axis("off")
    fig.savefig(out / "slices.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    with torch.no_grad():
        n = min(4, len(stack))
        dev = model.volume.device
        Y = stack.images[:n].to(dev)
        scale = float(stack.images[: min(len(stack), 4096)].std()) or 1.0
        ctf = stack.ctf(slice(0, n))
        _, R = model(Y / scale, None if ctf is None else ctf.to(dev),
                     stack.rotations[:n].to(dev) if stack.rotations is not None else None)
        pred = model.render(R, None, None if ctf is None else ctf.to(dev)).cpu() * scale
    fig, axes = plt.subplots(2, n, figsize=(2.2 * n, 4.4), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(stack.images[i].numpy(), cmap="gray")
        axes[1, i].imshow(pred[i].numpy(), cmap="gray")
        axes[0, i].axis("off")
        axes[1, i].axis("off")
    axes[0, 0].set_title("particle")
    axes[1, 0].set_title("render at the inferred pose")
    fig.savefig(out / "projections.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    if curve is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(k.numpy(), curve.numpy())
        for c in (0.5, 0.143):
            ax.axhline(c, color="gray", ls=":", lw=0.8)
        ax.set(xlabel="spatial frequency (1/Å)", ylabel="FSC", ylim=(-0.1, 1.05), title="FSC against the reference")
        fig.savefig(out / "fsc.png", dpi=100, bbox_inches="tight")
        plt.close(fig)


def _reconstruct(args: argparse.Namespace) -> int:
    from ..cryoem import read_mrc, read_stack, write_mrc
    from ..cryoem.metrics import align_rotations, align_volume, fsc, resolution
    from ..cryoem.reconstruct import ReconstructionConfig, reconstruct
    from ..train import CheckpointError, load_checkpoint, save_checkpoint

    out = Path(args.out or f"runs/cryoem-{args.encoder}")
    ckpt = out / "checkpoint.pt"
    try:
        stack = read_stack(args.stack)
        cfg = ReconstructionConfig(encoder=args.encoder, symmetric_loss=args.symmetric_loss, steps=args.steps,
                                   batch_size=args.batch_size, lr_encoder=args.lr_encoder, lr_volume=args.lr_volume,
                                   predict_shifts=args.shifts, seed=args.seed)
        ref_path = Path(args.reference) if args.reference else (Path(args.stack) / "volume.mrc")
        ref = None
        if args.reference or ref_path.is_file():
            ref, _ = read_mrc(ref_path)
            if ref.shape != (stack.size,) * 3:
                raise ValueError(f"{ref_path}: the reference volume is {tuple(ref.shape)} but the stack's box is "
                                 f"{stack.size}")
        state = load_checkpoint(ckpt) if args.resume else None
        res = reconstruct(stack, cfg, state=state, checkpoint=lambda s: save_checkpoint(ckpt, s),
                          checkpoint_every=args.checkpoint_every, log=lambda s: print(s, flush=True),
                          progress=not args.no_progress, device=args.device, stop_after=args.stop_after)
    except (ValueError, CheckpointError) as exc:
        return _fail(str(exc))
    if res.state["step"] < cfg.steps:
        print(f"stopped after step {res.state['step']}; checkpoint {ckpt} (continue with --resume)")
        return 0
    volume = res.volume
    metrics: dict[str, Any] = {"config": res.state["model_kwargs"], "history": res.history,
                               "seconds_per_step": res.state["seconds"] / max(1, res.state["step"]),
                               "converged_step": res.converged_step}
    k = curve = None
    if ref is not None:
        aligned = volume
        if stack.rotations is not None and res.model.encoder is not None:
            import torch

            with torch.no_grad():
                n = min(len(stack), 1024)
                scale = float(stack.images[: min(len(stack), 4096)].std()) or 1.0
                ctf = stack.ctf(slice(0, n))
                dev = res.model.volume.device
                _, R = res.model(stack.images[:n].to(dev) / scale, None if ctf is None else ctf.to(dev))
            al = align_rotations(R.cpu(), stack.rotations[:n])
            aligned = align_volume(volume, al)
            metrics.update(median_pose_error_deg=al.median, mirrored=al.mirrored)
        k, curve = fsc(aligned, ref, stack.pixel_size)
        metrics.update(fsc_0_5_angstrom=resolution(k, curve, 0.5), fsc_0_143_angstrom=resolution(k, curve, 0.143),
                       fsc=curve.tolist(), fsc_frequency=k.tolist())
    write_mrc(out / "volume.mrc", volume, stack.pixel_size)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    _figures(out, res.model, volume, ref, stack, k, curve)
    line = f"done: {res.state['step']} steps, {metrics['seconds_per_step'] * 1000:.1f} ms/step"
    if "median_pose_error_deg" in metrics:
        line += f", median pose error {metrics['median_pose_error_deg']:.1f} deg"
    if "fsc_0_5_angstrom" in metrics:
        line += f", FSC 0.5 at {metrics['fsc_0_5_angstrom']:.1f} Å, 0.143 at {metrics['fsc_0_143_angstrom']:.1f} Å"
    print(line + f"; {out / 'volume.mrc'}")
    return 0


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "cryoem_command", None)
    if action is None:
        return _fail("an action is needed: simulate or reconstruct (see steerable cryoem --help)")
    return {"simulate": _simulate, "reconstruct": _reconstruct}[action](args)

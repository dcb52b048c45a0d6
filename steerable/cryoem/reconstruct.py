"""Amortised reconstruction (cryoAI-style): an encoder infers each image's pose, a voxel volume renders it.

For a batch of images ``Y_i`` with CTFs ``c_i``, the encoder gives ``(R_i, t_i)`` and the decoder, a learnable
``N^3`` voxel volume ``V``, renders ``Gamma(R, t) = F2^-1[c F3[V](R (k, 0)) exp(-2 pi i k.t / N)]`` through the
Fourier-slice operator of :mod:`~steerable.cryoem.projection` (``pad = 2``). The loss is the mean squared error

    L = mean_i ||Y_i - Gamma(R_i, t_i)||^2            (symmetric_loss=False)
    L = mean_i min(||Y_i - Gamma(R_i, t_i)||^2, ||Y_i - Gamma(R_i R_z(pi), t_i)||^2)   (symmetric_loss=True)

The symmetric loss (cryoAI) also renders the pose's in-plane pi-rotated twin and keeps the better one, so an
encoder that cannot tell an image from its 180° rotation still trains; it renders twice. With
``encoder="oracle"`` the ground-truth poses are used (the reference reconstruction for resolution targets).

Example:
    >>> from steerable.cryoem import gaussian_blobs, random_rotations, simulate
    >>> R = random_rotations(64, torch.Generator().manual_seed(0))
    >>> st = ParticleStack(simulate(gaussian_blobs(16), R), 1.0, R)
    >>> res = reconstruct(st, ReconstructionConfig(encoder="cnn", steps=2, batch_size=8, eval_count=16))
    >>> res.state["step"], res.volume.shape
    (2, torch.Size([16, 16, 16]))
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch

from .encoders import make_encoder
from .geometry import rot_z
from .io import ParticleStack
from .metrics import align_rotations
from .projection import fourier_volume, image_from_spectrum, project_fourier, shift_phase

__all__ = ["ReconstructionConfig", "AmortisedReconstruction", "ReconstructionResult", "reconstruct"]


@dataclass(frozen=True)
class ReconstructionConfig:
    """Settings of one reconstruction.

    Attributes:
        encoder: ``"cnn"``, ``"d4"`` or ``"oracle"`` (ground-truth poses, no encoder).
        symmetric_loss: cryoAI's symmetric loss (two renders per image).
        steps, batch_size: optimisation steps and images per step.
        lr_encoder, lr_volume: Adam learning rates of the encoder and of the voxel volume.
        predict_shifts: use the encoder's shift output (else ``t = 0``).
        channels: encoder widths (CNN channels / D4 regular fields per block); None: the encoder's default.
        eval_every, eval_count: pose errors are measured every ``eval_every`` steps on the first ``eval_count``
            images (against the stack's poses, when it has them).
        converge_deg: converged once the median aligned pose error is below this (degrees).
        seed: initialisation and batch order.
    """

    encoder: str = "d4"
    symmetric_loss: bool = False
    steps: int = 2000
    batch_size: int = 32
    lr_encoder: float = 1e-3
    lr_volume: float = 1e-2
    predict_shifts: bool = False
    channels: tuple[int, ...] | None = None
    eval_every: int = 100
    eval_count: int = 512
    converge_deg: float = 10.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.encoder not in ("cnn", "d4", "oracle"):
            raise ValueError(f"encoder must be 'cnn', 'd4' or 'oracle', got {self.encoder!r}")
        for name in ("steps", "batch_size", "eval_every", "eval_count"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < (0 if name == "steps" else 1):
                raise ValueError(f"{name} must be a positive int, got {v!r}")


class AmortisedReconstruction(torch.nn.Module):
    """Encoder + voxel volume; :meth:`forward` returns the per-image loss and the poses used.

    Args:
        size: image/volume side ``N``.
        encoder: ``"cnn"``, ``"d4"`` or ``"oracle"``.
        symmetric_loss: see the module docstring.
        predict_shifts: use the encoder's shift head.
        channels: encoder widths (None: default).
    """

    def __init__(self, size: int, encoder: str = "d4", symmetric_loss: bool = False, predict_shifts: bool = False,
                 channels: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.size, self.symmetric_loss, self.predict_shifts = size, symmetric_loss, predict_shifts
        kw = {} if channels is None else {"channels": tuple(channels)}
        self.encoder = None if encoder == "oracle" else make_encoder(encoder, size, **kw)
        self.volume = torch.nn.Parameter(torch.zeros(size, size, size))
        self.register_buffer("rz_pi", rot_z(torch.tensor(math.pi)), persistent=False)

    def render(self, R: torch.Tensor, t: torch.Tensor | None = None, ctf: torch.Tensor | None = None) -> torch.Tensor:
        """Images ``(B, N, N)`` of the volume at poses ``R``, shifts ``t`` (pixels), CTFs ``ctf`` (centred)."""
        S = project_fourier(fourier_volume(self.volume, 2), R)
        if ctf is not None:
            S = S * ctf
        if t is not None:
            S = S * shift_phase(self.size, t)
        return image_from_spectrum(S)

    def forward(self, Y: torch.Tensor, ctf: torch.Tensor | None = None,
                R_true: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image squared errors ``(B,)`` and the poses ``(B, 3, 3)`` that achieved them."""
        if Y.ndim != 3 or Y.shape[1:] != (self.size, self.size):
            raise ValueError(f"images must be (B, {self.size}, {self.size}), got {tuple(Y.shape)}: the stack's box "
                             "differs from the volume's")
        if self.encoder is None:
            if R_true is None:
                raise ValueError("encoder 'oracle' needs the stack's ground-truth poses (rotations)")
            R, t = R_true, None
        else:
            R, t = self.encoder(Y)
            t = t if self.predict_shifts else None
        err = ((Y - self.render(R, t, ctf)) ** 2).mean((-2, -1))
        if self.symmetric_loss:
            R2 = R @ self.rz_pi
            err2 = ((Y - self.render(R2, t, ctf)) ** 2).mean((-2, -1))
            pick = err2 < err
            err = torch.where(pick, err2, err)
            R = torch.where(pick[:, None, None], R2, R)
        return err, R


@dataclass
class ReconstructionResult:
    """What :func:`reconstruct` returns: the model, its volume (in the stack's intensity units), the state to
    checkpoint, and the history (``step``, ``loss``, ``median_deg`` at each evaluation; ``seconds`` per step)."""

    model: AmortisedReconstruction
    volume: torch.Tensor
    state: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def converged_step(self) -> int | None:
        """First evaluated step whose median pose error is below the config's ``converge_deg``."""
        return self.state.get("converged_step")


def _evaluate(model: AmortisedReconstruction, stack: ParticleStack, scale: float, cfg: ReconstructionConfig,
              device: torch.device) -> float:
    if stack.rotations is None or model.encoder is None:
        return float("nan")
    n = min(cfg.eval_count, len(stack))
    with torch.no_grad():
        model.eval()
        Rs = []
        for s in range(0, n, 256):
            Y = stack.images[s:min(n, s + 256)].to(device) / scale
            ctf = stack.ctf(slice(s, min(n, s + 256)))
            Rs.append(model(Y, None if ctf is None else ctf.to(device))[1].cpu())
        model.train()
    return align_rotations(torch.cat(Rs), stack.rotations[:n]).median


def reconstruct(stack: ParticleStack, config: ReconstructionConfig, state: dict[str, Any] | None = None,
                checkpoint: Callable[[dict[str, Any]], None] | None = None, checkpoint_every: int = 500,
                log: Callable[[str], None] | None = None, progress: bool = False, device: str | None = None,
                stop_after: int | None = None) -> ReconstructionResult:
    """Train the amortised reconstruction on ``stack`` (see the module docstring).

    Args:
        stack: particle images (and, for metrics and the oracle, their poses).
        config: the settings.
        state: a checkpoint's state to resume from (same config), or None.
        checkpoint: called with the state every ``checkpoint_every`` steps and at the end.
        log: called with one line per evaluation.
        progress: a tqdm bar over the steps.
        device: torch device (default: CUDA when available, else CPU).
        stop_after: stop after this many steps in total, as if interrupted (checkpointed; for resume tests).
    """
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if config.encoder == "oracle" and stack.rotations is None:
        raise ValueError("encoder 'oracle' needs a stack with poses (rotations)")
    torch.manual_seed(config.seed)
    model = AmortisedReconstruction(stack.size, config.encoder, config.symmetric_loss, config.predict_shifts,
                                    config.channels).to(dev)
    groups = [{"params": [model.volume], "lr": config.lr_volume}]
    if model.encoder is not None:
        groups.append({"params": list(model.encoder.parameters()), "lr": config.lr_encoder})
    opt = torch.optim.Adam(groups)
    # images are scaled to unit standard deviation for training; the volume is scaled back at the end
    scale = float(stack.images[: min(len(stack), 4096)].std()) or 1.0
    gen = torch.Generator().manual_seed(config.seed)
    step, history, converged, seconds = 0, [], None, 0.0
    cfg_dict = asdict(config)
    if state is not None:
        if state.get("model_kwargs") != cfg_dict:
            raise ValueError("the checkpoint was made with another configuration: "
                             f"{state.get('model_kwargs')} vs {cfg_dict}")
        model.load_state_dict(state["model_state"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        step, history, converged = state["step"], list(state["history"]), state["converged_step"]
        seconds = state["seconds"]

    def snapshot() -> dict[str, Any]:
        return {"model": "cryoem-amortised", "model_kwargs": cfg_dict, "model_state": model.state_dict(),
                "optimizer": opt.state_dict(), "generator": gen.get_state(), "step": step, "history": history,
                "converged_step": converged, "seconds": seconds, "scale": scale}

    end = config.steps if stop_after is None else min(config.steps, stop_after)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.steps, initial=step, desc=f"reconstruct ({config.encoder})", dynamic_ncols=True)
    while step < end:
        idx = torch.randint(len(stack), (config.batch_size,), generator=gen)
        t0 = time.perf_counter()
        Y = stack.images[idx].to(dev) / scale
        ctf = stack.ctf(idx)
        Rt = stack.rotations[idx].to(dev) if stack.rotations is not None else None
        err, _ = model(Y, None if ctf is None else ctf.to(dev), Rt)
        loss = err.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        seconds += time.perf_counter() - t0
        step += 1
        if bar is not None:
            bar.update(1)
        if step % config.eval_every == 0 or step == config.steps:
            med = _evaluate(model, stack, scale, config, dev)
            history.append({"step": step, "loss": float(loss.detach()), "median_deg": med})
            if converged is None and med < config.converge_deg:
                converged = step
            if log is not None:
                log(f"step {step}/{config.steps}  loss {float(loss.detach()):.4f}  median pose error {med:.1f} deg")
        if checkpoint is not None and (step % checkpoint_every == 0 or step == end):
            checkpoint(snapshot())
    if bar is not None:
        bar.close()
    return ReconstructionResult(model, model.volume.detach().cpu() * scale, snapshot(), history)

"""The rotation-invariance test: accuracy and output change on a test set rotated by many angles.

Multiples of 90 degrees are applied with ``torch.rot90`` (an exact permutation of pixels about
the centre pixel of an odd-sized image); other angles by spline interpolation about the centre
(:func:`steerable.datasets.rotate_image`, the routine that rotated the data), cubic by default
(``order=3``, clipped to the input's value range).  Cubic is the default because bilinear
interpolation also *blurs* the image: rotating by +45 and back by -45 degrees with bilinear
interpolation changes a trained model's predictions about as often as the 45-degree rotation
itself, while the cubic round trip is nearly lossless; bilinear (``order=1``) remains available.
Rotating the *whole* test set by an angle keeps the label distribution and, since the test
digits are already at uniform random orientations, a perfectly invariant model has the same
accuracy at every angle.

For every angle the table reports accuracy, the fraction of test images whose predicted class
differs from the prediction on the unrotated image, and the mean and max absolute change of the
logits.

Example:
    >>> import torch
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> bool((rotate_images(x, 90) == torch.rot90(x, 1, (2, 3))).all())
    True
    >>> [r for r in sorted_angles([337.5, 10, 0, 10])]
    [0.0, 10.0, 337.5]
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import scipy.ndimage
import torch
from tqdm.auto import tqdm

__all__ = ["DEFAULT_ANGLES", "sorted_angles", "rotate_images", "rotated_copies", "rotation_table", "format_table",
           "plot_accuracy_vs_angle", "parse_angles", "base_logits"]

#: multiples of 22.5 degrees (so also of 45 and 90) plus a few arbitrary angles
DEFAULT_ANGLES = tuple(22.5 * k for k in range(16)) + (10.0, 33.0, 137.0, 251.0)


def sorted_angles(angles: Sequence[float]) -> list[float]:
    """The distinct ``angles`` in increasing numerical order (how every table and plot lists them)."""
    return sorted({float(a) for a in angles})


def parse_angles(values: Sequence[str | float]) -> list[float]:
    """Angles in degrees from strings; ``'0:360:15'`` expands to a range (end excluded).

    Example:
        >>> parse_angles(["0:180:45", "10"])
        [0.0, 45.0, 90.0, 135.0, 10.0]
    """
    out: list[float] = []
    for v in values:
        s = str(v).strip()
        if ":" in s:
            parts = s.split(":")
            if len(parts) != 3:
                raise ValueError(f"expected START:STOP:STEP, got {s!r}")
            a, b, st = (float(p) for p in parts)
            if st <= 0:
                raise ValueError(f"angle step must be positive, got {s!r}")
            out += [float(x) for x in np.arange(a, b - 1e-9, st)]
        else:
            try:
                out.append(float(s))
            except ValueError:
                raise ValueError(f"expected an angle in degrees or START:STOP:STEP, got {s!r}") from None
    if not out or not all(math.isfinite(a) for a in out):
        raise ValueError(f"expected finite angles, got {list(values)!r}")
    return out


def rotate_images(x: torch.Tensor, degrees: float, order: int = 3) -> torch.Tensor:
    """Rotate a batch ``(N, C, H, W)`` counter-clockwise by ``degrees`` about the image centre.

    Multiples of 90 degrees are exact (``torch.rot90``); other angles use spline interpolation of
    ``order`` (3: cubic, 1: bilinear), zero outside, clipped to the value range of ``x``.
    """
    q = degrees / 90.0
    if abs(q - round(q)) < 1e-9:
        return torch.rot90(x, int(round(q)) % 4, dims=(2, 3)).contiguous()
    arr = x.detach().cpu().double().numpy()
    if arr.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(x.shape)}")
    # one call for the whole batch: scipy rotates every (H, W) plane of the stack as
    # rotate_image does one image (same spline, same centre), without a Python loop per image
    out = scipy.ndimage.rotate(arr, degrees, axes=(3, 2), reshape=False, order=order, mode="constant", cval=0.0,
                               prefilter=order > 1)
    if order > 1 and arr.size:
        out = np.clip(out, min(arr.min(), 0.0), arr.max())
    return torch.from_numpy(out).to(dtype=x.dtype, device=x.device)


def _logits(model: torch.nn.Module, x: torch.Tensor, batch_size: int, device: torch.device,
            dtype: torch.dtype) -> torch.Tensor:
    outs = []
    with torch.inference_mode():
        for i in range(0, len(x), batch_size):
            outs.append(model(x[i : i + batch_size].to(device=device, dtype=dtype)).float().cpu())
    return torch.cat(outs)


def rotation_table(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, angles: Sequence[float] = DEFAULT_ANGLES,
                   batch_size: int = 500, device: torch.device | str = "cpu",
                   dtype: torch.dtype = torch.float32, order: int = 3,
                   rotated: dict[float, torch.Tensor] | None = None, base: torch.Tensor | None = None,
                   progress: bool = False, desc: str = "rotation test") -> list[dict[str, Any]]:
    """One row per distinct angle, in increasing order: ``angle, accuracy, error, changed``
    (fraction of changed predictions), ``logit_change_mean``, ``logit_change_max``.

    The model is evaluated in eval mode under ``torch.inference_mode``; ``order`` is the
    interpolation of non-grid rotations (see :func:`rotate_images`); ``rotated`` may hold
    precomputed rotated copies of ``x`` by angle (see :func:`rotated_copies`), e.g. shared by
    models, and ``base`` the logits of the unrotated ``x`` (so a second table with other angles
    does not evaluate them again).  ``progress`` shows a tqdm bar over the angles.
    """
    device = torch.device(device)
    was = model.training
    model.eval()
    try:
        if base is None:
            base = _logits(model, x, batch_size, device, dtype)
        pred0 = base.argmax(1)
        rows = []
        for a in tqdm(sorted_angles(angles), desc=desc, disable=not progress, leave=False, dynamic_ncols=True):
            if a == 0:
                lg = base
            else:
                xr = rotated[a] if rotated is not None and a in rotated else rotate_images(x, a, order)
                lg = _logits(model, xr, batch_size, device, dtype)
            pred = lg.argmax(1)
            diff = (lg - base).abs().amax(1)
            acc = float((pred == y).float().mean())
            rows.append({"angle": float(a), "accuracy": acc, "error": 1.0 - acc,
                         "changed": float((pred != pred0).float().mean()),
                         "logit_change_mean": float(diff.mean()), "logit_change_max": float(diff.max())})
        return rows
    finally:
        model.train(was)


def base_logits(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 500, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Logits of ``model`` (in eval mode) on the unrotated ``x``: the ``base=`` of :func:`rotation_table`."""
    was = model.training
    model.eval()
    try:
        return _logits(model, x, batch_size, torch.device(device), dtype)
    finally:
        model.train(was)


def rotated_copies(x: torch.Tensor, angles: Sequence[float], order: int = 3) -> dict[float, torch.Tensor]:
    """``{angle: rotate_images(x, angle, order)}`` for the non-zero angles (compute once, evaluate many models)."""
    return {a: rotate_images(x, a, order) for a in sorted_angles(angles) if a != 0}


def format_table(rows: list[dict[str, Any]], title: str | None = None) -> str:
    """A fixed-width text table of :func:`rotation_table` rows."""
    lines = [title] if title else []
    lines.append(f"{'angle':>8} {'accuracy':>9} {'error %':>8} {'changed %':>10} {'mean |dlogit|':>14} "
                 f"{'max |dlogit|':>13}")
    for r in sorted(rows, key=lambda r: r["angle"]):
        lines.append(f"{r['angle']:8.2f} {r['accuracy']:9.4f} {100 * r['error']:8.2f} {100 * r['changed']:10.2f} "
                     f"{r['logit_change_mean']:14.3g} {r['logit_change_max']:13.3g}")
    return "\n".join(lines)


def plot_accuracy_vs_angle(curves: dict[str, list[dict[str, Any]]], path: str, title: str = "") -> None:
    """PNG of test accuracy vs rotation angle, one line per entry of ``curves`` (label -> rows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, rows in curves.items():
        rs = sorted(rows, key=lambda r: r["angle"])
        ax.plot([r["angle"] for r in rs], [100 * r["accuracy"] for r in rs], marker="o", ms=3, label=label)
    ax.set_xlabel("rotation of the test set (degrees)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_xticks(np.arange(0, 361, 45))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

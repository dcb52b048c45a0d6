"""What a quantised classifier is judged by: accuracy, AUC, invariance under the 8 grid symmetries, latency.

All functions take plain modules mapping float images ``(B, C, H, W)`` to logits ``(B, K)``.

Example:
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 2))
    >>> d4_invariance(net, torch.randn(2, 3, 5, 5)) < 1e-6
    True
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn as nn

__all__ = ["predict", "accuracy_auc", "d4_images", "d4_invariance", "latency_ms"]


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Logits of ``model`` on ``x`` in batches (eval mode)."""
    model.eval()
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney statistic with average ranks for ties)."""
    from scipy.stats import rankdata

    pos, neg = y == 1, y == 0
    if not pos.any() or not neg.any():
        return float("nan")
    r = rankdata(score)
    return float((r[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * neg.sum()))


def accuracy_auc(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256) -> tuple[float, float]:
    """``(accuracy, AUC)``; the AUC scores ``logit_1 - logit_0`` (``nan`` unless the task is binary).

    Example:
        >>> net = torch.nn.Linear(2, 2)
        >>> acc, auc = accuracy_auc(net, torch.randn(8, 2), torch.tensor([0, 1] * 4))
        >>> 0 <= acc <= 1 and 0 <= auc <= 1
        True
    """
    logits = predict(model, x, batch_size)
    acc = float((logits.argmax(1) == y).float().mean())
    if logits.shape[1] != 2:
        return acc, float("nan")
    return acc, _auc((logits[:, 1] - logits[:, 0]).numpy(), y.numpy())


def d4_images(x: torch.Tensor) -> list[torch.Tensor]:
    """The 8 images ``g x`` for ``g`` in D4: rotations by ``k * 90`` degrees of ``x`` and of its mirror image."""
    return [torch.rot90(x.flip(3) if f else x, k, (2, 3)) for f in (False, True) for k in range(4)]


def d4_invariance(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> float:
    """``max_g max |f(g x) - f(x)|`` over the 8 elements of D4 (0 for an exactly invariant model)."""
    ref = predict(model, x, batch_size)
    return max(float((predict(model, gx, batch_size) - ref).abs().max()) for gx in d4_images(x)[1:])


@torch.no_grad()
def latency_ms(models: dict[str, nn.Module], shape: tuple[int, ...], repeats: int = 10, warmup: int = 2) -> dict[str, float]:
    """Median milliseconds per forward of each model on a random input of ``shape``, measured interleaved
    (one call of each model per round, so load changes hit all alike)."""
    x = torch.randn(shape)
    times: dict[str, list[float]] = {k: [] for k in models}
    for m in models.values():
        m.eval()
        for _ in range(warmup):
            m(x)
    for _ in range(repeats):
        for k, m in models.items():
            t = time.perf_counter()
            m(x)
            times[k].append(1e3 * (time.perf_counter() - t))
    return {k: float(np.median(v)) for k, v in times.items()}

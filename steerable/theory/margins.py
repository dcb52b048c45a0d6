"""Margins and the empirical margin loss.

For logits ``f(x) in R^C`` and label ``y`` the margin is ``M(x, y) = f(x)_y - max_{j != y} f(x)_j``
(positive iff ``x`` is classified correctly), and the empirical margin loss at ``gamma >= 0`` is
``L_gamma = (1/m) #{i : M(x_i, y_i) <= gamma}`` (NBS18, eq. (1)); ``L_0`` is the training error
counting ties as errors.

Example:
    >>> import torch
    >>> model = torch.nn.Linear(2, 3, bias=False)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.eye(3, 2))
    >>> m = margins(model, (torch.tensor([[2.0, 0.5]]), torch.tensor([0])))
    >>> m.tolist(), margin_loss(m, 1.0), margin_loss(m, 2.0)
    ([1.5], 0.0, 1.0)
"""
from __future__ import annotations

from typing import Iterable, Union

import torch

__all__ = ["margins", "margin_loss", "iter_batches", "Data"]

Data = Union[tuple[torch.Tensor, torch.Tensor], Iterable[tuple[torch.Tensor, torch.Tensor]]]


def iter_batches(data: Data, batch_size: int = 500) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    """``(x, y)`` batches from a pair of tensors or from any iterable of pairs (a ``DataLoader``)."""
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        x, y = data
        if len(x) != len(y):
            raise ValueError(f"inputs and labels differ in length: {len(x)} and {len(y)}")
        for i in range(0, len(y), batch_size):
            yield x[i : i + batch_size], y[i : i + batch_size]
        return
    for batch in data:
        if not (isinstance(batch, (tuple, list)) and len(batch) >= 2):
            raise TypeError(f"expected batches (inputs, labels), got {type(batch).__name__}")
        yield batch[0], batch[1]


def margins(model: torch.nn.Module, data: Data, batch_size: int = 500, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The margins ``f(x)_y - max_{j != y} f(x)_j`` of ``model`` (eval mode) on ``data``.

    Args:
        model: maps ``(B, ...)`` inputs to ``(B, C)`` logits, ``C >= 2``.
        data: ``(x, y)`` tensors or an iterable of such batches.

    Returns:
        float64 tensor ``(m,)``.

    Raises:
        ValueError: on an empty data set or logits that are not ``(B, C >= 2)``.
    """
    was = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for x, y in iter_batches(data, batch_size):
                if len(y) == 0:
                    continue
                logits = model(x.to(dtype)).double()
                if logits.dim() != 2 or logits.shape[1] < 2 or logits.shape[0] != len(y):
                    raise ValueError(f"model must return (batch, classes >= 2) logits for {len(y)} inputs, got {tuple(logits.shape)}")
                y = y.long()
                true = logits.gather(1, y[:, None])[:, 0]
                other = logits.scatter(1, y[:, None], float("-inf")).max(1).values
                out.append(true - other)
    finally:
        model.train(was)
    if not out:
        raise ValueError("the data set is empty: margins need at least one (input, label) pair")
    return torch.cat(out)


def margin_loss(m: torch.Tensor, gamma: float) -> float:
    """``L_gamma = mean(m <= gamma)`` for margins ``m`` (from :func:`margins`)."""
    if m.numel() == 0:
        raise ValueError("no margins: the data set is empty")
    if not gamma >= 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    return float((m <= gamma).double().mean())

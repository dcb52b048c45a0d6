"""Argument checks and activation lookup shared by the nonlinearity modules."""
from __future__ import annotations

from typing import Callable, Union

import numpy as np
import torch

from ...group import Representation
from ..field_type import FieldType
from .exported import Lambda, activation_module

__all__ = ["Activation", "check_field_type", "resolve_activation", "is_signed_permutation", "field_index_tensor"]

#: a name such as ``'p_relu'`` or an elementwise callable (a function or a ``torch.nn.Module``)
Activation = Union[str, Callable[[torch.Tensor], torch.Tensor]]

_NAMES = {"relu": "relu", "elu": "elu", "sigmoid": "sigmoid", "tanh": "tanh", "leaky_relu": "leaky_relu"}


def check_field_type(t: object, name: str = "in_type") -> FieldType:
    if not isinstance(t, FieldType):
        raise TypeError(f"{name} must be a FieldType, got {type(t).__name__}")
    return t


def resolve_activation(function: Activation, prefix: str) -> tuple[str, torch.nn.Module]:
    """``(label, module)`` for ``'<prefix>_relu'``-style names or a callable.

    Callables must act elementwise; ``torch.nn.Module`` s are used as they are, functions are
    wrapped in :class:`~steerable.nn.nonlinearities.exported.Lambda`.
    """
    if isinstance(function, str):
        head, _, tail = function.partition("_")
        if head != prefix or tail not in _NAMES:
            allowed = ", ".join(repr(f"{prefix}_{n}") for n in _NAMES)
            raise ValueError(f"unknown function {function!r}; expected one of {allowed} or a callable")
        return function, activation_module(_NAMES[tail])
    if isinstance(function, torch.nn.Module):
        return type(function).__name__, function
    if callable(function):
        return getattr(function, "__name__", type(function).__name__), Lambda(function)
    raise TypeError(f"function must be a string or a callable, got {type(function).__name__}")


def is_signed_permutation(rep: Representation) -> bool:
    """True iff every ``rep(g)`` is a signed permutation matrix (checked on the generators)."""
    if rep.is_permutation:
        return True
    for g in rep.group.generators:
        m = rep(g)
        r = np.round(m)
        if np.abs(m - r).max() > 1e-8 or not np.all(np.abs(r).sum(0) == 1) or not np.all(np.abs(r).sum(1) == 1):
            return False
    return True


def field_index_tensor(t: FieldType) -> torch.Tensor:
    """``(t.size,)``: the index of the field each channel belongs to."""
    sizes = torch.tensor([r.size for r in t.representations])
    return torch.repeat_interleave(torch.arange(len(t)), sizes)

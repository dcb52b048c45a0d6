"""Activation lookup shared by the nonlinearity modules (field checks live in :mod:`steerable.nn._fields`)."""
from __future__ import annotations

from typing import Callable, Union

import torch

from ..exported.activations import Lambda, activation_module

__all__ = ["Activation", "resolve_activation"]

#: a name such as ``'p_relu'`` or an elementwise callable (a function or a ``torch.nn.Module``)
Activation = Union[str, Callable[[torch.Tensor], torch.Tensor]]

_NAMES = {"relu": "relu", "elu": "elu", "sigmoid": "sigmoid", "tanh": "tanh", "leaky_relu": "leaky_relu"}


def resolve_activation(function: Activation, prefix: str) -> tuple[str, torch.nn.Module]:
    """``(label, module)`` for ``'<prefix>_relu'``-style names or a callable.

    Callables must act elementwise; ``torch.nn.Module`` s are used as they are, functions are
    wrapped in :class:`~steerable.nn.exported.Lambda`.
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

"""Build any model by name: ``build_model('cnn')``, ``build_model('c8')``, ``build_model('wrn-16-4-d8')``.

Names:

* ``'cnn'``: :class:`~steerable.models.ConvNet`, the conventional baseline;
* a group spec (``'c1'``, ``'c4'``, ``'c8'``, ``'c16'``, ``'d1'``, ``'d4'``, ``'d8'``, ``'d16'``,
  ``'so2'``, ``'o2'``, restricted ``'d16|c16'``, ``'o2|so2'``...):
  :class:`~steerable.models.SteerableCNN`;
* ``'wrn-D-K'`` (conventional) or ``'wrn-D-K-GROUP'`` (e.g. ``'wrn-16-4-d8'``, ``'wrn-16-4-d8|c4'``):
  :class:`~steerable.models.WideResNet`;
* ``'mobilenet'`` (plain) or ``'mobilenet-GROUP'`` (``'mobilenet-d4'``, ``'mobilenet-c8'``...):
  :func:`~steerable.models.mobilenet_v2`.

Keyword arguments go to the class (``width``, ``image_size``, ``num_classes``, ...).

Example:
    >>> net = build_model("c4", width=0.25)
    >>> type(net).__name__, net.spec.name
    ('SteerableCNN', 'c4')
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import torch.nn as nn

from .cnn import ConvNet
from .groups import parse_group_spec
from .mobilenet import mobilenet_v2
from .steerable_cnn import SteerableCNN
from .wrn import WideResNet, parse_wrn_name

__all__ = ["build_model", "check_model_kwargs", "MODEL_NAMES", "canonical_model_name"]

#: the names listed by ``--help``; any group spec and any ``wrn-D-K[-GROUP]`` also works
MODEL_NAMES = ("cnn", "c1", "c4", "c8", "c16", "d1", "d4", "d8", "d16", "so2", "o2", "d16|c16", "o2|so2",
               "wrn-16-4", "wrn-16-4-c8", "wrn-16-4-d8", "wrn-28-10-d8|c4",
               "mobilenet", "mobilenet-c8", "mobilenet-d4")


def canonical_model_name(name: str) -> str:
    """Validate ``name`` and return its canonical spelling (raises ``ValueError`` if unknown).

    Example:
        >>> canonical_model_name("D16|C16")
        'd16|c16'
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"expected a model name such as {', '.join(MODEL_NAMES[:6])}, got {name!r}")
    n = name.strip().lower()
    if n in ("cnn", "conventional", "baseline"):
        return "cnn"
    if n.startswith("mobilenet"):
        g = n[len("mobilenet"):].lstrip("-") or "trivial"
        spec = parse_group_spec(g)
        if spec.kind not in ("c", "d") or spec.restrict_id is not None:
            raise ValueError(f"unknown model {name!r}; expected 'mobilenet' or 'mobilenet-GROUP' with GROUP cN or dN (e.g. 'mobilenet-d4')")
        return "mobilenet" if spec.name == "c1" else f"mobilenet-{spec.name}"
    if n.startswith("wrn"):
        kw = parse_wrn_name(n)
        base = f"wrn-{kw['depth']}-{kw['widen_factor']}"
        return base if "group" not in kw else f"{base}-{parse_group_spec(kw['group']).full_name}"
    try:
        return parse_group_spec(n).full_name
    except ValueError:
        raise ValueError(f"unknown model {name!r}; expected 'cnn', a group spec (c4, c8, c16, d4, d8, d16, so2, o2, "
                         f"'d16|c16', ...) or 'wrn-DEPTH-K[-GROUP]'") from None


def _constructor(name: str) -> tuple[Callable[..., nn.Module], tuple, dict[str, Any]]:
    """The class building model ``name`` with the positional and keyword arguments the name fixes."""
    n = canonical_model_name(name)
    if n == "cnn":
        return ConvNet, (), {}
    if n.startswith("wrn"):
        return WideResNet, (), parse_wrn_name(n)
    if n.startswith("mobilenet"):
        return mobilenet_v2, (n[len("mobilenet-"):] if "-" in n else "trivial",), {}
    return SteerableCNN, (n,), {}


def build_model(name: str, **kw: Any) -> nn.Module:
    """Instantiate the model ``name`` (see module docs) with keyword arguments ``kw``."""
    cls, args, fixed = _constructor(name)
    return cls(*args, **{**fixed, **kw})


def check_model_kwargs(name: str, **kw: Any) -> None:
    """``ValueError`` naming the model and the arguments when model ``name`` does not take ``kw``
    (checked against its signature, so a ``TypeError`` inside a constructor stays a bug).

    Example:
        >>> check_model_kwargs("cnn", foo=1)
        Traceback (most recent call last):
        ...
        ValueError: model 'cnn' does not accept the arguments {'foo': 1}: got an unexpected keyword argument 'foo'
    """
    cls, args, fixed = _constructor(name)
    try:
        inspect.signature(cls).bind(*args, **{**fixed, **kw})
    except TypeError as exc:
        raise ValueError(f"model {name!r} does not accept the arguments {kw}: {exc}") from None

"""Build any model by name: ``build_model('cnn')``, ``build_model('c8')``, ``build_model('wrn-16-4-d8')``.

Names:

* ``'cnn'``: :class:`~steerable.models.ConvNet`, the conventional baseline;
* a group spec (``'c1'``, ``'c4'``, ``'c8'``, ``'c16'``, ``'d1'``, ``'d4'``, ``'d8'``, ``'d16'``,
  ``'so2'``, ``'o2'``, restricted ``'d16|c16'``, ``'o2|so2'``...):
  :class:`~steerable.models.SteerableCNN`;
* ``'wrn-D-K'`` (conventional) or ``'wrn-D-K-GROUP'`` (e.g. ``'wrn-16-4-d8'``, ``'wrn-16-4-d8|c4'``):
  :class:`~steerable.models.WideResNet`.

Keyword arguments go to the class (``width``, ``image_size``, ``num_classes``, ...).

Example:
    >>> net = build_model("c4", width=0.25)
    >>> type(net).__name__, net.spec.name
    ('SteerableCNN', 'c4')
"""
from __future__ import annotations

from typing import Any

import torch.nn as nn

from .cnn import ConvNet
from .groups import parse_group_spec
from .steerable_cnn import SteerableCNN
from .wrn import WideResNet, parse_wrn_name

__all__ = ["build_model", "MODEL_NAMES", "canonical_model_name"]

#: the names listed by ``--help``; any group spec and any ``wrn-D-K[-GROUP]`` also works
MODEL_NAMES = ("cnn", "c1", "c4", "c8", "c16", "d1", "d4", "d8", "d16", "so2", "o2", "d16|c16", "o2|so2",
               "wrn-16-4", "wrn-16-4-c8", "wrn-16-4-d8", "wrn-28-10-d8|c4")


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
    if n.startswith("wrn"):
        kw = parse_wrn_name(n)
        base = f"wrn-{kw['depth']}-{kw['widen_factor']}"
        return base if "group" not in kw else f"{base}-{parse_group_spec(kw['group']).full_name}"
    try:
        return parse_group_spec(n).full_name
    except ValueError:
        raise ValueError(f"unknown model {name!r}; expected 'cnn', a group spec (c4, c8, c16, d4, d8, d16, so2, o2, "
                         f"'d16|c16', ...) or 'wrn-DEPTH-K[-GROUP]'") from None


def build_model(name: str, **kw: Any) -> nn.Module:
    """Instantiate the model ``name`` (see module docs) with keyword arguments ``kw``."""
    n = canonical_model_name(name)
    if n == "cnn":
        return ConvNet(**kw)
    if n.startswith("wrn"):
        return WideResNet(**{**parse_wrn_name(n), **kw})
    return SteerableCNN(n, **kw)

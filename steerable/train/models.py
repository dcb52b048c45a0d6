"""Model names for ``steerable train/compare``: the core models plus the learned-equivariance ones.

``'GROUP-partial'`` (``so2-partial``, ``o2-partial``, ``c8-partial``, any ``cN``/``dN``) builds a
:class:`steerable.partial.models.PartialCNN` with relaxed convolutions; its loss during training
gains :func:`steerable.partial.regularization` (:func:`model_regularization`).  Every other name
goes to :mod:`steerable.models`.  The two families are siblings, so they meet here, above both.

Example:
    >>> canonical_model_name("SO2-Partial")
    'so2-partial'
"""
from __future__ import annotations

import inspect
from typing import Any

import torch

from .. import models as core_models
from ..models import count_parameters
from ..partial import regularization
from ..partial.models import PARTIAL_GROUPS, PartialCNN, partial_gspace

__all__ = ["canonical_model_name", "build_model", "check_model_kwargs", "model_regularization", "count_parameters",
           "PARTIAL_MODEL_NAMES"]

_SUFFIX = "-partial"
#: the learned-equivariance names listed by ``--help``
PARTIAL_MODEL_NAMES = tuple(f"{g}{_SUFFIX}" for g in PARTIAL_GROUPS)


def _partial_group(name: str) -> str | None:
    n = name.strip().lower() if isinstance(name, str) else ""
    return n[: -len(_SUFFIX)] if n.endswith(_SUFFIX) else None


def canonical_model_name(name: str) -> str:
    """The canonical spelling of ``name`` (``ValueError`` if unknown)."""
    g = _partial_group(name)
    if g is None:
        return core_models.canonical_model_name(name)
    try:
        partial_gspace(g)
    except ValueError:
        raise ValueError(f"unknown model {name!r}; the learned-equivariance models are "
                         f"{', '.join(PARTIAL_MODEL_NAMES)} (any cN-partial / dN-partial)") from None
    return f"{g}{_SUFFIX}"


def build_model(name: str, **kw: Any) -> torch.nn.Module:
    """Instantiate model ``name`` with keyword arguments ``kw``."""
    g = _partial_group(canonical_model_name(name))
    return core_models.build_model(name, **kw) if g is None else PartialCNN(g, **kw)


def check_model_kwargs(name: str, **kw: Any) -> None:
    """``ValueError`` when model ``name`` does not take ``kw`` (checked against the signature)."""
    g = _partial_group(canonical_model_name(name))
    if g is None:
        core_models.check_model_kwargs(name, **kw)
        return
    try:
        inspect.signature(PartialCNN).bind(g, **kw)
    except TypeError as exc:
        raise ValueError(f"model {name!r} does not accept the arguments {kw}: {exc}") from None


def model_regularization(model: torch.nn.Module) -> torch.Tensor | None:
    """The paper's regulariser for a model with likelihoods (default weights), ``None`` for other models."""
    if not any(p is not None for p in getattr(model, "likelihoods", [])):
        return None
    return regularization(model)

"""Generalisation theory for equivariant networks: Fourier-domain (Schur) norms, margins, PAC-Bayes bounds.

* :mod:`~steerable.theory.fourier`: the blocks ``What(psi)`` of an intertwiner and the exact norm identities.
* :mod:`~steerable.theory.layers`: walks any ``nn.Module`` for its linear layers and measures each.
* :mod:`~steerable.theory.margins`: margins and the empirical margin loss.
* :mod:`~steerable.theory.bounds`: :func:`nbs18_bound` and :func:`equivariant_bound`, every term separately
  (the equivariant one is derived from NBS18 here, not transcribed from Behboodi et al. 2022).
"""
from .bounds import BoundTerms, bounds_from_layers, equivariant_bound, margin_quantile, nbs18_bound
from .fourier import SchurBlock, SchurDecomposition, intertwiner_tail_variance, reconstruct, sample_fourier_perturbation, schur_blocks
from .layers import LayerMeasure, conv_operator_norm, measure_layers
from .margins import margin_loss, margins

__all__ = ["SchurBlock", "SchurDecomposition", "schur_blocks", "reconstruct", "sample_fourier_perturbation",
           "intertwiner_tail_variance", "LayerMeasure", "measure_layers", "conv_operator_norm", "margins", "margin_loss",
           "BoundTerms", "nbs18_bound", "equivariant_bound", "margin_quantile", "bounds_from_layers"]

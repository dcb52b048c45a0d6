"""Generalisation theory for equivariant networks: Fourier-domain (Schur) norms, margins, PAC-Bayes bounds.

* :mod:`~steerable.theory.fourier`: the blocks ``What(psi)`` of an intertwiner and the exact norm identities.
* :mod:`~steerable.theory.layers`: walks any ``nn.Module`` for its linear layers and measures each.
* :mod:`~steerable.theory.margins`: margins and the empirical margin loss.
* :mod:`~steerable.theory.bounds`: :func:`nbs18_bound` and :func:`equivariant_bound`, every term separately.
"""
from .fourier import SchurBlock, SchurDecomposition, intertwiner_tail_variance, reconstruct, sample_fourier_perturbation, schur_blocks

__all__ = ["SchurBlock", "SchurDecomposition", "schur_blocks", "reconstruct", "sample_fourier_perturbation",
           "intertwiner_tail_variance"]

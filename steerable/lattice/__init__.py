"""Lattice reduction: defects, LLL, and a neural reducer invariant to rotations and equivariant to signed permutations."""
from .defect import as_basis, gram, hermite_factor, integer_det, is_unimodular, log_defect, normalized_gram, orthogonality_defect
from .grid import GridReducer, correlated_grid
from .lll import check_delta, is_lll_reduced, is_size_reduced, lll, size_reduce
from .neural import NeuralLatticeReducer

__all__ = ["as_basis", "gram", "normalized_gram", "log_defect", "orthogonality_defect", "hermite_factor", "integer_det",
           "is_unimodular", "lll", "size_reduce", "is_size_reduced", "is_lll_reduced", "check_delta",
           "NeuralLatticeReducer", "GridReducer", "correlated_grid"]

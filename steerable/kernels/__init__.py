"""Steerable kernel bases: analytic (Wigner-Eckart over O(d) harmonics) and numerical (reference)."""
from .basis import EmptyBasisError, EmptyBasisException, KernelBasis, irreps_pair_intertwiners
from .harmonics import RingSpec, grid_points, harmonic_types, sample_harmonics
from .numerical import solve_kernel_constraint

__all__ = ["EmptyBasisError", "EmptyBasisException", "KernelBasis", "irreps_pair_intertwiners", "RingSpec", "grid_points", "harmonic_types",
           "sample_harmonics", "solve_kernel_constraint"]

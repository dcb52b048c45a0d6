"""Steerable kernel bases: the :class:`KernelBasis` protocol, the Wigner-Eckart construction over
O(d) harmonics, escnn's builders on top of it, kernels on the orbits of a finite group, the
convolution-basis protocol, and a numerical reference solver."""
from .basis import AdjointBasis, EmptyBasisError, EmptyBasisException, KernelBasis, UnionBasis
from .builders import (
    kernels_CN_act_R2, kernels_CN_act_R3, kernels_DN_act_R2, kernels_DN_conical_act_R3, kernels_DN_dihedral_act_R3,
    kernels_Flip_act_R2, kernels_FullIco_act_R3, kernels_FullOcta_act_R3, kernels_FullTetra_act_R3,
    kernels_Ico_act_R3, kernels_Inv_act_R3, kernels_O2_act_R2, kernels_O2_conical_act_R3, kernels_O2_dihedral_act_R3,
    kernels_O2_subgroup_act_R2, kernels_O3_act_R3, kernels_O3_subgroup_act_R3, kernels_Octa_act_R3, kernels_on_point,
    kernels_Pyrito_act_R3, kernels_SO2_act_R2, kernels_SO2_act_R3, kernels_SO2_subgroup_act_R2, kernels_SO3_act_R3,
    kernels_SO3_subgroup_act_R3, kernels_Tetra_act_R3, kernels_Trivial_act_R2, kernels_Trivial_act_R3,
)
from .conv_basis import ConvBasis, IntertwinerBasis, SteerableConvBasis
from .filters import CircularShellsBasis, GaussianRadialProfile, PointBasis, SphericalShellsBasis, SteerableFiltersBasis
from .harmonics import RingSpec, grid_points, harmonic_types, sample_harmonics
from .numerical import solve_kernel_constraint
from .orbit import (
    OrbitConvBasis, OrbitKernelBasis, SparseOrbitBasis, SparseOrbitBasisWithIcosahedralSymmetry,
    kernels_aliased_Ico_act_R3_dodecahedron, kernels_aliased_Ico_act_R3_icosahedron,
    kernels_aliased_Ico_act_R3_icosidodecahedron,
)
from .point_basis import PointConvBasis, PointKernelBasis, point_ring_spec
from .polynomial import HarmonicPolynomialR3Generator
from .wigner_eckart import (
    GridKernelBasis, IrrepBasis, RestrictedWignerEckartBasis, SteerableKernelBasis, WignerEckartBasis,
    irreps_pair_intertwiners,
)

__all__ = [
    # the protocol and combinators
    "KernelBasis", "AdjointBasis", "UnionBasis", "EmptyBasisError", "EmptyBasisException",
    # filters and the Wigner-Eckart construction
    "SteerableFiltersBasis", "GaussianRadialProfile", "CircularShellsBasis", "SphericalShellsBasis", "PointBasis",
    "SteerableKernelBasis", "IrrepBasis", "WignerEckartBasis", "RestrictedWignerEckartBasis", "GridKernelBasis",
    "irreps_pair_intertwiners", "HarmonicPolynomialR3Generator",
    # kernels on the orbits of a finite group (escnn's sparse bases)
    "SparseOrbitBasis", "SparseOrbitBasisWithIcosahedralSymmetry", "OrbitKernelBasis",
    "kernels_aliased_Ico_act_R3_icosahedron", "kernels_aliased_Ico_act_R3_dodecahedron",
    "kernels_aliased_Ico_act_R3_icosidodecahedron",
    # convolutions
    "ConvBasis", "SteerableConvBasis", "OrbitConvBasis", "IntertwinerBasis",
    # escnn's builders
    "kernels_on_point", "kernels_Trivial_act_R2", "kernels_Flip_act_R2", "kernels_CN_act_R2", "kernels_DN_act_R2",
    "kernels_SO2_act_R2", "kernels_O2_act_R2", "kernels_SO2_subgroup_act_R2", "kernels_O2_subgroup_act_R2",
    "kernels_O3_act_R3", "kernels_SO3_act_R3", "kernels_SO3_subgroup_act_R3", "kernels_O3_subgroup_act_R3",
    "kernels_Ico_act_R3", "kernels_Octa_act_R3", "kernels_Tetra_act_R3", "kernels_FullIco_act_R3",
    "kernels_FullOcta_act_R3", "kernels_FullTetra_act_R3", "kernels_Pyrito_act_R3", "kernels_SO2_act_R3",
    "kernels_CN_act_R3", "kernels_O2_conical_act_R3", "kernels_DN_conical_act_R3", "kernels_O2_dihedral_act_R3",
    "kernels_DN_dihedral_act_R3", "kernels_Inv_act_R3", "kernels_Trivial_act_R3",
    # harmonics and the reference solver
    # point convolutions
    "PointConvBasis", "PointKernelBasis", "point_ring_spec",
    "RingSpec", "grid_points", "harmonic_types", "sample_harmonics", "solve_kernel_constraint",
]

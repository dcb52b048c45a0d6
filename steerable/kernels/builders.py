"""escnn's kernel-basis builders (``kernels_<G>_act_R2/R3``): one construction behind every name.

Each builder reads the group ``G`` of ``in_repr``/``out_repr``, names ``G`` as a subgroup of
``O(2)``/``O(3)``, and returns the :class:`~steerable.kernels.SteerableKernelBasis` of the
Gaussian rings ``radii``/``sigma`` times the harmonics of frequency ``<= maximum_frequency``
(the same on every ring; ``filter`` sees each element's attributes and drops elements).  The
result is a continuous basis (no grid) with

    k(A(g) x) = rho_out(g) k(x) rho_in(g)^T,        sample(points) -> (N, dim, out, in).

With ``adjoint=A`` the basis is the :class:`~steerable.kernels.AdjointBasis` ``k(A x)``,
steerable for the conjugated action ``A^T A(g) A``.

Example:
    >>> from steerable.group import cyclic_group
    >>> from steerable.kernels import kernels_CN_act_R2
    >>> r = cyclic_group(4).regular_representation
    >>> kernels_CN_act_R2(r, r, radii=[0.0, 1.0, 2.0], sigma=0.6, maximum_frequency=2).dim
    60
"""
from __future__ import annotations

import math
from typing import Callable, Hashable, Sequence

import numpy as np
import torch

from .. import group as _group
from ..group import Representation
from .basis import AdjointBasis, EmptyBasisError, KernelBasis, _check_points
from .filters import CircularShellsBasis, GaussianRadialProfile, SphericalShellsBasis
from .wigner_eckart import RestrictedWignerEckartBasis, SteerableKernelBasis

__all__ = [
    "kernels_on_point", "kernels_Trivial_act_R2", "kernels_Flip_act_R2", "kernels_CN_act_R2", "kernels_DN_act_R2",
    "kernels_SO2_act_R2", "kernels_O2_act_R2", "kernels_SO2_subgroup_act_R2", "kernels_O2_subgroup_act_R2",
    "kernels_O3_act_R3", "kernels_SO3_act_R3", "kernels_SO3_subgroup_act_R3", "kernels_O3_subgroup_act_R3",
    "kernels_Ico_act_R3", "kernels_Octa_act_R3", "kernels_Tetra_act_R3", "kernels_FullIco_act_R3",
    "kernels_FullOcta_act_R3", "kernels_FullTetra_act_R3", "kernels_Pyrito_act_R3", "kernels_SO2_act_R3",
    "kernels_CN_act_R3", "kernels_O2_conical_act_R3", "kernels_DN_conical_act_R3", "kernels_O2_dihedral_act_R3",
    "kernels_DN_dihedral_act_R3", "kernels_Inv_act_R3", "kernels_Trivial_act_R3",
]

Filter = Callable[[dict], bool]
_AXIS = math.pi / 2


def _group_of(in_repr: Representation, out_repr: Representation, kind: type | tuple | None = None) -> object:
    for name, r in (("in_repr", in_repr), ("out_repr", out_repr)):
        if not isinstance(r, Representation):
            raise TypeError(f"{name} must be a Representation, got {type(r).__name__}")
    if in_repr.group != out_repr.group:
        raise ValueError(f"in_repr and out_repr belong to different groups: {in_repr.group.name} and {out_repr.group.name}")
    G = in_repr.group
    if kind is not None and not isinstance(G, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValueError(f"this builder needs representations of a {names}, got {G.name}")
    return G


def _check_frequency(maximum_frequency: int | None) -> int:
    if isinstance(maximum_frequency, bool) or not isinstance(maximum_frequency, (int, np.integer)) or maximum_frequency < 0:
        raise ValueError(f"maximum_frequency must be a non-negative int, got {maximum_frequency!r}")
    return int(maximum_frequency)


def _build(d: int, in_repr: Representation, out_repr: Representation, sg_id: Hashable, radii: Sequence[float],
           sigma: float | Sequence[float], maximum_frequency: int | None, filter: Filter | None,
           adjoint: np.ndarray | None = None) -> KernelBasis:
    L = _check_frequency(maximum_frequency)
    radial = GaussianRadialProfile(radii, sigma)
    shells = CircularShellsBasis(L, radial) if d == 2 else SphericalShellsBasis(L, radial)
    basis: KernelBasis = SteerableKernelBasis(shells, in_repr, out_repr, RestrictedWignerEckartBasis, sg_id=sg_id, filter=filter)
    return basis if adjoint is None else AdjointBasis(basis, adjoint)


def _with_offset(filter: Filter | None, max_offset: int | None) -> Filter | None:
    """``filter`` and the aliasing offset bound ``|t| <= max_offset`` (``k = +-k' + t N``)."""
    if max_offset is None:
        return filter
    if isinstance(max_offset, bool) or not isinstance(max_offset, int) or max_offset < 0:
        raise ValueError(f"max_offset must be a non-negative int or None, got {max_offset!r}")
    return lambda a: a["offset"] <= max_offset and (filter is None or bool(filter(a)))


def _finite_frequency(maximum_frequency: int | None, max_offset: int | None, N: int) -> int:
    """escnn: either bound may be given; with only ``max_offset``, the highest frequency it allows."""
    if maximum_frequency is not None:
        return maximum_frequency
    if max_offset is None:
        raise ValueError("either maximum_frequency or max_offset must be given")
    return N // 2 + max_offset * N


# ---------------------------------------------------------------------- R^0
class _PointKernels(KernelBasis):
    """The constant kernels on a point: a basis of ``Hom_G(rho_in, rho_out)`` (Schur's lemma)."""

    def __init__(self, in_repr: Representation, out_repr: Representation) -> None:
        o_off = np.cumsum([0] + [p.size for p in out_repr.irrep_objects])
        i_off = np.cumsum([0] + [p.size for p in in_repr.irrep_objects])
        mats, attrs = [], []
        for a, po in enumerate(out_repr.irrep_objects):
            for b, pi in enumerate(in_repr.irrep_objects):
                if po.id != pi.id:
                    continue
                for E in po.endomorphism_basis():
                    M = np.zeros((out_repr.size, in_repr.size))
                    M[o_off[a] : o_off[a + 1], i_off[b] : i_off[b + 1]] = E
                    mats.append(out_repr.change_of_basis @ M @ in_repr.change_of_basis.T)
                    attrs.append(dict(in_irrep=pi.id, out_irrep=po.id, in_irrep_idx=b, out_irrep_idx=a, idx=len(attrs)))
        if not mats:
            raise EmptyBasisError(f"no intertwiner {in_repr.name} -> {out_repr.name}: the representations share no irrep")
        super().__init__(len(mats), (out_repr.size, in_repr.size))
        self.register_buffer("matrices", torch.from_numpy(np.stack(mats)), persistent=False)
        self.attributes = attrs

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        _check_points(points, 0)
        M = self.matrices.to(device=points.device, dtype=points.dtype)
        return self._write(M.expand(points.shape[0], *M.shape).clone(), out)

    def attributes_list(self) -> list[dict]:
        return self.attributes


def kernels_on_point(in_repr: Representation, out_repr: Representation) -> KernelBasis:
    """The equivariant linear maps ``rho_in -> rho_out``, as kernels on ``R^0``: ``W rho_in(g) = rho_out(g) W``."""
    _group_of(in_repr, out_repr)
    return _PointKernels(in_repr, out_repr)


# ---------------------------------------------------------------------- R^2
def kernels_Trivial_act_R2(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                           sigma: float | Sequence[float], maximum_frequency: int | None = None,
                           filter: Filter | None = None) -> KernelBasis:
    """Kernels for the trivial group on the plane (any kernel: plain convolutions)."""
    _group_of(in_repr, out_repr, _group.CyclicGroup)
    return _build(2, in_repr, out_repr, (None, 1), radii, sigma, maximum_frequency, filter)


def kernels_Flip_act_R2(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                        sigma: float | Sequence[float], axis: float = _AXIS, maximum_frequency: int | None = None,
                        adjoint: np.ndarray | None = None, filter: Filter | None = None) -> KernelBasis:
    """Kernels for the mirror across the line at angle ``axis`` (representations of ``C_2``/``D_1``)."""
    _group_of(in_repr, out_repr)
    return _build(2, in_repr, out_repr, (float(axis), 1), radii, sigma, maximum_frequency, filter, adjoint)


def kernels_CN_act_R2(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                      sigma: float | Sequence[float], maximum_frequency: int | None = None, max_offset: int | None = None,
                      filter: Filter | None = None) -> KernelBasis:
    """Kernels for ``C_N`` (``N`` rotations).  ``max_offset`` bounds the aliasing offset ``t`` of each
    element, whose harmonic frequency is ``k = +-k' + t N`` for the ``C_N`` frequency ``k'``."""
    G = _group_of(in_repr, out_repr, _group.CyclicGroup)
    N = G.order()
    L = _finite_frequency(maximum_frequency, max_offset, N)
    return _build(2, in_repr, out_repr, (None, N), radii, sigma, L, _with_offset(filter, max_offset))


def kernels_DN_act_R2(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                      sigma: float | Sequence[float], axis: float = _AXIS, maximum_frequency: int | None = None,
                      max_offset: int | None = None, adjoint: np.ndarray | None = None,
                      filter: Filter | None = None) -> KernelBasis:
    """Kernels for ``D_N`` (``N`` rotations and the mirror at angle ``axis``); ``max_offset`` as ``kernels_CN_act_R2``."""
    G = _group_of(in_repr, out_repr, _group.DihedralGroup)
    N = G.order() // 2
    L = _finite_frequency(maximum_frequency, max_offset, N)
    return _build(2, in_repr, out_repr, (float(axis), N), radii, sigma, L, _with_offset(filter, max_offset), adjoint)


def kernels_SO2_act_R2(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                       sigma: float | Sequence[float], maximum_frequency: int | None = None,
                       filter: Filter | None = None) -> KernelBasis:
    """Kernels for all rotations ``SO(2)``."""
    _group_of(in_repr, out_repr, _group.SO2)
    return _build(2, in_repr, out_repr, (None, -1), radii, sigma, maximum_frequency, filter)


def kernels_O2_act_R2(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                      sigma: float | Sequence[float], maximum_frequency: int | None = None, axis: float = _AXIS,
                      adjoint: np.ndarray | None = None, filter: Filter | None = None) -> KernelBasis:
    """Kernels for ``O(2)`` with its mirror across the line at angle ``axis``."""
    _group_of(in_repr, out_repr, _group.O2)
    return _build(2, in_repr, out_repr, (float(axis), -1), radii, sigma, maximum_frequency, filter, adjoint)


def kernels_SO2_subgroup_act_R2(in_repr: Representation, out_repr: Representation, sg_id: int,
                                radii: Sequence[float], sigma: float | Sequence[float], maximum_frequency: int = 5,
                                adjoint: np.ndarray | None = None, filter: Filter | None = None) -> KernelBasis:
    """Kernels for the subgroup ``sg_id`` of ``SO(2)`` (``N``: ``C_N``; ``-1``: ``SO(2)``)."""
    _group_of(in_repr, out_repr)
    if isinstance(sg_id, bool) or not isinstance(sg_id, (int, np.integer)) or (sg_id < 1 and sg_id != -1):
        raise ValueError(f"sg_id of a subgroup of SO(2) must be N >= 1 or -1, got {sg_id!r}")
    return _build(2, in_repr, out_repr, (None, int(sg_id)), radii, sigma, maximum_frequency, filter, adjoint)


def kernels_O2_subgroup_act_R2(in_repr: Representation, out_repr: Representation, sg_id: tuple,
                               radii: Sequence[float], sigma: float | Sequence[float], maximum_frequency: int = 5,
                               axis: float = _AXIS, adjoint: np.ndarray | None = None,
                               filter: Filter | None = None) -> KernelBasis:
    """Kernels for the subgroup ``sg_id`` of ``O(2)``: ``(None, N)`` rotations, ``(theta, N)`` the
    dihedral group with the mirror at angle ``theta`` (``N=-1``: continuous)."""
    _group_of(in_repr, out_repr)
    if abs(float(axis) - _AXIS) > 1e-12:
        raise ValueError(f"only the default axis pi/2 of the ambient O(2) is supported (mirror axes go in sg_id), got {axis!r}")
    if not (isinstance(sg_id, tuple) and len(sg_id) == 2):
        raise ValueError(f"sg_id of a subgroup of O(2) must be a pair (axis or None, N), got {sg_id!r}")
    return _build(2, in_repr, out_repr, sg_id, radii, sigma, maximum_frequency, filter, adjoint)


# ---------------------------------------------------------------------- R^3
def _r3(sg_id: Hashable, doc: str, needs: str | None = None, adjoint: bool = True) -> Callable[..., KernelBasis]:
    """A builder for the fixed subgroup ``sg_id`` of ``O(3)``; ``needs`` names the factory in
    :mod:`steerable.group` that the group comes from, when not every version has it;
    ``adjoint=False`` for escnn's builders without an ``adjoint`` argument."""

    def builder(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                sigma: float | Sequence[float], maximum_frequency: int = 5, adjoint: np.ndarray | None = None,
                filter: Filter | None = None) -> KernelBasis:
        _group_of(in_repr, out_repr)
        if needs is not None and getattr(_group, needs, None) is None:
            raise ValueError(f"this builder needs steerable.group.{needs}, which this version of steerable.group lacks")
        return _build(3, in_repr, out_repr, sg_id, radii, sigma, maximum_frequency, filter, adjoint)

    def builder_without_adjoint(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                                sigma: float | Sequence[float], maximum_frequency: int = 5,
                                filter: Filter | None = None) -> KernelBasis:
        return builder(in_repr, out_repr, radii, sigma, maximum_frequency, None, filter)

    out = builder if adjoint else builder_without_adjoint
    out.__doc__ = doc
    return out


def _o3_default_none(sg_id: str, doc: str) -> Callable[..., KernelBasis]:
    def builder(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                sigma: float | Sequence[float], maximum_frequency: int | None = None,
                adjoint: np.ndarray | None = None, filter: Filter | None = None) -> KernelBasis:
        _group_of(in_repr, out_repr)
        return _build(3, in_repr, out_repr, sg_id, radii, sigma, maximum_frequency, filter, adjoint)

    builder.__doc__ = doc
    return builder


kernels_O3_act_R3 = _o3_default_none("o3", "Kernels for ``O(3)`` (rotations and reflections) on ``R^3``.")
kernels_SO3_act_R3 = _o3_default_none("so3", "Kernels for ``SO(3)`` on ``R^3``.")
kernels_Ico_act_R3 = _r3("ico", "Kernels for the 60 rotations of the icosahedron.")
kernels_Octa_act_R3 = _r3("octa", "Kernels for the 24 rotations of the cube.")
kernels_Tetra_act_R3 = _r3("tetra", "Kernels for the 12 rotations of the tetrahedron.")
kernels_FullIco_act_R3 = _r3((True, "ico"), "Kernels for the icosahedral group with inversions (``I_h``).",
                             needs="full_ico_group")
kernels_FullOcta_act_R3 = _r3((True, "octa"), "Kernels for the octahedral group with inversions (``O_h``).",
                              needs="full_octa_group")
kernels_FullTetra_act_R3 = _r3("fulltetra", "Kernels for the full tetrahedral group ``T_d`` (with mirrors; "
                               "as an abstract group the octahedral group, ``octa_group()``).")
kernels_Pyrito_act_R3 = _r3((True, "tetra"), "Kernels for the pyritohedral group ``T_h`` (``T`` with inversions: "
                            "``full_tetra_group()``).", needs="full_tetra_group")
kernels_SO2_act_R3 = _r3(("so2", None), "Kernels for rotations about the z axis (``SO(2)``) on ``R^3``.")
kernels_O2_conical_act_R3 = _r3(("cyl", -1), "Kernels for rotations about z and mirrors through vertical planes.")
kernels_O2_dihedral_act_R3 = _r3(("o2", None), "Kernels for rotations about z and rotations by pi about x.")
kernels_Inv_act_R3 = _r3("inv", "Kernels for the point inversion ``{I, -I}``.", adjoint=False)
kernels_Trivial_act_R3 = _r3(("cn", 1), "Kernels for the trivial group on ``R^3`` (any kernel).", adjoint=False)


def _r3_finite(kind: str, order_of: Callable[[object], int], doc: str) -> Callable[..., KernelBasis]:
    def builder(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                sigma: float | Sequence[float], maximum_frequency: int = 5, max_offset: int | None = None,
                adjoint: np.ndarray | None = None, filter: Filter | None = None) -> KernelBasis:
        G = _group_of(in_repr, out_repr)
        if max_offset is not None:
            raise ValueError("max_offset is not defined for groups acting on R^3 (use maximum_frequency)")
        return _build(3, in_repr, out_repr, (kind, order_of(G)), radii, sigma, maximum_frequency, filter, adjoint)

    builder.__doc__ = doc
    return builder


kernels_CN_act_R3 = _r3_finite("cn", lambda G: G.order(), "Kernels for ``C_N`` rotations about the z axis.")
kernels_DN_conical_act_R3 = _r3_finite("cyl", lambda G: G.order() // 2,
                                       "Kernels for ``C_Nv``: ``N`` rotations about z and vertical mirrors.")
kernels_DN_dihedral_act_R3 = _r3_finite("dn", lambda G: G.order() // 2,
                                        "Kernels for ``D_N``: ``N`` rotations about z and rotations by pi about x.")


def kernels_SO3_subgroup_act_R3(in_repr: Representation, out_repr: Representation, sg_id: Hashable,
                                radii: Sequence[float], sigma: float | Sequence[float], maximum_frequency: int = 5,
                                adjoint: np.ndarray | None = None, filter: Filter | None = None) -> KernelBasis:
    """Kernels for the subgroup ``sg_id`` of ``SO(3)`` (escnn's ids: ``(False, N)`` ``C_N``,
    ``(True, N)`` ``D_N`` (``N=-1``: continuous), ``'ico'``, ``'octa'``, ``'tetra'``, ``'so3'``)."""
    _group_of(in_repr, out_repr)
    return _build(3, in_repr, out_repr, sg_id, radii, sigma, maximum_frequency, filter, adjoint)


def kernels_O3_subgroup_act_R3(in_repr: Representation, out_repr: Representation, sg_id: Hashable,
                               radii: Sequence[float], sigma: float | Sequence[float], maximum_frequency: int = 5,
                               adjoint: np.ndarray | None = None, filter: Filter | None = None) -> KernelBasis:
    """Kernels for the subgroup ``sg_id`` of ``O(3)`` (any id ``o3_group().subgroup`` accepts)."""
    _group_of(in_repr, out_repr)
    return _build(3, in_repr, out_repr, sg_id, radii, sigma, maximum_frequency, filter, adjoint)


for _name in __all__:  # the factories above build functions: give each its public name
    globals()[_name].__name__ = globals()[_name].__qualname__ = _name
del _name

"""A group acting on a Euclidean base space R^d, by restriction of O(d).

A :class:`GSpace` is a fibre group ``G`` with an inclusion ``iota: G -> O(d)``; ``g`` acts on
points by the orthogonal matrix ``A(g) = iota(g)`` and on scalar signals by
``(g . f)(x) = f(A(g)^-1 x)``.  Because every ``G`` is a subgroup of ``O(d)``, steerable kernel
bases for ``G`` are obtained by restricting the ``O(d)`` harmonics (see
:mod:`steerable.kernels`), with no per-group mathematics.

Sampled signals live on the centred grid: array index ``(i_0, ..., i_{d-1})`` is the point
``x_a = i_a - (n_a - 1) / 2``.  With this convention a rotation by 90 degrees is
``torch.rot90`` on the last two axes and the ``O(2)`` flip ``(x0, x1) -> (x0, -x1)`` reverses
the last axis, so these actions are exact permutations of pixels.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> gs = rot2dOnR2(8)
    >>> gs.fibergroup.name, gs.dimensionality
    ('C8', 2)
"""
from __future__ import annotations

import math
from typing import Any, Callable, Hashable

import numpy as np
import torch
import torch.nn.functional as F

from ..group import Group, GroupElement, IrreducibleRepresentation, Representation, o2_group, o3_group
from ..group.linalg import is_signed_permutation_matrix
from .field_type import FieldType

__all__ = ["GSpace", "GSpace0D", "GSpace2D", "GSpace3D", "no_base_space",
           "rot2dOnR2", "flipRot2dOnR2", "flip2dOnR2", "trivialOnR2", "rot3dOnR3", "flipRot3dOnR3",
           "rot2dOnR3", "dihedralOnR3", "conicalOnR3", "invOnR3", "trivialOnR3", "octaOnR3", "icoOnR3", "tetraOnR3",
           "fullOctaOnR3", "fullIcoOnR3", "fullCylindricalOnR3", "cylindricalOnR3", "mirOnR3"]


class GSpace:
    """A fibre group ``G`` acting on ``R^d`` through its inclusion in ``O(d)``.

    Args:
        ambient: ``O(2)`` or ``O(3)``.
        subgroup_id: the id of ``G`` as a subgroup of ``ambient`` (``ambient.subgroup(id)``).
        name: readable name.
    """

    def __init__(self, ambient: Group, subgroup_id: Hashable, name: str) -> None:
        self.ambient = ambient
        self.ambient_subgroup_id = subgroup_id
        G, incl, restr = ambient.subgroup(subgroup_id)
        self.fibergroup: Group = G
        self._incl: Callable[[GroupElement], GroupElement] = incl
        self.dimensionality = 2 if ambient.name == "O(2)" else 3
        self.name = name
        # exact identity (the name rounds mirror axes to 6 digits): keys caches, == and hash
        self._key: Hashable = ("gspace", ambient.name, subgroup_id)

    def __reduce__(self):
        return GSpace, (self.ambient, self.ambient_subgroup_id, self.name)

    def type(self, *representations: Representation) -> FieldType:
        """``FieldType(self, representations)``, as escnn's shortcut.

        Example:
            >>> from steerable.gspaces import rot2dOnR2
            >>> gs = rot2dOnR2(4)
            >>> gs.type(gs.regular_repr, gs.trivial_repr).size
            5
        """
        return FieldType(self, list(representations))

    # ------------------------------------------------------------------ representations
    @property
    def trivial_repr(self) -> IrreducibleRepresentation:
        return self.fibergroup.trivial_representation

    @property
    def regular_repr(self) -> Representation:
        return self.fibergroup.regular_representation

    def irrep(self, *id: Any) -> IrreducibleRepresentation:
        return self.fibergroup.irrep(*id)

    @property
    def representations(self) -> dict[str, Representation]:
        """The fibre group's representations by name (escnn's ``gspace.representations``)."""
        return self.fibergroup.representations

    @property
    def irreps(self) -> list[IrreducibleRepresentation]:
        return self.fibergroup.irreps()

    def quotient_repr(self, subgroup_id: Hashable) -> Representation:
        return self.fibergroup.quotient_representation(subgroup_id)

    def induced_repr(self, subgroup_id: Hashable, repr: Representation) -> Representation:
        return self.fibergroup.induced_representation(subgroup_id, repr)

    def harmonic_repr(self, ambient_irrep_id: tuple) -> Representation:
        """``Res^{O(d)}_G psi_J``: how the ``O(d)`` harmonics of type ``J`` transform under ``G``."""
        key = ("harmonic", self._key, ambient_irrep_id)
        cache = self.fibergroup._cache
        if key not in cache:
            cache[key] = self._harmonic_repr(ambient_irrep_id)
        return cache[key]

    def _harmonic_repr(self, ambient_irrep_id: tuple) -> Representation:
        return self.ambient.irrep(*ambient_irrep_id).restrict(self.ambient_subgroup_id)

    # ------------------------------------------------------------------ action
    def ambient_element(self, g: GroupElement) -> GroupElement:
        """``iota(g)``: the element of ``O(d)`` by which ``g`` acts."""
        self.fibergroup._check_element(g)
        return self._incl(g)

    def basespace_action(self, g: GroupElement) -> np.ndarray:
        """The ``d x d`` orthogonal matrix ``A(g)`` acting on base-space coordinates."""
        return self.ambient.standard_matrix(self.ambient_element(g))

    @property
    def testing_elements(self) -> list[GroupElement]:
        """The elements whose action maps the pixel/voxel grid onto itself (exact in tests)."""
        G = self.fibergroup
        candidates = G.elements if not G.continuous else self._continuous_testing_candidates()
        return [g for g in candidates if is_signed_permutation_matrix(self.basespace_action(g))]

    def _continuous_testing_candidates(self) -> list[GroupElement]:
        # the grid-exact elements of O(d) (D_4 in O(2), the 48 signed permutations in O(3))
        # that lie in G; restricting them through the inclusion also finds the flips of an
        # O(2) whose mirror axis is not at angle 0 (e.g. pi/8: its flips (1, k pi/2) are not
        # grid-exact, but (1, -pi/4 + k pi/2) are)
        exact = self.ambient.grid("regular", 4) if self.dimensionality == 2 else self.ambient.grid("cube")
        return [g for a in exact for g in self._restrict_from_ambient(a)]

    def _restrict_from_ambient(self, a: GroupElement) -> list[GroupElement]:
        _, _, restr = self.ambient.subgroup(self.ambient_subgroup_id)
        h = restr(a)
        return [] if h is None else [h]

    def transform_signal(self, x: torch.Tensor, g: GroupElement, mode: str = "bilinear") -> torch.Tensor:
        """``(g . f)(p) = f(A(g)^-1 p)`` on the last ``d`` (spatial) axes of ``x``.

        Exact index permutation when ``A(g)`` maps the grid onto itself (signed permutation
        matrices on a square/cubic grid); otherwise interpolation with ``grid_sample``
        (zeros outside), which is only approximately equivariant.
        """
        A = self.basespace_action(g)
        d = self.dimensionality
        if x.dim() < d:
            raise ValueError(f"expected a tensor with at least {d} spatial axes, got shape {tuple(x.shape)}")
        spatial = tuple(x.shape[-d:])
        if is_signed_permutation_matrix(A) and _grid_closed(A, spatial):
            return _permute_grid(x, A, d)
        return _interpolate(x, A, d, mode)

    # ------------------------------------------------------------------ subgroups
    def restrict(self, id: Hashable) -> tuple["GSpace", Callable, Callable]:
        """``(sub_gspace, inclusion, restriction)`` for the fibre subgroup with id ``id``."""
        H, incl, restr = self.fibergroup.subgroup(id)
        sub = _SubGSpace(self, id, H, incl)
        return sub, incl, restr

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GSpace) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return self.name


class _SubGSpace(GSpace):
    """The gspace of a subgroup ``H < G``: acts through ``iota_G o incl_H``."""

    def __init__(self, parent: GSpace, id: Hashable, H: Group, incl: Callable) -> None:
        self.ambient = parent.ambient
        self.parent = parent
        self.parent_subgroup_id = id
        self.fibergroup = H
        self._incl = lambda h: parent._incl(incl(h))
        self.dimensionality = parent.dimensionality
        self.name = f"{parent.name}|{H.name}[{id}]"
        self._key = ("sub", parent._key, id)
        # kernels restrict the ambient harmonics in two steps: ambient -> G -> H
        self.ambient_subgroup_id = None

    def __reduce__(self):
        return _restricted_gspace, (self.parent, self.parent_subgroup_id)

    def _harmonic_repr(self, ambient_irrep_id: tuple) -> Representation:
        return self.parent.harmonic_repr(ambient_irrep_id).restrict(self.parent_subgroup_id)

    def _restrict_from_ambient(self, a: GroupElement) -> list[GroupElement]:
        out = []
        for g in self.parent._restrict_from_ambient(a):
            _, _, restr = self.parent.fibergroup.subgroup(self.parent_subgroup_id)
            h = restr(g)
            if h is not None:
                out.append(h)
        return out


def _restricted_gspace(parent: GSpace, id: Hashable) -> GSpace:
    """Unpickling helper for restricted gspaces."""
    return parent.restrict(id)[0]


class GSpace2D(GSpace):
    """A subgroup of ``O(2)`` acting on the plane (escnn's ``GSpace2D``).

    Args:
        sg_id: the id of the fibre group in ``O(2)``: ``(axis, N)`` with ``axis=None`` for the
            rotations ``C_N`` (``SO(2)`` for ``N=-1``) or a mirror angle for ``D_N`` / ``O(2)``.
        maximum_frequency: band limit of the listed irreps of a continuous fibre group.
        name: readable name (default ``"<group>_on_R2"``).

    Example:
        >>> GSpace2D((None, 4)).fibergroup.name
        'C4'
    """

    def __init__(self, sg_id: Hashable, maximum_frequency: int = 6, name: str | None = None) -> None:
        ambient = o2_group(maximum_frequency)
        super().__init__(ambient, sg_id, name or f"{ambient.subgroup(sg_id)[0].name}_on_R2")
        self.dimensionality = 2

    def __reduce__(self):
        return GSpace2D, (self.ambient_subgroup_id, self.ambient.maxfreq, self.name)


class GSpace3D(GSpace):
    """A subgroup of ``O(3)`` acting on ``R^3`` (escnn's ``GSpace3D``).

    Args:
        sg_id: the id of the fibre group in ``O(3)``, readable or escnn's tuple form (see
            :mod:`steerable.group.spatial_subgroups`), e.g. ``(True, 'octa')`` for ``O_h``.
        maximum_frequency: band limit of the listed irreps of a continuous fibre group.
        name: readable name (default ``"<group>_on_R3"``).

    Example:
        >>> GSpace3D((True, 'octa')).fibergroup.order()
        48
    """

    def __init__(self, sg_id: Hashable, maximum_frequency: int = 2, name: str | None = None) -> None:
        ambient = o3_group(maximum_frequency)
        super().__init__(ambient, sg_id, name or f"{ambient.subgroup(sg_id)[0].name}_on_R3")
        self.dimensionality = 3

    def __reduce__(self):
        return GSpace3D, (self.ambient_subgroup_id, self.ambient.maxfreq, self.name)


class GSpace0D(GSpace):
    """A group acting on a single point ``R^0`` (escnn's ``GSpace0D``): feature vectors with no
    spatial axes, e.g. the inputs of equivariant linear layers.

    ``g`` acts on the (empty) base space trivially; fields transform only by their representation.

    Args:
        G: the fibre group.

    Example:
        >>> from steerable.group import so3_group
        >>> GSpace0D(so3_group()).dimensionality
        0
    """

    def __init__(self, G: Group) -> None:
        if not isinstance(G, Group):
            raise TypeError(f"GSpace0D needs a Group, got {type(G).__name__}")
        self.ambient = None
        self.ambient_subgroup_id = None
        self.fibergroup = G
        self._incl = lambda g: g
        self.dimensionality = 0
        self.name = f"{G.name}_on_R0"
        self._key = ("gspace0d", G)

    def __reduce__(self):
        return GSpace0D, (self.fibergroup,)

    def _harmonic_repr(self, ambient_irrep_id: tuple) -> Representation:
        raise ValueError(f"{self.name} has no base space: there are no harmonics on R^0")

    def ambient_element(self, g: GroupElement) -> GroupElement:
        """``g`` itself (there is no ambient ``O(d)``)."""
        return self.fibergroup._check_element(g)

    def basespace_action(self, g: GroupElement) -> np.ndarray:
        """The ``0 x 0`` matrix: ``R^0`` is a point."""
        self.fibergroup._check_element(g)
        return np.zeros((0, 0))

    @property
    def testing_elements(self) -> list[GroupElement]:
        return list(self.fibergroup.testing_elements())

    def transform_signal(self, x: torch.Tensor, g: GroupElement, mode: str = "bilinear") -> torch.Tensor:
        """``x`` unchanged: no spatial axes to move."""
        self.fibergroup._check_element(g)
        return x

    def restrict(self, id: Hashable) -> tuple["GSpace", Callable, Callable]:
        H, incl, restr = self.fibergroup.subgroup(id)
        return GSpace0D(H), incl, restr


def no_base_space(G: Group) -> GSpace0D:
    """``G`` acting on a point (escnn's ``no_base_space``): :class:`GSpace0D`."""
    return GSpace0D(G)


# ---------------------------------------------------------------------- grid actions
def _grid_closed(A: np.ndarray, shape: tuple[int, ...]) -> bool:
    P = np.abs(np.round(A)).astype(int)
    return all(shape[i] == shape[int(np.argmax(P[i]))] for i in range(len(shape)))


def _permute_grid(x: torch.Tensor, A: np.ndarray, d: int) -> torch.Tensor:
    """Exact ``y[p] = x[A^-1 p]`` for a signed permutation ``A`` (centred coordinates)."""
    R = np.round(A).astype(int)
    # y[p] = x[q] with q = A^T p: q_c = sum_r R[r, c] p_r, so output axis r reads input axis c
    # with R[r, c] != 0, reversed when R[r, c] = -1
    lead = x.dim() - d
    perm = list(range(lead))
    flips = []
    for r in range(d):
        c = int(np.argmax(np.abs(R[r])))
        perm.append(lead + c)
        if R[r, c] < 0:
            flips.append(lead + r)
    y = x.permute(*perm)
    return torch.flip(y, flips) if flips else y.contiguous()


def _interpolate(x: torch.Tensor, A: np.ndarray, d: int, mode: str) -> torch.Tensor:
    lead_shape = x.shape[:-d]
    spatial = x.shape[-d:]
    xb = x.reshape(1, -1, *spatial)
    # grid_sample wants, for every output location p, the normalised input location A^-1 p with
    # coordinates in reversed (x, y[, z]) order
    axes = [torch.arange(n, dtype=torch.float64) - (n - 1) / 2 for n in spatial]
    mesh = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1)  # (..., d) in array-axis order
    src = mesh @ torch.as_tensor(A, dtype=torch.float64)  # rows: p^T A = (A^T p)^T = (A^-1 p)^T
    half = torch.tensor([(n - 1) / 2 if n > 1 else 1.0 for n in spatial], dtype=torch.float64)
    grid = (src / half).flip(-1).to(x.dtype)[None]
    if x.dtype in (torch.float16, torch.bfloat16):
        xb, grid = xb.float(), grid.float()
    y = F.grid_sample(xb, grid, mode=mode, padding_mode="zeros", align_corners=True)
    return y.to(x.dtype).reshape(*lead_shape, *spatial)


# ---------------------------------------------------------------------- constructors
# Signatures and defaults follow escnn 1.0: ``N=-1`` (the continuous group) by default,
# ``maximum_frequency`` the band limit of the listed irreps, the mirror axis last.
def rot2dOnR2(N: int = -1, maximum_frequency: int = 6) -> GSpace:
    """Rotations ``C_N`` (``N=-1``, the default: ``SO(2)``) acting on the plane.

    ``maximum_frequency`` bounds the irreps ``SO(2)`` lists (ignored for finite ``N``).
    """
    return GSpace2D(maximum_frequency=maximum_frequency, sg_id=(None, N), name=f"{'SO(2)' if N == -1 else f'C{N}'}_on_R2")


def flipRot2dOnR2(N: int = -1, maximum_frequency: int = 6, axis: float = math.pi / 2) -> GSpace:
    """Rotations and reflections ``D_N`` (``N=-1``, the default: ``O(2)``); the mirror line is at
    angle ``axis`` from the ``x0`` axis (default ``pi/2``, as escnn: ``(x0, x1) -> (-x0, x1)``)."""
    name = "O(2)" if N == -1 else f"D{N}"
    return GSpace2D(maximum_frequency=maximum_frequency, sg_id=(float(axis), N), name=f"{name}[axis={axis:g}]_on_R2")


def flip2dOnR2(axis: float = math.pi / 2) -> GSpace:
    """The reflection group ``D_1``: the mirror across the line at angle ``axis`` (measured from
    the ``x0`` axis); the default ``pi/2`` is ``(x0, x1) -> (-x0, x1)``, i.e. reversing array axis 0."""
    return GSpace2D(sg_id=(float(axis), 1), name=f"Flip[axis={axis:g}]_on_R2")


def trivialOnR2() -> GSpace:
    """The trivial group acting on the plane (plain CNNs)."""
    return GSpace2D(sg_id=(None, 1), name="C1_on_R2")


def rot3dOnR3(maximum_frequency: int = 2) -> GSpace:
    """``SO(3)`` acting on ``R^3``."""
    return GSpace3D(maximum_frequency=maximum_frequency, sg_id="so3", name="SO(3)_on_R3")


def flipRot3dOnR3(maximum_frequency: int = 2) -> GSpace:
    """``O(3)`` acting on ``R^3``."""
    return GSpace3D(maximum_frequency=maximum_frequency, sg_id="o3", name="O(3)_on_R3")


def rot2dOnR3(n: int = -1, adjoint: GroupElement | None = None, maximum_frequency: int = 2) -> GSpace3D:
    """Rotations about the z axis (``C_n``, or ``SO(2)`` for ``n=-1``) acting on ``R^3``; escnn's id
    ``(False, False, n)``.  ``adjoint`` (an ``O(3)`` element ``c``) conjugates the group: ``g -> c^-1 g c``."""
    return GSpace3D(_with_adjoint((False, False, _check_n(n)), adjoint), maximum_frequency=maximum_frequency,
                    name=f"{'SO(2)' if n == -1 else f'C{n}'}_on_R3")


def dihedralOnR3(n: int = -1, axis: float = math.pi / 2, adjoint: GroupElement | None = None,
                 maximum_frequency: int = 2) -> GSpace3D:
    """Rotations about z and the rotation by pi about the horizontal axis at angle ``axis`` (default
    ``pi/2``: the y axis, ``(x, y, z) -> (-x, y, -z)``) — ``D_n``, or ``O(2)`` for ``n=-1`` — on ``R^3``.

    escnn's id ``(False, 2 axis, n)``; ``adjoint`` conjugates the group (``g -> c^-1 g c``).
    """
    sg_id = _with_adjoint((False, 2 * float(axis), _check_n(n)), adjoint)
    return GSpace3D(sg_id, maximum_frequency=maximum_frequency, name=f"{'O(2)' if n == -1 else f'D{n}'}-dihedral_on_R3")


def conicalOnR3(n: int = -1, axis: float = math.pi / 2, adjoint: GroupElement | None = None,
                maximum_frequency: int = 2) -> GSpace3D:
    """Rotations about z and the mirrors through vertical planes (``C_nv``; ``O(2)`` for ``n=-1``) on
    ``R^3``; one mirror plane holds the z axis and the horizontal axis at angle ``axis`` (default
    ``pi/2``: the plane ``x = 0``, ``(x, y, z) -> (-x, y, z)``).

    escnn's id ``('cone', 2 axis, n)``; ``adjoint`` conjugates the group (``g -> c^-1 g c``).
    """
    sg_id = _with_adjoint(("cone", 2 * float(axis), _check_n(n)), adjoint)
    return GSpace3D(sg_id, maximum_frequency=maximum_frequency, name=f"{'O(2)' if n == -1 else f'D{n}'}-conical_on_R3")


def invOnR3(maximum_frequency: int = 2) -> GSpace:
    """The point inversion ``{I, -I}`` acting on ``R^3``."""
    return GSpace3D(maximum_frequency=maximum_frequency, sg_id="inv", name="Inv_on_R3")


def octaOnR3(maximum_frequency: int = 2) -> GSpace:
    """The 24 rotations of the cube acting on ``R^3`` (exact on voxel grids)."""
    return GSpace3D(maximum_frequency=maximum_frequency, sg_id="octa", name="Octahedral_on_R3")


def icoOnR3(maximum_frequency: int = 2) -> GSpace:
    """The 60 rotations of the icosahedron acting on ``R^3``."""
    return GSpace3D(maximum_frequency=maximum_frequency, sg_id="ico", name="Icosahedral_on_R3")


def tetraOnR3(maximum_frequency: int = 2) -> GSpace:
    """The 12 rotations of the tetrahedron acting on ``R^3``."""
    return GSpace3D(maximum_frequency=maximum_frequency, sg_id="tetra", name="Tetrahedral_on_R3")


def trivialOnR3(maximum_frequency: int = 2) -> GSpace:
    """The trivial group acting on ``R^3``."""
    return GSpace3D(maximum_frequency=maximum_frequency, sg_id=("cn", 1), name="C1_on_R3")


# escnn's factories of the O(3) subgroups with the inversion or mirrors; the ids are escnn's
def fullOctaOnR3() -> GSpace3D:
    """``O_h = C_2 x O``: the 48 isometries of the cube (rotations, inversion, mirrors) on ``R^3``;
    every element permutes the voxels of a cubic grid."""
    return GSpace3D((True, "octa"), maximum_frequency=3, name="FullOctahedral_on_R3")


def fullIcoOnR3() -> GSpace3D:
    """``I_h = C_2 x I``: the 120 isometries of the icosahedron on ``R^3``."""
    return GSpace3D((True, "ico"), maximum_frequency=4, name="FullIcosahedral_on_R3")


def _with_adjoint(sg_id: tuple, adjoint: GroupElement | None) -> tuple:
    if adjoint is None:
        return sg_id
    if not isinstance(adjoint, GroupElement):
        raise TypeError(f"adjoint must be an element of O(3), got {type(adjoint).__name__}")
    return sg_id + (adjoint,)


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or (n < 1 and n != -1):
        raise ValueError(f"n must be an integer >= 1 or -1 (continuous), got {n!r}")
    return n


def fullCylindricalOnR3(n: int = -1, axis: float = math.pi / 2, adjoint: GroupElement | None = None,
                        maximum_frequency: int = 2) -> GSpace3D:
    """``C_2 x O(2)`` (``n=-1``) or ``C_2 x D_n``: rotations about z, pi-rotations about a horizontal
    axis and the inversion, on ``R^3``.

    As in escnn, the subgroup id is ``(True, axis, n)``: the flip axis is at angle ``axis / 2`` in
    the xy-plane (``pi/4`` by default, so the flip ``(x, y, z) -> (y, x, -z)`` permutes voxels).
    ``adjoint`` (an ``O(3)`` element ``c``) conjugates the group: ``g -> c^-1 g c``.
    """
    sg_id = _with_adjoint((True, float(axis), _check_n(n)), adjoint)
    return GSpace3D(sg_id, maximum_frequency=maximum_frequency)


def cylindricalOnR3(n: int = -1, adjoint: GroupElement | None = None, maximum_frequency: int = 2) -> GSpace3D:
    """``C_2 x SO(2)`` (``n=-1``) or ``C_2 x C_n``: rotations about z and the inversion, on ``R^3``."""
    sg_id = _with_adjoint((True, False, _check_n(n)), adjoint)
    return GSpace3D(sg_id, maximum_frequency=maximum_frequency)


def mirOnR3(axis: float = math.pi / 2, adjoint: GroupElement | None = None) -> GSpace3D:
    """The mirror ``C_2`` across the vertical plane through the axis at angle ``axis`` in the
    xy-plane (default ``pi/2``: the plane ``x = 0``, i.e. ``(x, y, z) -> (-x, y, z)``)."""
    sg_id = _with_adjoint(("cone", 2 * float(axis), 1), adjoint)
    return GSpace3D(sg_id, maximum_frequency=1)

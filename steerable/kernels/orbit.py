"""Kernels supported on the orbits of a finite group: escnn's "sparse" (aliased) bases.

A finite group ``G`` acting on ``R^d`` by ``A(g)`` moves a point ``x_0`` (the *root*) over its orbit
``{A(g) x_0}``, which is the homogeneous space ``X = G / H`` of the stabiliser ``H`` of ``x_0``.
Scalar functions on the orbit that transform as an irrep ``psi_j`` of ``G`` are

    Y_(j, i)(A(g_k) x_0) = psi_j(g_k) v_i,       v_i an orthonormal basis of the H-fixed vectors of psi_j,

one block per fixed vector (Frobenius reciprocity: ``m_j = dim psi_j^H`` blocks, and
``sum_j m_j dim psi_j`` is the size of the orbit).  :class:`SparseOrbitBasis` spreads them into
``R^d`` with a Gaussian of width ``sigma`` around each orbit point,

    Y_(j, i)(x) = sum_k exp(-|x - p_k|^2 / (2 sigma^2)) psi_j(g_k) v_i,

which keeps the law ``Y(A(g) x) = psi_j(g) Y(x)`` exactly (the Gaussian is rotation invariant).
:class:`OrbitKernelBasis` turns such filters into steerable kernels
``k(A(g) x) = rho_out(g) k(x) rho_in(g)^T`` with the intertwiners ``W psi_j(g) =
(psi_o (x) psi_i)(g) W`` of ``G`` itself -- no harmonics of ``O(d)`` are restricted, so frequencies
above what the orbit resolves alias onto lower ones (hence escnn's name "aliased").

The icosahedral builders put the orbit of one symmetry axis of the icosahedron on each ring:
the 12 vertices of the icosahedron (stabiliser ``C_5``), the 20 vertices of the dodecahedron
(``C_3``) or the 30 vertices of the icosidodecahedron (``C_2``); radius 0 is the origin, fixed by
all of ``G``.  (escnn's builders of these names use the stabilisers the other way round for the
icosahedron and dodecahedron; here each name gives the polyhedron it names, as escnn's
``R3IcoConv`` documents.)

Example:
    >>> import torch
    >>> from steerable.group import ico_group
    >>> from steerable.kernels import kernels_aliased_Ico_act_R3_icosahedron
    >>> G = ico_group()
    >>> basis = kernels_aliased_Ico_act_R3_icosahedron(G.irrep(1), G.irrep(1), radii=[0.0, 1.0], sigma=0.6)
    >>> basis.sample(torch.randn(5, 3, dtype=torch.float64)).shape
    torch.Size([5, 4, 3, 3])
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..group import Group, HomSpace, IrreducibleRepresentation, Representation
from ..group.decompose import intertwiner_basis
from ..group.finite_rotations import Icosahedral
from ..gspaces import GSpace
from .basis import AdjointBasis, EmptyBasisError, KernelBasis, UnionBasis, _check_points
from .conv_basis import ConvBasis
from .filters import SteerableFiltersBasis
from .harmonics import RingSpec

__all__ = ["SparseOrbitBasis", "SparseOrbitBasisWithIcosahedralSymmetry", "OrbitKernelBasis", "OrbitConvBasis",
           "kernels_aliased_Ico_act_R3_icosahedron", "kernels_aliased_Ico_act_R3_dodecahedron",
           "kernels_aliased_Ico_act_R3_icosidodecahedron"]

#: the stabiliser ``(False, N)`` of one point of each icosahedral orbit, by polyhedron
ICO_ORBITS = {"icosahedron": 5, "dodecahedron": 3, "icosidodecahedron": 2}


def _finite_group(G: Group, what: str) -> int:
    order = G.order()
    if not isinstance(order, (int, np.integer)) or order <= 0:
        raise ValueError(f"{what} needs a finite group, got {G.name} (order {order!r})")
    return int(order)


class SparseOrbitBasis(SteerableFiltersBasis):
    """Scalar filters on ``R^d`` supported (up to a Gaussian) on one orbit of a finite group.

    Args:
        X: the homogeneous space ``G / H`` the orbit is (``G`` finite), e.g. ``G.homspace((False, 5))``.
        action: the representation ``A`` of ``G`` on ``R^d``.
        root: the point ``x_0`` (shape ``(d,)``) of the coset ``H``; every element of ``H`` must fix it.
        sigma: the width (``> 0``) of the Gaussian around each orbit point.
        harmonics: ids of the irreps of ``G`` to keep (default: all; those without ``H``-fixed
            vectors have no block).
        change_of_basis: an invertible ``(d, d)`` matrix applied to the orbit points (``r I``
            embeds the orbit on the sphere of radius ``r |x_0|``). The filters then transform under
            the conjugated action, which is ``A`` itself for a multiple of the identity.
        attributes: extra entries for every element's attribute dict (e.g. ``{'radius': r}``).

    Attributes:
        points: the orbit points ``(P, d)`` after ``change_of_basis``; ``cosets``: one element
            ``g_k`` of ``G`` per point, ``p_k = A(g_k) x_0``.

    Shape: ``sample(x)`` takes ``(N, d)`` and returns ``(N, dim, 1, 1)``; ``dim`` is the orbit size
    when every irrep is kept.
    """

    def __init__(self, X: HomSpace, action: Representation, root: np.ndarray, sigma: float,
                 harmonics: Sequence[Any] | None = None, change_of_basis: np.ndarray | None = None,
                 attributes: dict | None = None) -> None:
        if not isinstance(X, HomSpace):
            raise TypeError(f"X must be a HomSpace (G.homspace(id)), got {type(X).__name__}")
        G = X.G
        _finite_group(G, "SparseOrbitBasis")
        if not isinstance(action, Representation) or action.group != G:
            raise ValueError(f"action must be a representation of {G.name}, got {action!r}")
        x0 = np.asarray(root, dtype=np.float64).reshape(-1)
        if x0.shape != (action.size,):
            raise ValueError(f"root must have shape ({action.size},) for an action on R^{action.size}, got {np.shape(root)}")
        if not (isinstance(sigma, (int, float, np.floating)) and sigma > 0):
            raise ValueError(f"sigma must be a positive number, got {sigma!r}")
        for h in X.H.elements:
            if not np.allclose(action(X._inclusion(h)) @ x0, x0, atol=1e-8):
                raise ValueError(f"root {x0.tolist()} is not fixed by the stabiliser {X.H.name}: it does not embed {X}")
        cosets, pts = [], []
        for g in G.elements:  # one representative per coset, in G's element order
            p = action(g) @ x0
            if not any(np.allclose(p, q, atol=1e-8) for q in pts):
                cosets.append(g)
                pts.append(p)
        H_trivial = X.H.trivial_representation.id
        ids = [psi.id for psi in G.irreps()] if harmonics is None else [G.irrep(*j).id if isinstance(j, tuple) else G.irrep(j).id
                                                                         for j in harmonics]
        js = [(j, X.dimension_basis(j, H_trivial)[1]) for j in ids]
        js = [(j, m) for j, m in js if m > 0]
        if not js:
            raise EmptyBasisError(f"no irrep among {ids} has a vector fixed by {X.H.name}: the basis on {X} is empty")
        super().__init__(G, action, js)
        self.X, self.root, self.sigma, self.cosets = X, x0, float(sigma), cosets
        P = np.stack(pts)
        if change_of_basis is not None:
            C = np.asarray(change_of_basis, dtype=np.float64)
            if C.shape != (action.size, action.size) or abs(np.linalg.det(C)) < 1e-12:
                raise ValueError(f"change_of_basis must be an invertible ({action.size}, {action.size}) matrix, got shape {C.shape}")
            P = P @ C.T
        self.change_of_basis = None if change_of_basis is None else np.asarray(change_of_basis, dtype=np.float64)
        self._attributes = dict(attributes or {})
        self.register_buffer("points", torch.from_numpy(P), persistent=False)
        # Y_(j, i) at p_k: psi_j(g_k) v_i, stacked as (P, sum_j m_j d_j) in (j, i, component) order
        cols = [np.stack([X.scalar_basis(g, j)[:, :, 0].T.reshape(-1) for g in cosets]) for j, _ in self.js]
        self.register_buffer("values", torch.from_numpy(np.concatenate(cols, axis=1)), persistent=False)

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        _check_points(points, self.dimensionality)
        P = self.points.to(device=points.device, dtype=points.dtype)
        w = torch.exp(-0.5 * torch.cdist(points, P) ** 2 / self.sigma**2)  # (N, P)
        return self._write((w @ self.values.to(w))[..., None, None], out)

    def attributes_list(self) -> list[dict]:
        attrs = []
        for j, m in self.js:
            d = self.group.irrep(*j).size
            for i in range(m):
                for c in range(d):
                    attrs.append(dict(self._attributes, j=j, i=i, m=c, sigma=self.sigma, idx=len(attrs)))
        return attrs


class SparseOrbitBasisWithIcosahedralSymmetry(SparseOrbitBasis):
    """:class:`SparseOrbitBasis` on the orbit of a symmetry axis of the icosahedron.

    Args:
        X: ``ico_group().homspace((False, N))``, ``N`` in 5 (12 vertices of the icosahedron),
            3 (20 vertices of the dodecahedron), 2 (30 vertices of the icosidodecahedron).
        sigma, harmonics, change_of_basis, attributes: as :class:`SparseOrbitBasis`; the root is
            the unit vector on the stabiliser's rotation axis, the action the rotation matrices.
    """

    def __init__(self, X: HomSpace, sigma: float, harmonics: Sequence[Any] | None = None,
                 change_of_basis: np.ndarray | None = None, attributes: dict | None = None) -> None:
        if not isinstance(X, HomSpace) or not isinstance(X.G, Icosahedral):
            raise ValueError(f"X must be a homogeneous space of ico_group(), got {X!r}")
        if not (isinstance(X.sgid, tuple) and len(X.sgid) == 2 and X.sgid[0] is False and X.sgid[1] in (2, 3, 5)):
            raise ValueError(f"X must be ico_group().homspace((False, N)) with N in (2, 3, 5), got the subgroup {X.sgid!r}")
        axis = np.asarray(X.G._cyclic_axes[int(X.sgid[1])], dtype=np.float64)
        super().__init__(X, X.G.standard_representation(), axis / np.linalg.norm(axis), sigma, harmonics,
                         change_of_basis, attributes)


def _intertwiners(G: Group, psi_o: IrreducibleRepresentation, psi_i: IrreducibleRepresentation,
                  psi_j: IrreducibleRepresentation) -> np.ndarray:
    """All ``W`` (``(n, d_o, d_i, d_j)``, orthonormal) with ``W psi_j(g) = (psi_o (x) psi_i)(g) W``."""
    key = ("orbit-intertwiners", psi_o.id, psi_i.id, psi_j.id)
    if key not in G._cache:
        gens = G.generators
        W = intertwiner_basis([(np.kron(psi_o(g), psi_i(g)), psi_j(g)) for g in gens])
        G._cache[key] = W.reshape(-1, psi_o.size, psi_i.size, psi_j.size)
    return G._cache[key]


class OrbitKernelBasis(KernelBasis):
    """The complete basis of ``G``-steerable kernels ``rho_in -> rho_out`` in the span of orbit filters.

    Args:
        filters: a :class:`SparseOrbitBasis` of ``G``.
        in_repr, out_repr: representations of ``G``.
        filter: optional predicate on an element's attributes (``j``, ``in_irrep``, ``out_irrep``, ...).

    Raises :class:`EmptyBasisError` when no kernel exists. Shape: ``sample`` gives
    ``(N, dim, out_repr.size, in_repr.size)``.
    """

    def __init__(self, filters: SparseOrbitBasis, in_repr: Representation, out_repr: Representation,
                 filter: Callable[[dict], bool] | None = None) -> None:
        if not isinstance(filters, SparseOrbitBasis):
            raise TypeError(f"filters must be a SparseOrbitBasis, got {type(filters).__name__}")
        G = filters.group
        for name, r in (("in_repr", in_repr), ("out_repr", out_repr)):
            if not isinstance(r, Representation) or r.group != G:
                raise ValueError(f"{name} must be a representation of {G.name}, got {r!r}")
        offsets = np.cumsum([0] + [G.irrep(*j).size * m for j, m in filters.js])
        o_off = np.cumsum([0] + [p.size for p in out_repr.irrep_objects])
        i_off = np.cumsum([0] + [p.size for p in in_repr.irrep_objects])
        base = filters.attributes_list()
        blocks, attrs = [], []
        for a, psi_o in enumerate(out_repr.irrep_objects):
            for b, psi_i in enumerate(in_repr.irrep_objects):
                for t, (j, m) in enumerate(filters.js):
                    psi_j = G.irrep(*j)
                    for s, W in enumerate(_intertwiners(G, psi_o, psi_i, psi_j)):
                        for i in range(m):
                            at = dict(base[offsets[t] + i * psi_j.size], in_irrep=psi_i.id, out_irrep=psi_o.id,
                                      in_irrep_idx=b, out_irrep_idx=a, s=s)
                            at.pop("m", None)
                            if filter is not None and not filter(at):
                                continue
                            blocks.append((a, b, offsets[t] + i * psi_j.size, W))
                            attrs.append(at)
        if not blocks:
            raise EmptyBasisError(f"no {G.name}-steerable kernel {in_repr.name} -> {out_repr.name} on the orbit {filters.X}")
        Wirr = np.zeros((len(blocks), out_repr.size, in_repr.size, filters.dim))
        for n, (a, b, c, W) in enumerate(blocks):
            Wirr[n, o_off[a]:o_off[a + 1], i_off[b]:i_off[b + 1], c:c + W.shape[2]] = W
        Wfull = np.einsum("pa,naim,qi->npqm", out_repr.change_of_basis, Wirr, in_repr.change_of_basis, optimize=True)
        super().__init__(len(blocks), (out_repr.size, in_repr.size))
        for n, at in enumerate(attrs):
            at["idx"] = n
        self.filters, self.in_repr, self.out_repr, self.attributes = filters, in_repr, out_repr, attrs
        self.register_buffer("coefficients", torch.from_numpy(np.ascontiguousarray(Wfull)), persistent=False)

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        Y = self.filters.sample(points)[..., 0, 0]  # (N, M)
        return self._write(torch.einsum("boim,nm->nboi", self.coefficients.to(Y), Y), out)

    def attributes_list(self) -> list[dict]:
        return self.attributes


def _ico_kernels(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                 sigma: float | Sequence[float], polyhedron: str, adjoint: np.ndarray | None = None,
                 filter: Callable[[dict], bool] | None = None) -> KernelBasis:
    G = in_repr.group if isinstance(in_repr, Representation) else None
    if not isinstance(G, Icosahedral) or not isinstance(out_repr, Representation) or out_repr.group != G:
        raise ValueError(f"in_repr and out_repr must be representations of ico_group(), got {in_repr!r} and {out_repr!r}")
    radii = [float(r) for r in radii]
    sigmas = [float(s) for s in sigma] if isinstance(sigma, (list, tuple)) else [float(sigma)] * len(radii)
    if not radii or any(r < 0 for r in radii) or len(sigmas) != len(radii):
        raise ValueError(f"radii must be non-negative, with one sigma per ring; got radii={radii!r}, sigma={sigma!r}")
    rings = []
    for r, s in zip(radii, sigmas):
        at = {"radius": r}
        if abs(r) < 1e-7:  # the origin: fixed by all of G
            filters: SparseOrbitBasis = SparseOrbitBasis(G.homspace("self"), G.standard_representation(), np.zeros(3), s,
                                                         attributes=at)
        else:
            filters = SparseOrbitBasisWithIcosahedralSymmetry(G.homspace((False, ICO_ORBITS[polyhedron])), s,
                                                              change_of_basis=np.eye(3) * r, attributes=at)
        try:
            rings.append(OrbitKernelBasis(filters, in_repr, out_repr, filter))
        except EmptyBasisError:
            continue
    if not rings:
        raise EmptyBasisError(f"no icosahedral kernel {in_repr.name} -> {out_repr.name} on the {polyhedron} rings {radii}")
    basis: KernelBasis = rings[0] if len(rings) == 1 else UnionBasis(rings)
    return basis if adjoint is None else AdjointBasis(basis, adjoint)


def kernels_aliased_Ico_act_R3_icosahedron(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                                           sigma: float | Sequence[float], adjoint: np.ndarray | None = None) -> KernelBasis:
    """Icosahedral kernels on the 12 vertices of an icosahedron per ring (and the origin for radius 0)."""
    return _ico_kernels(in_repr, out_repr, radii, sigma, "icosahedron", adjoint)


def kernels_aliased_Ico_act_R3_dodecahedron(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                                            sigma: float | Sequence[float], adjoint: np.ndarray | None = None) -> KernelBasis:
    """Icosahedral kernels on the 20 vertices of a dodecahedron per ring (and the origin for radius 0)."""
    return _ico_kernels(in_repr, out_repr, radii, sigma, "dodecahedron", adjoint)


def kernels_aliased_Ico_act_R3_icosidodecahedron(in_repr: Representation, out_repr: Representation, radii: Sequence[float],
                                                 sigma: float | Sequence[float],
                                                 adjoint: np.ndarray | None = None) -> KernelBasis:
    """Icosahedral kernels on the 30 vertices of an icosidodecahedron per ring (and the origin for radius 0)."""
    return _ico_kernels(in_repr, out_repr, radii, sigma, "icosidodecahedron", adjoint)


class _GridNormalised(KernelBasis):
    """``basis`` with each element scaled to unit norm on ``grid`` and the vanishing ones dropped."""

    def __init__(self, basis: KernelBasis, grid: torch.Tensor) -> None:
        K = basis.sample(grid)  # (P, n, o, i)
        norms = K.pow(2).sum(dim=(0, 2, 3)).sqrt()
        keep = torch.nonzero(norms > 1e-6 * norms.max()).flatten()
        super().__init__(len(keep), basis.shape)
        self.basis = basis
        self.register_buffer("keep", keep, persistent=False)
        self.register_buffer("scale", 1.0 / norms[keep], persistent=False)
        self._attrs = [dict(basis.attributes_list()[int(k)], idx=n) for n, k in enumerate(keep)]

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        K = self.basis.sample(points)[:, self.keep.to(points.device)]
        return self._write(K * self.scale.to(K)[:, None, None], out)

    def attributes_list(self) -> list[dict]:
        return self._attrs


class OrbitConvBasis(ConvBasis):
    """A :class:`~steerable.kernels.ConvBasis` of icosahedral orbit kernels on a voxel grid
    (what :class:`~steerable.nn.R3IcoConv` expands its filters in).

    Args:
        gspace: a gspace whose fibre group is ``ico_group()`` acting on ``R^3``.
        kernel_size: the grid, ``kernel_size^3`` voxels.
        samples: ``'ico'`` (12 icosahedron vertices), ``'dodeca'`` (20 dodecahedron vertices) or
            ``'icosidodeca'`` (30 icosidodecahedron vertices) on each ring.
        rings, sigma: ring radii and widths (default: steerable's 3D rings, :meth:`RingSpec.default`).
        filter: optional predicate on an element's attributes (``basis_filter=``).

    Every element is normalised on the grid and the ones that vanish there are dropped.
    """

    SAMPLES = {"ico": "icosahedron", "dodeca": "dodecahedron", "icosidodeca": "icosidodecahedron"}

    def __init__(self, gspace: GSpace, kernel_size: int, samples: str = "ico", rings: Sequence[float] | None = None,
                 sigma: float | Sequence[float] | None = None, filter: Callable[[dict], bool] | None = None) -> None:
        super().__init__(gspace, kernel_size)
        if not isinstance(gspace.fibergroup, Icosahedral) or gspace.dimensionality != 3:
            raise ValueError(f"orbit kernels need the icosahedral group acting on R^3, got {gspace.name}")
        if samples not in self.SAMPLES:
            raise ValueError(f"samples must be one of {sorted(self.SAMPLES)}, got {samples!r}")
        spec = RingSpec.default(kernel_size, 3, rings, sigma, None, None)
        self.samples, self.radii, self.sigmas, self.filter = samples, spec.radii, spec.sigmas, filter

    def build_pair(self, in_repr: Representation, out_repr: Representation) -> KernelBasis:
        basis = _ico_kernels(in_repr, out_repr, self.radii, list(self.sigmas), self.SAMPLES[self.samples], filter=self.filter)
        return _GridNormalised(basis, self.points())

    def __repr__(self) -> str:
        return f"OrbitConvBasis({self.gspace.name}, kernel_size={self.kernel_size}, samples={self.samples!r}, rings={self.radii})"

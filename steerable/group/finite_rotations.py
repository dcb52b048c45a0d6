"""Finite subgroups of SO(3) given by rotation matrices: tetrahedral, octahedral, icosahedral.

Elements are indices into a closed list of rotations (the identity first).  The irreps are
computed once, numerically and exactly up to round-off, from the regular representation
``P``: a random symmetric ``S`` averaged over the group, ``M = 1/|G| sum_g P(g) S P(g)^T``,
commutes with ``P``; generically each eigenspace of ``M`` is one irreducible subspace ``U``,
and ``psi(g) = U^T P(g) U`` is an orthogonal irrep.  Equivalent subspaces are merged by
their characters.  Irreps are ordered by the lowest degree ``l`` of the SO(3) Wigner matrix
whose restriction contains them (stored as ``attributes['frequency']``), then by dimension.

Example:
    >>> from steerable.group import octahedral_group
    >>> G = octahedral_group()
    >>> G.order(), [psi.size for psi in G.irreps()]
    (24, [1, 3, 2, 3, 1])
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Hashable

import numpy as np

from . import so3_math as M
from .decompose import intertwiner_basis
from .compact import CompactGroup
from .group import GroupElement, SubgroupTriple
from .planar import cyclic_group

__all__ = ["FiniteRotationGroup", "Octahedral", "Icosahedral",
           "tetrahedral_group", "octahedral_group", "icosahedral_group", "octa_group", "ico_group"]

_PHI = (1 + math.sqrt(5)) / 2


def _close(generators: list[np.ndarray], limit: int = 200) -> list[np.ndarray]:
    """All products of the generators (breadth first), identity first."""
    elems = [np.eye(3)]
    keys = {_key(elems[0])}
    frontier = list(elems)
    while frontier:
        new = []
        for a in frontier:
            for b in generators:
                c = a @ b
                k = _key(c)
                if k not in keys:
                    keys.add(k)
                    elems.append(c)
                    new.append(c)
        frontier = new
        if len(elems) > limit:
            raise ValueError("the generators do not generate a finite group of at most 200 rotations")
    return elems


def _key(R: np.ndarray) -> tuple:
    return tuple(np.round(R, 6).ravel().tolist())


class FiniteRotationGroup(CompactGroup):
    """A finite group of rotations of R^3; element value is an index into ``matrices``."""

    parametrisations = ("int", "Q", "MAT")

    def __init__(self, name: str, generators: list[np.ndarray], seed: int = 0) -> None:
        super().__init__(name)
        mats = _close([np.asarray(g, dtype=np.float64) for g in generators])
        self.matrices = np.stack(mats)
        self._index = {_key(R): i for i, R in enumerate(mats)}
        n = len(mats)
        self.table = np.array([[self._index[_key(a @ b)] for b in mats] for a in mats])
        self.inv = np.array([int(np.argmax(self.table[i] == 0)) for i in range(n)])
        self._seed = seed

    def __reduce__(self):
        key = {"Tetrahedral": tetrahedral_group, "Octahedral": octahedral_group, "Icosahedral": icosahedral_group}
        if self.name in key:
            return key[self.name], ()
        return FiniteRotationGroup, (self.name, list(self.matrices), self._seed)

    # ------------------------------------------------------------------ elements
    @property
    def elements(self) -> list[GroupElement]:
        return [GroupElement(self, i) for i in range(len(self.matrices))]

    @cached_property
    def _generator_indices(self) -> list[int]:
        """A small generating set, found greedily (the largest subgroup grows fastest)."""
        chosen: list[int] = []
        span = {0}
        while len(span) < len(self.matrices):
            best, best_span = None, span
            for i in range(len(self.matrices)):
                s = self._span(chosen + [i])
                if len(s) > len(best_span):
                    best, best_span = i, s
            chosen.append(best)
            span = best_span
        return chosen

    def _span(self, gens: list[int]) -> set[int]:
        span, frontier = {0}, [0]
        while frontier:
            new = []
            for a in frontier:
                for b in gens:
                    c = int(self.table[a, b])
                    if c not in span:
                        span.add(c)
                        new.append(c)
            frontier = new
        return span

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, i) for i in self._generator_indices]

    def standard_matrix(self, g: GroupElement) -> np.ndarray:
        self._check_element(g)
        return self.matrices[g.value].copy()

    def standard_representation(self):
        """The action on R^3 by the rotation matrices themselves (an irrep; escnn's method)."""
        for k, (mats, _, _) in enumerate(self._irrep_tables):
            if mats.shape[1] == 3 and np.array_equal(mats, self.matrices):
                return self.irrep(self._labels()[k])
        raise ValueError(f"the rotations of {self.name} do not form an irrep")  # pragma: no cover - they do

    def _identity_value(self) -> int:
        return 0

    def _combine(self, a: int, b: int) -> int:
        return int(self.table[a, b])

    def _inverse(self, a: int) -> int:
        return int(self.inv[a])

    def _canonical(self, a: Any) -> int:
        a = int(a)
        if not 0 <= a < len(self.matrices):
            raise ValueError(f"{self.name} has elements 0..{len(self.matrices) - 1}, got {a}")
        return a

    def _equal(self, a: int, b: int) -> bool:
        return a == b

    def _hash_key(self, a: int) -> Hashable:
        return a

    def _from_param(self, value: Any, param: str) -> int:
        if param == "int":
            return int(value)
        R = M.quat_to_matrix(np.asarray(value, dtype=np.float64)) if param == "Q" else np.asarray(value, dtype=np.float64)
        k = _key(R)
        if k not in self._index:
            raise ValueError(f"the rotation {np.round(R, 4).tolist()} is not an element of {self.name}")
        return self._index[k]

    def _to_param(self, value: int, param: str) -> Any:
        if param == "int":
            return value
        if param == "MAT":
            return self.matrices[value].copy()
        if param == "Q":
            return M.matrix_to_quat(self.matrices[value])
        raise ValueError(f"{self.name} has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> int:
        return int(rng.integers(len(self.matrices)))

    # ------------------------------------------------------------------ irreps
    @cached_property
    def _irrep_tables(self) -> list[tuple[np.ndarray, int, np.ndarray]]:
        """``[(matrices (n, d, d), frequency, endomorphism basis)]`` in canonical order."""
        n = len(self.matrices)
        # P(g) e_h = e_{gh}, so (P(g) X)[i] = X[g^-1 i]: index arrays instead of n^3 matrices
        ix = self.table[self.inv]  # ix[g, i] = g^-1 i
        for attempt in range(10):
            rng = np.random.default_rng(self._seed + attempt)
            S = rng.standard_normal((n, n))
            S = S + S.T
            Mavg = sum(S[np.ix_(ix[g], ix[g])] for g in range(n)) / n
            w, v = np.linalg.eigh((Mavg + Mavg.T) / 2)
            clusters, start = [], 0
            for i in range(1, n + 1):
                if i == n or w[i] - w[i - 1] > 1e-7 * max(1.0, abs(w[-1])):
                    clusters.append(v[:, start:i])
                    start = i
            found: list[tuple[np.ndarray, np.ndarray]] = []
            ok = True
            for U in clusters:
                mats = np.einsum("ia,gib->gab", U, U[ix])
                chi = np.trace(mats, axis1=1, axis2=2)
                e = chi @ chi / n
                if abs(e - round(e)) > 1e-6 or round(e) not in (1, 2, 4) or (U.shape[1] * U.shape[1]) % round(e):
                    ok = False
                    break
                if not any(np.allclose(chi, c, atol=1e-6) for _, c in found):
                    found.append((mats, chi))
            if ok and sum(m.shape[1] ** 2 / round(c @ c / n) for m, c in found) == n:
                break
        else:  # pragma: no cover - needs 10 unlucky random draws
            raise RuntimeError(f"could not split the regular representation of {self.name} into irreps")
        out = []
        standard = np.trace(self.matrices, axis1=1, axis2=2)
        for mats, chi in found:
            if np.allclose(chi, standard, atol=1e-6):
                # the action on R^3 is this irrep: use the rotation matrices themselves (as escnn),
                # so a field of this type holds (x, y, z) components
                mats = self.matrices.copy()
            out.append((mats, self._lowest_degree(chi), self._endomorphisms(mats)))
        out.sort(key=lambda t: (t[1], t[0].shape[1], -float(np.trace(t[0][self._generator_indices[0]]))))
        return out

    def _lowest_degree(self, chi: np.ndarray) -> int:
        for l in range(0, 13):
            chi_l = np.trace(M.wigner_D(l, self.matrices), axis1=1, axis2=2)
            if abs(chi_l @ chi) / len(chi) > 0.5:
                return l
        return 13

    def _endomorphisms(self, mats: np.ndarray) -> np.ndarray:
        E = intertwiner_basis([(mats[i], mats[i]) for i in self._generator_indices])
        d = mats.shape[1]
        E = E * np.sqrt(d)  # Frobenius inner product / d = delta
        if E.shape[0] == 1 and np.trace(E[0]) < 0:
            E = -E
        return E

    #: escnn's irrep ids, in the order of the irrep tables (``None``: ids ``0, 1, 2, ...``)
    _irrep_labels: tuple[int, ...] | None = None

    def _labels(self) -> tuple[int, ...]:
        return self._irrep_labels or tuple(range(len(self._irrep_tables)))

    def _table_index(self, id: tuple) -> int:
        labels = self._labels()
        if len(id) != 1 or id[0] not in labels:
            raise ValueError(f"{self.name} has irreps {[(k,) for k in labels]}, got {id}")
        return labels.index(id[0])

    def _irrep_ids(self) -> list[tuple]:
        return [(k,) for k in self._labels()]

    def _irrep_sort_key(self, id: tuple) -> tuple:
        return (self._table_index(id),)

    def _trivial_id(self) -> tuple:
        return (0,)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        mats, freq, E = self._irrep_tables[self._table_index(id)]
        e = E.shape[0]
        return dict(size=mats.shape[1], type={1: "R", 2: "C", 4: "H"}[e], attributes={"frequency": freq},
                    endomorphism_basis=E)

    def _irrep_matrix(self, id: tuple, value: int) -> np.ndarray:
        return self._irrep_tables[self._table_index(id)][0][value].copy()

    def _irrep_matrices(self, id: tuple, values: Any) -> np.ndarray:
        return self._irrep_tables[self._table_index(id)][0][np.asarray(values, dtype=np.int64)].copy()

    @property
    def subgroup_self_id(self) -> str:
        return "self"

    @property
    def subgroup_trivial_id(self) -> str:
        return "trivial"

    #: the rotation axis of the cyclic subgroup ``(False, N)``, one per order ``N`` the group has
    _cyclic_axes: dict[int, tuple[float, float, float]] = {}

    def cyclic_subgroup_elements(self, N: int) -> list[int]:
        """Indices of the rotations by ``2 pi k / N`` (``k = 0..N-1``, in order) about the axis
        :attr:`_cyclic_axes` ``[N]``: the stabiliser of a point on that axis."""
        if N not in self._cyclic_axes:
            raise ValueError(f"{self.name} has cyclic subgroups (False, N) for N in {sorted(self._cyclic_axes)}; got N={N!r}")
        axis = np.asarray(self._cyclic_axes[N], dtype=np.float64)
        return [self._index[_key(M.axis_angle_to_matrix(axis, 2 * math.pi * k / N))] for k in range(N)]

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        if id in ("self", (self.name,)):
            return self, (lambda h: h), (lambda g: g)
        if id == "trivial":
            H = cyclic_group(1)
            return H, (lambda h: self.identity), (lambda g: H.identity if g == self.identity else None)
        if isinstance(id, tuple) and len(id) == 2 and id[0] is False and isinstance(id[1], (int, np.integer)):
            N = int(id[1])
            if N == 1:
                return self._subgroup("trivial")
            idx = self.cyclic_subgroup_elements(N)
            C = cyclic_group(N)
            position = {v: k for k, v in enumerate(idx)}
            return (C, (lambda h: GroupElement(self, idx[int(h.value) % N])),
                    (lambda g: C.element(position[g.value]) if g.value in position else None))
        raise ValueError(f"subgroups of {self.name}: 'self', 'trivial' or (False, N) (rotations about a "
                         f"symmetry axis, N in {sorted(self._cyclic_axes)}); got {id!r}")


def tetrahedral_group() -> FiniteRotationGroup:
    """The 12 rotations of the regular tetrahedron (``T ~ A_4``)."""
    gens = [M.axis_angle_to_matrix(np.array([1.0, 1.0, 1.0]), 2 * math.pi / 3), np.diag([-1.0, -1.0, 1.0])]
    G = FiniteRotationGroup("Tetrahedral", gens)
    G._cyclic_axes = {2: (0.0, 0.0, 1.0), 3: (1.0, 1.0, 1.0)}
    return G


class Octahedral(FiniteRotationGroup):
    """The 24 rotations of the cube (``O ~ S_4``), generated by the quarter turns about z and x:
    exact on voxel grids (escnn's ``Octahedral``).

    Irrep ids are escnn's: ``(0,)`` trivial, ``(1,)`` the rotation matrices (``T_1``), ``(2,)`` the
    2-dimensional ``E``, ``(-1,)`` the other 3-dimensional one (``T_2``, in ``D^2``), ``(3,)`` the sign.
    """

    _irrep_labels = (0, 1, 2, -1, 3)
    # a face (z), a vertex (1, 1, 1) and an edge (1, 1, 0) axis of the cube
    _cyclic_axes = {2: (1.0, 1.0, 0.0), 3: (1.0, 1.0, 1.0), 4: (0.0, 0.0, 1.0)}

    def __init__(self) -> None:
        gens = [np.round(M.axis_angle_to_matrix(np.array([0.0, 0.0, 1.0]), math.pi / 2)),
                np.round(M.axis_angle_to_matrix(np.array([1.0, 0.0, 0.0]), math.pi / 2))]
        super().__init__("Octahedral", gens)

    def __reduce__(self):
        return Octahedral, ()


class Icosahedral(FiniteRotationGroup):
    """The 60 rotations of the icosahedron (``I ~ A_5``) with vertices at ``(0, +-1, +-phi)`` and
    cyclic permutations (escnn's ``Icosahedral``).

    Cyclic subgroups ``(False, N)``: ``N = 5`` about the vertex ``(0, 1, phi)``, ``N = 3`` about the
    face centre ``(1, 1, 1)``, ``N = 2`` about the edge midpoint ``(0, 0, 1)``."""

    _cyclic_axes = {2: (0.0, 0.0, 1.0), 3: (1.0, 1.0, 1.0), 5: (0.0, 1.0, _PHI)}

    def __init__(self) -> None:
        gens = [M.axis_angle_to_matrix(np.array([0.0, 1.0, _PHI]), 2 * math.pi / 5),
                M.axis_angle_to_matrix(np.array([1.0, 1.0, 1.0]), 2 * math.pi / 3)]
        super().__init__("Icosahedral", gens)

    def __reduce__(self):
        return Icosahedral, ()


def octahedral_group() -> Octahedral:
    """The 24 rotations of the cube (``O ~ S_4``): exact on voxel grids."""
    return Octahedral()


def icosahedral_group() -> Icosahedral:
    """The 60 rotations of the icosahedron (``I ~ A_5``)."""
    return Icosahedral()


def octa_group() -> Octahedral:
    """escnn's name of :func:`octahedral_group`: the 24 rotations of the cube."""
    return octahedral_group()


def ico_group() -> Icosahedral:
    """escnn's name of :func:`icosahedral_group`: the 60 rotations of the icosahedron."""
    return icosahedral_group()

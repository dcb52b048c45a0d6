"""Direct products ``G = G1 x G2`` of compact groups, and the named products escnn offers.

An element is a pair ``(g1, g2)``, stored as the pair of the factors' canonical values, and
``(g1, g2)(h1, h2) = (g1 h1, g2 h2)``.  Every real irrep of ``G`` is a constituent of an outer
tensor product ``psi1 (x) psi2``, ``(psi1 (x) psi2)(g1, g2) = kron(psi1(g1), psi2(g2))``:

* if one factor is of real type, ``psi1 (x) psi2`` is irreducible, of the other factor's type;
* if both are of complex type with complex structures ``J1, J2`` (``J^2 = -I``), the
  symmetric involution ``K = kron(J1, J2)`` commutes with ``psi1 (x) psi2`` and its ``+1`` /
  ``-1`` eigenspaces are two inequivalent irreps of complex type (ids ``i = 0, 1``).

Irrep ids are ``(id1, id2, i)`` as in escnn.  Tensor products of irreps of ``G`` decompose in
closed form from the factors' Clebsch-Gordan decompositions when the pieces are of the first
kind.  Subgroups are products ``H1 x H2`` with id ``(id1, id2)``; a trivial factor collapses
(``(G1 self, G2 trivial)`` is ``G1`` itself).

The named products put the inversion ``C_2 = {I, -I}`` of ``R^3`` first, as escnn:
``full_octa_group() = C2 x O`` (``O_h``, 48 elements), ``full_ico_group() = C2 x I`` (``I_h``,
120), ``cylinder_group() = C2 x SO(2)``, ``full_cylinder_group() = C2 x O(2)`` and their
discrete versions with ``C_n`` / ``D_n``.

Example:
    >>> from steerable.group import full_octa_group
    >>> G = full_octa_group()
    >>> G.order(), [G.irrep(*id).size for id in G.regular_representation.irreps][:3]
    (48, [1, 3, 3])
"""
from __future__ import annotations

import itertools
from typing import Any, Hashable

import numpy as np

from .clebsch_gordan import decompose_irreps_tensor
from .compact import CompactGroup
from .constructions import _kron_block_permutation
from .finite_rotations import icosahedral_group, octahedral_group, tetrahedral_group
from .group import Group, GroupElement, SubgroupTriple
from .planar import cyclic_group, dihedral_group, o2_group, so2_group

__all__ = [
    "DirectProductGroup", "direct_product", "DoubleGroup", "double_group", "full_octa_group", "full_ico_group", "full_tetra_group",
    "cylinder_group", "full_cylinder_group", "cylinder_discrete_group", "full_cylinder_discrete_group",
]


class DirectProductGroup(CompactGroup):
    """The direct product ``G1 x G2`` of two groups (escnn's ``DirectProductGroup``).

    Args:
        G1, G2: the factors (instances of :class:`~steerable.group.Group`).
        name: the group's name (default ``"G1 X G2"``); two products are equal when their
            factors and names are.

    Elements are built from pairs of the factors' canonical values, ``G.element((v1, v2))``,
    or from factor elements with :meth:`pair_elements`.

    Example:
        >>> from steerable.group import cyclic_group, dihedral_group, direct_product
        >>> G = direct_product(cyclic_group(3), dihedral_group(2))
        >>> G.order(), G.irrep((1,), (1, 0)).size
        (12, 2)
    """

    def __init__(self, G1: Group, G2: Group, name: str | None = None) -> None:
        for k, G in (("G1", G1), ("G2", G2)):
            if not isinstance(G, Group):
                raise TypeError(f"{k} must be a Group, got {type(G).__name__}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        maxfreq = max((G.maxfreq for G in (G1, G2) if G.maxfreq is not None), default=None)
        super().__init__(name or f"{G1.name} X {G2.name}", maxfreq)
        self.G1, self.G2 = G1, G2
        self.continuous = G1.continuous or G2.continuous
        self.parametrisations = (f"[{G1.PARAM} | {G2.PARAM}]",)
        self.grid_kinds = ("regular",)

    def __reduce__(self):
        return DirectProductGroup, (self.G1, self.G2, self.name)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DirectProductGroup) and other.name == self.name
                and other.G1 == self.G1 and other.G2 == self.G2)

    def __hash__(self) -> int:
        return hash(("product", self.name))

    # ------------------------------------------------------------------ elements
    def pair_elements(self, g1: GroupElement, g2: GroupElement) -> GroupElement:
        """The element ``(g1, g2)`` of ``G1 x G2``."""
        self.G1._check_element(g1)
        self.G2._check_element(g2)
        return GroupElement(self, (g1.value, g2.value))

    def split_element(self, g: GroupElement) -> tuple[GroupElement, GroupElement]:
        """``(g1, g2)`` for ``g = (g1, g2)``."""
        self._check_element(g)
        return GroupElement(self.G1, g.value[0]), GroupElement(self.G2, g.value[1])

    def inclusion1(self, g1: GroupElement) -> GroupElement:
        """``g1 -> (g1, e)``."""
        return self.pair_elements(g1, self.G2.identity)

    def inclusion2(self, g2: GroupElement) -> GroupElement:
        """``g2 -> (e, g2)``."""
        return self.pair_elements(self.G1.identity, g2)

    @property
    def elements(self) -> list[GroupElement] | None:
        if self.continuous:
            return None
        return [self.pair_elements(a, b) for a in self.G1.elements for b in self.G2.elements]

    @property
    def generators(self) -> list[GroupElement]:
        return [self.inclusion1(g) for g in self.G1.generators] + [self.inclusion2(g) for g in self.G2.generators]

    def grid(self, kind: str = "regular", N: int | None = None, **kwargs: Any) -> list[GroupElement]:
        """All elements of a finite product; otherwise pairs of the factors' grids of that kind
        (a finite factor contributes all its elements)."""
        if not self.continuous:
            return super().grid(kind, N, **kwargs)

        def factor_grid(G: Group) -> list[GroupElement]:
            return G.elements if not G.continuous else G.grid(kind, N, **kwargs)

        return [self.pair_elements(a, b) for a in factor_grid(self.G1) for b in factor_grid(self.G2)]

    def testing_elements(self) -> list[GroupElement]:
        """Pairs of the factors' testing elements."""
        return [self.pair_elements(a, b) for a in self.G1.testing_elements() for b in self.G2.testing_elements()]

    def _identity_value(self) -> tuple:
        return (self.G1._identity_value(), self.G2._identity_value())

    def _combine(self, a: tuple, b: tuple) -> tuple:
        return (self.G1._combine(a[0], b[0]), self.G2._combine(a[1], b[1]))

    def _inverse(self, a: tuple) -> tuple:
        return (self.G1._inverse(a[0]), self.G2._inverse(a[1]))

    def _canonical(self, a: Any) -> tuple:
        if not isinstance(a, (tuple, list)) or len(a) != 2:
            raise ValueError(f"an element of {self.name} is a pair (g1, g2), got {a!r}")
        return (self.G1._canonical(a[0]), self.G2._canonical(a[1]))

    def _equal(self, a: tuple, b: tuple) -> bool:
        return self.G1._equal(a[0], b[0]) and self.G2._equal(a[1], b[1])

    def _hash_key(self, a: tuple) -> Hashable:
        return (self.G1._hash_key(a[0]), self.G2._hash_key(a[1]))

    def _from_param(self, value: Any, param: str) -> tuple:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise ValueError(f"an element of {self.name} is a pair (g1, g2), got {value!r}")
        return (self.G1._from_param(value[0], self.G1.PARAM), self.G2._from_param(value[1], self.G2.PARAM))

    def _to_param(self, value: tuple, param: str) -> Any:
        if param not in self.parametrisations:
            raise ValueError(f"{self.name} has no parametrisation {param!r}; expected one of {self.parametrisations}")
        return (self.G1._to_param(value[0], self.G1.PARAM), self.G2._to_param(value[1], self.G2.PARAM))

    def _sample_value(self, rng: np.random.Generator) -> tuple:
        return (self.G1._sample_value(rng), self.G2._sample_value(rng))

    def _repr_value(self, value: tuple) -> str:
        return f"({self.G1._repr_value(value[0])}, {self.G2._repr_value(value[1])})"

    # ------------------------------------------------------------------ irreps
    def _normalise_irrep_id(self, id: tuple) -> tuple:
        if len(id) == 1 and isinstance(id[0], tuple):
            id = id[0]
        if len(id) not in (2, 3):
            raise ValueError(f"irrep ids of {self.name} are (id1, id2) or (id1, id2, i), got {id!r}")
        a = self.G1._normalise_irrep_id(id[0] if isinstance(id[0], tuple) else (id[0],))
        b = self.G2._normalise_irrep_id(id[1] if isinstance(id[1], tuple) else (id[1],))
        i = id[2] if len(id) == 3 else 0
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise ValueError(f"the third entry of an irrep id of {self.name} is an integer, got {i!r}")
        return (a, b, int(i))

    def _split_count(self, a: tuple, b: tuple) -> int:
        """How many irreps ``psi_a (x) psi_b`` holds (1, or 2 for two complex-type factors)."""
        ta, tb = self.G1.irrep(*a).type, self.G2.irrep(*b).type
        if "R" in (ta, tb):
            return 1
        if ta == tb == "C":
            return 2
        raise ValueError(
            f"{self.name}: outer products of irreps of types {ta} and {tb} are not supported "
            "(one factor must be of real type, or both of complex type)"
        )

    def _product_ids(self, ids1: list[tuple], ids2: list[tuple]) -> list[tuple]:
        return [(a, b, i) for a in ids1 for b in ids2 for i in range(self._split_count(a, b))]

    def _irrep_ids(self) -> list[tuple]:
        return self._product_ids(self.G1._irrep_ids(), self.G2._irrep_ids())

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return self._product_ids(self.G1.bl_irreps(L), self.G2.bl_irreps(L))

    def bl_irreps(self, L: int) -> list[tuple]:
        """Pairs of the factors' irreps of frequency ``<= L``."""
        if isinstance(L, bool) or not isinstance(L, int) or L < 0:
            raise ValueError(f"band limit L must be an integer >= 0, got {L!r}")
        return self._irrep_ids_up_to(L)

    def _trivial_id(self) -> tuple:
        return (self.G1._trivial_id(), self.G2._trivial_id(), 0)

    def _irrep_sort_key(self, id: tuple) -> tuple:
        return (self.G1._irrep_sort_key(id[0]), self.G2._irrep_sort_key(id[1]), id[2])

    def _split_basis(self, a: tuple, b: tuple, i: int) -> np.ndarray | None:
        """Orthonormal basis ``U`` of the ``i``-th irreducible piece of ``psi_a (x) psi_b``
        (``None``: the product is irreducible); cached on the instance."""
        if self._split_count(a, b) == 1:
            if i != 0:
                raise ValueError(f"{self.name} has no irrep {(a, b, i)}: psi_{a} (x) psi_{b} is irreducible")
            return None
        if i not in (0, 1):
            raise ValueError(f"{self.name} irrep ids (a, b, i) with two complex factors have i in {{0, 1}}, got {i}")
        key = ("product_split", a, b)
        if key not in self._cache:
            J1 = self.G1.irrep(*a).endomorphism_basis()[1]
            J2 = self.G2.irrep(*b).endomorphism_basis()[1]
            w, v = np.linalg.eigh(np.kron(J1, J2))  # symmetric involution: eigenvalues -1, +1
            n = len(w) // 2
            self._cache[key] = (v[:, n:], v[:, :n])  # +1 eigenspace first
        return self._cache[key][i]

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        a, b, i = id
        psi1, psi2 = self.G1.irrep(*a), self.G2.irrep(*b)  # ValueError for unknown factor ids
        U = self._split_basis(a, b, i)
        E1, E2 = psi1.endomorphism_basis(), psi2.endomorphism_basis()
        if U is None:
            if psi1.type == "R":
                E, t = np.stack([np.kron(E1[0], e) for e in E2]), psi2.type
            else:
                E, t = np.stack([np.kron(e, E2[0]) for e in E1]), psi1.type
        else:
            I2 = np.eye(psi2.size)
            E, t = np.stack([U.T @ np.kron(e, I2) @ U for e in E1]), "C"
        f1, f2 = psi1.attributes.get("frequency", 0), psi2.attributes.get("frequency", 0)
        attrs = {"frequency": max(f1, f2), "irrep1": a, "irrep2": b}
        return dict(size=E.shape[1], type=t, attributes=attrs, endomorphism_basis=E)

    def _irrep_matrix(self, id: tuple, value: tuple) -> np.ndarray:
        return self._irrep_matrices(id, [value])[0]

    def _irrep_matrices(self, id: tuple, values: Any) -> np.ndarray:
        a, b, i = id
        A = self.G1._irrep_matrices(a, [v[0] for v in values])
        B = self.G2._irrep_matrices(b, [v[1] for v in values])
        n = len(values)
        K = np.einsum("nij,nkl->nikjl", A, B).reshape(n, A.shape[1] * B.shape[1], -1)
        U = self._split_basis(a, b, i)
        return K if U is None else U.T @ K @ U

    def _closed_form_tensor(self, id_a: tuple, id_b: tuple) -> tuple[list[tuple], np.ndarray] | None:
        """``psi_(a1,a2) (x) psi_(b1,b2)``: the factors' decompositions, reordered.

        ``kron(A1 (x) A2, B1 (x) B2) = P kron(A1 (x) B1, A2 (x) B2) P^T`` with the permutation
        ``P`` swapping the middle tensor factors; then ``Q1 (x) Q2`` splits it into pieces
        ``psi_J1 (x) psi_J2``.  Only when no piece needs a further split (and no input is one)."""
        from_split = id_a[2] or id_b[2] or self._split_count(id_a[0], id_a[1]) > 1 or self._split_count(id_b[0], id_b[1]) > 1
        if from_split:
            return None
        ir1, Q1 = decompose_irreps_tensor(self.G1.irrep(*id_a[0]), self.G1.irrep(*id_b[0]))
        ir2, Q2 = decompose_irreps_tensor(self.G2.irrep(*id_a[1]), self.G2.irrep(*id_b[1]))
        if any(self._split_count(p.id, q.id) > 1 for p in ir1 for q in ir2):
            return None
        da1, da2 = self.G1.irrep(*id_a[0]).size, self.G2.irrep(*id_a[1]).size
        db1, db2 = self.G1.irrep(*id_b[0]).size, self.G2.irrep(*id_b[1]).size
        # index (x1, x2, y1, y2) of kron(a, b) <- (x1, y1, x2, y2) of kron(a1 b1, a2 b2)
        P = np.zeros((da1 * da2 * db1 * db2,) * 2)
        for x1, x2, y1, y2 in itertools.product(range(da1), range(da2), range(db1), range(db2)):
            P[((x1 * da2 + x2) * db1 + y1) * db2 + y2, ((x1 * db1 + y1) * da2 + x2) * db2 + y2] = 1.0
        # kron(Q1 D1 Q1^T, Q2 D2 Q2^T) = (Q1 x Q2) kron(D1, D2) (...)^T and kron(D1, D2) is a block
        # permutation of the pairwise krons
        s1, s2 = [p.size for p in ir1], [q.size for q in ir2]
        B = _kron_block_permutation(s1, s2)
        ids = [(p.id, q.id, 0) for p in ir1 for q in ir2]
        Q = P @ np.kron(Q1, Q2) @ B
        order = sorted(range(len(ids)), key=lambda k: self._irrep_sort_key(ids[k]))
        sizes = [p * q for p in s1 for q in s2]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        cols = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in order])
        return [ids[k] for k in order], Q[:, cols]

    # ------------------------------------------------------------------ Lie algebra (continuous factors)
    def _lie_algebra_dim(self) -> int:
        return self.G1._lie_algebra_dim() + self.G2._lie_algebra_dim()

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        n1 = self.G1._lie_algebra_dim()
        if a < n1:
            return self.inclusion1(self.G1._lie_exp(a, t))
        return self.inclusion2(self.G2._lie_exp(a - n1, t))

    def _irrep_lie_algebra(self, id: tuple) -> list[np.ndarray]:
        a, b, i = id
        psi1, psi2 = self.G1.irrep(*a), self.G2.irrep(*b)
        I1, I2 = np.eye(psi1.size), np.eye(psi2.size)
        X = [np.kron(x, I2) for x in self.G1._irrep_lie_algebra(a)] + [np.kron(I1, y) for y in self.G2._irrep_lie_algebra(b)]
        U = self._split_basis(a, b, i)
        return X if U is None else [U.T @ x @ U for x in X]

    def _casimir(self, G: Group, id: tuple) -> float:
        X = G._irrep_lie_algebra(id)
        d = G.irrep(*id).size
        return float(-np.trace(sum(x @ x for x in X)) / d) if X else 0.0

    def _irreps_with_casimir(self, c: float) -> list:
        if self.G1.continuous and self.G2.continuous:
            pairs = [(a, b) for a in self.G1._irrep_ids() for b in self.G2._irrep_ids()
                     if abs(self._casimir(self.G1, a) + self._casimir(self.G2, b) - c) < 1e-4 * max(1.0, abs(c))]
        elif self.G1.continuous:
            pairs = [(p.id, b) for p in self.G1._irreps_with_casimir(c) for b in self.G2._irrep_ids()]
        else:
            pairs = [(a, p.id) for a in self.G1._irrep_ids() for p in self.G2._irreps_with_casimir(c)]
        return [self.irrep(a, b, i) for a, b in pairs for i in range(self._split_count(a, b))]

    # ------------------------------------------------------------------ subgroups
    @property
    def subgroup_self_id(self) -> tuple:
        return (self.G1.subgroup_self_id, self.G2.subgroup_self_id)

    @property
    def subgroup_trivial_id(self) -> tuple:
        return (self.G1.subgroup_trivial_id, self.G2.subgroup_trivial_id)

    @property
    def subgroup1_id(self) -> tuple:
        """The id of ``G1 x {e}``."""
        return (self.G1.subgroup_self_id, self.G2.subgroup_trivial_id)

    @property
    def subgroup2_id(self) -> tuple:
        """The id of ``{e} x G2``."""
        return (self.G1.subgroup_trivial_id, self.G2.subgroup_self_id)

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        """``(id1, id2)``: ``H1 x H2``; a trivial factor is dropped (escnn's convention)."""
        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"subgroup ids of {self.name} are pairs (id1, id2) of the factors' ids, got {id!r}")
        H1, i1, r1 = self.G1.subgroup(id[0])
        H2, i2, r2 = self.G2.subgroup(id[1])
        t1, t2 = _is_trivial(H1), _is_trivial(H2)
        if t1 and t2:
            H = cyclic_group(1)
            return H, (lambda h: self.identity), (lambda g: H.identity if g == self.identity else None)
        if t2:
            e2 = self.G2.identity
            return H1, (lambda h: self.pair_elements(i1(h), self.G2.identity)), (
                lambda g: r1(self.split_element(g)[0]) if self.split_element(g)[1] == e2 else None)
        if t1:
            e1 = self.G1.identity
            return H2, (lambda h: self.pair_elements(self.G1.identity, i2(h))), (
                lambda g: r2(self.split_element(g)[1]) if self.split_element(g)[0] == e1 else None)
        H = direct_product(H1, H2)

        def restr(g: GroupElement) -> GroupElement | None:
            g1, g2 = self.split_element(g)
            h1, h2 = r1(g1), r2(g2)
            return None if h1 is None or h2 is None else H.pair_elements(h1, h2)

        return H, (lambda h: self.pair_elements(*(f(x) for f, x in zip((i1, i2), H.split_element(h))))), restr


class DoubleGroup(DirectProductGroup):
    """``G x G`` (escnn's ``DoubleGroup``): a direct product that also knows its diagonal
    subgroup ``{(g, g)} ~ G``, id ``'diagonal'`` (:attr:`subgroup_diagonal_id`).

    Args:
        G: the group.
        name: the group's name (default ``"G X G"``).

    Example:
        >>> from steerable.group import cyclic_group, double_group
        >>> D = double_group(cyclic_group(3))
        >>> D.order(), D.subgroup(D.subgroup_diagonal_id)[0].name
        (9, 'C3')
    """

    def __init__(self, G: Group, name: str | None = None) -> None:
        super().__init__(G, G, name)

    def __reduce__(self):
        return DoubleGroup, (self.G1, self.name)

    @property
    def subgroup_diagonal_id(self) -> str:
        """The id of the diagonal subgroup ``{(g, g) : g in G}``."""
        return "diagonal"

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        if id != "diagonal":
            return super()._subgroup(id)

        def restr(g: GroupElement) -> GroupElement | None:
            g1, g2 = self.split_element(g)
            return g1 if g1 == g2 else None

        return self.G1, (lambda h: self.pair_elements(h, h)), restr


def double_group(G: Group, name: str | None = None) -> DoubleGroup:
    """``G x G`` with its diagonal subgroup (escnn's ``double_group``)."""
    return DoubleGroup(G, name)


def _is_trivial(G: Group) -> bool:
    return not G.continuous and G.order() == 1


def direct_product(G1: Group, G2: Group, name: str | None = None) -> DirectProductGroup:
    """The direct product ``G1 x G2`` (escnn's ``direct_product``)."""
    return DirectProductGroup(G1, G2, name)


# ---------------------------------------------------------------------- named products
def full_octa_group() -> DirectProductGroup:
    """``O_h = C_2 x O``: the 48 isometries of the cube (rotations and their compositions with
    the inversion ``-I``); exact on voxel grids."""
    return DirectProductGroup(cyclic_group(2), octahedral_group(), "FullOctahedral")


def full_ico_group() -> DirectProductGroup:
    """``I_h = C_2 x I``: the 120 isometries of the icosahedron."""
    return DirectProductGroup(cyclic_group(2), icosahedral_group(), "FullIcosahedral")


def full_tetra_group() -> DirectProductGroup:
    """``T_h = C_2 x T``: the 12 rotations of the tetrahedron and their compositions with ``-I``
    (pyritohedral symmetry; not the full isometry group ``T_d`` of the tetrahedron)."""
    return DirectProductGroup(cyclic_group(2), tetrahedral_group(), "FullTetrahedral")


def cylinder_group(maximum_frequency: int = 3) -> DirectProductGroup:
    """``C_2 x SO(2)``: rotations about the z axis and the inversion."""
    return DirectProductGroup(cyclic_group(2), so2_group(maximum_frequency), "Cylindrical")


def full_cylinder_group(maximum_frequency: int = 3) -> DirectProductGroup:
    """``C_2 x O(2)``: rotations about z, rotations by pi about a horizontal axis and the inversion."""
    return DirectProductGroup(cyclic_group(2), o2_group(maximum_frequency), "FullCylindrical")


def cylinder_discrete_group(n: int) -> DirectProductGroup:
    """``C_2 x C_n``."""
    return DirectProductGroup(cyclic_group(2), cyclic_group(_positive("n", n)), f"CylindricalDiscrete[{n}]")


def full_cylinder_discrete_group(n: int) -> DirectProductGroup:
    """``C_2 x D_n``."""
    return DirectProductGroup(cyclic_group(2), dihedral_group(_positive("n", n)), f"FullCylindricalDiscrete[{n}]")


def _positive(what: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be an integer >= 1, got {n!r}")
    return int(n)

"""The spatial groups ``SO(3)`` and ``O(3) = SO(3) x {+-I}``.

``SO(3)`` elements are canonical unit quaternions ``(x, y, z, w)``; ``O(3)`` elements are
``(i, q)`` meaning ``(-I)^i R(q)``.  Irreps are the real Wigner matrices ``D^l`` defined by
``Y_l(R x) = D^l(R) Y_l(x)`` on real spherical harmonics (so ``D^1(R) = R``), and for
``O(3)`` the parity-twisted ``psi_(j,l)(i, R) = (-1)^(i j) D^l(R)``: the vectors of R^3
carry ``(1, 1)``, pseudovectors ``(0, 1)``.

Subgroups: readable ids (``'so3'``, ``('so2',)``, ``('cn', N)``, ``('dn', N)``, ``('cyl', N)``,
``'inv'``, ``'octa'``, ``('full', 'octa')``, ``('cylinder', N)``...) and escnn's tuple ids
(``(False, -1)``, ``(True, 'octa')``, ``(True, False, N)``, ``('cone', N)``, ``'fulltetra'``, an
adjoint element last); the table is in :mod:`steerable.group.spatial_subgroups`.

Example:
    >>> from steerable.group import so3_group
    >>> G = so3_group(2)
    >>> G.irrep(2).size
    5
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Any, Hashable

import numpy as np

from . import so3_math as M
from .compact import CompactGroup
from .group import Group, GroupElement, SubgroupTriple
from .spatial_subgroups import normalise_spatial_id, restricted_lie_generator_axes, spatial_subgroup

__all__ = ["SO3", "O3", "so3_group", "o3_group"]

_GENERIC = (
    M.matrix_to_quat(M.axis_angle_to_matrix(np.array([1.0, 2.0, 3.0]), 1.0)),
    M.matrix_to_quat(M.axis_angle_to_matrix(np.array([-2.0, 1.0, 0.5]), math.sqrt(2.0))),
)
_AXES = np.eye(3)


@lru_cache(maxsize=None)
def _wigner_lie_algebra(l: int) -> tuple[np.ndarray, ...]:
    """``d D^l(X_a)`` for the rotation generators about x, y, z (Richardson differences)."""
    out = []
    for a in range(3):
        def diff(h: float) -> np.ndarray:
            Rp = M.axis_angle_to_matrix(_AXES[a], h)
            Rm = M.axis_angle_to_matrix(_AXES[a], -h)
            return (M.wigner_D(l, Rp) - M.wigner_D(l, Rm)) / (2 * h)

        X = (4 * diff(5e-4) - diff(1e-3)) / 3
        out.append((X - X.T) / 2)  # exactly antisymmetric, as the derivative of an orthogonal path
    return tuple(out)


class SO3(CompactGroup):
    """``SO(3)``: value a canonical quaternion ``(x, y, z, w)`` with ``w >= 0``."""

    parametrisations = ("Q", "MAT", "ZYZ")
    continuous = True
    grid_kinds = ("thomson", "fibonacci", "hopf", "rand", "cube")

    def __init__(self, maximum_frequency: int = 2) -> None:
        super().__init__("SO(3)", maximum_frequency)

    def __reduce__(self):
        return so3_group, (self.maxfreq,)

    def _normalise_subgroup_id(self, id: Hashable) -> Hashable:
        # cache under the canonical id: (True, 4) and ('dn', 4) are one subgroup, and (1, 4) is no id
        return normalise_spatial_id(id, self)

    # rotation part / rotation test shared with O(3)
    def _rotation(self, value: np.ndarray) -> np.ndarray:
        return M.quat_to_matrix(value)

    def _is_rotation(self, value: Any) -> bool:
        return True

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, q.copy()) for q in _GENERIC]

    def standard_matrix(self, g: GroupElement) -> np.ndarray:
        """The 3x3 rotation matrix of ``g``."""
        self._check_element(g)
        return M.quat_to_matrix(g.value)

    def grid(self, kind: str = "thomson", N: int | None = None, seed: int = 0, **kw: Any) -> list[GroupElement]:
        """Grids on SO(3): ``'thomson'`` (repulsion-optimised, near uniform), ``'fibonacci'``
        (super-Fibonacci spiral), ``'hopf'`` (Hopf fibration), ``'rand'`` (seeded Haar) of about
        ``N`` elements, and ``'cube'``: the 24 rotations of the cube (exact on voxel grids)."""
        return [GroupElement(self, q) for q in _grid_quaternions(kind, N, seed)]

    def testing_elements(self) -> list[GroupElement]:
        return self.grid("cube")

    def standard_representation(self):
        """The action on R^3 (``D^1(R) = R``; ``(-1)^i R`` for O(3)): a method, as in escnn."""
        return self.irrep(*((1, 1) if isinstance(self, O3) else (1,)))

    def _identity_value(self) -> np.ndarray:
        return np.array([0.0, 0.0, 0.0, 1.0])

    def _combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return M.quat_multiply(a, b)

    def _inverse(self, a: np.ndarray) -> np.ndarray:
        return M.quat_inverse(a)

    def _canonical(self, a: Any) -> np.ndarray:
        q = np.asarray(a, dtype=np.float64).reshape(4)
        if not np.all(np.isfinite(q)):
            raise ValueError(f"an {self.name} rotation must have a finite quaternion, got {q}")
        return M.quat_canonical(q)

    def _equal(self, a: np.ndarray, b: np.ndarray) -> bool:
        return bool(min(np.abs(a - b).max(), np.abs(a + b).max()) < 1e-9)

    def _hash_key(self, a: np.ndarray) -> Hashable:
        return tuple(np.round(a * 1e7).astype(np.int64).tolist())

    def _from_param(self, value: Any, param: str) -> np.ndarray:
        if param == "Q":
            q = np.asarray(value, dtype=np.float64)
            if q.shape != (4,) or abs(np.linalg.norm(q) - 1) > 1e-6:
                raise ValueError(f"an SO(3) quaternion must be a unit vector (x, y, z, w); got {value!r}")
            return q
        if param == "MAT":
            R = np.asarray(value, dtype=np.float64)
            if R.shape != (3, 3) or np.abs(R.T @ R - np.eye(3)).max() > 1e-6 or np.linalg.det(R) < 0:
                raise ValueError(f"an SO(3) matrix must be a 3x3 rotation (R^T R = I, det 1); got {value!r}")
            return M.matrix_to_quat(R)
        return M.matrix_to_quat(M.zyz_to_matrix(*[np.asarray(v, dtype=np.float64) for v in value]))

    def _to_param(self, value: np.ndarray, param: str) -> Any:
        if param == "Q":
            return value.copy()
        if param == "MAT":
            return M.quat_to_matrix(value)
        if param == "ZYZ":
            return tuple(float(v) for v in M.matrix_to_zyz(M.quat_to_matrix(value)))
        raise ValueError(f"SO(3) has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> np.ndarray:
        return M.random_quaternions(1, rng)[0]

    def _irrep_ids(self) -> list[tuple]:
        return self._irrep_ids_up_to(self.maxfreq)

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return [(l,) for l in range(L + 1)]

    def _trivial_id(self) -> tuple:
        return (0,)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 1 or id[0] < 0:
            raise ValueError(f"SO(3) irreps are degrees l >= 0, got {id}")
        return dict(size=2 * id[0] + 1, type="R", attributes={"frequency": id[0]})

    def _irrep_matrix(self, id: tuple, value: np.ndarray) -> np.ndarray:
        return M.wigner_D_from_quat(id[0], value)

    def _irrep_matrices(self, id: tuple, values: Any) -> np.ndarray:
        return M.wigner_D_from_quat(id[0], np.stack(values))

    def _repr_value(self, value: np.ndarray) -> str:
        return np.array2string(value, precision=4)

    def _lie_algebra_dim(self) -> int:
        return 3

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        return GroupElement(self, M.matrix_to_quat(M.axis_angle_to_matrix(_AXES[a], t)))

    def _irrep_lie_algebra(self, id: tuple) -> list[np.ndarray]:
        return [x.copy() for x in _wigner_lie_algebra(id[-1])]

    def _irreps_with_casimir(self, c: float) -> list:
        return [self.irrep(_degree_of_casimir(c))]

    def _restricted_lie_algebra(self, subgroup_id: Hashable, psi) -> list[np.ndarray] | None:
        """Exact generators for the continuous subgroups (their identity components hold
        only proper rotations): SO(3) itself, or rotations about z, conjugated by the
        subgroup's adjoint element if it has one."""
        id = normalise_spatial_id(subgroup_id, self)
        axes = restricted_lie_generator_axes(id[:2])
        if not axes:
            return None
        X = self._irrep_lie_algebra(psi.id)
        if len(id) == 2:
            return [X[a] for a in axes]
        # conjugated subgroup, incl(exp tX) = c^-1 exp(tX) c: d psi = psi(c)^T d psi(X) psi(c)
        P = psi(id[2])
        return [P.T @ X[a] @ P for a in axes]

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        return spatial_subgroup(self, normalise_spatial_id(id, self))

    # the pieces the subgroup constructions need (spatial_subgroups.py)
    _has_inversion = False

    def _rotation_value(self, q: np.ndarray) -> Any:
        """The value of the rotation with quaternion ``q``."""
        return q

    def _quaternion(self, value: Any) -> np.ndarray:
        return value

    def rotation_group(self) -> "SO3":
        """``SO(3)`` (the rotations of this group)."""
        return so3_group(self.maxfreq)

    @property
    def subgroup_self_id(self) -> str:
        return "o3" if self._has_inversion else "so3"

    @property
    def subgroup_trivial_id(self) -> tuple:
        return ("cn", 1)


class O3(SO3):
    """``O(3)``: value ``(i, q)`` meaning ``(-I)^i R(q)``."""

    parametrisations = ("(int, Q)", "(int, MAT)", "(int, ZYZ)", "MAT")

    def __init__(self, maximum_frequency: int = 3) -> None:
        Group.__init__(self, "O(3)", maximum_frequency)

    def __reduce__(self):
        return o3_group, (self.maxfreq,)

    def _rotation(self, value: tuple) -> np.ndarray:
        return M.quat_to_matrix(value[1])

    def _is_rotation(self, value: tuple) -> bool:
        return value[0] == 0

    def _inversion(self) -> GroupElement:
        return GroupElement(self, (1, np.array([0.0, 0.0, 0.0, 1.0])))

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, (0, q.copy())) for q in _GENERIC] + [self._inversion()]

    def standard_matrix(self, g: GroupElement) -> np.ndarray:
        """The 3x3 orthogonal matrix ``(-1)^i R`` of ``g``."""
        self._check_element(g)
        return (-1.0) ** g.value[0] * M.quat_to_matrix(g.value[1])

    def grid(self, kind: str = "thomson", N: int | None = None, seed: int = 0, **kw: Any) -> list[GroupElement]:
        """The SO(3) grid of that kind, once as rotations and once composed with the inversion."""
        rot = _grid_quaternions(kind, N, seed)
        return [GroupElement(self, (i, q)) for i in range(2) for q in rot]

    def _identity_value(self) -> tuple:
        return (0, np.array([0.0, 0.0, 0.0, 1.0]))

    def _combine(self, a: tuple, b: tuple) -> tuple:
        return ((a[0] + b[0]) % 2, M.quat_multiply(a[1], b[1]))

    def _inverse(self, a: tuple) -> tuple:
        return (a[0], M.quat_inverse(a[1]))

    def _canonical(self, a: Any) -> tuple:
        if int(a[0]) not in (0, 1):
            raise ValueError(f"inversion component of an O(3) element must be 0 or 1, got {a[0]!r}")
        return (int(a[0]), SO3._canonical(self, a[1]))

    def _equal(self, a: tuple, b: tuple) -> bool:
        return a[0] == b[0] and SO3._equal(self, a[1], b[1])

    def _hash_key(self, a: tuple) -> Hashable:
        return (a[0], SO3._hash_key(self, a[1]))

    def _from_param(self, value: Any, param: str) -> tuple:
        if param == "MAT":
            m = np.asarray(value, dtype=np.float64)
            i = int(np.linalg.det(m) < 0)
            return (i, SO3._from_param(self, (-1.0) ** i * m, "MAT"))
        i, v = value
        return (int(i), SO3._from_param(self, v, param[6:-1]))

    def _to_param(self, value: tuple, param: str) -> Any:
        if param == "MAT":
            return self.standard_matrix(GroupElement(self, value))
        if param not in self.parametrisations:
            raise ValueError(f"O(3) has no parametrisation {param!r}; expected one of {self.parametrisations}")
        return (value[0], SO3._to_param(self, value[1], param[6:-1]))

    def _sample_value(self, rng: np.random.Generator) -> tuple:
        return (int(rng.integers(2)), M.random_quaternions(1, rng)[0])

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return [(j, l) for l in range(L + 1) for j in range(2)]

    def _trivial_id(self) -> tuple:
        return (0, 0)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 2 or id[0] not in (0, 1) or id[1] < 0:
            raise ValueError(f"O(3) irreps are (j, l) with parity j in {{0, 1}} and l >= 0; got {id}")
        return dict(size=2 * id[1] + 1, type="R", attributes={"frequency": id[1], "parity": id[0]})

    def _irrep_matrix(self, id: tuple, value: tuple) -> np.ndarray:
        return (-1.0) ** (id[0] * value[0]) * M.wigner_D_from_quat(id[1], value[1])

    def _irrep_matrices(self, id: tuple, values: Any) -> np.ndarray:
        sign = np.array([(-1.0) ** (id[0] * v[0]) for v in values])
        return sign[:, None, None] * M.wigner_D_from_quat(id[1], np.stack([v[1] for v in values]))

    def _repr_value(self, value: tuple) -> str:
        return f"({value[0]}, {np.array2string(value[1], precision=4)})"

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        return GroupElement(self, (0, M.matrix_to_quat(M.axis_angle_to_matrix(_AXES[a], t))))

    def _irreps_with_casimir(self, c: float) -> list:
        l = _degree_of_casimir(c)
        return [self.irrep(0, l), self.irrep(1, l)]

    _has_inversion = True

    def _restricted_irrep(self, subgroup_id: Hashable, psi) -> tuple[list, np.ndarray] | None:
        # on rotations the irrep (j, l) is the Wigner matrix D^l itself: Res_SO(3) (j, l) = l, Q = I
        if normalise_spatial_id(subgroup_id, self) != ("so3", None):
            return None
        H = self.subgroup(subgroup_id)[0]
        return [H.irrep(psi.id[1])], np.eye(psi.size)

    def _rotation_value(self, q: np.ndarray) -> Any:
        return (0, q)

    def _quaternion(self, value: Any) -> np.ndarray:
        return value[1]


def _grid_quaternions(kind: str, N: int | None, seed: int) -> list[np.ndarray]:
    if kind == "cube":
        return [q.copy() for q in _cube_quaternions()]
    if N is None:
        raise ValueError(f"SO(3) grid {kind!r} needs a size N")
    return list(M.so3_grid(kind, N, seed=seed))


def _degree_of_casimir(c: float) -> int:
    return int(round((-1 + math.sqrt(1 + 4 * max(c, 0.0))) / 2))


@lru_cache(maxsize=1)
def _cube_quaternions() -> tuple[np.ndarray, ...]:
    """The 24 rotations of the cube (signed permutation matrices with det 1)."""

    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = np.zeros((3, 3))
            for r, (c, s) in enumerate(zip(perm, signs)):
                m[r, c] = s
            if np.linalg.det(m) > 0:
                out.append(M.matrix_to_quat(m))
    return tuple(out)


def so3_group(maximum_frequency: int = 2) -> SO3:
    """``SO(3)``; ``maximum_frequency`` bounds the irreps listed by ``irreps()`` (any degree can be built)."""
    return SO3(maximum_frequency)


def o3_group(maximum_frequency: int = 2) -> O3:
    """``O(3)``; ``maximum_frequency`` bounds the irreps listed by ``irreps()``."""
    return O3(maximum_frequency)

"""The planar groups: cyclic ``C_N``, dihedral ``D_N``, ``SO(2)`` and ``O(2)``.

All four are subgroups of ``O(2)``; their elements are rotations ``r_theta`` possibly
followed by the flip ``f`` (the reflection ``(x, y) -> (x, -y)``), written ``(f, theta)``
with composition ``(f1, a)(f2, b) = (f1 + f2, a + (-1)^f1 b)``.  Their real irreps are

* ``psi_k(theta) = cos(k theta)`` (``k = 0``, or ``k = N/2`` for even ``N``), and
  ``psi_k(theta) = R(k theta)`` (2x2 rotation) otherwise, for ``C_N`` / ``SO(2)``;
* ``psi_(j,k)(f, theta) = (-1)^(j f) cos(k theta)`` for the 1-dimensional ones and
  ``psi_(1,k)(f, theta) = R(k theta) F^f`` with ``F = diag(1, -1)`` for ``D_N`` / ``O(2)``.

Example:
    >>> from steerable.group import dihedral_group
    >>> G = dihedral_group(4)
    >>> len(G.elements), [psi.size for psi in G.irreps()]
    (8, [1, 1, 1, 1, 2])
"""
from __future__ import annotations

import math
from typing import Any, Hashable

import numpy as np

from .group import Group, GroupElement, SubgroupTriple

__all__ = ["CyclicGroup", "DihedralGroup", "SO2", "O2", "cyclic_group", "dihedral_group", "so2_group", "o2_group", "trivial_group"]

TWO_PI = 2 * math.pi
_F = np.diag([1.0, -1.0])
_J = np.array([[0.0, -1.0], [1.0, 0.0]])
# Generic angles (irrational multiples of pi): one such rotation generates a dense subgroup of SO(2).
_GENERIC_ANGLES = (1.0, math.sqrt(2.0))


def _rot(theta: np.ndarray | float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def _wrap(theta: float) -> float:
    theta = float(theta) % TWO_PI
    return 0.0 if TWO_PI - theta < 1e-12 else theta


def _planar_matrix(name: str, value: Any, rotations_only: bool) -> tuple[int, float]:
    """``(f, theta)`` of a 2x2 orthogonal matrix ``R(theta) F^f``; ValueError for anything else."""
    m = np.asarray(value, dtype=np.float64)
    if m.shape != (2, 2) or not np.all(np.isfinite(m)) or np.abs(m.T @ m - np.eye(2)).max() > 1e-6:
        raise ValueError(f"a {name} matrix must be a 2x2 orthogonal matrix; got {value!r}")
    f = int(np.linalg.det(m) < 0)
    if f and rotations_only:
        raise ValueError(f"{name} has only rotations (det 1); got the reflection {value!r}")
    m = m @ _F if f else m
    return f, math.atan2(m[1, 0], m[0, 0])


def _finite_angle(name: str, theta: Any) -> float:
    theta = float(theta)
    if not math.isfinite(theta):
        raise ValueError(f"{name} angles must be finite, got {theta}")
    return theta


def _planar_irrep(j: int, k: int, size: int, f: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Batched ``psi_(j,k)(f, theta)``; ``f`` and ``theta`` are arrays of equal length."""
    if size == 1:
        return (np.cos(k * theta) * np.where(f == 1, (-1.0) ** j, 1.0))[:, None, None]
    R = _rot(k * theta)
    return np.where((f == 1)[:, None, None], R @ _F, R)


class _PlanarGroup(Group):
    """Shared machinery: every element maps to ``(f, theta)`` in ``O(2)``."""

    flips: bool = False

    def _angle(self, value: Any) -> float:
        raise NotImplementedError

    def _flip(self, value: Any) -> int:
        return 0

    def _ft(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        f = np.array([self._flip(v) for v in values], dtype=np.int64)
        t = np.array([self._angle(v) for v in values], dtype=np.float64)
        return f, t

    def _irrep_matrix(self, id: tuple, value: Any) -> np.ndarray:
        return self._irrep_matrices(id, [value])[0]

    def _irrep_matrices(self, id: tuple, values: Any) -> np.ndarray:
        size = self._irrep_info(id)["size"]
        j, k = (id if self.flips else (0, id[0]))
        f, t = self._ft(values)
        return _planar_irrep(j, k, size, f, t)

    def _irrep_sort_key(self, id: tuple) -> tuple:
        return (id[-1], id[0]) if self.flips else id

    def standard_matrix(self, g: GroupElement) -> np.ndarray:
        """The 2x2 orthogonal matrix by which ``g`` acts on the plane: ``R(theta) F^f``."""
        self._check_element(g)
        f, t = self._flip(g.value), self._angle(g.value)
        return _rot(t) @ (_F if f else np.eye(2))


# ---------------------------------------------------------------------- finite groups
class CyclicGroup(_PlanarGroup):
    """``C_N``: rotations by multiples of ``2 pi / N``; element value ``k`` in ``[0, N)``."""

    parametrisations = ("int", "radians", "MAT")

    def __init__(self, N: int) -> None:
        if not isinstance(N, (int, np.integer)) or N < 1:
            raise ValueError(f"C_N needs an integer N >= 1, got {N!r}")
        super().__init__(f"C{N}")
        self.N = int(N)

    def _angle(self, value: int) -> float:
        return TWO_PI * value / self.N

    @property
    def elements(self) -> list[GroupElement]:
        return [GroupElement(self, k) for k in range(self.N)]

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, 1 % self.N)]

    def _identity_value(self) -> int:
        return 0

    def _combine(self, a: int, b: int) -> int:
        return (a + b) % self.N

    def _inverse(self, a: int) -> int:
        return (-a) % self.N

    def _canonical(self, a: Any) -> int:
        return int(a) % self.N

    def _equal(self, a: int, b: int) -> bool:
        return a == b

    def _hash_key(self, a: int) -> Hashable:
        return a

    def _from_param(self, value: Any, param: str) -> int:
        if param == "int":
            if not float(value).is_integer():
                raise ValueError(f"C{self.N} element index must be an integer, got {value!r}")
            return int(value)
        if param == "MAT":
            value = _planar_matrix(self.name, value, rotations_only=True)[1]
        k = float(value) * self.N / TWO_PI
        if abs(k - round(k)) > 1e-6:
            raise ValueError(f"angle {value} is not a multiple of 2pi/{self.N}, so not an element of C{self.N}")
        return int(round(k))

    def _to_param(self, value: int, param: str) -> Any:
        if param == "int":
            return value
        if param == "radians":
            return self._angle(value)
        if param == "MAT":
            return _rot(self._angle(value))
        raise ValueError(f"C{self.N} has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.N))

    def _irrep_ids(self) -> list[tuple]:
        return [(k,) for k in range(self.N // 2 + 1)]

    def _trivial_id(self) -> tuple:
        return (0,)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 1 or not 0 <= id[0] <= self.N // 2:
            raise ValueError(f"C{self.N} has irreps k = 0..{self.N // 2}, got {id}")
        k = id[0]
        size = 1 if (k == 0 or 2 * k == self.N) else 2
        return dict(size=size, type="R" if size == 1 else "C", attributes={"frequency": k})

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        M = id
        if not isinstance(M, (int, np.integer)) or M < 1 or self.N % M:
            raise ValueError(f"subgroups of C{self.N} are C_M for M dividing {self.N}; got id {id!r}")
        H = cyclic_group(int(M))
        s = self.N // M

        def incl(h: GroupElement) -> GroupElement:
            return GroupElement(self, (h.value * s) % self.N)

        def restr(g: GroupElement) -> GroupElement | None:
            return GroupElement(H, g.value // s) if g.value % s == 0 else None

        return H, incl, restr

    def subgroup_rotations(self, M: int) -> SubgroupTriple:
        return self.subgroup(M)


class DihedralGroup(_PlanarGroup):
    """``D_N``: ``N`` rotations and ``N`` reflections; value ``(f, k)`` means ``r^k f^f``.

    ``D_1`` is the flip group ``{e, f}``.
    """

    parametrisations = ("(int, int)", "(int, radians)", "MAT")
    flips = True

    def __init__(self, N: int) -> None:
        if not isinstance(N, (int, np.integer)) or N < 1:
            raise ValueError(f"D_N needs an integer N >= 1, got {N!r}")
        super().__init__(f"D{N}")
        self.N = int(N)

    def _angle(self, value: tuple[int, int]) -> float:
        return TWO_PI * value[1] / self.N

    def _flip(self, value: tuple[int, int]) -> int:
        return value[0]

    @property
    def elements(self) -> list[GroupElement]:
        return [GroupElement(self, (f, k)) for f in range(2) for k in range(self.N)]

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, (0, 1 % self.N)), GroupElement(self, (1, 0))]

    def _identity_value(self) -> tuple[int, int]:
        return (0, 0)

    def _combine(self, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        return ((a[0] + b[0]) % 2, (a[1] + (-1) ** a[0] * b[1]) % self.N)

    def _inverse(self, a: tuple[int, int]) -> tuple[int, int]:
        return (a[0], (-a[1]) % self.N if a[0] == 0 else a[1])

    def _canonical(self, a: Any) -> tuple[int, int]:
        return (int(a[0]) % 2, int(a[1]) % self.N)

    def _equal(self, a: tuple, b: tuple) -> bool:
        return a == b

    def _hash_key(self, a: tuple) -> Hashable:
        return a

    def _from_param(self, value: Any, param: str) -> tuple[int, int]:
        if param == "MAT":
            value = _planar_matrix(self.name, value, rotations_only=False)
            param = "(int, radians)"
        f, r = value
        if int(f) not in (0, 1):
            raise ValueError(f"flip component of a D{self.N} element must be 0 or 1, got {f!r}")
        if param == "(int, int)" and not float(r).is_integer():
            raise ValueError(f"rotation index of a D{self.N} element must be an integer, got {r!r}")
        if param == "(int, radians)":
            k = float(r) * self.N / TWO_PI
            if abs(k - round(k)) > 1e-6:
                raise ValueError(f"angle {r} is not a multiple of 2pi/{self.N}")
            r = round(k)
        return (int(f), int(r))

    def _to_param(self, value: tuple[int, int], param: str) -> Any:
        if param == "(int, int)":
            return value
        if param == "(int, radians)":
            return (value[0], self._angle(value))
        if param == "MAT":
            return self.standard_matrix(GroupElement(self, value))
        raise ValueError(f"D{self.N} has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> tuple[int, int]:
        return (int(rng.integers(2)), int(rng.integers(self.N)))

    def _irrep_ids(self) -> list[tuple]:
        ids = [(0, 0), (1, 0)]
        ids += [(1, k) for k in range(1, (self.N + 1) // 2)]
        if self.N % 2 == 0 and self.N > 0:
            ids += [(0, self.N // 2), (1, self.N // 2)]
        return ids

    def _trivial_id(self) -> tuple:
        return (0, 0)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if id not in self._irrep_ids():
            raise ValueError(f"D{self.N} has irreps {self._irrep_ids()}, got {id}")
        j, k = id
        size = 1 if (k == 0 or 2 * k == self.N) else 2
        return dict(size=size, type="R", attributes={"frequency": k, "flip_frequency": j})

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        """``(axis, M)``: ``axis=None`` gives ``C_M``; an integer ``axis`` gives ``D_M`` whose
        reflection is ``r^axis f`` (mirror line at angle ``axis * pi / N``)."""
        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"D{self.N} subgroup ids are (axis, M) with axis None or an int; got {id!r}")
        axis, M = id
        if not isinstance(M, (int, np.integer)) or M < 1 or self.N % M:
            raise ValueError(f"subgroup order M must divide {self.N}; got id {id!r}")
        s = self.N // M
        if axis is None:
            H = cyclic_group(int(M))
            incl = lambda h: GroupElement(self, (0, (h.value * s) % self.N))  # noqa: E731
            restr = lambda g: GroupElement(H, g.value[1] // s) if g.value[0] == 0 and g.value[1] % s == 0 else None  # noqa: E731
            return H, incl, restr
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"axis of a D{self.N} subgroup must be None or an int in [0, {s}); got {axis!r}")
        a = int(axis) % self.N
        Hd = dihedral_group(int(M))

        def incl_d(h: GroupElement) -> GroupElement:
            f, k = h.value
            return GroupElement(self, (f, (k * s + f * a) % self.N))

        def restr_d(g: GroupElement) -> GroupElement | None:
            f, k = g.value
            k = (k - f * a) % self.N
            return GroupElement(Hd, (f, k // s)) if k % s == 0 else None

        return Hd, incl_d, restr_d

    def subgroup_rotations(self, M: int) -> SubgroupTriple:
        return self.subgroup((None, M))

    def subgroup_flips(self, axis: int = 0) -> SubgroupTriple:
        return self.subgroup((axis, 1))

    def subgroup_dihedral(self, M: int, axis: int = 0) -> SubgroupTriple:
        return self.subgroup((axis, M))


# ---------------------------------------------------------------------- continuous groups
class SO2(_PlanarGroup):
    """``SO(2)``: rotations by any angle; value ``theta`` in ``[0, 2 pi)``."""

    parametrisations = ("radians", "MAT")
    continuous = True
    grid_kinds = ("regular", "rand")

    def __init__(self, maxfreq: int = 6) -> None:
        super().__init__("SO(2)", maxfreq)

    def _angle(self, value: float) -> float:
        return value

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, t) for t in _GENERIC_ANGLES]

    def grid(self, kind: str = "regular", N: int | None = None, seed: int = 0, **kw: Any) -> list[GroupElement]:
        """``'regular'``: the ``N`` rotations by ``2 pi i / N``; ``'rand'``: ``N`` seeded random ones."""
        if N is None or N < 1:
            raise ValueError(f"grid size N must be a positive integer, got {N!r}")
        if kind == "regular":
            return [GroupElement(self, TWO_PI * i / N) for i in range(N)]
        if kind == "rand":
            rng = np.random.default_rng(seed)
            return [GroupElement(self, _wrap(t)) for t in rng.uniform(0, TWO_PI, N)]
        raise ValueError(f"SO(2) grids are {self.grid_kinds}, got {kind!r}")

    def _identity_value(self) -> float:
        return 0.0

    def _combine(self, a: float, b: float) -> float:
        return _wrap(a + b)

    def _inverse(self, a: float) -> float:
        return _wrap(-a)

    def _canonical(self, a: Any) -> float:
        return _wrap(_finite_angle("SO(2)", a))

    def _equal(self, a: float, b: float) -> bool:
        d = abs(a - b) % TWO_PI
        return min(d, TWO_PI - d) < 1e-9

    def _hash_key(self, a: float) -> Hashable:
        return round(a * 1e8) % round(TWO_PI * 1e8)

    def _from_param(self, value: Any, param: str) -> float:
        if param == "MAT":
            return _planar_matrix(self.name, value, rotations_only=True)[1]
        return float(value)

    def _to_param(self, value: float, param: str) -> Any:
        if param == "radians":
            return value
        if param == "MAT":
            return _rot(value)
        raise ValueError(f"SO(2) has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(0, TWO_PI))

    def _irrep_ids(self) -> list[tuple]:
        return self._irrep_ids_up_to(self.maxfreq)

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return [(k,) for k in range(L + 1)]

    def _trivial_id(self) -> tuple:
        return (0,)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 1 or id[0] < 0:
            raise ValueError(f"SO(2) irreps are frequencies k >= 0, got {id}")
        k = id[0]
        return dict(size=1 if k == 0 else 2, type="R" if k == 0 else "C", attributes={"frequency": k})

    def _lie_algebra_dim(self) -> int:
        return 1

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        return GroupElement(self, _wrap(t))

    def _irrep_lie_algebra(self, id: tuple) -> list[np.ndarray]:
        k = id[0]
        return [np.zeros((1, 1)) if k == 0 else k * _J]

    def _irreps_with_casimir(self, c: float) -> list:
        return [self.irrep(int(round(math.sqrt(max(c, 0.0)))))]

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        """``M > 0``: ``C_M``; ``M = -1``: ``SO(2)`` itself."""
        M = id
        if M == -1:
            return self, (lambda h: h), (lambda g: g)
        if not isinstance(M, (int, np.integer)) or M < 1:
            raise ValueError(f"SO(2) subgroup ids are M >= 1 (C_M) or -1 (SO(2)); got {id!r}")
        H = cyclic_group(int(M))

        def restr(g: GroupElement) -> GroupElement | None:
            k = g.value * M / TWO_PI
            return GroupElement(H, int(round(k)) % M) if abs(k - round(k)) < 1e-9 else None

        return H, (lambda h: GroupElement(self, _wrap(TWO_PI * h.value / M))), restr

    def subgroup_rotations(self, M: int) -> SubgroupTriple:
        return self.subgroup(M)


class O2(_PlanarGroup):
    """``O(2)``: value ``(f, theta)`` meaning ``r_theta f^f``."""

    parametrisations = ("(int, radians)", "MAT")
    continuous = True
    flips = True
    grid_kinds = ("regular", "rand")

    def __init__(self, maxfreq: int = 6) -> None:
        super().__init__("O(2)", maxfreq)

    def _angle(self, value: tuple[int, float]) -> float:
        return value[1]

    def _flip(self, value: tuple[int, float]) -> int:
        return value[0]

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, (0, t)) for t in _GENERIC_ANGLES] + [GroupElement(self, (1, 0.0))]

    def grid(self, kind: str = "regular", N: int | None = None, seed: int = 0, **kw: Any) -> list[GroupElement]:
        """``'regular'``: ``N`` rotations by ``2 pi i / N`` and the ``N`` reflections ``r_i f``
        (``2N`` elements, the dihedral group ``D_N``); ``'rand'``: ``N`` seeded random ones."""
        if N is None or N < 1:
            raise ValueError(f"grid size N must be a positive integer, got {N!r}")
        if kind == "regular":
            return [GroupElement(self, (f, TWO_PI * i / N)) for f in range(2) for i in range(N)]
        if kind == "rand":
            rng = np.random.default_rng(seed)
            return [GroupElement(self, (int(f), _wrap(t))) for f, t in zip(rng.integers(0, 2, N), rng.uniform(0, TWO_PI, N))]
        raise ValueError(f"O(2) grids are {self.grid_kinds}, got {kind!r}")

    def _identity_value(self) -> tuple[int, float]:
        return (0, 0.0)

    def _combine(self, a: tuple, b: tuple) -> tuple[int, float]:
        return ((a[0] + b[0]) % 2, _wrap(a[1] + (-1) ** a[0] * b[1]))

    def _inverse(self, a: tuple) -> tuple[int, float]:
        return (a[0], _wrap(-a[1]) if a[0] == 0 else a[1])

    def _canonical(self, a: Any) -> tuple[int, float]:
        if int(a[0]) not in (0, 1):
            raise ValueError(f"flip component of an O(2) element must be 0 or 1, got {a[0]!r}")
        return (int(a[0]), _wrap(_finite_angle("O(2)", a[1])))

    def _equal(self, a: tuple, b: tuple) -> bool:
        d = abs(a[1] - b[1]) % TWO_PI
        return a[0] == b[0] and min(d, TWO_PI - d) < 1e-9

    def _hash_key(self, a: tuple) -> Hashable:
        return (a[0], round(a[1] * 1e8) % round(TWO_PI * 1e8))

    def _from_param(self, value: Any, param: str) -> tuple[int, float]:
        if param == "MAT":
            return _planar_matrix(self.name, value, rotations_only=False)
        return (value[0], float(value[1]))

    def _to_param(self, value: tuple, param: str) -> Any:
        if param == "(int, radians)":
            return value
        if param == "MAT":
            return self.standard_matrix(GroupElement(self, value))
        raise ValueError(f"O(2) has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> tuple[int, float]:
        return (int(rng.integers(2)), float(rng.uniform(0, TWO_PI)))

    def _irrep_ids(self) -> list[tuple]:
        return self._irrep_ids_up_to(self.maxfreq)

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return [(0, 0), (1, 0)] + [(1, k) for k in range(1, L + 1)]

    def _trivial_id(self) -> tuple:
        return (0, 0)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 2 or id[1] < 0 or id[0] not in (0, 1) or (id[1] > 0 and id[0] != 1):
            raise ValueError(f"O(2) irreps are (0, 0), (1, 0) and (1, k) for k >= 1; got {id}")
        j, k = id
        return dict(size=1 if k == 0 else 2, type="R", attributes={"frequency": k, "flip_frequency": j})

    def _lie_algebra_dim(self) -> int:
        return 1

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        return GroupElement(self, (0, _wrap(t)))

    def _irrep_lie_algebra(self, id: tuple) -> list[np.ndarray]:
        k = id[1]
        return [np.zeros((1, 1)) if k == 0 else k * _J]

    def _irreps_with_casimir(self, c: float) -> list:
        k = int(round(math.sqrt(max(c, 0.0))))
        return [self.irrep(0, 0), self.irrep(1, 0)] if k == 0 else [self.irrep(1, k)]

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        """``(axis, M)``: ``axis=None`` gives rotations (``C_M``, or ``SO(2)`` for ``M=-1``);
        a float ``axis`` gives ``D_M`` (``O(2)`` for ``M=-1``) whose reflections include the
        mirror across the line at angle ``axis``, i.e. the element ``(1, 2 axis)``."""
        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"O(2) subgroup ids are (axis, M): axis None or an angle, M >= 1 or -1; got {id!r}")
        axis, M = id
        if not isinstance(M, (int, np.integer)) or (M < 1 and M != -1):
            raise ValueError(f"O(2) subgroup order M must be >= 1 or -1; got {id!r}")
        if axis is None:
            if M == -1:
                H = so2_group(self.maxfreq)
                return H, (lambda h: GroupElement(self, (0, h.value))), (lambda g: GroupElement(H, g.value[1]) if g.value[0] == 0 else None)
            Hc = cyclic_group(int(M))

            def restr_c(g: GroupElement) -> GroupElement | None:
                k = g.value[1] * M / TWO_PI
                return GroupElement(Hc, int(round(k)) % M) if g.value[0] == 0 and abs(k - round(k)) < 1e-9 else None

            return Hc, (lambda h: GroupElement(self, (0, _wrap(TWO_PI * h.value / M)))), restr_c
        shift = 2.0 * float(axis)
        if M == -1:
            if shift == 0.0:
                return self, (lambda h: h), (lambda g: g)
            # O(2) with a rotated flip: conjugation-free reparametrisation (f, t) -> (f, t + f shift)
            Ho = O2(self.maxfreq)
            return (
                Ho,
                lambda h: GroupElement(self, (h.value[0], _wrap(h.value[1] + h.value[0] * shift))),
                lambda g: GroupElement(Ho, (g.value[0], _wrap(g.value[1] - g.value[0] * shift))),
            )
        Hd = dihedral_group(int(M))

        def incl_d(h: GroupElement) -> GroupElement:
            f, k = h.value
            return GroupElement(self, (f, _wrap(TWO_PI * k / M + f * shift)))

        def restr_d(g: GroupElement) -> GroupElement | None:
            f, t = g.value
            k = _wrap(t - f * shift) * M / TWO_PI
            return GroupElement(Hd, (f, int(round(k)) % M)) if abs(k - round(k)) < 1e-9 else None

        return Hd, incl_d, restr_d

    def subgroup_rotations(self, M: int = -1) -> SubgroupTriple:
        return self.subgroup((None, M))

    def subgroup_flips(self, axis: float = 0.0) -> SubgroupTriple:
        return self.subgroup((axis, 1))

    def subgroup_dihedral(self, M: int, axis: float = 0.0) -> SubgroupTriple:
        return self.subgroup((axis, M))


# ---------------------------------------------------------------------- constructors
_INSTANCES: dict[tuple, Group] = {}


def _cached(key: tuple, make: Any) -> Any:
    # Groups are immutable values; sharing instances lets their (per-instance) caches serve everyone.
    if key not in _INSTANCES:
        _INSTANCES[key] = make()
    return _INSTANCES[key]


def cyclic_group(N: int) -> CyclicGroup:
    """The cyclic group ``C_N`` of ``N`` planar rotations."""
    return _cached(("C", N), lambda: CyclicGroup(N))


def dihedral_group(N: int) -> DihedralGroup:
    """The dihedral group ``D_N`` (``N`` rotations and ``N`` reflections); ``D_1`` is the flip group."""
    return _cached(("D", N), lambda: DihedralGroup(N))


def trivial_group() -> CyclicGroup:
    """The trivial group ``C_1``."""
    return cyclic_group(1)


def so2_group(maxfreq: int = 6) -> SO2:
    """``SO(2)``; ``maxfreq`` bounds the irreps listed by ``irreps()`` (any frequency can be built)."""
    return _cached(("SO2", maxfreq), lambda: SO2(maxfreq))


def o2_group(maxfreq: int = 6) -> O2:
    """``O(2)``; ``maxfreq`` bounds the irreps listed by ``irreps()``."""
    return _cached(("O2", maxfreq), lambda: O2(maxfreq))
